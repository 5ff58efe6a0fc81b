"""`lr_range_test`: the learning-rate range test of lecture 002 ("Cyclical learning rate
scheduler — how to find the optimum range?")."""
from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from .._grad_mode import no_grad
from .._tensor import Tensor
from ..backends import device as Device
from .ema import ExponentialMovingAverage

__all__ = ["LRRangeTest", "lr_range_test"]


@dataclass
class LRRangeTest:
    """What `lr_range_test` measured: the learning rate of each step, the smoothed loss after
    it and the raw batch loss."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    raw_losses: list[float] = field(default_factory=list)

    def suggestion(self) -> float:
        """The rate where the smoothed loss falls fastest against log(lr) — a usual choice
        for the largest rate of a schedule is about there (or a few times below)."""
        if len(self.lrs) < 3:
            raise ValueError("LRRangeTest.suggestion: needs at least 3 points")
        slopes = [(self.losses[i + 1] - self.losses[i - 1])
                  / (math.log(self.lrs[i + 1]) - math.log(self.lrs[i - 1]))
                  for i in range(1, len(self.lrs) - 1)]
        return self.lrs[1 + min(range(len(slopes)), key=slopes.__getitem__)]

    def plot(self, path: str | os.PathLike | None = None, show_suggestion: bool = True):
        """Loss against learning rate (log scale); saved to `path` when given. Returns the
        matplotlib ``Figure`` (matplotlib is imported only here)."""
        try:
            from matplotlib.figure import Figure
        except ImportError as e:
            raise ImportError("LRRangeTest.plot needs matplotlib: pip install matplotlib") from e
        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.subplots()
        ax.plot(self.lrs, self.raw_losses, color="0.75", linewidth=0.8, label="batch loss")
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        if show_suggestion and len(self.lrs) >= 3:
            lr = self.suggestion()
            ax.axvline(lr, color="C3", linestyle="--", linewidth=1,
                       label=f"steepest descent: {lr:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("LR range test")
        finite = [v for v in self.losses if math.isfinite(v)]
        if finite:  # the divergence at the end would squash the interesting part
            low, first = min(finite), finite[0]
            ax.set_ylim(low - 0.05 * abs(first - low) - 1e-12, first + 0.5 * abs(first - low)
                        + 1e-12)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        if path is not None:
            fig.savefig(os.fspath(path), dpi=100)
        return fig


def lr_range_test(model, loader: Iterable, optimizer=None, loss_fn=None, *,
                  start_lr: float = 1e-7, end_lr: float = 10.0, num_iter: int = 100,
                  beta: float = 0.98, diverge: float = 4.0, path: str | os.PathLike | None = None,
                  restore: bool = True) -> LRRangeTest:
    r"""Train with a learning rate growing exponentially from `start_lr` to `end_lr` over
    `num_iter` batches, and record the loss after each (lecture 002: "train a network
    starting from a low learning rate and increase the learning rate exponentially for every
    batch"; Smith, *Cyclical Learning Rates*, 2017):

    .. math::
        \eta_k = \eta_\text{start} \left(\frac{\eta_\text{end}}{\eta_\text{start}}
                 \right)^{k / (K - 1)}, \qquad k = 0, \dots, K - 1.

    The batch losses are smoothed by an `ExponentialMovingAverage` with bias correction
    (`beta`); the test stops early once the smoothed loss exceeds `diverge` times its lowest
    value. "The learning rate should be set within the range where the loss decreases
    drastically"; ``result.suggestion()`` gives the steepest point.

    Args:
        model: a compiled `Model` (its optimizer and loss are used), or an ``nn.Module``
            with `optimizer` and `loss_fn` given.
        loader: batches ``(inputs, targets)``; it is cycled if shorter than `num_iter`.
        optimizer, loss_fn: for a bare network.
        start_lr, end_lr, num_iter: the range and the number of steps.
        beta: the smoothing of the loss (default 0.98).
        diverge: stop when the smoothed loss exceeds this multiple of its minimum.
        path: save the plot there (needs matplotlib).
        restore: put the network's weights and the optimizer's state back as they were
            before the test (default True), so the test leaves no trace.

    Returns an `LRRangeTest` (``.lrs``, ``.losses``, ``.raw_losses``, ``.suggestion()``,
    ``.plot(path)``).
    """
    net = getattr(model, "net", model)
    optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
    loss_fn = loss_fn if loss_fn is not None else getattr(model, "loss", None)
    if optimizer is None or loss_fn is None:
        raise ValueError("lr_range_test: give a compiled Model, or a network with optimizer= "
                         "and loss_fn=")
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_range_test: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"lr_range_test: num_iter must be an int >= 2, got {num_iter!r}")
    device = getattr(model, "device", None)
    if device is None:
        device = next((p.device for p in net.parameters()), Device("cpu"))

    saved_net = _clone(net.state_dict()) if restore else None
    saved_opt = _clone(optimizer.state_dict()) if restore else None
    was_training = net.training
    result = LRRangeTest()
    smoother = ExponentialMovingAverage(beta)
    ratio = end_lr / start_lr
    net.train()
    try:
        batches = _cycle(loader)
        for k in range(num_iter):
            lr = start_lr * ratio ** (k / (num_iter - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, targets = next(batches)
            inputs = inputs.to(device) if isinstance(inputs, Tensor) else inputs
            targets = targets.to(device) if isinstance(targets, Tensor) else targets
            optimizer.zero_grad()
            loss = loss_fn(net(inputs), targets)
            loss.backward()
            optimizer.step()
            value = loss.item()
            smoothed = smoother.update(value)
            result.lrs.append(lr)
            result.raw_losses.append(value)
            result.losses.append(smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge * min(result.losses):
                break
    finally:
        optimizer.zero_grad()
        if restore:
            net.load_state_dict(saved_net)
            optimizer.load_state_dict(saved_opt)
        net.train(was_training)
    if path is not None:
        result.plot(path)
    return result


def _cycle(loader: Iterable):
    while True:
        empty = True
        for batch in loader:
            empty = False
            if not isinstance(batch, list | tuple) or len(batch) != 2:
                raise TypeError("lr_range_test: each batch must be a pair (inputs, targets)")
            yield batch
        if empty:
            raise ValueError("lr_range_test: the loader yielded no batch")


def _clone(obj):
    """A deep copy of a state dict, its tensors cloned (a state dict shares their memory)."""
    if isinstance(obj, Tensor):
        with no_grad():
            return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_clone(v) for v in obj)
    return obj
