"""How a tensor prints: ``tensor([[1., 2.]], requires_grad=True)``, as PyTorch prints it.

One format is chosen for all the elements shown, from their nonzero finite values:

* integers with a trailing dot (``2.``) when they all are integers,
* scientific notation (``1.0000e+05``) when their magnitudes span more than 1000×, or
  exceed 1e8, or (for non-integers) go below 1e-4,
* four decimals (``0.2500``) otherwise;

every element is right-aligned to the width of the widest finite one. Tensors of more than
1000 elements are summarised: only the first and last 3 entries of each dimension are shown
(and decide the format), with ``...`` between. Suffixes follow the body: the device when it
is not the CPU, the dtype when it cannot be told from the values, then ``grad_fn`` or
``requires_grad``.
"""
from __future__ import annotations

import math

import numpy as np

from ._dtype import get_default_dtype

_THRESHOLD, _EDGEITEMS, _LINEWIDTH, _PRECISION = 1000, 3, 80, 4


class _Formatter:
    """Formats one element as a string of the common width (PyTorch's ``_Formatter``)."""

    def __init__(self, shown: np.ndarray):
        self.floating = shown.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        values = shown.ravel()
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        values = values.astype(np.float64)
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        if self.sci_mode:
            self.width = max(len(f"{v:.{_PRECISION}e}") for v in finite.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            self.width = max(len(f"{v:.{_PRECISION}f}") for v in finite.tolist())

    def __call__(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.width)


def _summarized(array: np.ndarray) -> np.ndarray:
    """The entries a summarised print shows: the edges of every dimension."""
    for axis in range(array.ndim):
        n = array.shape[axis]
        if n > 2 * _EDGEITEMS:
            array = np.take(array, np.r_[0:_EDGEITEMS, n - _EDGEITEMS:n], axis=axis)
    return array


def _vector(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((_LINEWIDTH - indent) / (fmt.width + 2)))
    n = array.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        items = ([fmt(v) for v in array[:_EDGEITEMS].tolist()] + [" ..."]
                 + [fmt(v) for v in array[n - _EDGEITEMS:].tolist()])
    else:
        items = [fmt(v) for v in array.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if array.ndim == 0:
        return fmt(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, fmt)
    n = array.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        rows = ([_nested(array[i], indent + 1, summarize, fmt) for i in range(_EDGEITEMS)]
                + ["..."]
                + [_nested(array[i], indent + 1, summarize, fmt) for i in range(n - _EDGEITEMS, n)])
    else:
        rows = [_nested(array[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, starting a new line when one would pass the line width."""
    parts = [body]
    line = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if line + len(s) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + s)
            line = indent + len(s)
        else:
            parts.append(", " + s)
            line += len(s) + 2
    return "".join(parts) + ")"


def tensor_repr(t) -> str:
    array = t._device.backend.to_numpy(t._data)
    if array.dtype == np.float16:  # formatted through float32, as PyTorch does
        array = array.astype(np.float32)
    prefix = "tensor("
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    dt = t.dtype
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dt is not get_default_dtype():  # no values to tell int64 from a float
            suffixes.append(f"dtype={dt!r}")
    else:
        summarize = array.size > _THRESHOLD
        fmt = _Formatter(_summarized(array) if summarize else array)
        body = _nested(array, len(prefix), summarize, fmt)
        if dt.name not in ("int64", "bool") and dt is not get_default_dtype():
            suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, len(prefix))
