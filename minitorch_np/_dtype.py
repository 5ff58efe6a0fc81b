"""Data types and PyTorch's type-promotion rules.

A `dtype` wraps a NumPy dtype (CuPy uses NumPy's dtypes too) and prints like PyTorch's.
Promotion follows `torch.result_type`:

* categories are ordered bool < integer < floating;
* a Python scalar never changes the dtype of a tensor of the same or a higher category
  (``float32_tensor * 2.5`` stays float32); a Python float with an integer tensor gives the
  default float dtype;
* a zero-dimensional tensor only decides the dtype when its category is higher than that
  of every dimensioned operand.
"""
from __future__ import annotations

import builtins

import numpy as np

# This module defines `bool`, `int` and `float` as dtypes, as PyTorch does; keep the builtins.
builtins_bool, builtins_int, builtins_float = builtins.bool, builtins.int, builtins.float

__all__ = ["dtype", "float16", "float32", "float64", "uint8", "int8", "int16", "int32",
           "int64", "bool", "get_default_dtype", "set_default_dtype", "promote_types"]

_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type: ``minitorch_np.float32`` and friends."""

    __slots__ = ("name", "numpy", "itemsize", "is_floating_point", "is_signed", "_category")

    def __init__(self, name: str, numpy_dtype):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.itemsize = self.numpy.itemsize
        kind = self.numpy.kind
        self._category = _FLOAT if kind == "f" else _BOOL if kind == "b" else _INT
        self.is_floating_point = self._category == _FLOAT
        self.is_signed = kind in "fi"

    def __repr__(self) -> str:
        return f"minitorch_np.{self.name}"

    def __reduce__(self):
        return self.name


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's name
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}

_default = float32


# Python's own types stand for the widest dtype of their kind, whatever the default dtype
# (``dtype=float`` is float64, as in PyTorch and NumPy).
_BY_PYTHON_TYPE = {builtins_float: float64, builtins_int: int64, builtins_bool: bool}


def to_dtype(obj, op: str = "dtype") -> dtype:
    """Turn a `dtype`, a NumPy dtype, a Python type or a name into a `dtype`.

    This is the one place dtype arguments are read: every ``dtype=`` goes through it.
    """
    if isinstance(obj, dtype):
        return obj
    if isinstance(obj, type) and obj in _BY_PYTHON_TYPE:
        return _BY_PYTHON_TYPE[obj]
    if isinstance(obj, str) and obj in _BY_NAME:
        return _BY_NAME[obj]
    if isinstance(obj, np.dtype | type | str):  # (np.dtype() would read any object's .dtype)
        try:
            return _BY_NUMPY[np.dtype(obj)]
        except (TypeError, KeyError):
            pass
    names = ", ".join(_BY_NAME)
    raise TypeError(f"{op}: unsupported dtype {obj!r}; expected one of {names}, "
                    "or float, int, bool")


def from_numpy_dtype(np_dtype) -> dtype:
    """The `dtype` of an array; raises TypeError for dtypes we do not support."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        return to_dtype(np_dtype, "tensor")


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default


def set_default_dtype(d) -> None:
    """Set the default floating dtype; only float32 and float64 are allowed, as in PyTorch."""
    global _default
    d = to_dtype(d, "set_default_dtype")
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 are supported, got {d}")
    _default = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both can be cast to: the higher category wins, then the wider type."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python scalar on its own."""
    if isinstance(value, builtins_bool | np.bool_):
        return bool
    if isinstance(value, builtins_int | np.integer):
        return int64
    return _default


def _category_of_scalar(value) -> builtins_int:
    if isinstance(value, builtins_bool | np.bool_):
        return _BOOL
    if isinstance(value, builtins_int | np.integer):
        return _INT
    return _FLOAT


def result_type(*operands) -> dtype:
    """`torch.result_type` over tensors and Python scalars (see the module docstring)."""
    dim_t = zero_t = scal = None
    for x in operands:
        if hasattr(x, "_data"):
            d = from_numpy_dtype(x._data.dtype)
            if x._data.ndim:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            c = _category_of_scalar(x)
            scal = c if scal is None else max(scal, c)
    result = dim_t
    if zero_t is not None:
        if result is None or zero_t._category > result._category:
            result = zero_t
    if scal is not None:
        if result is None:
            result = (bool, int64, _default)[scal]
        elif scal > result._category:
            result = int64 if scal == _INT else _default
    return result

