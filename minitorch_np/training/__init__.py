"""Training helpers of the seed lectures (ours: PyTorch has no such package).

* `Model`: lecture 004's wrapper, ``Model(net).compile(optimizer, loss, metrics=[Accuracy()],
  scheduler=None).fit(train_loader, eval_loader, epochs=..., early_stopping=...)``, with
  `History` (learning curves), `EarlyStopping`, gradient accumulation (lecture 003's update
  rules) and checkpoints (`save_checkpoint`, `load_checkpoint`);
* `Accuracy` and the `Metric` base class;
* `Ensemble`: averaged predictions of several networks (lecture 002);
* `lr_range_test`: the learning-rate range test (lecture 002);
* `ExponentialMovingAverage`: lecture 002's running average with bias correction.

See docs/training.md.
"""
from __future__ import annotations

from .callbacks import EarlyStopping
from .checkpoint import load_checkpoint, save_checkpoint
from .ema import ExponentialMovingAverage
from .ensemble import Ensemble
from .history import History
from .lr_finder import LRRangeTest, lr_range_test
from .metrics import Accuracy, Metric
from .model import Model

__all__ = ["Accuracy", "EarlyStopping", "Ensemble", "ExponentialMovingAverage", "History",
           "LRRangeTest", "Metric", "Model", "load_checkpoint", "lr_range_test",
           "save_checkpoint"]
