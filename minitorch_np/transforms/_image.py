"""The machinery under the geometric transforms: image layouts and sampling by index maps.

Every geometric transform (crop, pad, flip, resize, affine) is one rule: *output pixel (i, j)
of image n takes the input at source position (Y[n, i, j], X[n, i, j])*. The source positions
are computed on the host with NumPy, vectorised over the whole batch (never a Python loop over
pixels or samples); the image is then read at those positions with one advanced index, which
works the same on a NumPy array and on a Tensor of any device. Integer positions (crop, pad,
flip) are read directly; fractional ones (resize, rotation) are read at the four neighbours
and blended bilinearly, or rounded for nearest-neighbour.

Layouts: NumPy images are ``(H, W)``, ``(H, W, C)`` or a batch ``(N, H, W, C)``; tensors are
``(H, W)``, ``(C, H, W)`` or a batch ``(N, C, H, W)``. Internally both become a channels-last
batch ``(N, H, W, C)`` (a view for tensors) and go back afterwards.
"""
from __future__ import annotations

import enum

import numpy as np

from .._creation import tensor
from .._functions.elementwise import where
from .._tensor import Tensor


class InterpolationMode(str, enum.Enum):
    """How to read an image between pixel centres (torchvision's names)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


_PIL_CODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR}  # PIL.Image constants


def interpolation_mode(value, op: str) -> InterpolationMode:
    if isinstance(value, int) and not isinstance(value, bool) and value in _PIL_CODES:
        return _PIL_CODES[value]
    try:
        return InterpolationMode(value)
    except ValueError:
        raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear' (or "
                         f"InterpolationMode.NEAREST/BILINEAR), got {value!r}") from None


def to_nhwc(img, op: str):
    """`img` as a channels-last batch, and the function that restores the input's layout."""
    if isinstance(img, Tensor):
        if img.dim() == 2:
            return img.reshape(1, 1, *img.shape).permute(0, 2, 3, 1), \
                lambda b: b.permute(0, 3, 1, 2)[0, 0]
        if img.dim() == 3:
            return img.unsqueeze(0).permute(0, 2, 3, 1), lambda b: b.permute(0, 3, 1, 2)[0]
        if img.dim() == 4:
            return img.permute(0, 2, 3, 1), lambda b: b.permute(0, 3, 1, 2)
        raise ValueError(f"{op}: expected a tensor image (H, W), (C, H, W) or a batch (N, C, H, "
                         f"W), got shape {list(img.shape)}")
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img[None, :, :, None], lambda b: b[0, :, :, 0]
        if img.ndim == 3:
            return img[None], lambda b: b[0]
        if img.ndim == 4:
            return img, lambda b: b
        raise ValueError(f"{op}: expected a NumPy image (H, W), (H, W, C) or a batch (N, H, W, "
                         f"C), got shape {img.shape}")
    raise TypeError(f"{op}: expected a NumPy array (H, W[, C]) or a Tensor (C, H, W), got "
                    f"{type(img).__name__}")


def _fill_like(batch, fill, op: str):
    """`fill` (a number, or one per channel) as values broadcasting against (..., C)."""
    channels = batch.shape[-1]
    values = np.asarray(0 if fill is None else fill, dtype=np.float64).reshape(-1)
    if values.size not in (1, channels):
        raise ValueError(f"{op}: fill must be a number or have one value per channel "
                         f"({channels}), got {fill!r}")
    if isinstance(batch, Tensor):
        return tensor(values.astype(batch.dtype.numpy) if batch.dtype.is_floating_point
                      else np.rint(values).astype(batch.dtype.numpy), device=batch.device)
    dtype = batch.dtype
    return (values if dtype.kind == "f" else np.rint(values)).astype(dtype)


def take(batch, ys: np.ndarray, xs: np.ndarray, valid: np.ndarray | None, fill, op: str):
    """``batch[n, ys[n, i, j], xs[n, i, j]]`` for every n, i, j — an (N, h, w, C) batch — with
    the positions where `valid` is False set to `fill`. `ys`, `xs` are in-range int arrays
    broadcasting to (N, h, w)."""
    n = np.arange(batch.shape[0]).reshape(-1, 1, 1)
    values = batch[n, ys, xs]
    if valid is None or bool(valid.all()):
        return values
    fill = _fill_like(batch, fill, op)
    if isinstance(batch, Tensor):
        return where(tensor(valid[..., None], device=batch.device), values, fill)
    return np.where(valid[..., None], values, fill)


def remap(index: np.ndarray, size: int, mode: str):
    """Source indices outside [0, size) brought back in by a padding mode; returns (index,
    valid): 'constant' leaves them invalid (to be filled), 'edge' repeats the border,
    'reflect' mirrors without repeating it (d c b | a b c d | c b a), 'symmetric' with it."""
    if mode == "constant":
        valid = (index >= 0) & (index < size)
        return np.clip(index, 0, size - 1), valid
    if mode == "edge":
        return np.clip(index, 0, size - 1), None
    if mode == "reflect":
        if size == 1:
            return np.zeros_like(index), None
        period = 2 * (size - 1)
        index = np.abs(index) % period
        return np.where(index >= size, period - index, index), None
    if mode == "symmetric":
        index = index % (2 * size)
        return np.where(index >= size, 2 * size - 1 - index, index), None
    raise ValueError(f"padding_mode should be either constant, edge, reflect or symmetric, got "
                     f"{mode!r}")


def sample(batch, ys: np.ndarray, xs: np.ndarray, interpolation: InterpolationMode, fill,
           op: str):
    """Read `batch` at fractional source positions (pixel centres at integers), (N, h, w) each;
    outside the image the value is `fill`. Bilinear blends the four neighbours; integer
    images are rounded back to their dtype."""
    height, width = batch.shape[1], batch.shape[2]
    if interpolation == InterpolationMode.NEAREST:
        yi, xi = np.rint(ys).astype(np.int64), np.rint(xs).astype(np.int64)
        yc, vy = remap(yi, height, "constant")
        xc, vx = remap(xi, width, "constant")
        return take(batch, yc, xc, vy & vx, fill, op)
    y0, x0 = np.floor(ys), np.floor(xs)
    wy, wx = ys - y0, xs - x0
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    is_tensor = isinstance(batch, Tensor)
    float_dtype = (batch.dtype.numpy if is_tensor and batch.dtype.is_floating_point else
                   batch.dtype if not is_tensor and batch.dtype.kind == "f" else np.float32)
    out = None
    for dy, dx, weight in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx),
                           (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
        if not weight.any():  # e.g. integer positions: one neighbour carries all the weight
            continue
        yc, vy = remap(y0 + dy, height, "constant")
        xc, vx = remap(x0 + dx, width, "constant")
        values = take(batch, yc, xc, vy & vx, fill, op)
        weight = weight[..., None].astype(float_dtype)
        if is_tensor:
            term = values * tensor(weight, device=batch.device)
        else:
            term = values.astype(float_dtype) * weight
        out = term if out is None else out + term
    if out is None:  # an empty output
        return take(batch, np.zeros_like(y0), np.zeros_like(x0), None, fill, op)
    return back_to_dtype(out, batch)


def back_to_dtype(values, like):
    """Blended values in the dtype of `like`: integers rounded and clipped to their range."""
    if isinstance(like, Tensor):
        if like.dtype.is_floating_point:
            return values
        if like.dtype.numpy.kind == "b":
            return values >= 0.5
        info = np.iinfo(like.dtype.numpy)
        return (values + 0.5).clamp(float(info.min), float(info.max)).to(like.dtype)
    if like.dtype.kind == "f":
        return values.astype(like.dtype, copy=False)
    if like.dtype.kind == "b":
        return values >= 0.5
    info = np.iinfo(like.dtype)
    return np.clip(np.rint(values), info.min, info.max).astype(like.dtype)
