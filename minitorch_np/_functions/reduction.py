"""Reductions: sum, mean, var/std, max/min, logsumexp, prod, norm, softmax, log_softmax.

A reduction's backward spreads the output gradient back over the reduced dimensions:
reshape it so the reduced dimensions have size 1, then expand to the input's shape.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

from .._dtype import int64, to_dtype
from .._grad_mode import is_grad_enabled
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import ArrayFunction
from .elementwise import where
from .operands import device_guard, dims_arg, floating, floating_only, tensor_arg

values_indices = namedtuple("values_indices", ["values", "indices"])


def _keep_shape(shape, dims) -> tuple:
    """`shape` with the reduced dims set to 1 (dims None: all of them)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _spread(g: Tensor, shape, dims) -> Tensor:
    """The gradient of a reduction over `dims`, broadcast back to the input's `shape`."""
    return g.reshape(_keep_shape(shape, dims)).expand(shape)


def _add_reduce(xp, x, dims, keepdim, dtype=None):
    """``x.sum(...)`` as the ufunc's reduce, which is what ndarray.sum runs: called from here,
    a float error (+inf + −inf) is reported from this module, whose such warnings the
    backend silences (PyTorch's float ops never warn), not from NumPy's own ``_methods``.
    (CuPy's add.reduce is its sum.)"""
    return xp.add.reduce(x, axis=dims, dtype=dtype, keepdims=keepdim)


def mean_array(xp, x, dims, keepdim):
    """``x.mean(...)`` by `_add_reduce` (float16 summed in float32, as NumPy's mean does: a
    float16 sum overflows at 65 504)."""
    wide = "float32" if x.dtype == "float16" else None
    total = _add_reduce(xp, x, dims, keepdim, wide)
    return (total / _count(x.shape, dims)).astype(x.dtype, copy=False)


def _count(shape, dims) -> int:
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


class Sum(ArrayFunction):
    """y = Σ x over `dims`, accumulated in `dtype` (x's own by default);  ∂y/∂x = 1 (the
    engine casts the gradient back to x's dtype)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype=None):
        ctx.in_shape, ctx.dims = x.shape, dims
        return _add_reduce(ctx.xp, x, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        return _spread(g, ctx.in_shape, ctx.dims), None, None, None


class Mean(ArrayFunction):
    """y = (1/n) Σ x over `dims`;  ∂y/∂x = 1/n."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims = x.shape, dims
        if _count(x.shape, dims) == 0:
            # the mean of nothing is nan, silently as in PyTorch (NumPy's 0/0 would warn
            # from its own module, where the backend's filter of such warnings cannot see)
            shape = x.sum(axis=dims, keepdims=keepdim).shape
            return ctx.xp.full(shape, float("nan"), dtype=x.dtype)
        return mean_array(ctx.xp, x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        n = _count(ctx.in_shape, ctx.dims)
        return _spread(g, ctx.in_shape, ctx.dims) / n, None, None


class AMax(ArrayFunction):
    """y = max x over `dims`; the gradient is shared equally by tied maxima (as ``amax``).
    With `nan_shares` (``max()``/``min()`` of all elements) a NaN result's gradient goes to
    the NaNs, where ``amax`` gives NaN, as PyTorch does in both cases."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, smallest, nan_shares=False):
        xp = ctx.xp
        y = (x.min if smallest else x.max)(axis=dims, keepdims=True)
        winners = x == y
        if nan_shares and bool(xp.isnan(y).any()):  # max()/min(): the NaNs are the winners
            winners = xp.isnan(x)
        ctx.save_for_backward(winners / winners.sum(axis=dims, keepdims=True))
        ctx.in_shape, ctx.dims = x.shape, dims
        return y if keepdim else y.reshape(tuple(n for i, n in enumerate(y.shape)
                                                 if dims is not None and i not in dims))

    @staticmethod
    def backward(ctx, g):
        share, = ctx.saved_tensors
        return _spread(g, ctx.in_shape, ctx.dims) * share, None, None, None, None


class Prod(ArrayFunction):
    """y = Π x over `dims`;  ∂y/∂xᵢ = Π_{j≠i} xⱼ (= y/xᵢ when no factor is zero)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        y = xp.multiply.reduce(x, axis=dims, keepdims=True)  # (not x.prod: see _add_reduce)
        ctx.in_shape, ctx.dims = x.shape, dims
        ctx.has_zero = bool((x == 0).any())
        out = y if keepdim else xp.squeeze(y, axis=dims) if dims is not None else y.reshape(())
        # save the output itself (not y), so that double backward sees its graph
        if ctx.has_zero:  # products of the other factors, computed as a constant
            ctx.save_for_backward(x, out, _prod_of_others(xp, x, dims))
        else:
            ctx.save_for_backward(x, out, None)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, others = ctx.saved_tensors
        y = y.reshape(_keep_shape(ctx.in_shape, ctx.dims))
        spread = _spread(g, ctx.in_shape, ctx.dims)
        if others is None:
            return spread * (y / x), None, None
        if is_grad_enabled():  # create_graph: `others` is a constant, its derivative would be lost
            raise RuntimeError("prod: double backward through a product with zero factors is "
                               "not supported")
        return spread * others, None, None


def _prod_of_others(xp, x, dims):
    """Π_{j≠i} x_j along the reduced dims, by exclusive cumulative products from both ends."""
    axes = tuple(range(x.ndim)) if dims is None else dims
    moved = xp.moveaxis(x, axes, tuple(range(len(axes))))
    flat = moved.reshape((-1,) + moved.shape[len(axes):])
    ones = xp.ones_like(flat[:1])  # (follows flat's device, unlike xp.ones)
    # (the cumprod method: xp.cumprod reports float errors from NumPy's fromnumeric module)
    left = xp.concatenate([ones, flat[:-1]]).cumprod(axis=0)
    right = xp.flip(xp.flip(xp.concatenate([flat[1:], ones]), 0).cumprod(axis=0), 0)
    out = (left * right).reshape(moved.shape)
    return xp.moveaxis(out, tuple(range(len(axes))), axes)


class LogSumExp(ArrayFunction):
    """y = log Σ exp x, computed as m + log Σ exp(x - m);  ∂y/∂x = softmax(x)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        # (an empty sum is 0 and its log -inf: no maximum to shift by there)
        m = x.max(axis=dims, keepdims=True) if x.size else xp.zeros(_keep_shape(x.shape,
                                                                                   dims), x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf rows: avoid inf - inf
        y = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        out = y if keepdim else xp.squeeze(y, axis=dims)
        ctx.save_for_backward(x, out)  # the output itself: double backward sees its graph
        ctx.in_shape, ctx.dims = x.shape, dims
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        y = y.reshape(_keep_shape(ctx.in_shape, ctx.dims))
        return _spread(g, ctx.in_shape, ctx.dims) * (x - y).exp(), None, None


class Softmax(ArrayFunction):
    """yᵢ = exp xᵢ / Σⱼ exp xⱼ along `dim`;  ∂L/∂x = y ⊙ (g - Σ g ⊙ y)."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        if x.size == 0:
            ctx.dim = dim
            ctx.save_for_backward(x)
            return x.copy()
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(ArrayFunction):
    """yᵢ = xᵢ - log Σⱼ exp xⱼ along `dim`;  ∂L/∂x = g - exp(y) Σ g."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        shifted = x - x.max(axis=dim, keepdims=True) if x.size else x
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g - y.exp() * g.sum(ctx.dim, keepdim=True), None


class StdFromVar(ArrayFunction):
    """y = √v for a variance v;  ∂y/∂v = 1/(2y), taken as 0 where y = 0 (all values equal),
    as PyTorch does: there ∂v/∂x = 0 too, and √'s own derivative would give ∞·0 = nan."""

    @staticmethod
    def forward(ctx, v):
        y = ctx.xp.sqrt(v)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return where(y == 0, 0.0, g / (2 * where(y == 0, 1.0, y)))


class Norm(ArrayFunction):
    """y = (Σ |x|ᵖ)^(1/p) over `dims`;  ∂y/∂x = sign(x)|x|ᵖ⁻¹ / yᵖ⁻¹ (0 where y = 0)."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = ctx.xp
        a = xp.abs(x)
        if p == float("inf"):
            y = a.max(axis=dims, keepdims=True)
        elif p == 2:
            y = xp.sqrt((x * x).sum(axis=dims, keepdims=True))
        elif p == 1:
            y = a.sum(axis=dims, keepdims=True)
        else:
            y = (a ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.in_shape, ctx.dims = p, x.shape, dims
        out = y if keepdim else xp.squeeze(y, axis=dims) if dims is not None else y.reshape(())
        ctx.save_for_backward(x, out)  # the output itself: double backward sees its graph
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.p
        y = y.reshape(_keep_shape(ctx.in_shape, ctx.dims))
        g = g.reshape(_keep_shape(ctx.in_shape, ctx.dims))
        if p == 1:
            return g * x.sign(), None, None, None
        if p == float("inf"):
            winners = (x.abs() == y).to(dtype=x.dtype)
            share = winners / winners.sum(ctx.dims, keepdim=True)
            return g * x.sign() * share, None, None, None
        safe_y = where(y == 0, 1.0, y)
        if p == 2:
            grad = x * (g / safe_y)
        else:
            grad = x.sign() * x.abs() ** (p - 1) * (g / safe_y ** (p - 1))
        return where(y == 0, 0.0, grad), None, None, None


# -- the functions users call -------------------------------------------------------------
def sum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A001
    """Σ over `dim` (all dims by default); integer and bool inputs sum to int64."""
    if dim is None and dtype is None and isinstance(input, Tensor) \
            and input._data.dtype.kind == "f":
        return Sum.apply(input, None, keepdim)  # x.sum(): nothing to convert or check
    x = tensor_arg("sum", input)
    if dtype is not None:
        dtype = to_dtype(dtype, "sum").numpy
    elif x._data.dtype.kind in "iub":
        dtype = int64.numpy
    return Sum.apply(x, dims_arg("sum", dim, x.ndim), keepdim, dtype)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """The average over `dim` (all dims by default); floating inputs only, as PyTorch."""
    x = tensor_arg("mean", input)
    if dtype is not None:
        x = x.to(dtype=dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be a "
                           f"floating point dtype, got {x.dtype}")
    return Mean.apply(x, dims_arg("mean", dim, x.ndim), keepdim)


def _correction(op, dim, unbiased, correction):
    if isinstance(dim, bool):  # x.var(False): the legacy unbiased flag in dim's place
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Σ (x - mean)² / (n - correction); ``correction=1`` (Bessel's) by default."""
    x = floating_only("var", tensor_arg("var", input))
    dim, correction = _correction("var", dim, unbiased, correction)
    dims = dims_arg("var", dim, x.ndim)
    n = _count(x.shape, dims)
    d = x - Mean.apply(x, dims, True)
    return Sum.apply(d * d, dims, keepdim) / builtins.max(n - correction, 0)


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """√var: the standard deviation, with the same `correction` as `var`."""
    return StdFromVar.apply(var(input, dim, unbiased, keepdim, correction=correction))


def _extremum(name, smallest):
    def op(input, dim=None, keepdim: bool = False):
        x = tensor_arg(name, input)
        if isinstance(dim, Tensor):  # max(a, b): the elementwise form
            from .elementwise import maximum, minimum
            return (minimum if smallest else maximum)(x, dim)
        if dim is None:
            if x.numel() == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the "
                                   "'dim' argument.")
            return AMax.apply(x, None, False, smallest, True)  # NaN shares, as PyTorch's
        if x.ndim == 0:  # a 0-d tensor's only element, at index 0
            values, indices = op(x.reshape(1), 0)
            return values_indices(values.reshape(()), indices.reshape(()))
        d = _wrap_dim(name, dim, x.ndim)
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size")
        idx = (_argmin_any if smallest else _argmax_any)(x, d, keepdim=True)
        values = x.gather(d, idx)
        if not keepdim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return values_indices(values, idx)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The {'smallest' if smallest else 'largest'} element, or with `dim` the "
                  "named tuple (values, indices) along it; the gradient goes to the index found.")
    return op


max = _extremum("max", False)  # noqa: A001
min = _extremum("min", True)  # noqa: A001


def amax(input, dim=(), keepdim: bool = False):
    """The largest values over `dim`; ties share the gradient equally."""
    x = tensor_arg("amax", input)
    return AMax.apply(x, dims_arg("amax", dim if dim != () else None, x.ndim), keepdim, False)


def amin(input, dim=(), keepdim: bool = False):
    x = tensor_arg("amin", input)
    return AMax.apply(x, dims_arg("amin", dim if dim != () else None, x.ndim), keepdim, True)


def _arg_extremum(name, fn, refuse_bool=True):
    def op(input, dim=None, keepdim: bool = False):
        x = tensor_arg(name, input)
        if x._data.dtype.kind == "b" and refuse_bool:
            raise RuntimeError(f"{name}(): does not support bool input (as in PyTorch; "
                               "convert it first, e.g. x.long())")
        xp = x._device.backend.xp
        if dim is not None and x.ndim == 0:  # dim 0 or -1 of a 0-d tensor: it stays 0-d
            _wrap_dim(name, dim, 0)
            dim = None
        with device_guard(x):
            if dim is None:
                out = getattr(xp, fn)(x._data.reshape(-1))
                if keepdim:
                    out = out.reshape((1,) * x.ndim)
            else:
                d = _wrap_dim(name, dim, x.ndim)
                out = getattr(xp, fn)(x._data, axis=d)
                if keepdim:
                    out = xp.expand_dims(out, d)
            return Tensor._make(xp.asarray(out).astype(xp.int64), x._device)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Index of the {name[3:]} value (the first on ties); no gradient."
    return op


argmax = _arg_extremum("argmax", "argmax")
argmin = _arg_extremum("argmin", "argmin")
_argmax_any = _arg_extremum("max", "argmax", refuse_bool=False)  # (max/min with dim take
_argmin_any = _arg_extremum("min", "argmin", refuse_bool=False)  # bools, as PyTorch's)


def logsumexp(input, dim, keepdim: bool = False):
    """log Σ exp over `dim`, without overflow."""
    x = floating("logsumexp", tensor_arg("logsumexp", input))
    return LogSumExp.apply(x, dims_arg("logsumexp", dim, x.ndim), keepdim)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Π over one `dim` (or all)."""
    x = tensor_arg("prod", input)
    if dtype is not None:
        x = x.to(dtype=dtype)
    elif x._data.dtype.kind in "iub":
        x = x.to(dtype=int64)
    dims = None if dim is None or x.ndim == 0 else (_wrap_dim("prod", dim, x.ndim),)
    if dim is not None:
        _wrap_dim("prod", dim, x.ndim)  # (checked also for a 0-d tensor: 0 or -1)
    return Prod.apply(x, dims, keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """The p-norm (Σ|x|ᵖ)^(1/p) over `dim` (all elements by default); 'fro' is p = 2, inf the
    largest |x|. As PyTorch, also p = 0 (the number of non-zero entries; piecewise constant,
    it is left out of the graph), -inf (the smallest |x|) and p < 0 (0 when an entry is 0,
    where |0|ᵖ = ∞, with gradient 0 there)."""
    x = tensor_arg("norm", input)
    if dtype is not None:
        x = x.to(dtype=dtype)
    floating_only("norm", x)
    if p == "fro" or p is None:
        p = 2
    if not isinstance(p, int | float) or isinstance(p, bool):
        raise ValueError(f"norm: p must be a number, 'fro' or ±inf, got {p!r}")
    dims = dims_arg("norm", dim, x.ndim)
    if p > 0:
        return Norm.apply(x, float(p), dims, keepdim)
    if p == 0:
        return sum((x != 0).to(x.dtype), dims, keepdim)
    if p == -float("inf"):
        return amin(x.abs(), () if dims is None else dims, keepdim)
    a = x.abs()
    has_zero = sum((a == 0).to(x.dtype), dims, keepdim) > 0
    inverse = sum(where(a == 0, 1.0, a) ** p, dims, keepdim)  # zeros kept out of the graph
    return where(has_zero, 0.0, inverse ** (1.0 / p))


def _softmax_dim(op, x, dim):
    if dim is None:
        raise TypeError(f"{op}(): the dim argument is required (PyTorch's implicit choice is "
                        "deprecated)")
    return _wrap_dim(op, dim, x.ndim)


def softmax(input, dim=None, dtype=None):
    """exp(x) / Σ exp(x) along `dim`."""
    x = tensor_arg("softmax", input)
    if dtype is not None:
        x = x.to(dtype=dtype)
    floating_only("softmax", x)
    return Softmax.apply(x, _softmax_dim("softmax", x, dim))


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x) along `dim`, computed stably."""
    x = tensor_arg("log_softmax", input)
    if dtype is not None:
        x = x.to(dtype=dtype)
    floating_only("log_softmax", x)
    return LogSoftmax.apply(x, _softmax_dim("log_softmax", x, dim))


def _logical(name, fn):
    def op(input, dim=None, keepdim: bool = False):
        x = tensor_arg(name, input)
        xp = x._device.backend.xp
        axis = None if dim is None else _wrap_dim(name, dim, x.ndim)
        with device_guard(x):
            out = xp.asarray(getattr(xp, fn)(x._data, axis=axis, keepdims=keepdim))
            if x._data.dtype == xp.uint8:  # PyTorch keeps uint8 for all/any of uint8 (legacy)
                out = out.astype(xp.uint8)
            return Tensor._make(out, x._device)
    op.__name__ = op.__qualname__ = name
    return op


all = _logical("all", "all")  # noqa: A001
any = _logical("any", "any")  # noqa: A001


class MedianAll(ArrayFunction):
    """m = the median of all elements (the lower middle one for an even count); ∂m/∂x is
    spread evenly over the elements equal to m, as PyTorch does. With a NaN, m is the first
    NaN and takes the whole gradient."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        flat = x.reshape(-1)
        nan = xp.isnan(flat) if flat.dtype.kind == "f" else None
        if nan is not None and bool(nan.any()):
            first = int(xp.argmax(nan))
            m, picked = flat[first], xp.arange(flat.size) == first
        else:
            k = (flat.size - 1) // 2
            m = xp.partition(flat, k)[k]
            picked = flat == m
        if ctx.needs_input_grad[0]:  # (a floating tensor)
            share = picked.astype(x.dtype)
            share /= share.sum()
            ctx.save_for_backward(share.reshape(x.shape))
        return xp.asarray(m)

    @staticmethod
    def backward(ctx, g):
        share, = ctx.saved_tensors
        return g * share


def median(input, dim=None, keepdim: bool = False):
    """The median (the lower of the two middle values for an even count, as PyTorch); with
    `dim`, the named tuple (values, indices), the gradient going to the element picked. A NaN
    is the median wherever there is one."""
    x = tensor_arg("median", input)
    xp = x._device.backend.xp
    if dim is None:
        if x.numel() == 0:  # no middle value: nan, as PyTorch
            return x.sum() * math.nan
        return MedianAll.apply(x)
    if x.ndim == 0:  # a 0-d tensor's only element, at index 0
        values, indices = median(x.reshape(1), 0)
        return values_indices(values.reshape(()), indices.reshape(()))
    d = _wrap_dim("median", dim, x.ndim)
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size")
    k = (x.shape[d] - 1) // 2
    with device_guard(x):
        order = xp.argsort(x._data, axis=d, kind="stable")
        picked = xp.take(order, [k], axis=d)
        if x._data.dtype.kind == "f":  # a NaN is the median of its row, as in PyTorch
            nan = xp.isnan(x._data)
            picked = xp.where(nan.any(axis=d, keepdims=True),
                              xp.argmax(nan, axis=d, keepdims=True), picked)
        idx = Tensor._make(picked, x._device)
    values = x.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices(values, idx)
