"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d`` (and their 1-D forms).

A pooling layer slides a kh×kw window over each channel, as a convolution does, and reduces
each window to one number: its maximum or its mean. The windows are visited the im2col way
(``conv.py``): a loop over the kh·kw *kernel offsets*, each offset giving one strided slice
of the padded input that holds that entry of every window — no loop over pixels or samples,
and no kh·kw-times larger copy of the input.

Max pooling first takes the maxima (a running ``maximum`` over the offsets), then marks, for
each window, the offset of its maximum — the first one on ties, as PyTorch (a NaN counts as
the maximum, the last NaN winning). The gradient of the output goes to that single winner;
where windows overlap (stride < kernel) an input element can win several windows and its
gradients add up — backward runs the same offset loop with ``+=``. Padding is −∞, so it
never wins.

    y[n, c, p, q] = max_{i,j} x_pad[n, c, s·p + d·i, s·q + d·j]
    ∂L/∂x[n, c, u, v] = Σ_{(p,q): winner(p,q) = (u,v)} ∂L/∂y[n, c, p, q]

Average pooling divides each window's sum by its size (PyTorch's conventions for padding:
``count_include_pad``, ``divisor_override``); its backward spreads ∂L/∂y / size over the window.

Each backward is another Function (the scatter of max pooling, the spreading of average
pooling) whose own backward is the forward operation again — they are adjoint linear maps —
so gradients of gradients work too.
"""
from __future__ import annotations

from .._creation import tensor
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .conv import _ntuple, _out_size, _padded, _window
from .operands import tensor_arg

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "max_pool1d", "avg_pool1d",
           "adaptive_avg_pool1d"]


# -- geometry ----------------------------------------------------------------------------
class _Pool:
    """The window geometry of one pooling call (sizes in (height, width) pairs)."""

    def __init__(self, hw, kernel, stride, padding, dilation, ceil_mode):
        self.hw, self.kernel, self.stride, self.dilation = hw, kernel, stride, dilation
        self.padding = padding
        self.out = tuple(_pooled_size(hw[a], kernel[a], stride[a], padding[a], dilation[a],
                                      ceil_mode) for a in (0, 1))
        # ceil_mode: the last window may reach past the padded input; pad a little more there
        extra = [max(0, (self.out[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1
                     - (hw[a] + 2 * padding[a])) for a in (0, 1)]
        self.pads = ((padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
        # do windows share input elements? (then gradients landing there must add up)
        self.overlapping = any(stride[a] < dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))

    def offsets(self):
        """(offset number, slice of the padded input) for each of the kh·kw kernel offsets."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.out
        for i in range(kh):
            rows = _window(i, dh, sh, oh)
            for j in range(kw):
                yield i * kw + j, (slice(None), slice(None), rows, _window(j, dw, sw, ow))

    def crop(self, padded):
        (pt, _), (pl, _) = self.pads
        h, w = self.hw
        return padded[:, :, pt:pt + h, pl:pl + w]

    def padded_shape(self, nc):
        (pt, pb), (pl, pr) = self.pads
        return tuple(nc) + (self.hw[0] + pt + pb, self.hw[1] + pl + pr)


def _pooled_size(size, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output size; with ceil_mode the last window must start in the input."""
    if not ceil_mode:
        return _out_size(size, k, d, 2 * p, s)
    out = -(-(size + 2 * p - d * (k - 1) - 1) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(op: str, x: Tensor, kernel_size, stride, padding, dilation,
               ceil_mode) -> _Pool:
    kernel = _ntuple(op, "kernel_size", kernel_size, 2, 1)
    stride = kernel if stride is None or stride == [] or stride == () else \
        _ntuple(op, "stride", stride, 2, 1)
    padding = _ntuple(op, "padding", padding, 2, 0)
    dilation = _ntuple(op, "dilation", dilation, 2, 1)
    for a in (0, 1):
        if 2 * padding[a] > kernel[a]:  # so that every window holds an input element
            raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                               f"pad={padding[a]} and kernel_size={kernel[a]}")
    hw = tuple(x.shape[-2:])
    pool = _Pool(hw, kernel, stride, padding, dilation, bool(ceil_mode))
    if pool.out[0] <= 0 or pool.out[1] <= 0:
        raise RuntimeError(f"{op}: given input size ({x.shape[-3]}x{hw[0]}x{hw[1]}), the "
                           f"calculated output size ({x.shape[-3]}x{pool.out[0]}x{pool.out[1]}) "
                           "is too small")
    return pool


def _check_input(op: str, x: Tensor) -> None:
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input with "
                           f"non-zero channels, height and width, got shape {tuple(x.shape)}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")


# -- max pooling ---------------------------------------------------------------------------
def _winner_dtype(xp, count: int):
    return xp.uint8 if count <= 256 else xp.int32


class MaxPool2d(ArrayFunction):
    """y = max over each window; the window's argmax (an offset number) is kept for backward."""

    @staticmethod
    def forward(ctx, x, pool, return_indices):
        xp = ctx.xp
        xpad = _padded(xp, x, pool.pads, float("-inf"))
        offsets = list(pool.offsets())
        best = xpad[offsets[0][1]].copy()
        for _, window in offsets[1:]:
            xp.maximum(best, xpad[window], out=best)  # NaN propagates, as in PyTorch
        # the winner of each window: its first maximum, so later offsets are written first;
        # never a padding position, even where the real values are -inf too (as PyTorch)
        winner = xp.zeros(best.shape, dtype=_winner_dtype(xp, len(offsets)))
        inside = _inside(xp, pool) if xpad is not x else None
        for k, window in reversed(offsets):
            wins = xpad[window] == best
            if inside is not None:
                wins &= inside[window[2:]]
            xp.copyto(winner, k, where=wins)
        nan = xp.isnan(best)
        if bool(nan.any()):  # PyTorch's rule there: the last NaN of the window wins
            for k, window in offsets:
                xp.copyto(winner, k, where=nan & xp.isnan(xpad[window]))
        ctx.pool = pool
        ctx.save_for_backward(winner)
        if not return_indices:
            return best
        return best, _flat_indices(xp, winner, pool)

    @staticmethod
    def backward(ctx, g, *_):
        winner, = ctx.saved_tensors
        return _MaxPoolScatter.apply(g, winner, ctx.pool), None, None


def _inside(xp, pool):
    """The padded H×W plane: True on the input, False on the padding."""
    (pt, _), (pl, _) = pool.pads
    h, w = pool.hw
    plane = xp.zeros(pool.padded_shape(())[-2:], dtype=bool)
    plane[pt:pt + h, pl:pl + w] = True
    return plane


def _flat_indices(xp, winner, pool):
    """PyTorch's `return_indices`: each winner's position in the flattened H×W input plane."""
    kw, (sh, sw), (dh, dw) = pool.kernel[1], pool.stride, pool.dilation
    (pt, _), (pl, _) = pool.pads
    oh, ow = pool.out
    k = winner.astype(xp.int64)
    rows = xp.arange(oh, dtype=xp.int64).reshape(oh, 1) * sh - pt + (k // kw) * dh
    cols = xp.arange(ow, dtype=xp.int64) * sw - pl + (k % kw) * dw
    return rows * pool.hw[1] + cols


class _MaxPoolScatter(ArrayFunction):
    """∂L/∂x: each ∂L/∂y goes to its window's winner; overlapping windows accumulate."""

    @staticmethod
    def forward(ctx, g, winner, pool):
        xp = ctx.xp
        ctx.pool = pool
        ctx.save_for_backward(winner)
        grad = xp.zeros(pool.padded_shape(g.shape[:2]), dtype=g.dtype)
        for k, window in pool.offsets():
            target = grad[window]
            if pool.overlapping:  # an input may win several windows: add up
                xp.add(target, xp.where(winner == k, g, 0), out=target)
            else:
                xp.copyto(target, g, where=winner == k)
        return pool.crop(grad)

    @staticmethod
    def backward(ctx, gg):
        winner, = ctx.saved_tensors
        return _MaxPoolGather.apply(gg, winner, ctx.pool), None, None


class _MaxPoolGather(ArrayFunction):
    """y = x at each window's (given) winner: max pooling with the winners fixed."""

    @staticmethod
    def forward(ctx, x, winner, pool):
        xp = ctx.xp
        ctx.pool = pool
        ctx.save_for_backward(winner)
        xpad = _padded(xp, x, pool.pads)
        out = xp.zeros(winner.shape, dtype=x.dtype)
        for k, window in pool.offsets():
            xp.copyto(out, xpad[window], where=winner == k)
        return out

    @staticmethod
    def backward(ctx, g):
        winner, = ctx.saved_tensors
        return _MaxPoolScatter.apply(g, winner, ctx.pool), None, None


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) (or (C, H, W)) inputs.

    out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1 (⌈·⌉ with `ceil_mode`);
    `stride` defaults to `kernel_size`. The gradient goes to one element per window (the first
    maximum). With ``return_indices=True`` also returns each maximum's index in the flattened
    H×W input plane (int64), as PyTorch.
    """
    x = tensor_arg("max_pool2d", input)
    _check_input("max_pool2d", x)
    pool = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    batched = x if x.ndim == 4 else x.unsqueeze(0)
    out = MaxPool2d.apply(batched, pool, bool(return_indices))
    if x.ndim == 3:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


# -- average pooling -----------------------------------------------------------------------
def _divisor(xp, pool: _Pool, count_include_pad: bool, divisor_override, dtype):
    """What each window's sum is divided by: a number, or an (out_h, out_w) array.

    PyTorch's rule: the window clipped to the padded input (the ceil_mode overhang never
    counts), or, without `count_include_pad`, clipped to the input itself.
    """
    if divisor_override is not None:
        return float(divisor_override)
    counts = []
    for a in (0, 1):
        size, k, s, p = pool.hw[a], pool.kernel[a], pool.stride[a], pool.padding[a]
        axis = []
        for o in range(pool.out[a]):
            start = o * s - p
            end = min(start + k, size + p)
            if not count_include_pad:
                start, end = max(start, 0), min(end, size)
            axis.append(end - start)
        counts.append(axis)
    if len(set(counts[0])) == 1 and len(set(counts[1])) == 1:
        return float(counts[0][0] * counts[1][0])
    rows = xp.asarray(counts[0], dtype=dtype).reshape(-1, 1)
    return rows * xp.asarray(counts[1], dtype=dtype)


class AvgPool2d(ArrayFunction):
    """y = (sum over each window) / divisor; backward: `_AvgPoolSpread` (its adjoint)."""

    @staticmethod
    def forward(ctx, x, pool, count_include_pad, divisor_override):
        xp = ctx.xp
        ctx.args = (pool, count_include_pad, divisor_override)
        xpad = _padded(xp, x, pool.pads)
        total = None
        for _, window in pool.offsets():
            if total is None:
                total = xpad[window].copy()
            else:
                xp.add(total, xpad[window], out=total)
        return total / _divisor(xp, pool, count_include_pad, divisor_override, x.dtype)

    @staticmethod
    def backward(ctx, g):
        return (_AvgPoolSpread.apply(g, *ctx.args),) + (None,) * 3


class _AvgPoolSpread(ArrayFunction):
    """∂L/∂x: each window gets ∂L/∂y / divisor on every element it covers (overlaps add)."""

    @staticmethod
    def forward(ctx, g, pool, count_include_pad, divisor_override):
        xp = ctx.xp
        ctx.args = (pool, count_include_pad, divisor_override)
        share = g / _divisor(xp, pool, count_include_pad, divisor_override, g.dtype)
        grad = xp.zeros(pool.padded_shape(g.shape[:2]), dtype=g.dtype)
        for _, window in pool.offsets():
            target = grad[window]
            xp.add(target, share, out=target)
        return pool.crop(grad)

    @staticmethod
    def backward(ctx, gg):
        return (AvgPool2d.apply(gg, *ctx.args),) + (None,) * 3


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling: each window's mean (zero padding counts unless
    ``count_include_pad=False``; ``divisor_override`` replaces the window size)."""
    x = tensor_arg("avg_pool2d", input)
    _check_input("avg_pool2d", x)
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override <= 0):
        raise ValueError(f"avg_pool2d: divisor must be a positive int, got {divisor_override!r}")
    pool = _pool_args("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    batched = x if x.ndim == 4 else x.unsqueeze(0)
    out = AvgPool2d.apply(batched, pool, bool(count_include_pad), divisor_override)
    return out if x.ndim == 4 else out.squeeze(0)


# -- adaptive average pooling ----------------------------------------------------------------
def _bins(size: int, out: int) -> list:
    """PyTorch's adaptive bins: bin i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _averaging_matrix(size: int, out: int, like: Tensor) -> Tensor:
    """(out, size): row i averages bin i."""
    rows = [[1.0 / (end - start) if start <= j < end else 0.0 for j in range(size)]
            for start, end in _bins(size, out)]
    return tensor(rows, dtype=like.dtype, device=like.device).reshape(out, size)  # (out: 0)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (out_h, out_w), whatever the input size.

    Output (i, j) averages the input rows ⌊i·H/out_h⌋ … ⌈(i+1)·H/out_h⌉ − 1 and the columns
    likewise (bins may overlap). ``output_size=1`` is global average pooling, the
    one-before-last layer of residual networks (lecture 000, "Residual networks"). None in
    `output_size` keeps that input size; 0 gives an empty output, as in PyTorch.

    Implemented as a mean (1×1), an average pooling (when the bins tile the input), or in
    general two matrix products ``A_h · x · A_wᵀ`` with averaging matrices.
    """
    x = tensor_arg("adaptive_avg_pool2d", input)
    _check_input("adaptive_avg_pool2d", x)
    sizes = output_size if isinstance(output_size, list | tuple) else (output_size,) * 2
    if len(sizes) != 2:
        raise TypeError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got "
                        f"{output_size!r}")
    h, w = x.shape[-2:]
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    oh, ow = _ntuple("adaptive_avg_pool2d", "output_size", (oh, ow), 2, 0)
    if (oh, ow) == (1, 1):
        return x.mean((-2, -1), keepdim=True)
    if oh and ow and h % oh == 0 and w % ow == 0:
        return avg_pool2d(x, (h // oh, w // ow))
    out = x
    if ow != w:
        out = out @ _averaging_matrix(w, ow, x).mT
    if oh != h:
        out = _averaging_matrix(h, oh, x) @ out
    return out


# -- 1-D forms: a 2-D pooling of height 1 -----------------------------------------------
def _as_2d(op: str, input) -> Tensor:
    x = tensor_arg(op, input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{tuple(x.shape)}")
    return x.unsqueeze(-2)


def _one(op: str, name: str, value) -> tuple:
    return (1,) + _ntuple(op, name, value, 1, 0)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over (N, C, L) inputs."""
    x = _as_2d("max_pool1d", input)
    stride = None if stride is None or stride == [] or stride == () else \
        _one("max_pool1d", "stride", stride)
    out = max_pool2d(x, _one("max_pool1d", "kernel_size", kernel_size), stride,
                     (0,) + _ntuple("max_pool1d", "padding", padding, 1, 0),
                     _one("max_pool1d", "dilation", dilation), ceil_mode, return_indices)
    return tuple(o.squeeze(-2) for o in out) if return_indices else out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) inputs."""
    x = _as_2d("avg_pool1d", input)
    stride = None if stride is None or stride == [] or stride == () else \
        _one("avg_pool1d", "stride", stride)
    return avg_pool2d(x, _one("avg_pool1d", "kernel_size", kernel_size), stride,
                      (0,) + _ntuple("avg_pool1d", "padding", padding, 1, 0), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-D adaptive average pooling: (N, C, L) → (N, C, output_size)."""
    x = _as_2d("adaptive_avg_pool1d", input)
    size = output_size[0] if isinstance(output_size, list | tuple) and len(output_size) == 1 \
        else output_size
    if not isinstance(size, int) or isinstance(size, bool):  # (None keeps a size in 2-D only)
        raise TypeError(f"adaptive_avg_pool1d: output_size must be an int or a tuple of one "
                        f"int, got {output_size!r}")
    return adaptive_avg_pool2d(x, (1, size)).squeeze(-2)

