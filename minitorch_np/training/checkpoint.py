"""Training checkpoints: everything a run needs to continue, in one safetensors file.

A checkpoint holds the network's ``state_dict``, the optimizer's (momentum buffers, Adam's
moments, step counts), the scheduler's, the number of epochs done, the history so far, the
run's seed and the early-stopping state. It is written with `minitorch_np.save`: atomically
(a crash mid-write leaves the previous checkpoint intact) and without pickle (loading one
never runs code). With the same seed, a run resumed from a checkpoint repeats, bit for bit on
the CPU, what the uninterrupted run would have done (see `Model.fit`'s ``seed``).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .. import serialization

__all__ = ["load_checkpoint", "save_checkpoint"]

FORMAT = "minitorch_np.training.checkpoint"
VERSION = 1


def save_checkpoint(path: str | os.PathLike, net, optimizer=None, scheduler=None, *,
                    epoch: int = 0, history: Mapping | None = None, seed: int | None = None,
                    early_stopping: Mapping | None = None) -> None:
    """Write a checkpoint to `path` (atomically; the file is a safetensors file).

    Args:
        net: the ``nn.Module`` (its ``state_dict()`` is saved).
        optimizer, scheduler: saved through their ``state_dict()`` when given.
        epoch: the number of epochs done.
        history: a ``History.state_dict()``.
        seed: the run's seed (``Model.fit(seed=...)``), or None.
        early_stopping: an ``EarlyStopping.state_dict()``, or None.
    """
    state = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": int(epoch),
        "net": net.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": dict(history) if history is not None else None,
        "seed": seed,
        "early_stopping": dict(early_stopping) if early_stopping is not None else None,
    }
    serialization.save(state, path)


def load_checkpoint(path: str | os.PathLike, net=None, optimizer=None, scheduler=None, *,
                    map_location=None) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint`, load its states into the `net`,
    `optimizer` and `scheduler` given, and return the whole checkpoint dict (``'epoch'``,
    ``'history'``, ``'seed'``, ... and the raw state dicts).

    The optimizer must have been built on the same parameters, in the same groups, as the
    saved one; its state tensors are moved to each parameter's device.
    """
    state = serialization.load(path, map_location=map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} is not a minitorch_np training "
                         f"checkpoint (it has no format tag {FORMAT!r}); a bare state_dict "
                         f"loads with minitorch_np.load and net.load_state_dict")
    if state.get("version", 0) > VERSION:
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} has checkpoint version "
                         f"{state['version']}, newer than this minitorch_np reads ({VERSION})")
    if net is not None:
        net.load_state_dict(state["net"])
    if optimizer is not None:
        if state["optimizer"] is None:
            raise ValueError(f"load_checkpoint: {os.fspath(path)!r} holds no optimizer state")
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        if state["scheduler"] is None:
            raise ValueError(f"load_checkpoint: {os.fspath(path)!r} holds no scheduler state")
        scheduler.load_state_dict(state["scheduler"])
    return state
