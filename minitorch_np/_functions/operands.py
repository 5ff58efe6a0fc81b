"""Checking and preparing the arguments of an op before it runs.

Binary ops accept a Tensor with another Tensor, a Python or NumPy scalar, or a NumPy array
(on the CPU), on either side. Here they are brought to one device and one dtype by PyTorch's
promotion rules, and their shapes are checked for broadcasting, so that an error names the
op and the shapes before anything is computed.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._dtype import from_numpy_dtype, get_default_dtype, result_type
from .._tensor import Tensor, _wrap_dim
from ..backends import device as Device
from ..backends import device_guard as _device_guard

_CPU = Device("cpu")


def as_operand(op: str, x):
    """A Tensor or a Python scalar; NumPy arrays become CPU tensors, NumPy scalars numbers."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):  # first: np.float64 is a float, but NumPy would let it
        return x.item()             # turn a float32 array into float64
    if isinstance(x, bool | int | float):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x, _CPU)
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return float(x)
    raise TypeError(f"{op}: unsupported operand type {type(x).__name__}; expected a Tensor, "
                    "a number or a NumPy array")


def binary(op: str, a, b):
    """Two operands of `op` on one device with one dtype; a Python scalar stays a scalar."""
    if (isinstance(a, Tensor) and isinstance(b, Tensor) and a._device is b._device
            and a._data.shape == b._data.shape and a._data.dtype == b._data.dtype):
        return a, b  # the common case, first: nothing to convert, broadcast or promote
    a, b = as_operand(op, a), as_operand(op, b)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        if a._device is not b._device:
            a, b = _cpu_scalar_to_device(a, b), _cpu_scalar_to_device(b, a)
            if a._device is not b._device:
                raise RuntimeError(f"{op}: expected all tensors to be on the same device, but "
                                   f"found at least two devices, {a._device} and {b._device}")
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if a._data.shape != b._data.shape:
                broadcast_shapes(op, a._data.shape, b._data.shape)
            if a._data.dtype is not b._data.dtype and a._data.dtype != b._data.dtype:
                dt = result_type(a, b)
                return cast_to(a, dt), cast_to(b, dt)
            return a, b
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        raise TypeError(f"{op}: expected at least one Tensor operand")
    t, s = (a, b) if isinstance(a, Tensor) else (b, a)
    kind = t._data.dtype.kind
    if kind in "iu" and type(s) is int:
        info = np.iinfo(t._data.dtype)
        if not info.min <= s <= info.max:  # PyTorch wraps the number into the dtype (uint8:
            s = int(np.array(s, dtype=np.int64).astype(t._data.dtype))  # 300 is 44, -1 is 255)
            a, b = (t, s) if isinstance(a, Tensor) else (s, t)
    if not (kind == "f" or kind in "iu" and type(s) is int):  # else the tensor's dtype wins
        dt = result_type(t, s)
        if dt.numpy != t._data.dtype:
            t = cast_to(t, dt)
    return (t, s) if isinstance(a, Tensor) else (s, t)


def _cpu_scalar_to_device(x: Tensor, other: Tensor) -> Tensor:
    """A 0-d CPU tensor may meet a GPU tensor, as in PyTorch: it is copied to that device
    (differentiably, so a CPU scalar parameter still gets its gradient)."""
    if x._device.type == "cpu" and x._data.ndim == 0:
        return x.to(other._device)
    return x


def cast_to(t: Tensor, dt) -> Tensor:
    if t._data.dtype == dt.numpy:
        return t
    from .shape import cast
    return cast(t, dt)


def floating(op: str, t: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (``exp(int_tensor)`` is float)."""
    if t._data.dtype.kind == "f":
        return t
    return cast_to(t, get_default_dtype())


def floating_only(op: str, t: Tensor) -> Tensor:
    """`t` if it is a floating tensor; ops PyTorch has no integer kernel for (softmax, norm,
    var, ...) refuse the others, as there, rather than convert them."""
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {t.dtype} (as in "
                           "PyTorch; convert it first, e.g. x.float())")
    return t


def tensor_arg(op: str, x, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def broadcast_shapes(op: str, *shapes) -> tuple:
    """The broadcast of `shapes`, or a RuntimeError naming the op and the shapes."""
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s, ndim - len(s)):
            if n != 1:
                if out[i] != 1 and out[i] != n:
                    raise RuntimeError(
                        f"{op}: the size of tensor a ({out[i]}) must match the size of tensor "
                        f"b ({n}) at non-singleton dimension {i - ndim + len(s)}; shapes "
                        f"{' and '.join(str(tuple(x)) for x in shapes)} do not broadcast")
                out[i] = n
    return tuple(out)


def dims_arg(op: str, dim, ndim: int):
    """``dim`` of a reduction as a sorted tuple of non-negative ints (None: all dims)."""
    if dim is None:
        return None
    if isinstance(dim, list | tuple):
        dims = tuple(sorted(_wrap_dim(op, d, ndim) for d in dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    else:
        dims = (_wrap_dim(op, dim, ndim),)
    return dims if dims and ndim else None  # a 0-d tensor's dim 0 or -1 is all of it


def dtype_of(t: Tensor):
    return from_numpy_dtype(t._data.dtype)


def device_guard(t):
    """`backends.device_guard` for the device of `t` (a Tensor or a device)."""
    return _device_guard(t._device if isinstance(t, Tensor) else t)
