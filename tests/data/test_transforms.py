"""Transforms: output shapes and dtypes for NumPy images, tensors and batches; values against
NumPy references (np.pad, np.rot90, flips, shifts); determinism under a seed; per-image draws
in a batch; tensors stay on their device."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np import transforms as T
from minitorch_np._random_generator import Generator
from minitorch_np.transforms import functional as F

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (9, 11), dtype=np.uint8)
RGB = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)


def _windows(padded: np.ndarray, h: int, w: int):
    return [padded[i:i + h, j:j + w] for i in range(padded.shape[0] - h + 1)
            for j in range(padded.shape[1] - w + 1)]


def _is_window(out: np.ndarray, padded: np.ndarray) -> bool:
    return any(np.array_equal(out, win) for win in _windows(padded, *out.shape[:2]))


# -- ToTensor, Normalize, Compose, Lambda -------------------------------------------------------
def test_to_tensor_layouts_and_scaling():
    t = T.ToTensor()(GREY)
    assert list(t.shape) == [1, 9, 11] and t.dtype == torch.float32 and t.device.type == "cpu"
    np.testing.assert_array_equal(to_host(t)[0], GREY.astype(np.float32) / np.float32(255))
    t = T.ToTensor()(RGB)
    assert list(t.shape) == [3, 9, 11]
    np.testing.assert_array_equal(to_host(t)[2], RGB[..., 2] / np.float32(255))
    batch = T.ToTensor()(np.stack([RGB, RGB[::-1]]))
    assert list(batch.shape) == [2, 3, 9, 11]
    floats = T.ToTensor()(np.ones((2, 2), dtype=np.float64) * 7)
    assert floats.dtype == torch.float64 and to_host(floats).max() == 7  # not rescaled
    with pytest.raises(TypeError, match="NumPy array"):
        T.ToTensor()(torch.zeros(3, 4, 4))


def test_normalize_per_channel(device):
    x = torch.rand(2, 3, 4, 5, device=device)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    out = T.Normalize(mean, std)(x)
    ref = (to_host(x) - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(to_host(out), ref, rtol=1e-6)
    assert out.dtype == torch.float32 and out.device == x.device
    single = T.Normalize((33.32,), (78.56,))(torch.ones(1, 2, 2, device=device) * 33.32)
    np.testing.assert_allclose(to_host(single), 0.0, atol=1e-6)
    y = x.clone()
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_allclose(to_host(y), ref, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(torch.zeros(1, 2, 2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.5,), (0.0,))(torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="2 values for 3 channels"):
        T.Normalize((0.5, 0.5), (1.0, 1.0))(torch.zeros(3, 2, 2))
    with pytest.raises(TypeError, match="ToTensor first"):
        T.Normalize((0.5,), (0.5,))(GREY)


def test_compose_order_repr_and_lambda():
    pipeline = T.Compose([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 10)])
    assert pipeline(1) == 20
    assert repr(T.Compose([T.RandomCrop(28, padding=3), T.ToTensor()])) == (
        "Compose(\n    RandomCrop(size=(28, 28), padding=3)\n    ToTensor()\n)")
    with pytest.raises(TypeError, match="lambd should be callable"):
        T.Lambda(3)


# -- crops, padding, flips ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_matches_numpy(mode):
    out = F.pad(RGB, (1, 2, 3, 4), padding_mode=mode, fill=0)  # left, top, right, bottom
    ref = np.pad(RGB, ((2, 4), (1, 3), (0, 0)), mode=mode)
    np.testing.assert_array_equal(out, ref)
    big = F.pad(GREY[:2, :3], 7, padding_mode=mode)  # padding wider than the image
    np.testing.assert_array_equal(big, np.pad(GREY[:2, :3], 7, mode=mode))


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), pads=st.tuples(*[st.integers(0, 9)] * 4),
       mode=st.sampled_from(["constant", "edge", "reflect", "symmetric"]))
def test_pad_matches_numpy_for_any_size(h, w, pads, mode):
    img = np.arange(h * w * 2, dtype=np.int16).reshape(h, w, 2)
    left, top, right, bottom = pads
    ref = np.pad(img, ((top, bottom), (left, right), (0, 0)), mode=mode)
    np.testing.assert_array_equal(F.pad(img, pads, padding_mode=mode), ref)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), h=st.integers(1, 7), w=st.integers(1, 7), pad=st.integers(0, 3),
       seed=st.integers(0, 2 ** 32))
def test_random_crop_of_a_batch_gives_windows_for_any_size(n, h, w, pad, seed):
    g = np.random.default_rng(seed)
    batch = g.integers(0, 256, (n, 2, h, w)).astype(np.float32)
    th, tw = int(g.integers(1, h + 2 * pad + 1)), int(g.integers(1, w + 2 * pad + 1))
    out = T.RandomCrop((th, tw), padding=pad, generator=Generator().manual_seed(seed))(
        torch.from_numpy(batch))
    assert list(out.shape) == [n, 2, th, tw]
    for image, source in zip(to_host(out), batch):
        padded = np.pad(source, ((0, 0), (pad, pad), (pad, pad)))
        assert _is_window(image.transpose(1, 2, 0), padded.transpose(1, 2, 0))


def test_pad_fill_per_channel():
    out = F.pad(RGB, 1, fill=(1, 2, 3))
    assert out[0, 0].tolist() == [1, 2, 3] and out.dtype == np.uint8


@pytest.mark.parametrize("img", [GREY, RGB], ids=["HW", "HWC"])
def test_random_crop_is_a_window_of_the_padded_image(img):
    crop = T.RandomCrop((7, 8), padding=2, generator=Generator().manual_seed(0))
    padded = np.pad(img, ((2, 2), (2, 2)) + ((0, 0),) * (img.ndim - 2))
    for _ in range(10):
        out = crop(img)
        assert out.shape == (7, 8) + img.shape[2:] and out.dtype == np.uint8
        assert _is_window(out, padded)


def test_random_crop_offsets_cover_the_whole_range():
    img = np.arange(25, dtype=np.uint8).reshape(5, 5)
    crop = T.RandomCrop(1, generator=Generator().manual_seed(0))
    seen = {int(crop(img)[0, 0]) for _ in range(400)}
    assert seen == set(range(25))  # every offset of [0, H - h] × [0, W - w] is drawn


def test_random_crop_batch_draws_per_image(device):
    base = torch.from_numpy(np.arange(2 * 9 * 11, dtype=np.float32).reshape(2, 9, 11))
    batch = torch.stack([base] * 16).to(device)            # 16 identical images (2, 9, 11)
    out = T.RandomCrop(5, padding=1, padding_mode="reflect",
                       generator=Generator().manual_seed(3))(batch)
    assert list(out.shape) == [16, 2, 5, 5] and out.device == batch.device
    host = to_host(out)
    padded = np.pad(to_host(base), ((0, 0), (1, 1), (1, 1)), mode="reflect")
    for image in host:
        assert _is_window(image.transpose(1, 2, 0), padded.transpose(1, 2, 0))
    assert len({image.tobytes() for image in host}) > 1  # not one offset for the whole batch


def test_random_crop_pad_if_needed_and_errors():
    out = T.RandomCrop((12, 4), pad_if_needed=True, generator=Generator().manual_seed(0))(GREY)
    assert out.shape == (12, 4)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(10)(GREY)
    with pytest.raises(ValueError, match="Padding mode"):
        T.RandomCrop(3, padding=1, padding_mode="wrap")


def test_center_crop_and_crop_outside():
    out = T.CenterCrop((5, 7))(GREY)
    np.testing.assert_array_equal(out, GREY[2:7, 2:9])
    out = F.crop(GREY, -1, 9, 3, 4)  # partly outside: zeros there
    np.testing.assert_array_equal(out[1:, :2], GREY[0:2, 9:11])
    assert not out[0].any() and not out[:, 2:].any()


def test_flips(device):
    np.testing.assert_array_equal(F.hflip(RGB), RGB[:, ::-1])
    np.testing.assert_array_equal(F.vflip(GREY), GREY[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(RGB), RGB[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(RGB), RGB)
    x = torch.rand(32, 3, 4, 5, device=device)
    out = to_host(T.RandomHorizontalFlip(generator=Generator().manual_seed(0))(x))
    host = to_host(x)
    flipped = [np.array_equal(o, h[..., ::-1]) for o, h in zip(out, host)]
    kept = [np.array_equal(o, h) for o, h in zip(out, host)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 4 <= sum(flipped) <= 28  # per image, p = 0.5 (binomial(32, 0.5): ±4.2 sd)
    vout = to_host(T.RandomVerticalFlip(p=1.0)(x))
    np.testing.assert_array_equal(vout, host[:, :, ::-1])


# -- affine maps, rotation, resize --------------------------------------------------------------
@pytest.mark.parametrize("size", [5, 6])
def test_rotation_by_90_degrees_is_rot90(size):
    img = RNG.integers(0, 256, (size, size, 2), dtype=np.uint8)
    np.testing.assert_array_equal(F.rotate(img, 90), np.rot90(img))        # counter-clockwise
    np.testing.assert_array_equal(F.affine(img, 90, [0, 0], 1.0, 0), np.rot90(img, -1))
    np.testing.assert_array_equal(F.rotate(img, 90, interpolation="bilinear"), np.rot90(img))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_integer_translation_is_a_shift_filled_with_fill(interpolation):
    out = F.affine(GREY, 0.0, [2, -1], 1.0, 0.0, interpolation=interpolation, fill=7)
    ref = np.full_like(GREY, 7)
    ref[0:8, 2:11] = GREY[1:9, 0:9]  # right by 2, up by 1
    np.testing.assert_array_equal(out, ref)


def test_random_affine_identity_and_shapes(device):
    ident = T.RandomAffine(degrees=0, interpolation="bilinear")
    np.testing.assert_array_equal(ident(RGB), RGB)
    aug = T.RandomAffine(degrees=(-20, 20), translate=(0.15, 0.15), scale=(0.9, 1.1), shear=5,
                         interpolation=T.InterpolationMode.BILINEAR,
                         generator=Generator().manual_seed(0))
    out = aug(RGB)
    assert out.shape == RGB.shape and out.dtype == np.uint8
    x = torch.rand(6, 1, 12, 12, device=device)
    out = aug(x)
    assert list(out.shape) == [6, 1, 12, 12] and out.device == x.device
    assert out.dtype == torch.float32
    same = torch.stack([x[0]] * 6)
    host = to_host(aug(same))
    assert len({h.tobytes() for h in host}) == 6  # one draw per image


def test_bilinear_keeps_a_constant_image_constant_inside():
    flat = np.full((10, 10), 200, dtype=np.uint8)
    out = F.affine(flat, 13.0, [0, 0], 0.7, 0.0, interpolation="bilinear", fill=200)
    assert np.all(out == 200)
    out = T.Resize((23, 7))(flat)
    assert out.shape == (23, 7) and np.all(out == 200)


def test_lecture_002_resample_spelling_is_accepted():
    aug = T.RandomAffine(degrees=(-20, 20), translate=(0.15, 0.15), resample=2)  # PIL BILINEAR
    assert aug.interpolation == T.InterpolationMode.BILINEAR
    with pytest.raises(ValueError, match="interpolation must be"):
        T.RandomAffine(10, interpolation="bicubic")
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(10, translate=(0.5, 2))


def test_random_rotation_angles_stay_in_range():
    img = np.zeros((21, 21), dtype=np.uint8)
    img[10, 10:] = 255  # a ray from the centre to the right edge
    rot = T.RandomRotation((30, 60), generator=Generator().manual_seed(1))
    for _ in range(5):
        ys, xs = np.nonzero(rot(img)[:, 11:])
        angles = np.degrees(np.arctan2(10 - ys, xs + 1))  # counter-clockwise from +x
        assert np.all((angles > 25) & (angles < 65))


def test_resize_sizes_follow_torchvision():
    assert T.Resize(5)(RGB).shape == (5, 6, 3)        # shorter edge 9 → 5, 11·5/9 → 6
    assert T.Resize([5])(GREY).shape == (5, 6)
    assert T.Resize((34, 34))(GREY).shape == (34, 34)  # lecture 002: Resize(size=(34, 34))
    assert T.Resize(4, max_size=5)(np.zeros((4, 10))).shape == (2, 5)
    x = torch.rand(2, 3, 9, 11)
    assert list(T.Resize(18)(x).shape) == [2, 3, 18, 22]
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 4), max_size=8)


def test_resize_upsamples_a_ramp_linearly():
    ramp = np.tile(np.arange(8, dtype=np.float64), (3, 1))
    out = F.resize(ramp, (3, 16))
    # half-pixel centres: output k reads input (k + 0.5) / 2 - 0.5, clamped to [0, 7]
    ref = np.clip((np.arange(16) + 0.5) / 2 - 0.5, 0, 7)
    np.testing.assert_allclose(out[1], ref, rtol=0, atol=1e-12)


def test_resize_antialias_halving_is_the_1_3_3_1_filter():
    # shrinking by 2: the triangle of half-width 2 centred at 2k + 1 weighs pixels 2k-1 … 2k+2
    # by 1/4, 3/4, 3/4, 1/4, normalised; at the border the missing pixel's weight drops out
    s = np.random.default_rng(3).random(8)
    out = F.resize(s[None, :], (1, 4))[0]
    ref = [(3 * s[0] + 3 * s[1] + s[2]) / 7] + \
          [(s[2 * k - 1] + 3 * s[2 * k] + 3 * s[2 * k + 1] + s[2 * k + 2]) / 8 for k in (1, 2)] + \
          [(s[5] + 3 * s[6] + 3 * s[7]) / 7]
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)


def test_resize_antialias_averages_stripes_that_plain_bilinear_aliases():
    stripes = np.tile(np.array([0, 255], dtype=np.uint8), (6, 6))  # 6×12, columns 0 255 0 …
    plain = F.resize(stripes, (6, 4), antialias=False)  # reads exactly pixels 1, 4, 7, 10
    np.testing.assert_array_equal(plain[0], [255, 0, 255, 0])
    smooth = T.Resize((6, 4))(stripes)  # antialias=True by default: each output averages
    assert smooth.dtype == np.uint8     # the ~6 stripes under its triangle
    assert np.abs(smooth.astype(int) - 128).max() <= 16
    up = F.resize(GREY, (20, 25))  # enlarging: antialiasing changes nothing
    np.testing.assert_array_equal(up, F.resize(GREY, (20, 25), antialias=False))


def test_resize_antialias_matches_pil():
    Image = pytest.importorskip("PIL.Image")
    for size in [(4, 5), (9, 11), (5, 20), (17, 3)]:
        ours = F.resize(GREY, size)
        pil = np.asarray(Image.fromarray(GREY).resize(size[::-1], Image.BILINEAR))
        # PIL rounds to uint8 between its horizontal and vertical passes: ±1
        assert np.abs(ours.astype(int) - pil).max() <= 1


def test_resize_tensor_on_its_device(device):
    x = torch.rand(2, 3, 9, 11, device=device, dtype=torch.float64)
    out = F.resize(x, (4, 6))
    assert out.device == x.device and out.dtype == torch.float64 and list(out.shape) == [2, 3, 4,
                                                                                          6]
    host = F.resize(to_host(x).transpose(0, 2, 3, 1), (4, 6)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(to_host(out), host, rtol=1e-12, atol=1e-12)
    ints = F.resize((x * 255).to(torch.int64), (4, 6))
    assert ints.dtype == torch.int64 and ints.device == x.device


# -- Grayscale ----------------------------------------------------------------------------------
def test_grayscale(device):
    out = T.Grayscale()(RGB)
    ref = RGB.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert out.shape == (9, 11) + (1,) and out.dtype == np.uint8
    assert np.max(np.abs(out[..., 0] - ref)) <= 0.5 + 1e-6  # rounded
    assert T.Grayscale(3)(RGB).shape == (9, 11, 3)
    x = torch.rand(2, 3, 4, 4, device=device)
    g = T.Grayscale(3)(x)
    ref = np.einsum("nchw,c->nhw", to_host(x).astype(np.float64), [0.299, 0.587, 0.114])
    assert list(g.shape) == [2, 3, 4, 4] and g.device == x.device
    for c in range(3):
        np.testing.assert_allclose(to_host(g)[:, c], ref, rtol=1e-5)


# -- determinism under a seed -------------------------------------------------------------------
RANDOM_TRANSFORMS = [
    lambda g: T.RandomCrop(6, padding=2, generator=g),
    lambda g: T.RandomHorizontalFlip(generator=g),
    lambda g: T.RandomAffine(15, translate=(0.2, 0.2), generator=g),
    lambda g: T.RandomRotation(30, interpolation="bilinear", generator=g),
]


@pytest.mark.parametrize("make", RANDOM_TRANSFORMS, ids=["crop", "hflip", "affine", "rotation"])
def test_random_transforms_are_deterministic_under_a_seed(make):
    batch = np.stack([RGB] * 8)  # (N, H, W, C): a NumPy batch

    def run(g=None):
        t = make(g)
        return [t(RGB), t(batch)]

    a = run(Generator().manual_seed(5))
    b = run(Generator().manual_seed(5))
    c = run(Generator().manual_seed(6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    torch.manual_seed(11)
    d = run()
    torch.manual_seed(11)
    e = run()
    assert all(np.array_equal(x, y) for x, y in zip(d, e))
    assert a[1].shape[0] == 8


def test_tensor_and_numpy_results_agree(device):
    img = RGB.astype(np.float32)
    chw = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).to(device)
    for make in RANDOM_TRANSFORMS + [lambda g: T.Resize((5, 13)), lambda g: T.CenterCrop(4)]:
        out_np = make(Generator().manual_seed(2))(img)
        out_t = make(Generator().manual_seed(2))(chw)
        assert out_t.device == chw.device
        np.testing.assert_allclose(to_host(out_t).transpose(1, 2, 0), out_np, rtol=1e-6,
                                   atol=1e-5)


def test_errors_name_the_layouts():
    with pytest.raises(TypeError, match="expected a NumPy array"):
        T.RandomHorizontalFlip()([[1, 2]])
    with pytest.raises(ValueError, match="batch"):
        F.hflip(np.zeros((1, 2, 3, 4, 5)))
