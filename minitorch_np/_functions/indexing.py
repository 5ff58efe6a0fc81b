"""Indexing: ``x[key]``, ``x[key] = v`` and ``gather``, all differentiable.

Reading ``y = x[key]`` sends ``∂L/∂y`` back into a zero tensor of ``x``'s shape at the same
places. With advanced (array) indices a position can be read several times, so the gradient
is *accumulated* with the backend's unbuffered ``index_add`` (``xp.add.at``), not assigned.
``IndexAdd`` and ``GetItem`` are each other's backward, which makes gradients of any order.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from .operands import as_operand, device_guard, tensor_arg


class _ArrayFunction(Function):
    _array_forward = True


class GetItem(_ArrayFunction):
    """y = x[key]."""

    @staticmethod
    def forward(ctx, x, key, basic):
        ctx.key, ctx.basic, ctx.in_shape = key, basic, x.shape
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.in_shape, ctx.key, ctx.basic), None, None


class IndexAdd(_ArrayFunction):
    """y = zeros(shape) with g added at `key` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, g, shape, key, basic):
        ctx.key, ctx.basic = key, basic
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if basic:
            out[key] = g
        else:
            ctx.device.backend.index_add(out, key, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.key, ctx.basic), None, None, None


class IndexPut(_ArrayFunction):
    """y = a copy of x with y[key] = v (v broadcast to the indexed region)."""

    @staticmethod
    def forward(ctx, x, key, v, basic):
        ctx.key, ctx.basic = key, basic
        y = x.copy()
        y[key] = v
        return y

    @staticmethod
    def backward(ctx, g):
        gx = IndexPut.apply(g, ctx.key, 0.0, ctx.basic) if ctx.needs_input_grad[0] else None
        gv = GetItem.apply(g, ctx.key, ctx.basic) if ctx.needs_input_grad[2] else None
        return gx, None, gv, None


class Gather(_ArrayFunction):
    """y[i][j][k] = x[i][index[i][j][k]][k] (for dim=1): values picked along `dim`."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        return ctx.xp.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return ScatterAdd.apply(g, ctx.in_shape, ctx.dim, index), None, None


class ScatterAdd(_ArrayFunction):
    """y = zeros(shape) with y[..., index[...], ...] += src along `dim`; Gather's adjoint."""

    @staticmethod
    def forward(ctx, src, shape, dim, index):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = ctx.xp.zeros(shape, dtype=src.dtype)
        ctx.device.backend.index_add(out, _along_axis_key(ctx.xp, index, dim), src)
        return out

    @staticmethod
    def backward(ctx, gg):
        index, = ctx.saved_tensors
        return Gather.apply(gg, ctx.dim, index), None, None, None


def _along_axis_key(xp, index, dim):
    """The advanced-index tuple that addresses ``take_along_axis(x, index, dim)``'s elements."""
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


# -- keys ---------------------------------------------------------------------------------
def _normalize_key(x: Tensor, key):
    """Turn a user's index into one the backend understands; report if it is basic."""
    with device_guard(x):
        return _normalize_key_on_device(x, key)


def _normalize_key_on_device(x: Tensor, key):
    if not isinstance(key, tuple):
        key = (key,)
    backend = x._device.backend
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            if k._data.dtype.kind not in "iub":
                raise IndexError(f"index: tensors used as indices must be long, int or bool "
                                 f"tensors, got {k.dtype}")
            if k._device is not x._device:
                if k._device.type != "cpu":
                    raise RuntimeError(f"index: indices on {k._device} cannot index a tensor "
                                       f"on {x._device}")
                k = backend.from_numpy(k._data, x._device.index)
            else:
                k = k._data
            basic = False
        elif isinstance(k, np.ndarray | list):
            a = np.asarray(k)
            if a.size == 0 and a.dtype.kind == "f":  # [] selects nothing, as in PyTorch
                a = a.astype(np.int64)
            if a.dtype.kind not in "iub":
                raise IndexError(f"index: arrays used as indices must be integer or bool, got "
                                 f"{a.dtype}")
            k, basic = backend.from_numpy(a, x._device.index), False
        elif isinstance(k, bool):
            basic = False
        elif not (k is None or k is Ellipsis or isinstance(k, int | slice | np.integer)):
            raise IndexError(f"index: only integers, slices, Ellipsis, None, and integer or "
                             f"boolean tensors are valid indices (got {type(k).__name__})")
        elif isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("index: step must be greater than zero")
        out.append(k)
    if not basic:
        _check_bounds(x, out)
    return tuple(out), basic


def _check_bounds(x: Tensor, key: list) -> None:
    """IndexError for an out-of-range integer-array index, on every device: CuPy would wrap it
    around silently (docs/backends.md). Each array indexes the dimension it lines up with."""
    ndim = x._data.ndim
    is_array = x._device.backend.is_array
    used = sum(k.ndim if is_array(k) and k.dtype.kind == "b" else
               0 if k is None or k is Ellipsis or isinstance(k, bool) else 1 for k in key)
    axis = 0
    for k in key:
        if k is None or isinstance(k, bool):
            continue
        if k is Ellipsis:
            axis += max(ndim - used, 0)
            continue
        if is_array(k) and k.dtype.kind == "b":
            axis += k.ndim
            continue
        if is_array(k) and axis < ndim and k.size:
            n = x._data.shape[axis]
            outside = (k < -n) | (k >= n)
            if bool(outside.any()):
                bad = int(k[outside].ravel()[0])
                raise IndexError(f"index: index {bad} is out of bounds for dimension {axis} "
                                 f"with size {n} (indexing a tensor of shape "
                                 f"{list(x._data.shape)})")
        axis += 1


def getitem(input, key):
    if type(key) is int and isinstance(input, Tensor) and not input._requires_grad \
            and input._data.ndim > 1:
        # the lecture's x[k], a row of a matrix: a view, nothing to record or convert (and
        # as few Python objects touched as can be: in the lecture's loop this runs between
        # matrix products that sweep the caches). Out of range: the general path reports.
        try:
            row = input._data[key]
        except IndexError:
            pass
        else:
            out = Tensor._make(row, input._device)
            out._counter = input._counter or input._version_counter  # the property makes one
            out._view_version = out._counter.value
            out._base = input if input._base is None else input._base
            return out
    x = tensor_arg("index", input)
    if type(key) is int or type(key) is slice and (key.step is None or key.step > 0):
        # the common x[k] and x[a:b]: nothing to convert
        key, basic = (key, Ellipsis), True
    else:
        key, basic = _normalize_key(x, key)
        if basic and Ellipsis not in key:  # x[0, ...] is a 0-d view where x[0] is a copy
            key = key + (Ellipsis,)
    try:
        if basic and not x._requires_grad:  # a view, and nothing to record: skip the Function
            out = Tensor._make(x._data[key], x._device)
        else:
            out = GetItem.apply(x, key, basic)
    except IndexError as e:
        raise IndexError(f"index: {e} (indexing a tensor of shape {list(x.shape)})") from None
    if basic:  # basic indexing always gives a view: it shares the version counter
        out._version_counter = x._version_counter
        out._base = x._base if x._base is not None else x
    return out


def index_put(input, key, value):
    """A copy of `input` with ``[key] = value`` (differentiable in both)."""
    x = tensor_arg("index_put", input)
    key, basic = _normalize_key(x, key)
    # not `binary`: the value broadcasts to the indexed region x[key], not to all of x
    v = as_operand("index_put", value)
    if isinstance(v, Tensor) and v._data.dtype != x._data.dtype:
        v = v.to(dtype=x.dtype)
    return IndexPut.apply(x, key, v, basic)


def gather(input, dim: int, index):
    """Pick values along `dim` at `index` (an int64 tensor with input's number of dims)."""
    from .._tensor import _wrap_dim
    x = tensor_arg("gather", input)
    idx = tensor_arg("gather", index, "index")
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != x.ndim:
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                           f"input tensor ({idx.ndim} vs {x.ndim})")
    d = _wrap_dim("gather", dim, x.ndim)
    for i, (a, b) in enumerate(zip(idx.shape, x.shape)):
        if i != d and a > b:
            raise RuntimeError(f"gather(): Size does not match at dimension {i} expected index "
                               f"{list(idx.shape)} to be smaller than self {list(x.shape)} apart "
                               f"from dimension {d}")
    if idx._device is not x._device:
        raise RuntimeError(f"gather(): expected index on {x._device}, got {idx._device}")
    n = x.shape[d]
    xp = x._device.backend.xp
    with device_guard(x):
        if idx.numel() and bool(((idx._data < -n) | (idx._data >= n)).any()):
            raise RuntimeError(f"gather(): index out of bounds for dimension {d} with size {n}")
        index = idx._data % n if n else idx._data.astype(xp.int64)
    return Gather.apply(x, d, index)


def index_select(input, dim: int, index):
    from .._tensor import _wrap_dim
    x = tensor_arg("index_select", input)
    d = _wrap_dim("index_select", dim, x.ndim)
    return getitem(x, (slice(None),) * d + (index,))


def masked_fill(input, mask, value):
    """`input` with `value` where `mask` is True."""
    from .elementwise import where
    return where(mask, value, input)


def take_along_dim(input, indices, dim):
    return gather(input, dim, indices)
