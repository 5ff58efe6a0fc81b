"""How a tensor prints: ``tensor([[1., 2.]], requires_grad=True)``, as PyTorch prints it.

Floats print as integers with a trailing dot when they all are integers, in scientific
notation when their magnitudes span more than 1000× (or leave [1e-4, 1e8)), else with four
decimals; every element is padded to one width. Tensors over 1000 elements are summarised.
"""
from __future__ import annotations

import numpy as np

from ._dtype import get_default_dtype

_THRESHOLD, _EDGEITEMS, _LINEWIDTH = 1000, 3, 80


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    if finite.size == 0 or np.all(finite == np.round(finite)) and (
            nonzero.size == 0 or nonzero.max() < 1e8):
        def fmt(v):
            return f"{v:.0f}." if np.isfinite(v) else str(v)
    elif nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() >= 1e8
                           or nonzero.min() < 1e-4):
        def fmt(v):
            return f"{v:.4e}" if np.isfinite(v) else str(v)
    else:
        def fmt(v):
            return f"{v:.4f}" if np.isfinite(v) else str(v)
    return fmt


def _body(array: np.ndarray, prefix: str) -> str:
    summarize = array.size > _THRESHOLD
    shown = array
    if summarize:  # only the edges are printed, so only they decide the format
        for axis in range(array.ndim):
            if array.shape[axis] > 2 * _EDGEITEMS:
                idx = np.r_[0:_EDGEITEMS, array.shape[axis] - _EDGEITEMS:array.shape[axis]]
                shown = np.take(shown, idx, axis=axis)
    if array.dtype.kind == "f":
        fmt = _float_formatter(shown.astype(np.float64).ravel())
    elif array.dtype.kind == "b":
        def fmt(v):
            return str(bool(v))
    else:
        def fmt(v):
            return str(int(v))
    width = max((len(fmt(v)) for v in shown.ravel()), default=0)
    return np.array2string(array, separator=", ", prefix=prefix, max_line_width=_LINEWIDTH,
                           threshold=_THRESHOLD, edgeitems=_EDGEITEMS,
                           formatter={"all": lambda v: fmt(v).rjust(width)})


def tensor_repr(t) -> str:
    array = t._device.backend.to_numpy(t._data)
    prefix = "tensor("
    suffixes = []
    if array.size == 0:
        body = "[]"
        if array.shape != (0,):
            suffixes.append(f"size={tuple(array.shape)}")
    else:
        body = _body(array, prefix)
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    dt = t.dtype
    if dt.name not in ("int64", "bool") and dt is not get_default_dtype():
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
