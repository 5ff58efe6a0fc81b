"""Gradient clipping: keep one bad batch from throwing the parameters far away.

``clip_grad_norm_`` rescales all gradients together so that their global norm — the norm of
all gradients concatenated into one vector — is at most ``max_norm``:

    g ← g · min(1, max_norm / (‖g‖ + 1e-6))

which keeps the direction of the update. ``clip_grad_value_`` clamps each entry to
[-clip_value, clip_value] instead (and so changes the direction). Call either between
``loss.backward()`` and ``optimizer.step()``.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..._creation import tensor
from ..._functions.shape import stack
from ..._grad_mode import no_grad
from ..._tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_value_"]


def _tensors(op: str, parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    items = list(parameters)
    for i, p in enumerate(items):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors (parameters), got {type(p).__name__} at "
                            f"position {i}")
    return items


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The `norm_type`-norm of all `tensors` together, as if concatenated into one vector
    (a 0-d tensor on the device of the first one; 0 when there are none)."""
    ts = _tensors("get_total_norm", tensors)
    norm_type = float(norm_type)
    if not ts:
        return tensor(0.0)
    first = ts[0].device
    with no_grad():
        norms = [t.norm(norm_type).to(first) for t in ts]
        total = stack(norms).norm(norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _tensors("clip_grads_with_norm_", parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device))


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale the gradients of `parameters` in place so that their global `norm_type`-norm
    is at most `max_norm`. Returns the total norm measured *before* clipping."""
    params = _tensors("clip_grad_norm_", parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach=None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _tensors("clip_grad_value_", parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)
