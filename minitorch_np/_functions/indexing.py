"""Indexing: ``x[key]``, ``x[key] = v``, ``gather``, ``index_select``, all differentiable.

Reading ``y = x[key]`` sends ``∂L/∂y`` back into a zero tensor of ``x``'s shape at the same
places. With advanced (array) indices a position can be read several times, so the gradient
is *accumulated* with the backend's unbuffered ``index_add`` (``xp.add.at``), not assigned.
``IndexAdd`` and ``GetItem`` are each other's backward, which makes gradients of any order.

Keys follow PyTorch, which differs from NumPy in three places; ``_normalize_key`` turns a user's
key into a NumPy/CuPy key that reads PyTorch's way, so ``x[key]``, ``x[key] = v`` and the
gradient's ``index_add`` all address the same elements:

* integers are applied first (as ``select``), and NumPy's rule for advanced indices (their
  dimensions go where they stand if they are next to each other, else first) to what is left.
  NumPy counts an integer as one of the advanced indices: for ``x`` of shape (3, 4, 5),
  ``x[0, :, [0, 1]]`` has shape (4, 2) in PyTorch and (2, 4) in NumPy (``_integers_first``);
* a short list holding a sequence, tensor, slice, None or Ellipsis is a tuple:
  ``x[[[0, 1], [2, 0]]]`` is ``x[[0, 1], [2, 0]]`` (``_key_entries``);
* a uint8 tensor is a boolean mask (deprecated, with PyTorch's warning), and a 0-d integer
  tensor is an integer (``_index_entry``).
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import ArrayFunction
from .operands import as_operand, broadcast_shapes, device_guard, tensor_arg


class GetItem(ArrayFunction):
    """y = x[key]."""

    @staticmethod
    def forward(ctx, x, key, basic):
        ctx.key, ctx.basic, ctx.in_shape = key, basic, x.shape
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.in_shape, ctx.key, ctx.basic), None, None


class IndexAdd(ArrayFunction):
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


class IndexPut(ArrayFunction):
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


class Gather(ArrayFunction):
    """y[i][j][k] = x[i][index[i][j][k]][k] (for dim=1): values picked along `dim`; y has
    index's shape, which may be smaller than x's in the other dimensions."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        return x[_along_axis_key(ctx.xp, index, dim)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return ScatterAdd.apply(g, ctx.in_shape, ctx.dim, index), None, None


class ScatterAdd(ArrayFunction):
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
    """The advanced-index tuple of ``gather(x, dim, index)``'s elements: `index` along `dim`,
    position ``i`` along every other dimension ``d`` (``i < index.shape[d]``)."""
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
_BASIC_ENTRY = frozenset({int, slice, type(None), type(Ellipsis)})  # (not bool: an index)


def _normalize_key(x: Tensor, key):
    """Turn a user's index into one the backend understands; report if it is basic."""
    entries = key if type(key) is tuple else (key,)
    if all(type(k) in _BASIC_ENTRY for k in entries):
        # ints, slices, None and ...: basic indexing, where NumPy's rules are PyTorch's
        for k in entries:
            if type(k) is slice and k.step is not None and k.step <= 0:
                raise ValueError("index: step must be greater than zero")
        return entries, True
    with device_guard(x):
        return _normalize_key_on_device(x, key)


def _normalize_key_on_device(x: Tensor, key):
    is_array = x._device.backend.is_array
    out = [_index_entry(x, k) for k in _key_entries(key)]
    basic = not any(is_array(k) or isinstance(k, bool) for k in out)
    if not basic:
        out = _spell_out_ellipsis(x, out)
        _check_bounds(x, out)
        out = _integers_first(x, out)
    return tuple(out), basic


def _key_entries(key) -> tuple:
    """The key as a tuple of entries. A list is one index (``x[[0, 2]]`` picks rows 0 and 2)
    unless, by PyTorch's rule (NumPy's before 1.23), it is shorter than 32 and holds a tensor,
    a sequence, a slice, Ellipsis or None: it then stands for a tuple, with PyTorch's
    deprecation warning (``x[[[0, 1], [2, 0]]]`` is ``x[[0, 1], [2, 0]]``)."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            isinstance(k, Tensor | np.ndarray | list | tuple | slice) or k is None
            or k is Ellipsis
            for k in key):
        _warn_at_caller("Using a non-tuple sequence for multidimensional indexing is deprecated "
                        "(as in PyTorch); use x[tuple(seq)] instead of x[seq]")
        return tuple(key)
    return (key,)


def _index_entry(x: Tensor, k):
    """One entry of a key as the backend takes it: tensors, lists and arrays become arrays on
    x's device (uint8 ones boolean masks); a 0-d integer one becomes an int, which PyTorch
    applies with ``select`` like any integer (a 0-d bool or uint8 one, a bool)."""
    if isinstance(k, Tensor):
        if k._data.dtype.kind not in "iub":
            raise IndexError(f"index: tensors used as indices must be long, int or bool "
                             f"tensors, got {k.dtype}")
        if k._device is not x._device and k._device.type != "cpu":
            raise RuntimeError(f"index: indices on {k._device} cannot index a tensor on "
                               f"{x._device}")
        a = k._data
    elif isinstance(k, np.ndarray | list | tuple):
        a = np.asarray(k)
        if a.size == 0 and a.dtype.kind == "f":  # [] selects nothing, as in PyTorch
            a = a.astype(np.int64)
        if a.dtype.kind not in "iub":
            raise IndexError(f"index: arrays used as indices must be integer or bool, got "
                             f"{a.dtype}")
    elif isinstance(k, bool | slice) or k is None or k is Ellipsis:
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("index: step must be greater than zero")
        return k
    elif isinstance(k, int | np.integer):
        return int(k)
    else:
        raise IndexError(f"index: only integers, slices, Ellipsis, None, and integer or "
                         f"boolean tensors are valid indices (got {type(k).__name__})")
    if a.dtype == np.uint8:
        _warn_at_caller("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                        "torch.bool instead.")
        a = a.astype(bool)
    if a.ndim == 0:
        return bool(a) if a.dtype.kind == "b" else int(a)
    backend = x._device.backend
    return a if backend.is_array(a) else backend.from_numpy(a, x._device.index)


def _warn_at_caller(message: str) -> None:
    """A UserWarning pointing at the first line outside minitorch_np (the user's ``x[...]``)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("minitorch_np."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _dims_used(is_array, k) -> int:
    """How many of the indexed tensor's dimensions key entry `k` consumes."""
    if k is None or k is Ellipsis or isinstance(k, bool):
        return 0
    return k.ndim if is_array(k) and k.dtype.kind == "b" else 1


def _integers_first(x: Tensor, key: list) -> list:
    """`key` (with no Ellipsis), rewritten if need be so that NumPy places the dimensions as
    PyTorch does.

    PyTorch applies the integers first and NumPy's rule to the rest; NumPy's own rule counts the
    integers among the advanced indices. The two disagree when the advanced indices are next to
    each other but an integer stands apart from them (``x[0, :, [0, 1]]``): PyTorch keeps their
    dimensions in place, NumPy moves them first. Then every entry from the first integer or
    advanced index to the last becomes an advanced index (``_as_one_block``): NumPy keeps a
    block of adjacent advanced indices in place, and its axes are laid out in PyTorch's order.
    """
    is_array = x._device.backend.is_array
    kinds = _kinds(key, is_array)
    rest = [kind for kind in kinds if kind != "int"]
    if "int" not in kinds or not _adjacent(rest, {"advanced"}) \
            or _adjacent(kinds, {"int", "advanced"}):
        return key  # no integers, or both rules agree
    key = _masks_as_positions(key, is_array)
    span = [i for i, kind in enumerate(_kinds(key, is_array)) if kind != "basic"]
    lo, hi = span[0], span[-1] + 1
    dim = sum(_dims_used(is_array, k) for k in key[:lo])
    return key[:lo] + _as_one_block(x, key[lo:hi], dim) + key[hi:]


def _as_one_block(x: Tensor, span: list, dim: int) -> list:
    """The entries of `span` (indexing from dimension `dim` on) as index arrays that broadcast
    to one block with an axis per dimension of PyTorch's result, in PyTorch's order: a slice
    becomes an arange on an axis of its own, None an axis of size 1, and the advanced indices
    share the axes of their broadcast shape where the first of them stands (they are adjacent
    once the integers are removed). Each integer becomes an array of the whole block's shape (a
    broadcast view), which also gives the axes no index spans (None, True, False) their size."""
    backend = x._device.backend
    xp, is_array = backend.xp, backend.is_array
    advanced = [k for k in span if is_array(k) or isinstance(k, bool)]
    try:
        block = np.broadcast_shapes(*[((1,) if k else (0,)) if isinstance(k, bool) else k.shape
                                      for k in advanced])
    except ValueError:
        raise IndexError(f"index: shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {' '.join(str(np.shape(k)) for k in advanced)}") from None
    axes, placed, block_axis = [], [], None  # placed: (index, its first axis; None for an int)
    for k in span:
        if isinstance(k, slice):
            positions = range(*k.indices(x._data.shape[dim]))
            placed.append((xp.arange(positions.start, positions.stop, positions.step),
                           len(axes)))
            axes.append(len(positions))
        elif k is None:
            axes.append(1)
        elif type(k) is int:
            placed.append((k, None))
        else:
            if block_axis is None:
                block_axis = len(axes)
                axes.extend(block)
            if not isinstance(k, bool):
                placed.append((xp.broadcast_to(k, block), block_axis))
        dim += _dims_used(is_array, k)

    def laid_out(index, axis):
        if axis is None:
            return xp.broadcast_to(xp.asarray(index), tuple(axes))
        return index.reshape((1,) * axis + index.shape + (1,) * (len(axes) - axis - index.ndim))
    return [laid_out(index, axis) for index, axis in placed]


def _kinds(key: list, is_array) -> list:
    """Each entry's kind: "int", "advanced" (an index array or a bool) or "basic"."""
    return ["int" if type(k) is int else "advanced" if is_array(k) or isinstance(k, bool)
            else "basic" for k in key]


def _adjacent(kinds: list, of: set) -> bool:
    """Do the entries of these kinds stand next to each other?"""
    at = [i for i, kind in enumerate(kinds) if kind in of]
    return not at or at[-1] - at[0] + 1 == len(at)


def _spell_out_ellipsis(x: Tensor, key: list) -> list:
    """`key` with Ellipsis written as the slices it stands for. PyTorch places advanced indices
    by the dimensions they index, so an Ellipsis of no dimensions does not separate them
    (NumPy's rule would: ``x[:, [0, 1], ..., [0, 1]]`` of a 3-d `x` would move them first)."""
    ndim = x._data.ndim
    used = sum(_dims_used(x._device.backend.is_array, k) for k in key)
    if used > ndim:
        raise IndexError(f"index: too many indices for tensor of dimension {ndim} (indexing a "
                         f"tensor of shape {list(x._data.shape)})")
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    return [e for k in key for e in ([slice(None)] * (ndim - used) if k is Ellipsis else [k])]


def _masks_as_positions(key: list, is_array) -> list:
    """`key` with each boolean mask written as its ``nonzero()`` integer arrays, one per
    dimension it covers (its shape already checked by `_check_bounds`)."""
    out = []
    for k in key:
        if is_array(k) and k.dtype.kind == "b":
            out.extend(k.nonzero())
        else:
            out.append(k)
    return out


def _check_mask(k, shape: tuple, dim: int) -> None:
    """IndexError unless boolean mask `k` has the shape of the dimensions it indexes, from
    `dim` on (NumPy lets an empty mask through against any size; PyTorch does not)."""
    if tuple(k.shape) != tuple(shape[dim:dim + k.ndim]):
        raise IndexError(f"index: the shape of the mask {list(k.shape)} does not match the "
                         f"shape {list(shape[dim:dim + k.ndim])} of the dimensions it indexes "
                         f"(from dimension {dim} of a tensor of shape {list(shape)})")


def _check_bounds(x: Tensor, key: list) -> None:
    """IndexError for an out-of-range integer or integer-array index, on every device (CuPy
    would wrap it around silently, docs/backends.md; and an integer turned into an array of
    an empty block would not be looked at), or for a boolean mask of the wrong shape. Each
    entry indexes the dimension it lines up with (`key` has no Ellipsis)."""
    is_array = x._device.backend.is_array
    axis = 0
    for k in key:
        if type(k) is int:
            n = x._data.shape[axis]
            if not -n <= k < n:
                raise IndexError(f"index: index {k} is out of bounds for dimension {axis} "
                                 f"with size {n} (indexing a tensor of shape "
                                 f"{list(x._data.shape)})")
        elif is_array(k) and k.dtype.kind == "b":
            _check_mask(k, x._data.shape, axis)
        elif is_array(k) and k.size:
            n = x._data.shape[axis]
            outside = (k < -n) | (k >= n)
            if bool(outside.any()):
                bad = int(k[outside].ravel()[0])
                raise IndexError(f"index: index {bad} is out of bounds for dimension {axis} "
                                 f"with size {n} (indexing a tensor of shape "
                                 f"{list(x._data.shape)})")
        axis += _dims_used(is_array, k)


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
    if type(key) is np.ndarray and key.dtype.kind == "i" and isinstance(input, Tensor) \
            and input._device.type == "cpu" and not input._requires_grad:
        # a batch of rows by an index array (the DataLoader's t[indices]) on the CPU, where
        # NumPy raises for an index out of range (the general path then reports it) and
        # nothing is recorded: the gather alone, without normalising the key
        try:
            return Tensor._make(input._data[key], input._device)
        except IndexError:
            pass
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
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim=1 (likewise for the other dims).

    `index` is an int64 (or int32) tensor with input's number of dimensions, no larger than
    input in any dimension but `dim`; the output has index's shape. Every index lies in
    ``[0, input.shape[dim])``: a negative one is an error, as in PyTorch, not counted from the end.
    A 0-d input or index counts as one of shape (1,).

    Example: ``gather(tensor([[1., 2, 3], [4, 5, 6]]), 1, tensor([[0, 2]]))`` is ``[[1., 3.]]``.
    """
    x = tensor_arg("gather", input)
    idx = tensor_arg("gather", index, "index")
    if idx._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"gather(): Expected dtype int32/int64 for index, got {idx.dtype}")
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                           f"input tensor (index of shape {list(idx.shape)}, input of shape "
                           f"{list(x.shape)})")
    d = _wrap_dim("gather", dim, x.ndim)
    if x.ndim == 0 or idx.ndim == 0:
        return _gather("gather", x.reshape(-1), d, idx.reshape(-1)).reshape(idx.shape)
    for i, (a, b) in enumerate(zip(idx.shape, x.shape)):
        if i != d and a > b:
            raise RuntimeError(f"gather(): Size does not match at dimension {i} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {d}")
    return _gather("gather", x, d, idx)


def _gather(op: str, x: Tensor, d: int, idx: Tensor) -> Tensor:
    """Gather.apply once the shapes are checked: the device and the index values first."""
    if idx._device is not x._device:
        raise RuntimeError(f"{op}(): expected index on {x._device}, got {idx._device}")
    with device_guard(x):
        _check_positions(op, idx._data, d, x.shape[d], RuntimeError)
    return Gather.apply(x, d, idx._data)


def _check_positions(op: str, index, dim: int, n: int, error: type) -> None:
    """`error` naming `op` and the first index outside ``[0, n)``: no counting from the end."""
    if index.size:
        outside = (index < 0) | (index >= n)
        if bool(outside.any()):
            bad = int(index[outside].ravel()[0])
            raise error(f"{op}(): index {bad} is out of bounds for dimension {dim} with "
                        f"size {n}")


def index_select(input, dim: int, index):
    """The entries of `input` at positions `index` along `dim`: ``out.shape[dim] ==
    len(index)``, the other dims kept. `index` is an int64 (or int32) vector, or a 0-d tensor
    read as a vector of one; every position lies in ``[0, input.shape[dim])``.

    Example: ``index_select(x, 1, tensor(2))`` of a (2, 3) `x` has shape (2, 1).
    """
    x = tensor_arg("index_select", input)
    idx = tensor_arg("index_select", index, "index")
    if idx._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got "
                           f"{idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got an index of "
                         f"shape {list(idx.shape)}")
    d = _wrap_dim("index_select", dim, x.ndim)
    if x.ndim == 0 and idx.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.numel()} value(s)")
    with device_guard(x):
        _check_positions("index_select", idx._data, d, x.shape[d] if x.ndim else 1, IndexError)
    if x.ndim == 0:
        return x.clone()
    return getitem(x, (slice(None),) * d + (idx.reshape(-1),))


def masked_fill(input, mask, value):
    """`input` with `value` (a number or a 0-d tensor) where `mask` is True, in input's dtype:
    like PyTorch, the value is cast to it (1.5 into an int64 tensor is 1)."""
    from .elementwise import where
    x = tensor_arg("masked_fill", input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill: only supports a 0-dimensional value tensor, but got "
                           f"a tensor of shape {list(value.shape)}")
    out = where(mask, value, x)
    return out if out._data.dtype == x._data.dtype else out.to(x.dtype)


def take_along_dim(input, indices, dim: int | None = None):
    """`input`'s values at `indices` along `dim`: ``gather`` after broadcasting the two against
    each other in every dimension but `dim`. With ``dim=None``, the flattened input at the
    flattened indices. `indices` is int64, with input's number of dimensions."""
    x = tensor_arg("take_along_dim", input)
    idx = tensor_arg("take_along_dim", indices, "indices")
    if idx._data.dtype != np.int64:
        raise RuntimeError(f"take_along_dim(): dtype of indices should be int64 but got "
                           f"{idx.dtype}")
    if dim is None:
        return _gather("take_along_dim", x.reshape(-1), 0, idx.reshape(-1))
    if x.ndim != idx.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} "
                           f"dimensions for indices")
    d = _wrap_dim("take_along_dim", dim, x.ndim)
    shape = list(broadcast_shapes("take_along_dim", x.shape[:d] + (1,) + x.shape[d + 1:],
                                  idx.shape[:d] + (1,) + idx.shape[d + 1:]))
    x = x.expand(*shape[:d], x.shape[d], *shape[d + 1:])
    idx = idx.expand(*shape[:d], idx.shape[d], *shape[d + 1:])
    return _gather("take_along_dim", x, d, idx)
