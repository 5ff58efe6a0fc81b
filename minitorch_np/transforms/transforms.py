"""Transform classes, torchvision's: composed into a pipeline applied to every sample.

Lecture 000 (MNIST)::

    train_transforms = transforms.Compose([transforms.RandomCrop(28, padding=3),
                                           transforms.ToTensor(),
                                           transforms.Normalize(mean=(33.32,), std=(78.56,))])

Lecture 002 (data augmentation): random crops, flips, rotations; ``RandomAffine(degrees=(-20,
20), translate=(0.15, 0.15))``.

Random transforms draw their parameters from `generator` (ours; a ``minitorch_np.Generator``),
or else from the global stream that ``manual_seed`` seeds: a seeded run augments identically.

Batches: given a batch — a tensor ``(N, C, H, W)`` or a NumPy array ``(N, H, W, C)`` — a random
transform draws **one set of parameters per image** (N crop offsets, N flips, N angles...) and
applies them all at once, vectorised. (torchvision applies one draw to the whole batch; per
image is what augmentation wants.) A 3-d NumPy array is one HWC image, so a batch of grey
NumPy images must be ``(N, H, W, 1)``.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .. import _random_generator as _random
from .._tensor import Tensor
from . import functional as F
from ._image import InterpolationMode, interpolation_mode, to_nhwc

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomCrop", "CenterCrop", "Pad",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomAffine", "RandomRotation",
           "Resize", "Grayscale"]


class Compose:
    """Apply `transforms` one after the other."""

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got "
                                f"{type(t).__name__}")

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """NumPy image ``(H, W[, C])`` (uint8 0-255) → float32 tensor ``(C, H, W)`` in [0, 1]; a
    batch ``(N, H, W, C)`` → ``(N, C, H, W)``. Other dtypes keep their values."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a float tensor ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._stats = {}  # (device, dtype, channels, mean, std) -> the (C, 1, 1) tensors

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor) or tensor.dim() < 3:
            return F.normalize(tensor, self.mean, self.std, self.inplace)  # raises the error
        key = (tensor.device, tensor.dtype, tensor.shape[-3],
               np.asarray(self.mean, dtype=np.float64).tobytes(),
               np.asarray(self.std, dtype=np.float64).tobytes())
        if key not in self._stats:
            self._stats[key] = F._normalize_stats(tensor, self.mean, self.std)
        mean, std = self._stats[key]
        return tensor.sub_(mean).div_(std) if self.inplace else (tensor - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class RandomCrop:
    """A random ``size`` crop, after padding the borders by `padding` (torchvision's forms:
    an int, (left/right, top/bottom) or (left, top, right, bottom)).

    The offsets are uniform: top in [0, H' − h], left in [0, W' − w] of the padded image
    (H', W'). Padding is virtual — an index map, no padded copy is made. ``pad_if_needed``
    pads images smaller than `size`.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant", *, generator=None):
        self.size = F._pair(size, "RandomCrop")
        self.padding = padding
        self._pad = (0, 0, 0, 0) if padding is None else F._padding4(padding, "RandomCrop")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self.generator = generator

    def __call__(self, img):
        batch, restore = to_nhwc(img, "RandomCrop")
        n, h, w = batch.shape[0], batch.shape[1], batch.shape[2]
        left, top, right, bottom = self._pad
        th, tw = self.size
        if self.pad_if_needed and h + top + bottom < th:
            extra = th - (h + top + bottom)
            top, bottom = top + extra, bottom + extra
        if self.pad_if_needed and w + left + right < tw:
            extra = tw - (w + left + right)
            left, right = left + extra, right + extra
        ph, pw = h + top + bottom, w + left + right
        if ph < th or pw < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(ph, pw)}")
        offsets = _random.integers(self.generator, 0, np.array([ph - th + 1, pw - tw + 1]),
                                   (n, 2), "RandomCrop")
        return restore(F._crop_batch(batch, offsets[:, 0] - top, offsets[:, 1] - left, th, tw,
                                     self.padding_mode, self.fill, "RandomCrop"))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class CenterCrop:
    """The central ``size`` region."""

    def __init__(self, size):
        self.size = F._pair(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class Pad:
    """Pad the borders (see ``functional.pad``)."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        F._padding4(padding, "Pad")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class _RandomFlip:
    _axis = 2

    def __init__(self, p: float = 0.5, *, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def __call__(self, img):
        batch, restore = to_nhwc(img, type(self).__name__)
        flip = _random.uniform(self.generator, 0.0, 1.0, batch.shape[0],
                               type(self).__name__) < self.p
        if not flip.any():
            return img
        return restore(F._flip_batch(batch, flip, self._axis))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability `p` (lecture 002: "Horizontal Flips")."""

    _axis = 2


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability `p`."""

    _axis = 1


def _range(value, name: str, center: float = 0.0) -> tuple[float, float]:
    """A number d → (center − d, center + d); a pair → itself."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return center - float(value), center + float(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return float(value[0]), float(value[1])
    raise ValueError(f"{name} should be a number or a sequence of length 2, got {value!r}")


class RandomAffine:
    """A random affine map per image: rotation by an angle uniform in `degrees`, translation
    by up to ``translate = (a, b)`` of the width / height (whole pixels), scale uniform in
    `scale`, shear (degrees) uniform in `shear`; everything about the image centre, the
    uncovered corners read `fill`.

    Each output pixel is computed by the inverse map: it reads the input where the forward map
    would have sent it from (nearest neighbour or bilinear), all pixels and images at once.

    Lecture 002::

        RandomAffine(degrees=(-20, 20), translate=(0.15, 0.15),
                     interpolation=InterpolationMode.BILINEAR)

    (``resample=`` — the lecture's older spelling — is accepted as an alias of
    ``interpolation``.)
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None, *,
                 generator=None, resample=None):
        self.degrees = _range(degrees, "degrees")
        if translate is not None:
            if not (isinstance(translate, Sequence) and len(translate) == 2):
                raise TypeError("translate should be a sequence of length 2")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if not (isinstance(scale, Sequence) and len(scale) == 2):
                raise TypeError("scale should be a sequence of length 2")
            if not all(s > 0 for s in scale):
                raise ValueError("scale values should be positive")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _range(shear, "shear")
            elif not (isinstance(shear, Sequence) and len(shear) in (2, 4)):
                raise ValueError("shear should be a number or a sequence of length 2 or 4")
            shear = tuple(float(s) for s in shear)
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = interpolation_mode(
            interpolation if resample is None else resample, "RandomAffine")
        self.fill, self.center, self.generator = fill, center, generator

    def _params(self, n: int, height: int, width: int):
        g, op = self.generator, type(self).__name__
        angle = _random.uniform(g, self.degrees[0], self.degrees[1], n, op)
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            tx = np.round(_random.uniform(g, -max_dx, max_dx, n, op))
            ty = np.round(_random.uniform(g, -max_dy, max_dy, n, op))
        else:
            tx = ty = np.zeros(n)
        scale = (_random.uniform(g, self.scale[0], self.scale[1], n, op)
                 if self.scale is not None else np.ones(n))
        shear_x = shear_y = np.zeros(n)
        if self.shear is not None:
            shear_x = _random.uniform(g, self.shear[0], self.shear[1], n, op)
            if len(self.shear) == 4:
                shear_y = _random.uniform(g, self.shear[2], self.shear[3], n, op)
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def __call__(self, img):
        batch, restore = to_nhwc(img, type(self).__name__)
        angle, translate, scale, shear = self._params(batch.shape[0], batch.shape[1],
                                                      batch.shape[2])
        return restore(F._affine_batch(batch, angle, translate, scale, shear,
                                       self.interpolation, self.fill, self.center,
                                       type(self).__name__))

    def __repr__(self) -> str:
        extras = "".join(f", {k}={v}" for k, v in (("translate", self.translate),
                                                    ("scale", self.scale),
                                                    ("shear", self.shear)) if v is not None)
        return (f"{type(self).__name__}(degrees={list(self.degrees)}{extras}, "
                f"interpolation={self.interpolation.value})")


class RandomRotation(RandomAffine):
    """Rotate by an angle uniform in `degrees` (counter-clockwise for positive angles, as
    torchvision's ``RandomRotation``)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0, *, generator=None):
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not implemented")
        super().__init__(degrees, interpolation=interpolation, fill=fill, center=center,
                         generator=generator)

    def _params(self, n: int, height: int, width: int):
        angle, translate, scale, shear = super()._params(n, height, width)
        return -angle, translate, scale, shear  # affine turns clockwise, rotate anticlockwise

    def __repr__(self) -> str:
        return (f"RandomRotation(degrees={list(self.degrees)}, "
                f"interpolation={self.interpolation.value})")


class Resize:
    """Resize to `size`: an int sets the shorter edge (keeping the aspect ratio), ``(h, w)``
    sets both. Bilinear (default; antialiased when ``antialias=True``, as torchvision's) or
    nearest (see ``functional.resize``)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        F._resized_size(8, 8, size, max_size)  # validates size and max_size
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = interpolation_mode(interpolation, "Resize")

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"Resize(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class Grayscale:
    """RGB → grey (``L = 0.299 R + 0.587 G + 0.114 B``), with 1 or 3 output channels."""

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"
