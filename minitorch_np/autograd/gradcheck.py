"""`gradcheck` and `gradgradcheck`: analytic gradients against central differences.

For outputs y = f(x₁, …, xₖ) we draw a random upstream gradient v (one per output) and
compare, for every element j of every input that requires grad,

    analytic:  ∂(Σ v·y)/∂x_j           from one backward pass (autograd.grad)
    numeric:   (Σ v·f(x + εe_j) − Σ v·f(x − εe_j)) / 2ε

A random v tests the whole vector–Jacobian product in one pass (a wrong entry of the
Jacobian survives only if v happens to cancel it, which has probability zero), unlike
summing the outputs, which cannot see errors that sum to zero (e.g. in softmax).
Inputs must be float64: in float32, ε = 1e-6 is below the rounding error.
"""
from __future__ import annotations

import numpy as np

from .._grad_mode import enable_grad
from .._tensor import Tensor
from ..backends import device_guard

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytic and numeric gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, list | tuple) else (x,)


def _differentiable_outputs(out) -> list:
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and o._requires_grad]


def _random_like(t: Tensor, rng) -> Tensor:
    host = rng.standard_normal(t._data.shape).astype(t._data.dtype)
    return Tensor._make(t._device.backend.from_numpy(host, t._device.index), t._device)


def _projection(outputs, vs) -> float:
    """Σ ⟨v, y⟩ over all outputs, as a Python float."""
    total = 0.0
    for o, v in zip(outputs, vs):
        total += float((o._data * v._data).sum())
    return total


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0, **_ignored) -> bool:
    """Check ``func``'s backward against central differences; True when all agree.

    On failure (with ``raise_exception``) the GradcheckError names the input, the element,
    and the numerical and analytical values.
    """
    inputs = _as_tuple(inputs)
    checked = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    if not checked:
        raise ValueError("gradcheck: expected at least one input tensor to require gradient")
    for i, t in checked:
        if t._data.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {t.dtype}; gradients can only be checked "
                             "in float64 (use .double())")
    rng = np.random.default_rng(seed)
    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
    if not outputs:
        return _fail("gradcheck: no output of func requires grad", raise_exception)
    vs = [_random_like(o, rng) for o in outputs]

    from . import grad as autograd_grad
    with enable_grad():
        analytic = autograd_grad(outputs, [t for _, t in checked], vs, allow_unused=True)

    for (i, t), a in zip(checked, analytic):
        backend = t._device.backend
        if a is None:
            a_host = np.zeros(t._data.shape)
        else:
            if a.shape != t.shape:
                return _fail(f"gradcheck: the gradient of input {i} has shape {list(a.shape)}, "
                             f"expected {list(t.shape)}", raise_exception)
            a_host = backend.to_numpy(a._data).astype(np.float64)
        for idx in np.ndindex(t._data.shape):
            orig = float(t._data[idx])
            with enable_grad(), device_guard(t._device):
                t._data[idx] = orig + eps
                plus = _projection(_as_tuple_outputs(func, inputs), vs)
                t._data[idx] = orig - eps
                minus = _projection(_as_tuple_outputs(func, inputs), vs)
                t._data[idx] = orig
            numeric = (plus - minus) / (2 * eps)
            analytic_v = float(a_host[idx])
            if not abs(analytic_v - numeric) <= atol + rtol * abs(numeric):
                return _fail(
                    f"gradcheck: Jacobian mismatch for input {i} (shape {list(t.shape)}) at "
                    f"element {idx}:\n  numerical: {numeric!r}\n  analytical: {analytic_v!r}\n"
                    f"(the outputs were projected on a random upstream gradient, seed {seed})",
                    raise_exception)
    return True


def _as_tuple_outputs(func, inputs) -> list:
    return _differentiable_outputs(func(*inputs))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0,
                  **_ignored) -> bool:
    """Check second derivatives: gradcheck of (x, v) ↦ vᵀ ∂f/∂x, built with create_graph."""
    inputs = _as_tuple(inputs)
    rng = np.random.default_rng(seed + 1)
    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
    if grad_outputs is None:
        vs = [_random_like(o, rng).requires_grad_() for o in outputs]
    else:
        vs = list(_as_tuple(grad_outputs))
    n = len(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]

    from . import grad as autograd_grad

    def first_derivative(*args):
        ins, v = args[:n], args[n:]
        outs = _differentiable_outputs(func(*ins))
        grads = autograd_grad(outs, [ins[i] for i in diff], list(v), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None and g._requires_grad)

    return gradcheck(first_derivative, tuple(inputs) + tuple(vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
