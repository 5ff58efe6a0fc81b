"""Shape operations (reshape, permute, expand, cat, ...), dtype casts and device moves.

Most are views: the output shares memory with the input, and also its version counter, so
an in-place change through either is seen by the graph. Their backward only moves the
gradient back into the input's layout.
"""
from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from .._dtype import result_type, to_dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import ArrayFunction
from .operands import device_guard, tensor_arg


class Reshape(ArrayFunction):
    """y = x with a new shape (a view when the memory layout allows)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Permute(ArrayFunction):
    """y = x with its dimensions reordered (a view); backward applies the inverse order."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        inverse = sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__)
        return g.permute(inverse), None


class Expand(ArrayFunction):
    """y = x broadcast to a larger shape (a read-only view).

    Backward returns the gradient of the expanded shape: the engine sums it back down.
    """

    @staticmethod
    def forward(ctx, x, shape):
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Cast(ArrayFunction):
    """y = x converted to another dtype; the gradient is converted back."""

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(dtype=ctx.in_dtype), None


class ToDevice(ArrayFunction):
    """y = x copied to another device; the gradient is copied back."""

    @staticmethod
    def forward(ctx, x, target):
        source = ctx.device
        ctx.output_device = target
        host = source.backend.to_numpy(x)
        return target.backend.from_numpy(host, target.index)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.device), None


class Clone(ArrayFunction):
    """y = a copy of x."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Cat(ArrayFunction):
    """y = the inputs joined along `dim`; each gets its slice of the gradient back."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return ctx.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(g.narrow(ctx.dim, start, size) if needed else None)
            start += size
        return tuple(grads)


class Stack(ArrayFunction):
    """y = the same-shaped inputs stacked along a new dimension `dim`; each gets its slice."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return ctx.xp.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(g.select(ctx.dim, i) if needed else None
                               for i, needed in enumerate(ctx.needs_input_grad[1:]))


def _share_version(out: Tensor, base: Tensor) -> Tensor:
    """Make `out` a view of `base` for the version counter, when the memory is shared.

    `out` comes from an op that returns a view whenever it can (a reshape may have to copy):
    it shares `base`'s memory exactly when both arrays belong to the same owner.
    """
    if out._data is base._data:
        return _view_of(out, base)
    owner = base._device.backend.owner
    if owner(out._data) is owner(base._data):
        return _view_of(out, base)
    return out


def _view_of(out: Tensor, base: Tensor) -> Tensor:
    """Mark `out`, whose array is a view of `base`'s, as a view: one version counter."""
    out._version_counter = base._version_counter
    out._base = base._base if base._base is not None else base
    return out


def int_arg(op: str, value, name: str) -> int:
    """`value` as a Python int. PyTorch takes anything with ``__index__`` (a NumPy integer, an
    integer tensor of one element) but not a bool; anything else is a TypeError."""
    if not isinstance(value, bool | np.bool_):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} ({value!r})")


def size_args(op: str, size, name: str = "sizes") -> tuple:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))``, as a tuple of Python ints (anything with
    ``__index__`` but a bool, as `int_arg`)."""
    if len(size) == 1 and isinstance(size[0], list | tuple):
        size = tuple(size[0])
    try:
        sizes = tuple(map(operator.index, size))
    except TypeError:
        sizes = None
    if sizes is None or bool in map(type, size):
        raise TypeError(f"{op}: {name} must be ints, got {tuple(size)!r}")
    return sizes


def _infer_shape(op: str, shape: tuple, numel: int) -> tuple:
    """`shape` with its -1 (at most one) replaced by the size that makes `numel` elements."""
    unknown = shape.count(-1)
    if unknown > 1 or min(shape, default=0) < -1:
        raise RuntimeError(f"{op}: invalid shape {list(shape)}: only one dimension can be -1 "
                           "and the others must be >= 0")
    known = -math.prod(shape) if unknown else math.prod(shape)  # (the -1 flips the sign)
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _alias(x: Tensor) -> Tensor:
    """A view of all of `x` (a shape op that changes nothing): a new tensor, as PyTorch's —
    never `x` itself, which would make ``y = x.t()`` of a leaf a leaf, its ``.grad`` x's."""
    return _share_version(Reshape.apply(x, x._data.shape), x)


def reshape(input, *shape):
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    x = tensor_arg("reshape", input)
    shape = _infer_shape("reshape", size_args("reshape", shape), x._data.size)
    return _share_version(Reshape.apply(x, shape), x)


def view(input, *shape):
    """Like `reshape`, but only when no copy is needed (else a RuntimeError, as PyTorch)."""
    x = tensor_arg("view", input)
    if len(shape) == 1 and not isinstance(shape[0], numbers.Number | Tensor | list | tuple):
        return _view_as_dtype(x, to_dtype(shape[0], "view"))
    shape = _infer_shape("view", size_args("view", shape), x._data.size)
    out = Reshape.apply(x, shape)
    owner = x._device.backend.owner
    if owner(out._data) is owner(x._data):
        return _view_of(out, x)
    if x._data.size:  # reshape had to copy
        raise RuntimeError(f"view: view size {list(shape)} is not compatible with input tensor's "
                           f"size {list(x.shape)} and stride; use .reshape(...) instead")
    return out  # an empty tensor: no memory to share


def _view_as_dtype(x: Tensor, dt) -> Tensor:
    """``x.view(dtype)``: the same bytes read as `dt`, not converted (``tensor(1.).view(int32)``
    is 1065353216), outside the graph as PyTorch's. Another element size rescales the last
    dimension, which must then be contiguous."""
    a, old, new = x._data, x._data.dtype.itemsize, dt.numpy.itemsize
    if old != new:
        what = f"view {x.dtype} as {dt} (different element sizes, {old} and {new} bytes)"
        if a.ndim == 0:
            raise RuntimeError(f"view: a 0-d tensor cannot {what}")
        if a.shape[-1] != 1 and a.strides[-1] != old:
            raise RuntimeError(f"view: the last dimension must have stride 1 to {what}, but it "
                               f"has stride {a.strides[-1] // old}")
        if (a.shape[-1] * old) % new:
            raise RuntimeError(f"view: the last dimension's size ({a.shape[-1]}) times {old} "
                               f"must be divisible by {new} to {what}")
    with device_guard(x):
        return _share_version(Tensor._make(a.view(dt.numpy), x._device), x)


def view_as(input, other):
    return view(input, tuple(tensor_arg("view_as", other, "other").shape))


def reshape_as(input, other):
    return reshape(input, tuple(tensor_arg("reshape_as", other, "other").shape))


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dimensions start_dim..end_dim into one."""
    x = tensor_arg("flatten", input)
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = _wrap_dim("flatten", start_dim, x.ndim), _wrap_dim("flatten", end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    shape = tuple(x.shape)
    # the merged size written out, not -1: with a 0 among the other sizes, -1 is ambiguous
    return reshape(x, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim: int, sizes):
    x = tensor_arg("unflatten", input)
    d = _wrap_dim("unflatten", dim, x.ndim)
    return reshape(x, tuple(x.shape[:d]) + tuple(sizes) + tuple(x.shape[d + 1:]))


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all, or those in `dim`)."""
    x = tensor_arg("squeeze", input)
    if dim is None:
        dims = [i for i, s in enumerate(x.shape) if s == 1]
    else:
        dims = [_wrap_dim("squeeze", d, x.ndim)
                for d in (dim if isinstance(dim, list | tuple) else (dim,))]
    shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(input, dim: int):
    """Insert a dimension of size 1 at `dim`."""
    x = tensor_arg("unsqueeze", input)
    d = _wrap_dim("unsqueeze", dim, x.ndim + 1)
    shape = tuple(x.shape)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def permute(input, *dims):
    """Reorder the dimensions (a view)."""
    x = tensor_arg("permute", input)
    dims = size_args("permute", dims, "dims")
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute: number of dims don't match: the tensor has {x.ndim} "
                           f"dimensions but {len(dims)} were given")
    dims = tuple(_wrap_dim("permute", d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    if dims == tuple(range(x.ndim)):
        return _alias(x)
    return _view_of(Permute.apply(x, dims), x)


def transpose(input, dim0: int, dim1: int):
    """Swap two dimensions (a view)."""
    x = tensor_arg("transpose", input)
    ndim = x._data.ndim
    if ndim == 0:
        return _alias(x)
    d0, d1 = _wrap_dim("transpose", dim0, ndim), _wrap_dim("transpose", dim1, ndim)
    if d0 == d1:
        return _alias(x)
    dims = list(range(ndim))
    dims[d0], dims[d1] = d1, d0
    return _view_of(Permute.apply(x, tuple(dims)), x)


swapaxes = swapdims = transpose


def t(input):
    """Transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
    x = tensor_arg("t", input)
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else _alias(x)


def movedim(input, source: int, destination: int):
    x = tensor_arg("movedim", input)
    s, d = _wrap_dim("movedim", source, x.ndim), _wrap_dim("movedim", destination, x.ndim)
    order = [i for i in range(x.ndim) if i != s]
    order.insert(d, s)
    return permute(x, order)


def expand(input, *sizes):
    """Broadcast to `sizes` (-1 keeps a dimension) without copying."""
    x = tensor_arg("expand", input)
    sizes = size_args("expand", sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        old = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension ({i})")
            s = old
        elif old is not None and old != 1 and old != s:
            raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                               f"existing size ({old}) at non-singleton dimension {i}. "
                               f"Target sizes: {list(sizes)}. Tensor sizes: {list(x.shape)}")
        shape.append(s)
    shape = tuple(shape)
    if shape == x._data.shape:
        return _alias(x)
    return _view_of(Expand.apply(x, shape), x)


def expand_as(input, other):
    return expand(input, tuple(tensor_arg("expand_as", other, "other").shape))


def broadcast_to(input, size):
    return expand(input, tuple(size))


def cast(input, dtype):
    """`input` converted to `dtype` (differentiable between floating dtypes)."""
    return Cast.apply(input, to_dtype(dtype, "to").numpy)


def to_device(input, device):
    return ToDevice.apply(input, device)


def clone(input, *, memory_format=None):
    return Clone.apply(tensor_arg("clone", input))


def contiguous(input, memory_format=None):
    x = tensor_arg("contiguous", input)
    return x if x._data.flags.c_contiguous else Clone.apply(x)


def _tensor_list(op: str, tensors) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, list | tuple):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
        if x._device is not tensors[0]._device:
            raise RuntimeError(f"{op}(): expected all tensors to be on the same device, but "
                               f"found at least two devices, {tensors[0]._device} and "
                               f"{x._device}")
    return list(tensors)


def _common_dtype(xs: list) -> list:
    """The tensors promoted to one dtype (PyTorch's rules), as cat and stack need."""
    if len({x._data.dtype for x in xs}) == 1:
        return xs
    dt = result_type(*xs)
    return [x.to(dtype=dt) for x in xs]


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dimension; the other sizes must match."""
    xs = _tensor_list("cat", tensors)
    d = _wrap_dim("cat", dim, xs[0].ndim)
    ref = xs[0]
    for i, x in enumerate(xs[1:], 1):
        if x.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(x.shape, ref.shape))
                                     if j != d):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}; "
                               f"tensor 0 has shape {list(ref.shape)} and tensor {i} has shape "
                               f"{list(x.shape)}")
    return Cat.apply(d, *_common_dtype(xs))


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """Join same-shaped tensors along a new dimension."""
    xs = _tensor_list("stack", tensors)
    for i, x in enumerate(xs[1:], 1):
        if x.shape != xs[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(xs[0].shape)} at entry 0 and {list(x.shape)} at entry {i}")
    d = _wrap_dim("stack", dim, xs[0].ndim + 1)
    return Stack.apply(d, *_common_dtype(xs))


def narrow(input, dim: int, start: int, length: int):
    """The slice ``start:start+length`` of dimension `dim` (a view)."""
    x = tensor_arg("narrow", input)
    d = _wrap_dim("narrow", dim, x.ndim)
    start, length = int_arg("narrow", start, "start"), int_arg("narrow", length, "length")
    size = x.shape[d]
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length <= size - start):
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dimension {d}")
    key = (slice(None),) * d + (slice(start, start + length),)
    return x[key]


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    x = tensor_arg("split", tensor, "tensor")
    d = _wrap_dim("split", dim, x.ndim)
    size = x.shape[d]
    if not isinstance(split_size_or_sections, list | tuple):
        step = int_arg("split", split_size_or_sections, "split_size")
        if step <= 0 and size:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sizes = list(size_args("split", (split_size_or_sections,), "split_sizes"))
        if sum(sizes) != size:
            raise RuntimeError(f"split: split_with_sizes expects split_sizes to sum exactly to "
                               f"{size} (input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(x, d, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    """Split into `chunks` pieces of equal size (the last may be smaller)."""
    x = tensor_arg("chunk", input)
    chunks = int_arg("chunk", chunks, "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
    d = _wrap_dim("chunk", dim, x.ndim)
    size = x.shape[d]
    if size == 0:  # nothing to share: `chunks` empty pieces, as PyTorch
        return tuple(narrow(x, d, 0, 0) for _ in range(chunks))
    step = -(-size // chunks)
    return split(x, step, dim)


def select(input, dim: int, index: int):
    """The slice at `index` along `dim`, with that dimension removed (a view)."""
    x = tensor_arg("select", input)
    d = _wrap_dim("select", dim, x.ndim)
    return x[(slice(None),) * d + (index,)]


def unbind(input, dim: int = 0):
    x = tensor_arg("unbind", input)
    d = _wrap_dim("unbind", dim, x.ndim)
    return tuple(x[(slice(None),) * d + (i,)] for i in range(x.shape[d]))
