"""One declarative entry per op: how to call it, its NumPy reference, its inputs, its flags.

The entries feed every per-op test over the ``device`` fixture:

* ``test_ops_forward.py``: forward values against the NumPy reference in float32 and float64,
  output dtype and device equal to the input's;
* ``test_ops_gradcheck.py``: ``gradcheck`` (and ``gradgradcheck`` where the op supports
  double backward) in float64;
* ``parity/test_parity_ops.py``: the same expressions run by PyTorch.

An `OpInfo` holds

* ``op(*tensors, **kwargs)``: the op applied to the input tensors. It is written with tensor
  methods, operators and ``ns(x).<function>`` only, so the same code runs on PyTorch tensors;
* ``ref(*arrays, **kwargs)``: the same computation on float64 NumPy arrays;
* ``cases``: input shapes and keyword arguments, among them broadcasting pairs, size-1 dims,
  0-d tensors and empty tensors where the op allows them;
* ``domain(rng, shapes)``: where input values are drawn from, e.g. positive for ``log``, or
  away from kinks and ties (``abs`` at 0, ``max`` with equal elements) where the derivative
  does not exist and central differences would disagree with any one-sided choice;
* flags: ``differentiable``, ``double_backward`` (gradgradcheck applies), ``numeric_grad``
  (central differences can see the derivative; False for casts to float32), ``out_dtype``
  (when the op decides the output dtype), ``parity`` (the expression maps 1:1 to PyTorch).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np


def ns(t):
    """The library a tensor belongs to: ``minitorch_np`` here, ``torch`` in parity tests."""
    return sys.modules[type(t).__module__.partition(".")[0]]


# -- cases --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """Input shapes (one per tensor argument) and keyword arguments for both op and ref."""

    shapes: tuple
    kwargs: dict = field(default_factory=dict)

    def __str__(self) -> str:
        shapes = ",".join("x".join(map(str, s)) if s else "0d" for s in self.shapes)
        args = ",".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{shapes}{'|' + args if args else ''}".replace(" ", "")


def case(*shapes, **kwargs) -> Case:
    return Case(tuple(tuple(s) for s in shapes), kwargs)


# -- input domains: (rng, shapes) -> list of float64 arrays ----------------------------------
def normal(rng, shapes):
    return [rng.standard_normal(s) for s in shapes]


def positive(rng, shapes):
    """In [0.5, 2): for log, sqrt, rsqrt and non-integer powers."""
    return [rng.uniform(0.5, 2.0, s) for s in shapes]


def nonzero(rng, shapes):
    """|x| in [0.3, 1.5): away from 0, where abs, relu and 1/x have their kink or pole."""
    return [rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 1.5, s) for s in shapes]


def distinct(rng, shapes):
    """Values 0.1·k + 0.03 in random order: no two equal (no ties for max, maximum or the
    inf-norm, also not in absolute value) and none within 0.03 of 0."""
    n = sum(math.prod(s) for s in shapes)
    values = (10 * (rng.permutation(n) - n // 2) + 3) / 100
    out, start = [], 0
    for s in shapes:
        size = math.prod(s)
        out.append(values[start:start + size].reshape(s))
        start += size
    return out


def fractional(rng, shapes):
    """a = n + u with u in [0.2, 0.8] and b = ±1 or ±2: a/b stays 0.1 away from the integers,
    where a mod b jumps."""
    return [rng.integers(-3, 3, shapes[0]) + rng.uniform(0.2, 0.8, shapes[0]),
            rng.choice([-2.0, -1.0, 1.0, 2.0], shapes[1])]


def per_input(*domains):
    """A different domain for each input (e.g. a positive base and any exponent)."""
    def draw(rng, shapes):
        return [d(rng, [s])[0] for d, s in zip(domains, shapes)]
    return draw


def with_zeros(rng, shapes):
    """Normal values with zeros at flat positions 1, 4 and 7 (when the tensor has them)."""
    out = []
    for s in shapes:
        x = rng.standard_normal(s)
        flat = x.reshape(-1)
        flat[[i for i in (1, 4, 7) if i < flat.size]] = 0.0
        out.append(x)
    return out


# -- the entry ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OpInfo:
    name: str
    op: Callable
    ref: Callable
    cases: tuple
    domain: Callable = normal
    kind: str = "elementwise"   # elementwise, reduction, linalg, shape, indexing, cast
    differentiable: bool = True
    double_backward: bool = True
    numeric_grad: bool = True
    out_dtype: str | None = None  # NumPy dtype name when the op fixes the output dtype
    parity: bool = True

    def sample(self, c: Case, seed: int = 0) -> list:
        """The float64 host inputs of case `c` (the same on every call)."""
        return self.domain(np.random.default_rng(seed), c.shapes)


# -- helpers shared by ops and references -------------------------------------------------
def pattern_mask(shape) -> np.ndarray:
    """A fixed boolean pattern with both values (True except every third element)."""
    return (np.arange(math.prod(shape)) % 3 != 1).reshape(shape)


def _axis(dim):
    return tuple(dim) if isinstance(dim, list | tuple) else dim


def _as_index(x, idx):
    """A host index list as an int64 tensor on `x`'s device."""
    return ns(x).tensor(idx, device=x.device)


def _as_mask(x, shape):
    return ns(x).tensor(pattern_mask(shape), device=x.device)


def _logsumexp_ref(x, dim, keepdim=False):
    m = np.max(x, axis=_axis(dim), keepdims=True)
    y = np.log(np.sum(np.exp(x - m), axis=_axis(dim), keepdims=True)) + m
    return y if keepdim else np.squeeze(y, axis=_axis(dim))


def _softmax_ref(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def _var_ref(x, dim=None, correction=None, unbiased=None, keepdim=False, *, root=False):
    ddof = correction if correction is not None else (0 if unbiased is False else 1)
    y = np.var(x, axis=_axis(dim), ddof=ddof, keepdims=keepdim)
    return np.sqrt(y) if root else y


def _norm_ref(x, p=2, dim=None, keepdim=False):
    a = np.abs(x)
    if p == math.inf:
        return np.max(a, axis=_axis(dim), keepdims=keepdim)
    return np.sum(a ** p, axis=_axis(dim), keepdims=keepdim) ** (1.0 / p)


def _max_dim_ref(x, dim, keepdim=False, smallest=False):
    values = (np.min if smallest else np.max)(x, axis=dim, keepdims=keepdim)
    indices = (np.argmin if smallest else np.argmax)(x, axis=dim, keepdims=keepdim)
    return values, indices


def _median_dim_ref(x, dim, keepdim=False):
    """The lower median along `dim` and where it is (values are distinct here)."""
    k = (x.shape[dim] - 1) // 2
    indices = np.take(np.argsort(x, axis=dim), [k], axis=dim)
    values = np.take_along_axis(x, indices, axis=dim)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return values, indices


def _flatten_ref(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _squeeze_ref(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = dim if isinstance(dim, tuple) else (dim,)
    return np.squeeze(x, axis=tuple(d % max(x.ndim, 1) for d in dims if x.shape[d] == 1))


def _expand_ref(x, sizes):
    lead = len(sizes) - x.ndim
    shape = [x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes)]
    return np.broadcast_to(x, shape)


def _split_ref(x, split_size, dim=0):
    n = x.shape[dim]
    if isinstance(split_size, int):
        sizes = [min(split_size, n - s) for s in range(0, n, split_size)]
    else:
        sizes = list(split_size)
    bounds = np.cumsum([0] + sizes)
    return tuple(np.take(x, np.arange(a, b), axis=dim) for a, b in pairwise(bounds))


def _chunk_ref(x, chunks, dim=0):
    return _split_ref(x, -(-x.shape[dim] // chunks), dim)


def _narrow_ref(x, dim, start, length):
    start %= x.shape[dim]
    return np.take(x, np.arange(start, start + length), axis=dim)


def _setitem(x, v, key):
    """``x`` with ``[key] = v``, as a differentiable function of both (clone, then assign)."""
    y = x.clone()
    y[key] = v
    return y


def _setitem_ref(x, v, key):
    y = x.copy()
    y[key] = v
    return y


def _setitem_scalar(x, key, value):
    y = x.clone()
    y[key] = value
    return y


def _setitem_scalar_ref(x, key, value):
    y = x.copy()
    y[key] = value
    return y


def _index_tensors(x, indices):
    return x[tuple(_as_index(x, i) for i in indices)]


def _index_arrays_ref(x, indices):
    return x[tuple(np.asarray(i) for i in indices)]


def _of_kind(kind: str, infos: list) -> list:
    return [replace(info, kind=kind) for info in infos]


# -- the table ----------------------------------------------------------------------------
UNARY_SHAPES = (case((3, 4)), case(()), case((1,)), case((2, 1, 3)), case((0, 3)))
BINARY_SHAPES = (
    case((3, 4), (3, 4)), case((3, 4), (4,)), case((3, 1), (1, 4)), case((2, 1, 3), (4, 1)),
    case((), (3,)), case((2, 3), ()), case((), ()), case((0, 3), (3,)), case((1, 2), (0, 1)),
)
INF = math.inf

ELEMENTWISE = [
    OpInfo("add", lambda a, b: a + b, np.add, BINARY_SHAPES),
    OpInfo("add_alpha", lambda a, b: a.add(b, alpha=2.0), lambda a, b: a + 2.0 * b,
           BINARY_SHAPES[:4]),
    OpInfo("sub", lambda a, b: a - b, np.subtract, BINARY_SHAPES),
    OpInfo("sub_alpha", lambda a, b: a.sub(b, alpha=0.5), lambda a, b: a - 0.5 * b,
           BINARY_SHAPES[:4]),
    OpInfo("mul", lambda a, b: a * b, np.multiply, BINARY_SHAPES),
    OpInfo("div", lambda a, b: a / b, np.divide, BINARY_SHAPES,
           domain=per_input(normal, nonzero)),
    OpInfo("true_divide", lambda a, b: a.true_divide(b), np.divide, BINARY_SHAPES[:3],
           domain=per_input(normal, nonzero)),
    OpInfo("remainder", lambda a, b: a % b, np.mod, BINARY_SHAPES[:3], domain=fractional),
    OpInfo("where_method", lambda a, b: a.where(_as_mask(a, a.shape), b),
           lambda a, b: np.where(pattern_mask(a.shape), a, b), (case((3, 4), (4,)),)),
    OpInfo("add_scalar", lambda x, s: x + s, lambda x, s: x + s,
           (case((3, 4), s=2.5), case((), s=-1.0), case((0,), s=1.5), case((3,), s=2))),
    OpInfo("radd_scalar", lambda x, s: s + x, lambda x, s: s + x, (case((3, 4), s=2.5),)),
    OpInfo("rsub_scalar", lambda x, s: s - x, lambda x, s: s - x,
           (case((3, 4), s=1.5), case((), s=-2))),
    OpInfo("mul_scalar", lambda x, s: x * s, lambda x, s: x * s,
           (case((3, 4), s=-0.5), case((2, 1, 3), s=3))),
    OpInfo("rmul_scalar", lambda x, s: s * x, lambda x, s: s * x, (case((3, 4), s=-0.5),)),
    OpInfo("div_scalar", lambda x, s: x / s, lambda x, s: x / s,
           (case((3, 4), s=4.0), case((), s=-3))),
    OpInfo("rdiv_scalar", lambda x, s: s / x, lambda x, s: s / x,
           (case((3, 4), s=2.0), case((2, 1), s=-1)), domain=nonzero),
    OpInfo("pow_tensor_tensor", lambda a, b: a ** b, np.power, BINARY_SHAPES,
           domain=per_input(positive, normal)),
    OpInfo("pow_tensor_scalar", lambda x, exponent: x ** exponent,
           lambda x, exponent: np.power(x, exponent),
           (case((3, 4), exponent=2.5), case((2, 1, 3), exponent=-1.5), case((), exponent=0.5),
            case((3,), exponent=0.0), case((0, 2), exponent=3.0)), domain=positive),
    OpInfo("pow_int_exponent", lambda x, exponent: x.pow(exponent),
           lambda x, exponent: np.power(x, exponent),
           (case((3, 4), exponent=2), case((2, 3), exponent=3), case((4,), exponent=-2)),
           domain=nonzero),
    OpInfo("pow_scalar_tensor", lambda x, base: base ** x, lambda x, base: np.power(base, x),
           (case((3, 4), base=2.0), case((), base=0.5), case((2, 1, 3), base=3))),
    OpInfo("neg", lambda x: -x, np.negative, UNARY_SHAPES),
    OpInfo("exp", lambda x: x.exp(), np.exp, UNARY_SHAPES),
    OpInfo("log", lambda x: x.log(), np.log, UNARY_SHAPES, domain=positive),
    OpInfo("sqrt", lambda x: x.sqrt(), np.sqrt, UNARY_SHAPES, domain=positive),
    OpInfo("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), UNARY_SHAPES,
           domain=positive),
    OpInfo("abs", lambda x: x.abs(), np.abs, UNARY_SHAPES, domain=nonzero),
    OpInfo("sin", lambda x: x.sin(), np.sin, UNARY_SHAPES),
    OpInfo("cos", lambda x: x.cos(), np.cos, UNARY_SHAPES),
    OpInfo("tanh", lambda x: x.tanh(), np.tanh, UNARY_SHAPES),
    OpInfo("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), UNARY_SHAPES),
    OpInfo("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), UNARY_SHAPES,
           domain=nonzero),
    OpInfo("square", lambda x: x.square(), np.square, UNARY_SHAPES),
    # the bounds are not on the `distinct` grid (0.1·k + 0.03), so no input sits on a kink
    OpInfo("clamp", lambda x, **kw: x.clamp(**kw),
           lambda x, min=None, max=None: np.clip(x, min, max),
           (case((3, 4), min=-0.45, max=0.55), case((3, 4), min=0.05), case((2, 3), max=-0.05),
            case((), min=-0.45, max=0.55), case((0, 2), min=0.0, max=1.0)), domain=distinct),
    OpInfo("clamp_tensor_bounds", lambda x, lo, hi: x.clamp(lo, hi), lambda x, lo, hi:
           np.minimum(np.maximum(x, lo), hi), (case((3, 4), (4,), (3, 1)),), domain=distinct),
    OpInfo("maximum", lambda a, b: a.maximum(b), np.maximum, BINARY_SHAPES, domain=distinct),
    OpInfo("minimum", lambda a, b: a.minimum(b), np.minimum, BINARY_SHAPES, domain=distinct),
    OpInfo("where", lambda a, b, cond_shape: ns(a).where(_as_mask(a, cond_shape), a, b),
           lambda a, b, cond_shape: np.where(pattern_mask(cond_shape), a, b),
           (case((3, 4), (3, 4), cond_shape=(3, 4)), case((3, 1), (4,), cond_shape=(3, 4)),
            case((3, 4), (), cond_shape=(1, 4)), case((), (), cond_shape=()),
            case((0, 3), (3,), cond_shape=(3,)))),
]

REDUCTIONS = [
    OpInfo("sum", lambda x, **kw: x.sum(**kw),
           lambda x, dim=None, keepdim=False: np.sum(x, axis=_axis(dim), keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=1), case((2, 3, 4), dim=(0, 2), keepdim=True),
            case((2, 3, 4), dim=-1), case(()), case((1,), dim=0, keepdim=True),
            case((0, 3), dim=0), case((0, 3)))),
    OpInfo("mean", lambda x, **kw: x.mean(**kw),
           lambda x, dim=None, keepdim=False: np.mean(x, axis=_axis(dim), keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=0), case((2, 3, 4), dim=(-1, 0), keepdim=True),
            case(()), case((2, 1, 3), dim=1))),
    OpInfo("var", lambda x, **kw: x.var(**kw), _var_ref,
           (case((3, 4)), case((3, 4), dim=1, correction=0), case((3, 4), dim=0, correction=1),
            case((2, 3, 4), dim=(0, 2), keepdim=True), case((5,), unbiased=False),
            case((2, 3, 4), dim=-1, correction=0, keepdim=True))),
    OpInfo("std", lambda x, **kw: x.std(**kw), lambda x, **kw: _var_ref(x, **kw, root=True),
           (case((3, 4)), case((3, 4), dim=1, correction=0), case((3, 4), dim=0, correction=1),
            case((2, 3, 4), dim=(0, 2), keepdim=True), case((5,), unbiased=False))),
    OpInfo("max", lambda x: x.max(), np.max, (case((3, 4)), case((5,)), case(())),
           domain=distinct),
    OpInfo("min", lambda x: x.min(), np.min, (case((3, 4)), case((5,)), case(())),
           domain=distinct),
    OpInfo("max_dim", lambda x, dim, keepdim=False: tuple(x.max(dim, keepdim=keepdim)),
           _max_dim_ref, (case((3, 4), dim=1), case((3, 4), dim=0, keepdim=True),
                          case((2, 3, 4), dim=-1), case((1, 3), dim=0)), domain=distinct),
    OpInfo("min_dim", lambda x, dim, keepdim=False: tuple(x.min(dim, keepdim=keepdim)),
           lambda x, dim, keepdim=False: _max_dim_ref(x, dim, keepdim, smallest=True),
           (case((3, 4), dim=1), case((2, 3, 4), dim=0, keepdim=True)), domain=distinct),
    OpInfo("median", lambda x: x.median(), lambda x: np.sort(x, axis=None)[(x.size - 1) // 2],
           (case((5,)), case((3, 4)), case(())), domain=distinct),
    OpInfo("median_dim", lambda x, dim, keepdim=False: tuple(x.median(dim, keepdim=keepdim)),
           _median_dim_ref, (case((3, 4), dim=1), case((2, 3, 4), dim=0, keepdim=True),
                             case((3, 5), dim=-1)), domain=distinct),
    OpInfo("amax", lambda x, **kw: x.amax(**kw),
           lambda x, dim=None, keepdim=False: np.max(x, axis=_axis(dim), keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=1), case((2, 3, 4), dim=(0, 2), keepdim=True),
            case((2, 3, 4), dim=-2)), domain=distinct),
    OpInfo("amin", lambda x, **kw: x.amin(**kw),
           lambda x, dim=None, keepdim=False: np.min(x, axis=_axis(dim), keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=0, keepdim=True), case((2, 3, 4), dim=(1, 2))),
           domain=distinct),
    OpInfo("logsumexp", lambda x, **kw: x.logsumexp(**kw), _logsumexp_ref,
           (case((3, 4), dim=1), case((3, 4), dim=(0, 1)), case((2, 3, 4), dim=-1, keepdim=True),
            case((2, 3, 4), dim=(0, 2)), case((1, 3), dim=0))),
    OpInfo("prod", lambda x, **kw: x.prod(**kw),
           lambda x, dim=None, keepdim=False: np.prod(x, axis=dim, keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=1), case((3, 4), dim=0, keepdim=True), case(()),
            case((2, 3, 2), dim=-1))),
    # one zero in a product, two zeros in a product (the gradient is then 0 everywhere), and
    # products without a zero, all at once; double backward is refused there (see prod)
    OpInfo("prod_with_zeros", lambda x, **kw: x.prod(**kw),
           lambda x, dim=None, keepdim=False: np.prod(x, axis=dim, keepdims=keepdim),
           (case((4,)), case((5,)), case((3, 4), dim=1), case((3, 4), dim=0, keepdim=True)),
           domain=with_zeros, double_backward=False),
    OpInfo("norm", lambda x, **kw: x.norm(**kw), _norm_ref,
           (case((3, 4)), case((3, 4), p=1), case((3, 4), p=3), case((3, 4), p=INF),
            case((3, 4), p=2, dim=1), case((2, 3, 4), p=3, dim=(0, 2), keepdim=True),
            case((3, 4), p=INF, dim=0), case((3, 4), p=1, dim=-1, keepdim=True), case((5,))),
           domain=distinct),
    OpInfo("softmax", lambda x, dim: x.softmax(dim), _softmax_ref,
           (case((3, 4), dim=1), case((3, 4), dim=0), case((2, 3, 4), dim=-1), case((5,), dim=0),
            case((), dim=0), case((0, 3), dim=1))),
    OpInfo("log_softmax", lambda x, dim: x.log_softmax(dim),
           lambda x, dim: np.log(_softmax_ref(x, dim)),
           (case((3, 4), dim=1), case((3, 4), dim=0), case((2, 3, 4), dim=-1), case((5,), dim=0),
            case((), dim=0), case((0, 3), dim=1))),
]
REDUCTIONS = _of_kind("reduction", REDUCTIONS)

MATMUL_SHAPES = (
    case((3,), (3,)), case((3,), (3, 4)), case((2, 3), (3,)), case((2, 3), (3, 4)),
    case((2, 2, 3), (3, 4)), case((3,), (2, 3, 4)), case((2, 2, 3), (3,)),
    case((2, 1, 2, 3), (3, 3, 2)), case((1, 2, 3), (2, 3, 1)), case((0, 3), (3, 2)),
    case((2, 0), (0, 3)),
)
LINALG = [
    OpInfo("matmul", lambda a, b: a @ b, np.matmul, MATMUL_SHAPES),
    OpInfo("matmul_function", lambda a, b: ns(a).matmul(a, b), np.matmul, MATMUL_SHAPES[3:5]),
    OpInfo("mm", lambda a, b: a.mm(b), np.matmul,
           (case((2, 3), (3, 4)), case((1, 1), (1, 3)), case((0, 2), (2, 3)))),
    OpInfo("mv", lambda a, v: a.mv(v), np.matmul, (case((2, 3), (3,)), case((1, 4), (4,)))),
    OpInfo("bmm", lambda a, b: a.bmm(b), np.matmul,
           (case((2, 2, 3), (2, 3, 4)), case((1, 3, 1), (1, 1, 2)))),
    OpInfo("dot", lambda a, b: a.dot(b), np.dot, (case((4,), (4,)), case((1,), (1,)))),
    OpInfo("outer", lambda a, b: a.outer(b), np.outer, (case((3,), (4,)), case((1,), (2,)))),
]
LINALG = _of_kind("linalg", LINALG)

SHAPE = [
    OpInfo("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: np.reshape(x, shape),
           (case((2, 3, 4), shape=(6, -1)), case((3, 4), shape=(12,)), case((), shape=(1, 1)),
            case((1,), shape=()), case((0, 3), shape=(3, 0)), case((2, 3), shape=(3, 1, 2)))),
    OpInfo("view", lambda x, shape: x.view(shape), lambda x, shape: np.reshape(x, shape),
           (case((2, 3, 4), shape=(-1, 4)), case((3, 4), shape=(2, 2, 3)), case((), shape=(1,)))),
    OpInfo("flatten", lambda x, **kw: x.flatten(**kw), _flatten_ref,
           (case((2, 3, 4)), case((2, 3, 4), start_dim=1), case((2, 3, 4, 1), start_dim=1,
            end_dim=2), case(()), case((3,)))),
    OpInfo("squeeze", lambda x, **kw: x.squeeze(**kw), _squeeze_ref,
           (case((1, 3, 1, 4)), case((1, 3, 1, 4), dim=2), case((1, 3, 1, 4), dim=1),
            case((1, 3, 1, 4), dim=(0, 2)), case((1, 3, 1, 4), dim=-2), case(()))),
    OpInfo("unsqueeze", lambda x, dim: x.unsqueeze(dim), lambda x, dim: np.expand_dims(x, dim),
           (case((3, 4), dim=0), case((3, 4), dim=-1), case((3, 4), dim=1), case((), dim=0))),
    OpInfo("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1),
           lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
           (case((2, 3, 4), dim0=0, dim1=2), case((3, 4), dim0=-1, dim1=-2),
            case((3,), dim0=0, dim1=0))),
    OpInfo("permute", lambda x, dims: x.permute(*dims), lambda x, dims: np.transpose(x, dims),
           (case((2, 3, 4), dims=(2, 0, 1)), case((3, 4), dims=(1, 0)),
            case((2, 1, 3), dims=(-1, 0, 1)))),
    OpInfo("t", lambda x: x.t(), np.transpose, (case((3, 4)), case((3,)), case((1, 2)))),
    OpInfo("T", lambda x: x.T, np.transpose, (case((3, 4)), case((1, 5)))),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2),
           (case((2, 3, 4)), case((3, 4)))),
    OpInfo("expand", lambda x, sizes: x.expand(*sizes), _expand_ref,
           (case((3, 1), sizes=(3, 4)), case((3, 1), sizes=(2, 3, 4)), case((1,), sizes=(-1,)),
            case((), sizes=(2, 3)), case((3, 1), sizes=(-1, 0)), case((1, 2), sizes=(3, -1)))),
    OpInfo("broadcast_to", lambda x, size: x.broadcast_to(size),
           lambda x, size: np.broadcast_to(x, size),
           (case((3, 1), size=(2, 3, 4)), case((4,), size=(3, 4)), case((), size=(2,)))),
    OpInfo("cat", lambda *xs, dim=0: ns(xs[0]).cat(xs, dim),
           lambda *xs, dim=0: np.concatenate(xs, axis=dim),
           (case((2, 3), (4, 3)), case((2, 3), (2, 1), (2, 2), dim=1), case((2, 3), (0, 3)),
            case((2, 3), (2, 3), dim=-1), case((3,), (2,)))),
    OpInfo("stack", lambda *xs, dim=0: ns(xs[0]).stack(xs, dim),
           lambda *xs, dim=0: np.stack(xs, axis=dim),
           (case((2, 3), (2, 3)), case((2, 3), (2, 3), (2, 3), dim=2),
            case((2, 3), (2, 3), dim=-1), case((), ()))),
    OpInfo("split", lambda x, split_size, dim=0: tuple(x.split(split_size, dim)), _split_ref,
           (case((5, 3), split_size=2), case((5, 3), split_size=[1, 4]),
            case((3, 4), split_size=2, dim=1), case((3, 4), split_size=[1, 0, 3], dim=-1))),
    OpInfo("chunk", lambda x, chunks, dim=0: tuple(x.chunk(chunks, dim)), _chunk_ref,
           (case((5, 3), chunks=3), case((4, 6), chunks=2, dim=1), case((5,), chunks=2))),
    OpInfo("narrow", lambda x, dim, start, length: x.narrow(dim, start, length), _narrow_ref,
           (case((4, 5), dim=1, start=1, length=3), case((4, 5), dim=0, start=-2, length=2),
            case((4, 5), dim=1, start=2, length=0))),
    OpInfo("unbind", lambda x, dim=0: tuple(x.unbind(dim)),
           lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)),
           (case((3, 4)), case((3, 4), dim=1), case((2,)), case((2, 1, 3), dim=-1))),
    OpInfo("movedim", lambda x, source, destination: x.movedim(source, destination),
           np.moveaxis, (case((2, 3, 4), source=0, destination=2),
                         case((2, 3, 4), source=-1, destination=0), case((3, 4), source=1,
                                                                         destination=1))),
    OpInfo("clone", lambda x: x.clone(), np.copy, (case((3, 4)), case(()), case((0, 2)))),
    OpInfo("contiguous", lambda x: x.t().contiguous(), lambda x: np.ascontiguousarray(x.T),
           (case((3, 4)),)),
    OpInfo("unflatten", lambda x, dim, sizes: x.unflatten(dim, sizes),
           lambda x, dim, sizes: x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:]),
           (case((2, 6), dim=1, sizes=(2, 3)), case((6,), dim=0, sizes=(3, 2, 1)))),
    OpInfo("swapaxes", lambda x: x.swapaxes(0, -1), lambda x: np.swapaxes(x, 0, -1),
           (case((2, 3, 4)),)),
    # the second input only gives a shape: its gradient is zero (None)
    OpInfo("view_as", lambda x, y: x.view_as(y), lambda x, y: x.reshape(y.shape),
           (case((2, 6), (3, 4)),)),
    OpInfo("reshape_as", lambda x, y: x.reshape_as(y), lambda x, y: x.reshape(y.shape),
           (case((2, 6), (4, 3)),)),
    OpInfo("expand_as", lambda x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape),
           (case((3, 1), (2, 3, 4)),)),
]
SHAPE = _of_kind("shape", SHAPE)

INDEXING = [
    OpInfo("index_basic", lambda x, key: x[key], lambda x, key: x[key],
           (case((3, 4), key=(slice(1, 3), slice(None, None, 2))), case((3, 4), key=1),
            case((3, 4), key=(-1, 2)), case((3, 4), key=(slice(None), None)),
            case((2, 3, 4), key=(Ellipsis, 1)), case((2, 3), key=(None, Ellipsis, slice(0, 1))),
            case((3, 4), key=slice(5, 9)), case((), key=Ellipsis), case((), key=None),
            case((4,), key=slice(-3, None)))),
    # repeated indices read one element several times: its gradient must accumulate
    OpInfo("index_int_list", lambda x, key: x[key],
           lambda x, key: x[np.asarray(key, dtype=np.int64)],
           (case((3, 4), key=[0, 2, 0, 0]), case((3,), key=[-1, 0, -1]), case((3, 4), key=[]))),
    OpInfo("index_int_tensor", _index_tensors, _index_arrays_ref,
           (case((3, 4), indices=([[0, 1], [1, 1]],)),
            case((3, 4), indices=([0, 1, 1, 0], [2, 2, 0, 2])),
            case((2, 3, 4), indices=([1, 1], [0, 0], [3, 3])))),
    OpInfo("index_bool_mask", lambda x, mask_shape: x[_as_mask(x, mask_shape)],
           lambda x, mask_shape: x[pattern_mask(mask_shape)],
           (case((3, 4), mask_shape=(3, 4)), case((3, 4), mask_shape=(3,)),
            case((2, 3, 2), mask_shape=(2, 3)))),
    OpInfo("index_mixed", lambda x, key: x[key], lambda x, key: x[tuple(
               np.asarray(k) if isinstance(k, list) else k for k in key)],
           (case((3, 4), key=([0, 2, 0], slice(1, 3))),
            case((3, 4), key=(slice(1, None), [0, 0, 2])),
            case((2, 3, 4), key=(Ellipsis, [1, 1])), case((3, 4), key=(None, [0, 0], slice(None))),
            case((2, 3, 4), key=([0, 1], slice(None), [1, 1])),
            case((2, 3, 4), key=(1, [2, 0, 2], slice(None, None, 3))))),
    # an integer apart from the advanced indices: PyTorch applies it first (NumPy would move
    # the list's dimension to the front)
    OpInfo("index_int_apart", lambda x, key: x[key],
           lambda x, key: x[key[0]][(slice(None),) * (len(key) - 2) + (np.asarray(key[-1]),)],
           (case((2, 3, 4), key=(0, slice(None), [1, 1, 3])),
            case((2, 3, 4, 2), key=(1, slice(None), slice(None), [0, 1, 0])))),
    OpInfo("gather", lambda x, dim, index: x.gather(dim, _as_index(x, index)),
           lambda x, dim, index: np.take_along_axis(  # (an index smaller than x reads x's corner)
               x[tuple(slice(None) if d == dim % x.ndim else slice(0, n)
                       for d, n in enumerate(np.shape(index)))], np.asarray(index), axis=dim),
           (case((3, 4), dim=1, index=[[0, 0, 3], [1, 2, 1], [3, 3, 3]]),
            case((3, 4), dim=0, index=[[0, 1, 2, 0], [2, 2, 2, 2]]),
            case((2, 3), dim=-1, index=[[2], [0]]), case((4,), dim=0, index=[1, 1, 1]),
            case((3, 4), dim=1, index=[[0, 2]]))),
    OpInfo("take_along_dim", lambda x, dim, index: x.take_along_dim(_as_index(x, index), dim),
           lambda x, dim, index: np.take_along_axis(x, np.asarray(index), axis=dim),
           (case((3, 4), dim=1, index=[[1, 1], [0, 3], [2, 2]]),)),
    OpInfo("index_select", lambda x, dim, index: x.index_select(dim, _as_index(x, index)),
           lambda x, dim, index: np.take(x, np.atleast_1d(index), axis=dim),  # 0-d: keeps dim
           (case((3, 4), dim=0, index=[2, 0, 2]), case((3, 4), dim=1, index=[3, 3, 1]),
            case((5,), dim=0, index=[4, 4]), case((2, 3, 4), dim=-1, index=[0]),
            case((3, 4), dim=1, index=2))),
    OpInfo("masked_fill", lambda x, mask_shape, value: x.masked_fill(_as_mask(x, mask_shape),
                                                                     value),
           lambda x, mask_shape, value: np.where(pattern_mask(mask_shape), value, x),
           (case((3, 4), mask_shape=(3, 4), value=0.5), case((3, 4), mask_shape=(4,), value=-1.0),
            case((), mask_shape=(), value=2.0))),
    OpInfo("setitem", _setitem, _setitem_ref,
           (case((3, 4), (4,), key=1), case((3, 4), (2, 2), key=(slice(0, 2), slice(1, 3))),
            case((3, 4), (), key=(slice(None), 0)), case((3, 4), (2, 4), key=[0, 2]),
            case((2, 3, 4), (2, 1), key=(Ellipsis, slice(1, 3), 2)),
            case((3, 4), (1,), key=([2, 0], [1, 3])))),
    OpInfo("setitem_scalar", _setitem_scalar, _setitem_scalar_ref,
           (case((3, 4), key=[0, 2], value=0.0), case((3, 4), key=(Ellipsis, 1), value=2.5),
            case((3, 4), key=(slice(1, None), slice(None, None, 2)), value=-1.0))),
]
INDEXING = _of_kind("indexing", INDEXING)

# Casts round to float32, below what central differences in float64 can resolve: their
# gradients are checked against closed forms in test_ops_gradcheck.py instead.
CASTS = [
    OpInfo("to_float32", lambda x: x.to(ns(x).float32), lambda x: x.astype(np.float32),
           (case((3, 4)), case(())), kind="cast", numeric_grad=False, out_dtype="float32"),
    OpInfo("to_float64", lambda x: x.to(ns(x).float64), lambda x: x.astype(np.float64),
           (case((3, 4)), case(())), kind="cast", numeric_grad=False, out_dtype="float64"),
    OpInfo("float", lambda x: x.float(), lambda x: x.astype(np.float32), (case((2, 3)),),
           kind="cast", numeric_grad=False, out_dtype="float32"),
    OpInfo("double", lambda x: x.double(), lambda x: x.astype(np.float64), (case((2, 3)),),
           kind="cast", numeric_grad=False, out_dtype="float64"),
]

# Ops without a gradient (PyTorch's sign and floor_divide have a zero one): forward only.
NOT_DIFFERENTIABLE = [
    OpInfo("argmax", lambda x, **kw: x.argmax(**kw),
           lambda x, dim=None, keepdim=False: np.argmax(x, axis=dim, keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=1), case((2, 3, 4), dim=0, keepdim=True)),
           domain=distinct, kind="reduction", differentiable=False),
    OpInfo("argmin", lambda x, **kw: x.argmin(**kw),
           lambda x, dim=None, keepdim=False: np.argmin(x, axis=dim, keepdims=keepdim),
           (case((3, 4)), case((3, 4), dim=-1)), domain=distinct, kind="reduction",
           differentiable=False),
    OpInfo("sign", lambda x: x.sign(), np.sign, (case((3, 4)), case(())), domain=nonzero,
           differentiable=False),
    OpInfo("gt", lambda a, b: a > b, np.greater, BINARY_SHAPES[:3], domain=distinct,
           differentiable=False),
    OpInfo("eq", lambda a, b: a == b, np.equal, (case((3, 4), (4,)),), domain=distinct,
           differentiable=False),
    OpInfo("floor_divide", lambda a, b: a // b, np.floor_divide, BINARY_SHAPES[:3],
           domain=per_input(normal, nonzero), differentiable=False),
]

OPS = ELEMENTWISE + REDUCTIONS + LINALG + SHAPE + INDEXING + CASTS + NOT_DIFFERENTIABLE
OPS_BY_NAME = {info.name: info for info in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"


def op_cases(predicate=lambda info: True) -> list:
    """``pytest.param(info, case, id=...)`` for every case of every entry that matches; the id
    starts with the kind, so ``pytest -k linalg`` selects a group."""
    import pytest
    return [pytest.param(info, c, id=f"{info.kind}-{info.name}-{c}")
            for info in OPS if predicate(info) for c in info.cases]
