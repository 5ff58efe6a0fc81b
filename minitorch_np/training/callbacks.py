"""`EarlyStopping`: stop training when the monitored number stops improving (lectures 002, 004)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .._grad_mode import no_grad
from .._tensor import Tensor

__all__ = ["EarlyStopping"]


class EarlyStopping:
    r"""Keep track of a number after each epoch (normally the validation loss) and stop "when a
    determined number of epochs pass without overall improvement" (lecture 004, "Early
    stopping"); the weights of the best epoch are then put back.

    An epoch improves when its value beats the best so far by more than `min_delta`
    (:math:`v < v_\text{best} - \delta` in ``'min'`` mode, :math:`v > v_\text{best} + \delta`
    in ``'max'`` mode). Training stops at the end of the `patience`-th epoch in a row without
    improvement. With ``patience=5`` and the best value at epoch 5, lecture 004's run prints
    epochs 1 to 10 and stops.

    ``Model.fit(..., early_stopping=5)`` is short for
    ``early_stopping=EarlyStopping(patience=5)``.

    Args:
        patience: epochs without improvement before stopping (default: 5).
        monitor: the history key to watch (default: ``'eval_loss'``, which needs evaluation
            data; ``'loss'`` watches the training loss).
        mode: ``'min'`` (a loss), ``'max'`` (an accuracy), or ``'auto'`` (default): ``'max'``
            when the key ends in ``acc``/``accuracy``, else ``'min'``.
        min_delta: the smallest change that counts as an improvement (default: 0).
        restore_best_weights: load the best epoch's parameters and buffers back into the
            network when stopping (default: True). They are kept as copies in memory.
    """

    def __init__(self, patience: int = 5, monitor: str = "eval_loss", mode: str = "auto",
                 min_delta: float = 0.0, restore_best_weights: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {patience!r}")
        if mode == "auto":
            mode = "max" if monitor.endswith(("acc", "accuracy")) else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.patience = patience
        self.monitor = monitor
        self.mode = mode
        self.min_delta = float(min_delta)
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self) -> None:
        """Forget the runs seen so far."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_state: dict[str, Tensor] | None = None

    def improves(self, value: float) -> bool:
        """Whether `value` beats the best so far by more than `min_delta`."""
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, logs: Mapping[str, float], epoch: int, net=None) -> bool:
        """Look at one finished epoch's `logs`; True when training should stop now.

        On an improvement it records the value and epoch (and a copy of `net`'s state when
        restoring is on).
        """
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitored key {self.monitor!r} is not among this "
                           f"epoch's values {sorted(logs)}" + (
                               "; 'eval_*' keys need eval data: fit(train_loader, "
                               "eval_loader, ...)" if self.monitor.startswith("eval_") else ""))
        value = float(logs[self.monitor])
        if self.improves(value):
            self.best, self.best_epoch, self.wait = value, int(epoch), 0
            if self.restore_best_weights and net is not None:
                with no_grad():
                    self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(epoch)
            return True
        return False

    def restore(self, net) -> bool:
        """Load the best epoch's weights back into `net`; False when there are none to load."""
        if not self.restore_best_weights or self.best_state is None:
            return False
        net.load_state_dict(self.best_state)
        return True

    # -- saving (so that a resumed run stops where the straight one would) ----------------
    def state_dict(self) -> dict[str, Any]:
        return {"patience": self.patience, "monitor": self.monitor, "mode": self.mode,
                "min_delta": self.min_delta, "restore_best_weights": self.restore_best_weights,
                "best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_state": self.best_state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for key in ("patience", "monitor", "mode", "min_delta", "restore_best_weights", "best",
                    "best_epoch", "wait", "stopped_epoch"):
            setattr(self, key, state[key])
        best_state = state.get("best_state")
        self.best_state = dict(best_state) if best_state is not None else None

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
                f"mode={self.mode!r}, min_delta={self.min_delta}, "
                f"restore_best_weights={self.restore_best_weights})")
