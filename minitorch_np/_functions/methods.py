"""Which op functions become Tensor methods and operators.

Every op is written once, as a function taking the tensor first (``exp(input)``); this table
makes it a method too (``x.exp()``). Operators map to the same functions, the reflected ones
(``2 - x``, ``ndarray @ x``) with their operands swapped.
"""
from __future__ import annotations

from . import activation as A
from . import elementwise as E
from . import indexing as I
from . import inplace as P
from . import linalg as L
from . import reduction as R
from . import shape as S
from .._tensor import Tensor
from .operands import as_operand

METHODS = {
    # arithmetic and math
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul,
    "div": E.div, "divide": E.div, "true_divide": E.true_divide, "pow": E.pow, "neg": E.neg,
    "negative": E.neg, "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "rsqrt": E.rsqrt,
    "abs": E.abs, "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid,
    "relu": E.relu, "erf": A.erf, "clamp": E.clamp, "clip": E.clamp, "square": E.square,
    "maximum": E.maximum, "minimum": E.minimum, "where": lambda self, cond, other:
        E.where(cond, self, other),
    "sign": E.sign, "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite,
    "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_not": E.logical_not,
    "logical_xor": E.logical_xor, "floor_divide": E.floor_divide, "remainder": E.remainder,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "logsumexp": R.logsumexp, "prod": R.prod, "norm": R.norm, "softmax": R.softmax,
    "log_softmax": R.log_softmax, "all": R.all, "any": R.any, "median": R.median,
    # linear algebra
    "matmul": L.matmul, "mm": L.mm, "mv": L.mv, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    # shapes
    "reshape": S.reshape, "view": S.view, "view_as": S.view_as, "reshape_as": S.reshape_as,
    "flatten": S.flatten, "unflatten": S.unflatten, "squeeze": S.squeeze,
    "unsqueeze": S.unsqueeze, "permute": S.permute, "transpose": S.transpose,
    "swapaxes": S.transpose, "swapdims": S.transpose, "t": S.t, "movedim": S.movedim,
    "expand": S.expand, "expand_as": S.expand_as, "broadcast_to": S.broadcast_to,
    "narrow": S.narrow, "select": S.select, "split": S.split, "chunk": S.chunk, "unbind": S.unbind,
    "clone": S.clone, "contiguous": S.contiguous,
    # indexing
    "gather": I.gather, "index_select": I.index_select, "masked_fill": I.masked_fill,
    "take_along_dim": I.take_along_dim, "__getitem__": I.getitem, "__setitem__": P.setitem,
    # in place
    "add_": P.add_, "sub_": P.sub_, "mul_": P.mul_, "div_": P.div_, "pow_": P.pow_,
    "neg_": P.neg_, "sqrt_": P.sqrt_, "exp_": P.exp_, "abs_": P.abs_, "relu_": P.relu_,
    "clamp_": P.clamp_, "addcmul_": P.addcmul_, "addcdiv_": P.addcdiv_, "lerp_": P.lerp_,
    "masked_fill_": P.masked_fill_, "zero_": P.zero_, "fill_": P.fill_, "copy_": P.copy_,
    "normal_": P.normal_, "uniform_": P.uniform_, "floor_divide_": P.floor_divide_,
    "remainder_": P.remainder_, "bitwise_and_": P.bitwise_and_, "bitwise_or_": P.bitwise_or_,
    "bitwise_xor_": P.bitwise_xor_,
}


def _swapped(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


def _eq(self, other):
    return False if other is None else E.eq(self, other)  # t == None is False, as in PyTorch


def _ne(self, other):
    return True if other is None else E.ne(self, other)


def _contains(self, element) -> bool:
    """``element in t``: whether any entry equals it (a number or a tensor), as PyTorch."""
    if not isinstance(element, Tensor | int | float | bool):
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                           f"passed in a {type(element)}.")
    return bool((self == element).any())


def _matmul(self, other):
    return L.matmul(self, other if isinstance(other, Tensor) else as_operand("matmul", other))


def _rmatmul(self, other):
    return L.matmul(as_operand("matmul", other), self)


OPERATORS = {
    "__add__": E.add, "__radd__": _swapped(E.add), "__iadd__": P.add_,
    "__sub__": E.sub, "__rsub__": _swapped(E.sub), "__isub__": P.sub_,
    "__mul__": E.mul, "__rmul__": _swapped(E.mul), "__imul__": P.mul_,
    "__truediv__": E.div, "__rtruediv__": _swapped(E.div), "__itruediv__": P.div_,
    "__floordiv__": E.floor_divide, "__rfloordiv__": _swapped(E.floor_divide),
    "__ifloordiv__": P.floor_divide_,
    "__mod__": E.remainder, "__rmod__": _swapped(E.remainder), "__imod__": P.remainder_,
    "__pow__": E.pow, "__rpow__": _swapped(E.pow), "__ipow__": P.pow_,
    "__matmul__": _matmul,
    "__rmatmul__": _rmatmul,
    "__neg__": E.neg, "__pos__": lambda self: self, "__abs__": E.abs,
    "__eq__": _eq, "__ne__": _ne, "__contains__": _contains,
    "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt, "__ge__": E.ge,
    "__and__": E.bitwise_and, "__rand__": _swapped(E.bitwise_and), "__iand__": P.bitwise_and_,
    "__or__": E.bitwise_or, "__ror__": _swapped(E.bitwise_or), "__ior__": P.bitwise_or_,
    "__xor__": E.bitwise_xor, "__rxor__": _swapped(E.bitwise_xor), "__ixor__": P.bitwise_xor_,
    "__invert__": E.bitwise_not,
}


PROPERTIES = {
    "T": lambda self: S.permute(self, tuple(reversed(range(self.ndim)))),
    "mT": lambda self: S.transpose(self, -2, -1),
}


def attach(cls) -> None:
    """Install METHODS, OPERATORS and PROPERTIES on the Tensor class."""
    for name, fn in {**METHODS, **OPERATORS}.items():
        setattr(cls, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(cls, name, property(fn))
