"""Automatic differentiation: `backward`, `grad`, custom `Function`s and gradient checks."""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..backends import device_guard
from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import BackwardNode, Function, FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The wrapper of PyTorch before 0.4, kept as PyTorch keeps it (lecture 003 uses it):
    ``Variable(t)`` is `t` detached — the same memory and dtype, a leaf — requiring grad if
    asked; every Tensor is an instance of Variable."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        return data.detach().requires_grad_(requires_grad)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "BackwardNode", "gradcheck",
           "gradgradcheck", "GradcheckError", "Variable", "detect_anomaly",
           "set_detect_anomaly"]


def _as_tuple(x):
    if x is None:
        return None
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _root_grads(op: str, outputs, grad_outputs) -> list:
    """The upstream gradients: given ones checked, or 1 for one-element outputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: expected Tensors as outputs, got {type(out).__name__}")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar "
                                   f"outputs (this output has shape {list(out.shape)}); pass "
                                   "the upstream gradient")
            with device_guard(out._device):
                g = Tensor._make(out._device.backend.xp.ones_like(out._data), out._device)
        elif not isinstance(g, Tensor):
            raise TypeError(f"{op}: gradients must be Tensors or None, got {type(g).__name__}")
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"{op}: mismatch in shape: grad_output has a shape of "
                               f"{list(g.shape)} and output has a shape of {list(out.shape)}")
        elif g._device is not out._device:
            raise RuntimeError(f"{op}: grad_output is on {g._device} but output is on "
                               f"{out._device}")
        elif g._data.dtype != out._data.dtype:
            g = g.to(dtype=out.dtype)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves they depend on."""
    outputs = _as_tuple(tensors)
    grads = _root_grads("backward", outputs, _as_tuple(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        found = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                             allow_unused=True)
        from .engine import _accumulate_grad
        for t, g in zip(inputs, found):
            if g is not None:
                _accumulate_grad(t, g, create_graph)
        return
    run_backward(outputs, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool | None = None, *, materialize_grads: bool = False):
    """The gradients of `outputs` with respect to `inputs`, returned (no ``.grad`` is touched).

    With ``create_graph=True`` the result is itself differentiable: gradients of gradients.
    An input the outputs do not depend on is an error, unless ``allow_unused=True`` (its
    gradient is then None, or zeros with ``materialize_grads=True``, which implies it).
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__} at {i}")
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    grads = _root_grads("grad", outs, _as_tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    found = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                         allow_unused=allow_unused)
    if materialize_grads:
        from .._creation import zeros_like
        found = tuple(zeros_like(t) if g is None else g for t, g in zip(ins, found))
    return found
