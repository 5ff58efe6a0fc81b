"""Convolution as im2col + one matrix product: ``unfold`` (im2col), ``fold`` (col2im), ``conv2d``.

A 2-D convolution with a kernel of size kh×kw computes, for every output position, the dot
product of the kernel with the kh×kw window of the input under it (on every input channel).
``unfold`` copies every window into a column — the input becomes a matrix of shape
(C·kh·kw, number of windows) — and the whole convolution is then a single matrix product with
the weight flattened to (out_channels, C·kh·kw):

    cols = unfold(x)                       (N, C·kh·kw, L),  L = out_h · out_w
    y    = W.reshape(O, C·kh·kw) @ cols    (N, O, L)  →  reshape to (N, O, out_h, out_w)

(docs/im2col.md works through the shapes, the memory it costs and the speed it buys.)

The copy is built by a loop over the kh·kw *kernel offsets*, never over pixels or samples:
for offset (i, j), the entries of every window at that offset form one strided slice of the
(padded) input, ``x[:, :, i·dh : … : sh, j·dw : … : sw]``, copied in one go. ``fold`` (col2im)
is the same loop run backwards with ``+=``, so windows that overlap add up.

unfold is linear, and fold is its adjoint: ⟨unfold x, y⟩ = ⟨x, fold y⟩. So each is the other's
backward, and because each backward calls the other *Function*, gradients of gradients work
(``create_graph=True``). ``conv2d`` runs as one Function, `Conv2d`, whose forward is exactly
unfold + matmul (+ bias) on arrays and whose backward is two matrix products (∂L/∂W and
∂L/∂cols) and one fold — the backward the composition would have, without its intermediate
graph nodes, and recomputing the columns instead of storing them.
"""
from __future__ import annotations

import math
import threading

from .._grad_mode import is_grad_enabled
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .operands import tensor_arg

__all__ = ["unfold", "fold", "conv1d", "conv2d"]


# -- arguments ----------------------------------------------------------------------------
def _ntuple(op: str, name: str, value, n: int, minimum: int) -> tuple:
    """`value` (an int or a sequence of `n` ints) as an n-tuple of ints >= minimum."""
    values = tuple(value) if isinstance(value, list | tuple) else (value,) * n
    if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in values):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise RuntimeError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return values


def _out_size(size: int, k: int, d: int, pad: int, s: int) -> int:
    """Number of window positions along one dimension: ⌊(size + pad − d·(k−1) − 1) / s⌋ + 1."""
    return (size + pad - d * (k - 1) - 1) // s + 1


def _window(offset: int, dilation: int, stride: int, count: int) -> slice:
    """The input positions that kernel offset `offset` sees, one per output position."""
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def _padded(xp, x, pads, value=0.0, empty=None):
    """`x` (N, C, H, W) surrounded by `value`: pads = ((top, bottom), (left, right))."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + pt + pb, w + pl + pr)
    if empty is None:
        out = xp.full(shape, value, dtype=x.dtype)
    else:
        out = empty("image", shape, x.dtype)
        out[:, :, :pt] = out[:, :, pt + h:] = value  # the border
        out[:, :, :, :pl] = out[:, :, :, pl + w:] = value
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _geometry(op: str, hw, kernel, dilation, pads, stride) -> tuple:
    """(out_h, out_w), or a RuntimeError when the kernel does not fit the padded input."""
    out = tuple(_out_size(hw[a], kernel[a], dilation[a], sum(pads[a]), stride[a])
                for a in (0, 1))
    if out[0] <= 0 or out[1] <= 0:
        padded = tuple(hw[a] + sum(pads[a]) for a in (0, 1))
        extent = tuple(dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))
        raise RuntimeError(f"{op}: calculated padded input size per channel: ({padded[0]} x "
                           f"{padded[1]}). Kernel size (dilated): ({extent[0]} x {extent[1]}). "
                           "Kernel size can't be greater than actual input size")
    return out


# -- im2col and col2im ----------------------------------------------------------------------
# Two layouts of the columns, both (C·kh·kw, ·) matrices after a free reshape:
#
# * batch last, (C, kh, kw, out_h, out_w, N), from images kept as (C, H, W, N): a kernel
#   offset's slice of the image is (C, out_h, out_w·N) with runs of out_w·N contiguous numbers
#   (for stride 1), so copying it is a few long memcpy's instead of N·C·out_h short ones (on
#   4×4 maps, 4-5× faster). The price: images and outputs are transposed to and from
#   (N, C, H, W), one channel at a time.
# * per sample, (N, C, kh, kw, out_h, out_w) (PyTorch's `unfold` layout), straight from the
#   (N, C, H, W) input: runs of out_w numbers, and one GEMM per sample (one batched `matmul`)
#   whose product, (O, out_h·out_w), is that sample's output in its place — no layout copy of
#   y in forward, nor of ∂L/∂y in backward. On large maps (the lecture net's 24×24) the runs
#   are long enough, and the transposes batch-last needs cost more than the copy it saves.
#
# `batch_last_layout` picks one from the size of the output maps (benchmarks/conv.py).
PER_SAMPLE_MIN_POSITIONS = 400  # out_h·out_w from which the columns are per sample


def batch_last_layout(out_hw) -> bool:
    """Whether columns of out_h × out_w positions are laid out batch-last (small maps)."""
    return out_hw[0] * out_hw[1] < PER_SAMPLE_MIN_POSITIONS


def new_array(xp):
    """``empty(role, shape, dtype)``: a new uninitialised array (see `workspace`)."""
    return lambda role, shape, dtype: xp.empty(shape, dtype=dtype)


def to_batch_last(xp, x, pads=((0, 0), (0, 0)), empty=None, role="image"):
    """(N, C, H, W) → (C, H + top + bottom, W + left + right, N), zero-padded."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = pads
    image = (empty or new_array(xp))(role, (c, h + pt + pb, w + pl + pr, n), x.dtype)
    image[:, :pt] = image[:, pt + h:] = 0  # the border (empty slices when not padded)
    image[:, :, :pl] = image[:, :, pl + w:] = 0
    image[:, pt:pt + h, pl:pl + w] = x.transpose(1, 2, 3, 0)
    return image


def to_batch_first(xp, image, bias=None, out=None):
    """(C, H, W, N) → (N, C, H, W) (into `out` if given), plus `bias[c]` on channel c.

    One channel at a time: each is a small 2-D transpose that stays in cache, where a single
    4-D transposing copy was up to 6× slower (its power-of-two strides landing in the same
    cache sets).
    """
    c, h, w, n = image.shape
    if out is None:
        out = xp.empty((n, c, h, w), dtype=image.dtype)
    for ch in range(c):
        if bias is None:
            out[:, ch] = image[ch].transpose(2, 0, 1)
        else:
            xp.add(image[ch].transpose(2, 0, 1), bias[ch], out=out[:, ch])
    return out


def columns_shape(x_shape, kernel, out_hw, batch_last=True) -> tuple:
    """The shape of `im2col_array`'s columns for an input of shape (N, C, H, W)."""
    n, c = x_shape[:2]
    return (c, *kernel, *out_hw, n) if batch_last else (n, c, *kernel, *out_hw)


def im2col_array(xp, x, kernel, dilation, pads, stride, out_hw, batch_last=True, empty=None):
    """The columns of `x` (N, C, H, W): a contiguous (C, kh, kw, out_h, out_w, N) array, or
    (N, C, kh, kw, out_h, out_w) when not `batch_last` (arrays from `empty`, see `workspace`).

    cols[c, i, j, p, q, n] = x_pad[n, c, p·sh + i·dh, q·sw + j·dw], one strided slice copy
    per kernel offset (i, j).
    """
    (kh, kw), (dh, dw), (sh, sw), (oh, ow) = kernel, dilation, stride, out_hw
    empty = empty or new_array(xp)
    cols = empty("cols", columns_shape(x.shape, kernel, out_hw, batch_last), x.dtype)
    if batch_last:
        image = to_batch_last(xp, x, pads, empty)  # (C, H, W, N)
    else:
        image = _padded(xp, x, pads, empty=empty)  # (N, C, H, W)
    lead = (slice(None),) * (1 if batch_last else 2)  # the axes before the kernel's (i, j)
    for i in range(kh):
        rows = _window(i, dh, sh, oh)
        for j in range(kw):
            cols[lead + (i, j)] = image[lead + (rows, _window(j, dw, sw, ow))]
    return cols


def _zeros(xp, empty, shape, dtype):
    """A zero-filled array: the workspace's "image" buffer (see `workspace`) if given."""
    if empty is None:
        return xp.zeros(shape, dtype=dtype)
    image = empty("image", shape, dtype)
    image.fill(0)
    return image


def col2im_array(xp, cols, hw, dilation, pads, stride, out=None, batch_last=True, empty=None):
    """The adjoint of im2col: cols (C, kh, kw, out_h, out_w, N), or (N, C, kh, kw, out_h,
    out_w) when not `batch_last`, summed into (N, C, H, W) (into `out` if given).

    Every column entry is added to the input position it was copied from; where windows
    overlap the contributions accumulate (``+=`` on one strided slice per kernel offset).
    """
    (dh, dw), (sh, sw), ((pt, pb), (pl, pr)) = dilation, stride, pads
    h, w = hw
    if batch_last:
        c, kh, kw, oh, ow, n = cols.shape
        image = _zeros(xp, empty, (c, h + pt + pb, w + pl + pr, n), cols.dtype)
    else:
        n, c, kh, kw, oh, ow = cols.shape
        # (without `out`, the padded image itself may be returned: never a workspace view)
        image = _zeros(xp, empty if out is not None else None,
                       (n, c, h + pt + pb, w + pl + pr), cols.dtype)
    lead = (slice(None),) * (1 if batch_last else 2)  # the axes before the kernel's (i, j)
    for i in range(kh):
        rows = _window(i, dh, sh, oh)
        for j in range(kw):
            target = image[lead + (rows, _window(j, dw, sw, ow))]
            xp.add(target, cols[lead + (i, j)], out=target)
    if batch_last:
        return to_batch_first(xp, image[:, pt:pt + h, pl:pl + w], out=out)
    inner = image[:, :, pt:pt + h, pl:pl + w]
    if out is None:
        return inner if inner.shape == image.shape else xp.ascontiguousarray(inner)
    out[...] = inner
    return out


class Unfold(ArrayFunction):
    """cols = im2col(x): (N, C, H, W) → (N, C·kh·kw, L); backward: fold (its adjoint).

    The result is a transposed view of a (C·kh·kw, L, N) array (see `im2col_array`).
    """

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        n, c, h, w = x.shape
        out_hw = _geometry("unfold", (h, w), kernel, dilation, pads, stride)
        ctx.args = ((h, w), kernel, dilation, pads, stride)
        cols = im2col_array(ctx.xp, x, kernel, dilation, pads, stride, out_hw)
        rows = c * kernel[0] * kernel[1]
        return cols.reshape(rows, out_hw[0] * out_hw[1], n).transpose(2, 0, 1)

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, *ctx.args), None, None, None, None


class Fold(ArrayFunction):
    """x = col2im(cols): (N, C·kh·kw, L) → (N, C, H, W), overlaps summed; backward: unfold."""

    @staticmethod
    def forward(ctx, cols, hw, kernel, dilation, pads, stride):
        ctx.args = (kernel, dilation, pads, stride)
        n, rows = cols.shape[:2]
        oh, ow = _geometry("fold", hw, kernel, dilation, pads, stride)
        # (N, C·kh·kw, L) → (C, kh, kw, out_h, out_w, N): free when `cols` came from Unfold
        blocks = cols.transpose(1, 2, 0).reshape(rows // (kernel[0] * kernel[1]), kernel[0],
                                                 kernel[1], oh, ow, n)
        return col2im_array(ctx.xp, blocks, hw, dilation, pads, stride)

    @staticmethod
    def backward(ctx, g):
        return (Unfold.apply(g, *ctx.args),) + (None,) * 5


def _symmetric(padding) -> tuple:
    return ((padding[0], padding[0]), (padding[1], padding[1]))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: every kh×kw block of `input` as a column. (N, C, H, W) → (N, C·kh·kw, L).

    Column ``l`` holds the block at output position l (row-major over the out_h × out_w
    positions, out = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1), its entries
    ordered channel by channel, then row by row within the kernel — PyTorch's layout.
    Differentiable (its backward is `fold`), also twice.

    >>> F.unfold(torch.arange(16.).reshape(1, 1, 4, 4), kernel_size=2, stride=2)[0]
    tensor([[ 0.,  2.,  8., 10.],
            [ 1.,  3.,  9., 11.],
            [ 4.,  6., 12., 14.],
            [ 5.,  7., 13., 15.]])
    """
    x = tensor_arg("unfold", input)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {tuple(x.shape)}")
    args = (_ntuple("unfold", "kernel_size", kernel_size, 2, 1),
            _ntuple("unfold", "dilation", dilation, 2, 1),
            _symmetric(_ntuple("unfold", "padding", padding, 2, 0)),
            _ntuple("unfold", "stride", stride, 2, 1))
    batched = x if x.ndim == 4 else x.unsqueeze(0)
    cols = Unfold.apply(batched, *args).contiguous()
    return cols if x.ndim == 4 else cols.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: sums columns (N, C·kh·kw, L) back into an image (N, C, H, W).

    The adjoint of `unfold` (⟨unfold x, y⟩ = ⟨x, fold y⟩): entries of overlapping blocks
    add up, so ``fold(unfold(x))`` is x times the number of blocks covering each pixel.
    """
    cols = tensor_arg("fold", input)
    if cols.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D (C·kh·kw, L) or 3-D (N, C·kh·kw, L) input, "
                           f"got shape {tuple(cols.shape)}")
    hw = _ntuple("fold", "output_size", output_size, 2, 1)
    kernel = _ntuple("fold", "kernel_size", kernel_size, 2, 1)
    dil = _ntuple("fold", "dilation", dilation, 2, 1)
    pads = _symmetric(_ntuple("fold", "padding", padding, 2, 0))
    st = _ntuple("fold", "stride", stride, 2, 1)
    batched = cols if cols.ndim == 3 else cols.unsqueeze(0)
    ckk, length = batched.shape[1:]
    if ckk % (kernel[0] * kernel[1]):
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={ckk} and "
                           f"kernel_size={kernel}")
    oh, ow = _geometry("fold", hw, kernel, dil, pads, st)
    if oh * ow != length:
        raise RuntimeError(f"fold: given output_size={hw}, kernel_size={kernel}, dilation={dil}, "
                           f"padding={tuple(p for p, _ in pads)}, stride={st}, expected size of "
                           f"input's last dimension to match the calculated number of sliding "
                           f"blocks {oh} * {ow} = {oh * ow}, but got {length}")
    out = Fold.apply(batched, hw, kernel, dil, pads, st).contiguous()
    return out if cols.ndim == 3 else out.squeeze(0)


# -- convolution ----------------------------------------------------------------------------
def _conv_padding(op: str, padding, kernel, dilation, stride) -> tuple:
    """((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                             "{'valid', 'same'}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)  # keeps the size; an odd total puts the extra row last
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return _symmetric(_ntuple(op, "padding", padding, 2, 0))


# -- the convolution Function ----------------------------------------------------------------
#: Bytes of im2col columns computed at once by `Conv2d`, per backend. On the CPU the batch is
#: cut into chunks whose columns fit in cache (each chunk: one im2col, one GEMM): measured
#: 17-26% faster than one GEMM for the whole batch on ResNet blocks, and the memory the
#: columns take stays bounded (docs/im2col.md). GPUs prefer one large GEMM.
COLUMNS_BUDGET = {"cpu": 4 * 2 ** 20}
COLUMNS_BUDGET_DEFAULT = 256 * 2 ** 20


# The arrays each chunk needs for a moment (its padded image, columns, the GEMM's product,
# ∂L/∂cols) are views of buffers kept between calls, one per thread and role. Fresh arrays of
# a few MiB per chunk came from the OS each time (glibc returns such blocks when they are
# freed), and the OS maps their pages on the first write: 2 400 page faults per forward +
# backward of the lecture net's conv1, 7 700 of a 16×16 ResNet block, costing as much as the
# copies themselves, and more with 2 BLAS threads (docs/im2col.md). GPUs need no such
# buffers: CuPy's memory pool keeps its blocks.
WORKSPACE_LIMIT = 16 * 2 ** 20  # bytes; a larger array is a new one each time
_buffers = threading.local()


def workspace(xp, device_type: str):
    """``empty(role, shape, dtype)`` for the arrays one Conv2d call uses and drops: on the CPU
    a view of this thread's buffer for `role` (grown to the largest size asked for, up to
    `WORKSPACE_LIMIT`), so two arrays of the same role must not be alive at once."""
    if device_type != "cpu":
        return new_array(xp)
    if not hasattr(_buffers, "by_role"):
        _buffers.by_role = {}
    buffers = _buffers.by_role

    def empty(role, shape, dtype):
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > WORKSPACE_LIMIT:
            return xp.empty(shape, dtype=dtype)
        buffer = buffers.get(role)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = buffers[role] = xp.empty(nbytes, dtype=xp.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)
    return empty


def workspace_bytes() -> int:
    """The bytes this thread's workspace holds between calls (benchmarks/conv.py counts them
    into a training step's memory)."""
    return sum(b.nbytes for b in getattr(_buffers, "by_role", {}).values())


def _chunks(n: int, bytes_per_sample: int, backend: str):
    """(start, stop) ranges of the batch whose columns fit the budget (at least 1 sample)."""
    budget = COLUMNS_BUDGET.get(backend, COLUMNS_BUDGET_DEFAULT)
    step = max(1, budget // max(1, bytes_per_sample))
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _grouped(a, groups: int):
    """A (G·p, q) matrix as G stacked (p, q) blocks."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


class Conv2d(ArrayFunction):
    """y = conv2d(x, W) + b as one op: im2col, one GEMM, and a hand-written backward.

    Forward:   cols = im2col(x)            (C·kh·kw, L·N)
               y    = W₂ @ cols + b        W₂ = W.reshape(O, C·kh·kw)
    Backward:  with g₂ = ∂L/∂y as (O, L·N):
               ∂L/∂W = g₂ @ colsᵀ,   ∂L/∂b = Σ g₂ (over L·N),   ∂L/∂x = col2im(W₂ᵀ @ g₂)

    With groups, W₂ and the rows of cols split into G blocks multiplied pairwise (one batched
    ``matmul``). The batch goes through in chunks whose columns fit `COLUMNS_BUDGET` (the
    columns of different samples are independent, and ∂L/∂W sums over chunks). On large maps
    the columns are per sample, (N, C·kh·kw, L), and the product is one GEMM per sample,
    W₂ @ colsₙ = yₙ as (O, L): y and ∂L/∂y keep their (N, O, ·) layout, and ∂L/∂W is the sum
    over samples of gₙ @ colsₙᵀ (see `batch_last_layout`). Only x and W
    are saved: backward recomputes the columns rather than keeping an array kh·kw times
    larger than x alive between forward and backward. Under ``create_graph=True`` the
    backward is built from differentiable ops (`Unfold`, `Fold`, matmul), so gradients of
    gradients work.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, pads, stride, dilation, groups):
        xp = ctx.xp
        n, channels, h, w = x.shape
        out_ch, kernel = weight.shape[0], weight.shape[2:]
        oh, ow = _geometry("conv2d", (h, w), kernel, dilation, pads, stride)
        rows = channels * kernel[0] * kernel[1]
        w2 = weight.reshape(out_ch, -1)
        y = xp.empty((n, out_ch, oh, ow), dtype=x.dtype)
        last = batch_last_layout((oh, ow))
        empty = workspace(xp, ctx.device.type)
        for start, stop in _chunks(n, rows * oh * ow * x.itemsize, ctx.device.type):
            cols = im2col_array(xp, x[start:stop], kernel, dilation, pads, stride, (oh, ow),
                                last, empty)
            if last:  # one GEMM: (O, C·kh·kw) @ (C·kh·kw, L·chunk)
                cols = cols.reshape(rows, -1)
                product = empty("product", (groups, out_ch // groups, cols.shape[1]), x.dtype)
                out = xp.matmul(_grouped(w2, groups), _grouped(cols, groups), out=product)
                to_batch_first(xp, out.reshape(out_ch, oh, ow, stop - start), bias,
                               out=y[start:stop])
            else:  # one GEMM per sample, each writing its sample's output in place
                chunk = y[start:stop].reshape(stop - start, groups, out_ch // groups, oh * ow)
                xp.matmul(_grouped(w2, groups), _per_sample(cols, groups), out=chunk)
                if bias is not None:
                    chunk += bias.reshape(groups, -1, 1)
        ctx.args = (pads, stride, dilation, groups)
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if is_grad_enabled():  # create_graph=True: the same formulas, recorded
            return _conv2d_backward_graph(g, x, weight, needs, *ctx.args)
        xp, g, x, weight = ctx.xp, g._data, x._data, weight._data
        n, channels = x.shape[:2]
        out_ch, kernel, (oh, ow) = weight.shape[0], weight.shape[2:], g.shape[2:]
        rows = channels * kernel[0] * kernel[1]
        w2 = weight.reshape(out_ch, -1)
        gx = xp.empty(x.shape, dtype=x.dtype) if needs[0] else None
        gw = xp.zeros(w2.shape, dtype=w2.dtype) if needs[1] else None
        gb = g.sum(axis=(0, 2, 3)) if needs[2] else None
        last = batch_last_layout((oh, ow))
        empty = workspace(xp, ctx.device.type)
        chunk_backward = _batch_last_backward if last else _per_sample_backward
        for start, stop in _chunks(n, rows * oh * ow * x.itemsize, ctx.device.type):
            chunk_backward(xp, g[start:stop], x[start:stop], w2, kernel,
                           None if gx is None else gx[start:stop], gw, needs, ctx.args, empty)
        if gw is not None:
            gw = gw.reshape(weight.shape)
        wrap = lambda a: None if a is None else Tensor._make(a, ctx.device)  # noqa: E731
        return wrap(gx), wrap(gw), wrap(gb), None, None, None, None


def _per_sample(cols, groups: int):
    """Per-sample columns (chunk, C, kh, kw, out_h, out_w) as (chunk, G, C·kh·kw / G, L)."""
    return cols.reshape(cols.shape[0], groups, -1, cols.shape[-2] * cols.shape[-1])


def _batch_last_backward(xp, g, x, w2, kernel, gx, gw, needs, args, empty) -> None:
    """`Conv2d.backward` for one chunk of the batch (g, x and gx its part) with batch-last
    columns: ∂L/∂W summed into `gw`, ∂L/∂x written into `gx`."""
    pads, stride, dilation, groups = args
    n, out_ch, oh, ow = g.shape
    rows = w2.shape[1] * groups
    g2 = to_batch_last(xp, g, empty=empty, role="product").reshape(out_ch, -1)  # (O, L·n)
    if needs[1]:
        cols = im2col_array(xp, x, kernel, dilation, pads, stride, (oh, ow), True,
                            empty).reshape(rows, -1)
        if groups == 1:
            gw += g2 @ cols.T
        else:
            gw += xp.matmul(_grouped(g2, groups),
                            _grouped(cols, groups).transpose(0, 2, 1)).reshape(gw.shape)
        del cols  # dcols, as large, takes its place (in the workspace, its buffer)
    if needs[0]:
        dcols = xp.matmul(_grouped(w2, groups).transpose(0, 2, 1), _grouped(g2, groups),
                          out=empty("cols", (groups, rows // groups, g2.shape[1]), x.dtype))
        dcols = dcols.reshape((x.shape[1],) + tuple(kernel) + (oh, ow, n))
        col2im_array(xp, dcols, x.shape[2:], dilation, pads, stride, out=gx, empty=empty)


def _per_sample_backward(xp, g, x, w2, kernel, gx, gw, needs, args, empty) -> None:
    """`Conv2d.backward` for one chunk of the batch with per-sample columns: as
    `_batch_last_backward`, but ∂L/∂y is used in its own layout, one GEMM per sample."""
    pads, stride, dilation, groups = args
    n, out_ch, oh, ow = g.shape
    g2 = g.reshape(n, groups, out_ch // groups, oh * ow)  # (chunk, G, O/G, L), a view
    w2g = _grouped(w2, groups)  # (G, O/G, C·kh·kw / G)
    if needs[1]:  # each sample's g2 @ colsᵀ, summed over the chunk
        cols = im2col_array(xp, x, kernel, dilation, pads, stride, (oh, ow), False, empty)
        gw += xp.matmul(g2, _per_sample(cols, groups).swapaxes(-1, -2)).sum(0).reshape(gw.shape)
        del cols  # dcols, as large, takes its place (in the workspace, its buffer)
    if needs[0]:
        dcols = xp.matmul(w2g.swapaxes(-1, -2), g2,
                          out=empty("cols", (n, groups, w2g.shape[2], oh * ow), x.dtype))
        dcols = dcols.reshape((n, x.shape[1]) + tuple(kernel) + (oh, ow))
        col2im_array(xp, dcols, x.shape[2:], dilation, pads, stride, out=gx, batch_last=False,
                     empty=empty)


def _conv2d_backward_graph(g, x, weight, needs, pads, stride, dilation, groups):
    """Conv2d's backward with Tensor ops (for create_graph=True)."""
    n, out_ch = x.shape[0], weight.shape[0]
    kernel = tuple(weight.shape[2:])
    length = g.shape[2] * g.shape[3] * n
    g2 = g.permute(1, 2, 3, 0).reshape(groups, out_ch // groups, length)
    w2 = weight.reshape(groups, out_ch // groups, -1)
    gx = gw = gb = None
    if needs[1]:
        cols = Unfold.apply(x, kernel, dilation, pads, stride).permute(1, 2, 0)
        gw = (g2 @ cols.reshape(groups, -1, length).mT).reshape(weight.shape)
    if needs[2]:
        gb = g.sum((0, 2, 3))
    if needs[0]:
        dcols = (w2.mT @ g2).reshape(-1, g.shape[2] * g.shape[3], n).permute(2, 0, 1)
        gx = Fold.apply(dcols, tuple(x.shape[2:]), kernel, dilation, pads, stride)
    return gx, gw, gb, None, None, None, None


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), computed by im2col.

        y[n, o] = b[o] + Σ_c Σ_{i,j} W[o, c, i, j] · x_pad[n, g·C/G + c, s·p + d·i, s·q + d·j]

    for output position (p, q), where channel group g = ⌊o / (O/G)⌋. Shapes: input (N, C, H, W)
    (or unbatched (C, H, W)), weight (O, C/groups, kh, kw), bias (O,); output (N, O, out_h,
    out_w) with out = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1. `padding` may be
    'valid' (none) or 'same' (output as large as the input; stride 1 only).

    The columns of ``unfold`` (C·kh·kw rows, one column per output position and sample) are
    multiplied by the weight matrix (O, C·kh·kw): one GEMM per chunk of the batch, or per
    sample on large maps — with groups, one product per group, batched in one ``matmul``
    (see `Conv2d`).
    """
    x = tensor_arg("conv2d", input)
    w = tensor_arg("conv2d", weight, "weight")
    if w.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, "
                           f"kh, kw), got shape {tuple(w.shape)}")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {tuple(x.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer, got {groups!r}")
    out_ch, in_per_group, kh, kw = w.shape
    channels = x.shape[-3]
    if channels != in_per_group * groups:
        raise RuntimeError(f"conv2d: given groups={groups}, weight of size {list(w.shape)}, "
                           f"expected input{list(x.shape)} to have {in_per_group * groups} "
                           f"channels, but got {channels} channels instead")
    if out_ch % groups:
        raise RuntimeError(f"conv2d: given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size {list(w.shape)}")
    if x._device is not w._device:
        raise RuntimeError(f"conv2d: input is on {x._device} but weight is on {w._device}")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"conv2d: input ({x.dtype}) and weight ({w.dtype}) should have the "
                           "same dtype")
    if bias is not None:
        b = tensor_arg("conv2d", bias, "bias")
        if tuple(b.shape) != (out_ch,):
            raise RuntimeError(f"conv2d: expected bias of shape ({out_ch},), got "
                               f"{tuple(b.shape)}")
        if b._data.dtype != w._data.dtype or b._device is not w._device:
            raise RuntimeError(f"conv2d: bias ({b.dtype}, {b._device}) must have the dtype and "
                               f"device of weight ({w.dtype}, {w._device})")
    kernel = (kh, kw)
    st = _ntuple("conv2d", "stride", stride, 2, 1)
    dil = _ntuple("conv2d", "dilation", dilation, 2, 1)
    pads = _conv_padding("conv2d", padding, kernel, dil, st)

    batched = x if x.ndim == 4 else x.unsqueeze(0)
    _geometry("conv2d", tuple(batched.shape[2:]), kernel, dil, pads, st)
    out = Conv2d.apply(batched, w, bias, pads, st, dil, groups)
    return out if x.ndim == 4 else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution: input (N, C, L) (or (C, L)), weight (O, C/groups, k) → (N, O, L_out).

    A 2-D convolution of height 1: the same im2col and GEMM.
    """
    x = tensor_arg("conv1d", input)
    w = tensor_arg("conv1d", weight, "weight")
    if w.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, "
                           f"k), got shape {tuple(w.shape)}")
    if x.ndim not in (2, 3):
        raise RuntimeError(f"conv1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{tuple(x.shape)}")
    if isinstance(padding, str):
        pad2 = padding
    else:
        pad2 = (0,) + _ntuple("conv1d", "padding", padding, 1, 0)
    y = conv2d(x.unsqueeze(-2), w.unsqueeze(-2), bias,
               (1,) + _ntuple("conv1d", "stride", stride, 1, 1), pad2,
               (1,) + _ntuple("conv1d", "dilation", dilation, 1, 1), groups)
    return y.squeeze(-2)
