"""utils.data and transforms against PyTorch itself (skipped when PyTorch is absent):
split lengths, default_collate's structure and dtypes, bilinear/nearest resizing
(``interpolate``), and affine maps (torchvision's inverse matrix and sampling grid, written out
here with ``affine_grid``-style coordinates and ``grid_sample``)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_np as mt
from minitorch_np.transforms import functional as F
from minitorch_np.utils.data import default_collate, random_split

pt = pytest.importorskip("torch")


@pytest.mark.parametrize("n, lengths", [(10, [0.33, 0.33, 0.34]), (11, [0.25, 0.25, 0.5]),
                                        (7, [0.5, 0.5]), (100, [0.7, 0.2, 0.1]), (9, [4, 5])])
def test_random_split_lengths_match_pytorch(n, lengths):
    ours = [len(p) for p in random_split(range(n), lengths)]
    theirs = [len(p) for p in pt.utils.data.random_split(range(n), lengths)]
    assert ours == theirs


def test_default_collate_matches_pytorch():
    samples = [(np.full((2, 3), i, dtype=np.uint8), i, 0.5 * i, True, {"k": np.float32(i)})
               for i in range(4)]
    ours = default_collate(samples)
    theirs = pt.utils.data.default_collate(samples)
    assert type(ours) is type(theirs) is list and len(ours) == len(theirs)
    for a, b in zip(ours[:4], theirs[:4]):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ours[4]["k"].numpy().dtype == theirs[4]["k"].numpy().dtype


@pytest.mark.parametrize("size", [(5, 7), (17, 20), (4, 26), (9, 13)])
@pytest.mark.parametrize("mode, antialias", [("bilinear", True), ("bilinear", False),
                                             ("nearest", False)])
def test_resize_matches_interpolate(size, mode, antialias):
    x = np.random.default_rng(0).random((2, 3, 9, 13)).astype(np.float32)
    kwargs = {"align_corners": False, "antialias": antialias} if mode == "bilinear" else {}
    ref = pt.nn.functional.interpolate(pt.from_numpy(x), size=size, mode=mode, **kwargs)
    ours = F.resize(mt.from_numpy(x), size, mode, antialias=antialias)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)


def _torchvision_affine(img: np.ndarray, angle, translate, scale, shear, mode):
    """torchvision's tensor ``F.affine``: ``_get_inverse_affine_matrix`` and
    ``_gen_affine_grid``, then ``grid_sample`` with zero padding."""
    n, _, h, w = img.shape
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * -tx + m[1] * -ty
    m[5] += m[3] * -tx + m[4] * -ty
    theta = pt.tensor(m, dtype=pt.float64).reshape(1, 2, 3)
    base = pt.empty(1, h, w, 3, dtype=pt.float64)
    base[..., 0].copy_(pt.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(pt.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / pt.tensor([0.5 * w, 0.5 * h], dtype=pt.float64)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2).expand(n, h, w, 2)
    return pt.nn.functional.grid_sample(pt.from_numpy(img), grid, mode=mode,
                                        padding_mode="zeros", align_corners=False).numpy()


@pytest.mark.parametrize("params", [(30.0, (2, -1), 1.2, (10.0, 5.0)),
                                    (-17.0, (0, 0), 0.8, (0.0, 0.0)),
                                    (90.0, (3, 0), 1.0, (0.0, 0.0))])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_affine_matches_torchvision_formulation(params, mode):
    x = np.random.default_rng(1).random((2, 3, 9, 13))
    ref = _torchvision_affine(x, *params, mode)
    angle, translate, scale, shear = params
    ours = F.affine(mt.from_numpy(x), angle, list(translate), scale, shear, mode, fill=0)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-9, atol=1e-12)
