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
(``create_graph=True``). ``conv2d`` is built from ``Unfold`` and ordinary Tensor ops (a
transpose, reshapes and one ``matmul``), so its backward is the backward of those ops: two
matrix products (∂L/∂W and ∂L/∂cols) and one ``fold``.
"""
from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Function
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
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return values


def _out_size(size: int, k: int, d: int, pad: int, s: int) -> int:
    """Number of window positions along one dimension: ⌊(size + pad − d·(k−1) − 1) / s⌋ + 1."""
    return (size + pad - d * (k - 1) - 1) // s + 1


def _window(offset: int, dilation: int, stride: int, count: int) -> slice:
    """The input positions that kernel offset `offset` sees, one per output position."""
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def _padded(xp, x, pads, value=0.0):
    """`x` (N, C, H, W) surrounded by `value`: pads = ((top, bottom), (left, right))."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = xp.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
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
def im2col_array(xp, x, kernel, dilation, pads, stride, out_hw):
    """The columns of `x` (N, C, H, W) as a contiguous (C, kh, kw, N, out_h, out_w) array.

    This layout makes (C·kh·kw, N·L) a free reshape: the matrix conv2d multiplies in one GEMM.
    """
    n, c = x.shape[:2]
    (kh, kw), (dh, dw), (sh, sw), (oh, ow) = kernel, dilation, stride, out_hw
    xpad = _padded(xp, x, pads)
    cols = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        rows = _window(i, dh, sh, oh)
        for j in range(kw):
            cols[:, i, j] = xpad[:, :, rows, _window(j, dw, sw, ow)].transpose(1, 0, 2, 3)
    return cols


def col2im_array(xp, blocks, hw, kernel, dilation, pads, stride):
    """The adjoint of im2col: blocks (N, C, kh, kw, out_h, out_w) summed back into (N, C, H, W).

    Every column entry is added to the input position it was copied from; where windows
    overlap the contributions accumulate (``+=`` on one strided slice per kernel offset).
    """
    n, c, kh, kw, oh, ow = blocks.shape
    (dh, dw), (sh, sw), ((pt, pb), (pl, pr)) = dilation, stride, pads
    h, w = hw
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=blocks.dtype)
    for i in range(kh):
        rows = _window(i, dh, sh, oh)
        for j in range(kw):
            target = out[:, :, rows, _window(j, dw, sw, ow)]
            xp.add(target, blocks[:, :, i, j], out=target)
    return out[:, :, pt:pt + h, pl:pl + w]


class Unfold(Function):
    """cols = im2col(x): (N, C, H, W) → (N, C·kh·kw, L); backward: fold (its adjoint).

    The result is a transposed view of a (C·kh·kw, N, L) array (see `im2col_array`).
    """

    _array_forward = True

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        n, c, h, w = x.shape
        out_hw = _geometry("unfold", (h, w), kernel, dilation, pads, stride)
        ctx.args = ((h, w), kernel, dilation, pads, stride)
        cols = im2col_array(ctx.xp, x, kernel, dilation, pads, stride, out_hw)
        return cols.reshape(c * kernel[0] * kernel[1], n, out_hw[0] * out_hw[1]).transpose(1, 0, 2)

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, *ctx.args), None, None, None, None


class Fold(Function):
    """x = col2im(cols): (N, C·kh·kw, L) → (N, C, H, W), overlaps summed; backward: unfold."""

    _array_forward = True

    @staticmethod
    def forward(ctx, cols, hw, kernel, dilation, pads, stride):
        ctx.args = (kernel, dilation, pads, stride)
        n, ckk = cols.shape[:2]
        oh, ow = _geometry("fold", hw, kernel, dilation, pads, stride)
        blocks = cols.reshape(n, ckk // (kernel[0] * kernel[1]), kernel[0], kernel[1], oh, ow)
        return col2im_array(ctx.xp, blocks, hw, kernel, dilation, pads, stride)

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


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), computed by im2col.

        y[n, o] = b[o] + Σ_c Σ_{i,j} W[o, c, i, j] · x_pad[n, g·C/G + c, s·p + d·i, s·q + d·j]

    for output position (p, q), where channel group g = ⌊o / (O/G)⌋. Shapes: input (N, C, H, W)
    (or unbatched (C, H, W)), weight (O, C/groups, kh, kw), bias (O,); output (N, O, out_h,
    out_w) with out = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1. `padding` may be
    'valid' (none) or 'same' (output as large as the input; stride 1 only).

    One GEMM does the whole batch: the columns (C·kh·kw, N·L) are multiplied by the weight
    matrix (O, C·kh·kw) — with groups, one product per group, batched in one ``matmul``.
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
    n, h, wd = batched.shape[0], batched.shape[2], batched.shape[3]
    oh, ow = _geometry("conv2d", (h, wd), kernel, dil, pads, st)
    ckk = channels * kh * kw
    # (N, C·kh·kw, L) → (C·kh·kw, N·L): a free transpose and reshape of im2col's array
    cols = Unfold.apply(batched, kernel, dil, pads, st).transpose(0, 1)
    if groups == 1:
        out = w.reshape(out_ch, ckk) @ cols.reshape(ckk, n * oh * ow)
    else:
        out = (w.reshape(groups, out_ch // groups, ckk // groups)
               @ cols.reshape(groups, ckk // groups, n * oh * ow))
    # (O, N·L) → (N, O, out_h, out_w), copied to PyTorch's contiguous layout
    out = out.reshape(out_ch, n, oh, ow).permute(1, 0, 2, 3).contiguous()
    if bias is not None:
        out = out + bias.reshape(1, out_ch, 1, 1)
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
