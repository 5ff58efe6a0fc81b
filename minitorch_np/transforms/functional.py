"""Image transforms as functions, with torchvision's names (``transforms.functional``).

Each function takes a NumPy image (``(H, W)``, ``(H, W, C)``, or a batch ``(N, H, W, C)``) or a
tensor (``(H, W)``, ``(C, H, W)``, or a batch ``(N, C, H, W)``) and returns the same kind and
layout. The geometry is computed on the host and applied with one advanced index (see
``_image.py``); tensors stay on their device. The functions take one set of parameters for the
whole input; the random transforms in ``transforms.py`` draw one set per image of a batch and
call the ``_batch`` versions below with arrays of parameters.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._creation import from_numpy, tensor
from .._functions.shape import cat
from .._tensor import Tensor
from ._image import (InterpolationMode, back_to_dtype, interpolation_mode, remap, sample, take,
                     to_nhwc)

__all__ = ["to_tensor", "normalize", "crop", "center_crop", "pad", "hflip", "vflip", "resize",
           "affine", "rotate", "rgb_to_grayscale", "InterpolationMode"]


# -- conversion and normalisation -----------------------------------------------------------
def to_tensor(pic: np.ndarray) -> Tensor:
    """A NumPy image ``(H, W[, C])`` → a CPU tensor ``(C, H, W)``; a batch ``(N, H, W, C)`` →
    ``(N, C, H, W)``. uint8 values are scaled to float32 in [0, 1] (÷255); other dtypes are
    kept, as in torchvision."""
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"to_tensor: pic should be a NumPy array (H, W[, C]), got "
                        f"{type(pic).__name__}")
    if pic.ndim == 2:
        chw = pic[None]
    elif pic.ndim == 3:
        chw = pic.transpose(2, 0, 1)
    elif pic.ndim == 4:
        chw = pic.transpose(0, 3, 1, 2)
    else:
        raise ValueError(f"to_tensor: pic should be 2/3 dimensional (or a 4-d batch), got "
                         f"{pic.ndim} dimensions")
    if pic.dtype == np.uint8:
        return from_numpy(chw.astype(np.float32) / np.float32(255))
    return from_numpy(np.ascontiguousarray(chw))


def normalize(input: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(input - mean) / std`` per channel, for a float tensor ``(..., C, H, W)``.

    Lecture 002: "normalize does (x_i - mean) / std; if images are [0, 1], they will be
    [-1, 1] afterwards" (with mean = std = 0.5).
    """
    mean_t, std_t = _normalize_stats(input, mean, std)
    if inplace:
        return input.sub_(mean_t).div_(std_t)
    return (input - mean_t) / std_t


def _normalize_stats(input, mean, std) -> tuple[Tensor, Tensor]:
    """Check `input` and return mean and std as (C, 1, 1) tensors of its dtype and device."""
    if not isinstance(input, Tensor):
        raise TypeError(f"normalize: expected a Tensor (apply ToTensor first), got "
                        f"{type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"Input tensor should be a float tensor. Got {input.dtype}.")
    if input.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {list(input.shape)}")
    mean_a = np.asarray(mean, dtype=input.dtype.numpy).reshape(-1)
    std_a = np.asarray(std, dtype=input.dtype.numpy).reshape(-1)
    channels = input.shape[-3]
    for name, values in (("mean", mean_a), ("std", std_a)):
        if values.size not in (1, channels):
            raise ValueError(f"normalize: {name} has {values.size} values for {channels} "
                             f"channels")
    if np.any(std_a == 0):
        raise ValueError(f"std evaluated to zero after conversion to {input.dtype}, leading to "
                         f"division by zero.")
    return (tensor(mean_a.reshape(-1, 1, 1), device=input.device),
            tensor(std_a.reshape(-1, 1, 1), device=input.device))


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``L = 0.299 R + 0.587 G + 0.114 B`` (ITU-R 601-2, as PIL's ``convert('L')``);
    integer images are rounded. ``num_output_channels=3`` repeats L three times. A one-channel
    image is returned as it is (or repeated)."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    batch, restore = to_nhwc(img, "rgb_to_grayscale")
    channels = batch.shape[-1]
    if channels == 1:
        grey = batch
    elif channels == 3:
        weights = np.array([0.299, 0.587, 0.114])
        if isinstance(batch, Tensor):
            dt = batch.dtype
            w = tensor(weights.astype(dt.numpy if dt.is_floating_point else np.float32),
                       device=batch.device)
            grey = (batch * w).sum(dim=-1, keepdim=True)
            if not dt.is_floating_point:
                grey = (grey + 0.5).clamp(0.0, float(np.iinfo(dt.numpy).max)).to(dt)
        elif batch.dtype == np.uint8:
            # PIL's fixed-point formula: (19595 R + 38470 G + 7471 B + 2**15) >> 16
            wide = batch.astype(np.uint32)
            grey = ((wide[..., 0:1] * 19595 + wide[..., 1:2] * 38470 + wide[..., 2:3] * 7471
                     + 0x8000) >> 16).astype(np.uint8)
        else:
            grey = (batch * weights.astype(batch.dtype if batch.dtype.kind == "f" else
                                           np.float64)).sum(axis=-1, keepdims=True)
            grey = grey.astype(batch.dtype) if batch.dtype.kind == "f" else grey
    else:
        raise ValueError(f"rgb_to_grayscale: expected 1 or 3 channels, got {channels}")
    if num_output_channels == 3 and grey.shape[-1] == 1:
        grey = cat([grey] * 3, dim=-1) if isinstance(grey, Tensor) else np.repeat(grey, 3, -1)
    return restore(grey)


# -- crops, padding, flips: integer index maps ----------------------------------------------
def _crop_batch(batch, tops, lefts, height: int, width: int, padding_mode: str = "constant",
                fill=0, op: str = "crop"):
    """Crop each image n of an (N, H, W, C) batch at (tops[n], lefts[n]); positions outside the
    image are filled according to `padding_mode`."""
    rows = np.asarray(tops, dtype=np.int64).reshape(-1, 1) + np.arange(height)   # (N, h)
    cols = np.asarray(lefts, dtype=np.int64).reshape(-1, 1) + np.arange(width)   # (N, w)
    ys, valid_y = remap(rows, batch.shape[1], padding_mode)
    xs, valid_x = remap(cols, batch.shape[2], padding_mode)
    valid = None if valid_y is None else valid_y[:, :, None] & valid_x[:, None, :]
    return take(batch, ys[:, :, None], xs[:, None, :], valid, fill, op)


def _pair(size, op: str, name: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, list | tuple) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, list | tuple) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{op}: {name} should be an int or a sequence of 1 or 2 ints, got {size!r}")


def _image_size(img) -> tuple[int, int]:
    """(H, W) of an image or batch of either kind."""
    if isinstance(img, Tensor):
        return int(img.shape[-2]), int(img.shape[-1])
    if img.ndim == 2:
        return img.shape[0], img.shape[1]
    return (img.shape[0], img.shape[1]) if img.ndim == 3 else (img.shape[1], img.shape[2])


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height × width`` region at (top, left); outside the image, zeros."""
    batch, restore = to_nhwc(img, "crop")
    n = batch.shape[0]
    return restore(_crop_batch(batch, np.full(n, top), np.full(n, left), height, width))


def center_crop(img, output_size):
    """The central ``output_size`` region (padded with zeros if the image is smaller)."""
    height, width = _pair(output_size, "center_crop", "output_size")
    image_h, image_w = _image_size(img)
    top = -((height - image_h) // 2) if height > image_h else int(round((image_h - height) / 2))
    left = -((width - image_w) // 2) if width > image_w else int(round((image_w - width) / 2))
    return crop(img, top, left, height, width)


def _padding4(padding, op: str) -> tuple[int, int, int, int]:
    """torchvision's padding forms → (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, list | tuple) and len(padding) in (1, 2, 4):
        if len(padding) == 1:
            return (int(padding[0]),) * 4
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        return tuple(int(p) for p in padding)
    raise ValueError(f"{op}: padding must be an int or a 1, 2 or 4 element sequence, got "
                     f"{padding!r}")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: `padding` is an int (all sides), (left/right, top/bottom) or (left,
    top, right, bottom); `padding_mode` 'constant' (with `fill`), 'edge', 'reflect' or
    'symmetric'."""
    left, top, right, bottom = _padding4(padding, "pad")
    batch, restore = to_nhwc(img, "pad")
    n, h, w = batch.shape[0], batch.shape[1], batch.shape[2]
    return restore(_crop_batch(batch, np.full(n, -top), np.full(n, -left), h + top + bottom,
                               w + left + right, padding_mode, fill, "pad"))


def _flip_batch(batch, flip: np.ndarray, axis: int):
    """Flip the images n where flip[n] is True along `axis` (1: vertical, 2: horizontal)."""
    h, w = batch.shape[1], batch.shape[2]
    size = batch.shape[axis]
    index = np.where(flip[:, None], np.arange(size)[::-1], np.arange(size))  # (N, size)
    if axis == 2:
        return take(batch, np.arange(h).reshape(1, -1, 1), index[:, None, :], None, 0, "flip")
    return take(batch, index[:, :, None], np.arange(w).reshape(1, 1, -1), None, 0, "flip")


def hflip(img):
    """Mirror left-right."""
    batch, restore = to_nhwc(img, "hflip")
    return restore(_flip_batch(batch, np.ones(batch.shape[0], dtype=bool), 2))


def vflip(img):
    """Mirror top-bottom."""
    batch, restore = to_nhwc(img, "vflip")
    return restore(_flip_batch(batch, np.ones(batch.shape[0], dtype=bool), 1))


# -- resize and affine maps: fractional positions -------------------------------------------
def _resized_size(height: int, width: int, size, max_size) -> tuple[int, int]:
    """torchvision's rule: an int (or [int]) sets the shorter edge, keeping the aspect ratio
    (the longer edge is truncated, then capped at `max_size`); a pair is (h, w)."""
    if isinstance(size, list | tuple) and len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge")
        return int(size[0]), int(size[1])
    requested = _pair(size, "resize")[0]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def _source_coords(out_size: int, in_size: int, mode: InterpolationMode) -> np.ndarray:
    """Where output pixel k reads the input, as PyTorch's ``interpolate(align_corners=False)``:
    bilinear at ``(k + 0.5)·in/out − 0.5`` clamped at 0 and at the last pixel; nearest at
    ``floor(k·in/out)``."""
    scale = in_size / out_size
    k = np.arange(out_size, dtype=np.float64)
    if mode == InterpolationMode.NEAREST:
        return np.minimum(np.floor(k * scale), in_size - 1)
    return np.clip((k + 0.5) * scale - 0.5, 0.0, in_size - 1)


def _antialias_weights(out_size: int, in_size: int) -> np.ndarray:
    """The (out_size, in_size) matrix of antialiased bilinear resampling along one axis (PIL's
    ``resize(BILINEAR)``, torchvision's ``antialias=True``).

    Output pixel k is centred at ``c = (k + 0.5)·s`` in input coordinates, s = in/out; input
    pixel j (centred at j + 0.5) gets the triangle weight ``max(0, 1 − |j + 0.5 − c| / σ)``
    with σ = max(s, 1), and each row is divided by its sum. Shrinking (s > 1) widens the
    triangle to cover every input pixel the output pixel spans, averaging them rather than
    reading two and skipping the rest (aliasing); enlarging (σ = 1) gives plain bilinear,
    the renormalised edge rows being its clamping at the border.
    """
    scale = in_size / out_size
    support = max(scale, 1.0)
    centres = (np.arange(out_size) + 0.5) * scale
    weights = np.maximum(0.0, 1.0 - np.abs(np.arange(in_size) + 0.5 - centres[:, None]) / support)
    return weights / weights.sum(axis=1, keepdims=True)


def _resize_antialiased(batch, out_h: int, out_w: int):
    """An (N, H, W, C) batch resized by the two weight matrices: ``Wy · image · Wxᵀ`` per
    channel, computed in floating point and rounded back to an integer dtype."""
    h, w = batch.shape[1], batch.shape[2]
    wy, wx = _antialias_weights(out_h, h), _antialias_weights(out_w, w)
    if isinstance(batch, Tensor):
        dtype = batch.dtype.numpy if batch.dtype.is_floating_point else np.float32
        wy, wx = (tensor(m.astype(dtype), device=batch.device) for m in (wy, wx))
        planes = batch.permute(0, 3, 1, 2).to(wy.dtype)  # (N, C, H, W)
        out = (wy @ planes @ wx.T).permute(0, 2, 3, 1)
    else:
        dtype = batch.dtype if batch.dtype.kind == "f" else np.float32
        planes = batch.transpose(0, 3, 1, 2).astype(dtype, copy=False)
        out = (wy.astype(dtype) @ planes @ wx.T.astype(dtype)).transpose(0, 2, 3, 1)
    return back_to_dtype(out, batch)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` (see ``_resized_size``), bilinear or nearest-neighbour.

    Bilinear with ``antialias=True`` (the default, as torchvision's) resamples with the
    triangle filter widened by the shrink factor (``_antialias_weights``), as PIL and
    ``interpolate(mode='bilinear', antialias=True)`` do; with ``antialias=False`` it is
    ``interpolate(mode='bilinear', align_corners=False)``, which reads only the two nearest
    pixels per axis, so shrinking by a large factor aliases. Nearest ignores `antialias`.
    """
    mode = interpolation_mode(interpolation, "resize")
    batch, restore = to_nhwc(img, "resize")
    n, h, w = batch.shape[0], batch.shape[1], batch.shape[2]
    out_h, out_w = _resized_size(h, w, size, max_size)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"resize: output size ({out_h}, {out_w}) must be positive")
    if antialias and mode == InterpolationMode.BILINEAR:
        return restore(_resize_antialiased(batch, out_h, out_w))
    ys = np.broadcast_to(_source_coords(out_h, h, mode)[None, :, None], (n, out_h, out_w))
    xs = np.broadcast_to(_source_coords(out_w, w, mode)[None, None, :], (n, out_h, out_w))
    return restore(sample(batch, ys, xs, mode, 0, "resize"))


def _inverse_affine(angle, translate, scale, shear, center) -> list[np.ndarray]:
    """The 2×3 matrix (six arrays, one value per image) taking an output position to the input
    position it reads, both relative to the image centre: torchvision's
    ``_get_inverse_affine_matrix``.

    The forward map is ``T · C · R(angle) · S(scale) · Shear · C⁻¹`` (y pointing down, so a
    positive angle turns the image clockwise on screen); its inverse is
    ``C · (RSS)⁻¹ · C⁻¹ · T⁻¹``, with ``det(R · Shear) = 1`` giving the inverse in closed form.
    """
    rot, sx, sy = np.radians(angle), np.radians(shear[0]), np.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    m0, m1, m3, m4 = d / scale, -b / scale, -c / scale, a / scale
    m2 = m0 * (-cx - tx) + m1 * (-cy - ty) + cx
    m5 = m3 * (-cx - tx) + m4 * (-cy - ty) + cy
    return [m0, m1, m2, m3, m4, m5]


def _affine_batch(batch, angle, translate, scale, shear, interpolation, fill, center,
                  op: str = "affine"):
    """Apply one affine map per image of an (N, H, W, C) batch; every parameter is an array of
    N values (translate and shear: two arrays). `center` is (x, y) in pixels, or None for the
    image centre."""
    h, w = batch.shape[1], batch.shape[2]
    rel_center = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    m = [np.asarray(v, dtype=np.float64).reshape(-1, 1, 1)
         for v in _inverse_affine(angle, translate, scale, shear, rel_center)]
    x_out = (np.arange(w) + 0.5 - w * 0.5).reshape(1, 1, -1)  # pixel centres, from the centre
    y_out = (np.arange(h) + 0.5 - h * 0.5).reshape(1, -1, 1)
    xs = m[0] * x_out + m[1] * y_out + m[2] + (w * 0.5 - 0.5)
    ys = m[3] * x_out + m[4] * y_out + m[5] + (h * 0.5 - 0.5)
    return sample(batch, ys, xs, interpolation, fill, op)


def affine(img, angle: float, translate, scale: float, shear, interpolation=
           InterpolationMode.NEAREST, fill=0, center=None):
    """Rotate by `angle` degrees (clockwise on screen, as torchvision's ``affine``), scale,
    shear (degrees; a number or (x, y)) and translate by (tx, ty) pixels, about `center`
    (default the image centre). Positions falling outside the input read `fill`."""
    mode = interpolation_mode(interpolation, "affine")
    if not (isinstance(translate, list | tuple) and len(translate) == 2):
        raise TypeError(f"affine: translate should be a sequence of length 2, got {translate!r}")
    if scale <= 0:
        raise ValueError(f"affine: scale should be positive, got {scale}")
    shear = (shear, 0.0) if isinstance(shear, numbers.Number) else tuple(shear)
    if len(shear) == 1:
        shear = (shear[0], shear[0])
    batch, restore = to_nhwc(img, "affine")
    one = np.ones(batch.shape[0])
    return restore(_affine_batch(batch, angle * one, (translate[0] * one, translate[1] * one),
                                 scale * one, (shear[0] * one, shear[1] * one), mode, fill, center))


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=0):
    """Rotate by `angle` degrees counter-clockwise (on screen) about `center`; the output keeps
    the input's size (``expand=True`` is not implemented)."""
    if expand:
        raise NotImplementedError("rotate: expand=True is not implemented")
    return affine(img, -angle, [0, 0], 1.0, (0.0, 0.0), interpolation, fill, center)
