"""Optimizers and learning-rate schedules (``torch.optim``).

``Optimizer`` (optimizer.py) holds the param groups and the per-parameter state; each
optimizer is one file with its update rule in the class docstring; ``lr_scheduler`` changes
the learning rates over training. docs/optim.md puts every update rule side by side with the
lectures' notation.
"""
from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
           "LBFGS",
           "SGD",
           "Adadelta",
           "Adagrad",
           "Adam",
           "AdamW",
           "Adamax",
           "NAdam",
           "Optimizer",
           "RMSprop",
           "lr_scheduler",
]
