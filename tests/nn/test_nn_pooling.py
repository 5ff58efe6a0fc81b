"""Pooling: max (single winner per window, overlapping windows accumulate, −∞ padding),
average (PyTorch's padding and divisor rules), adaptive average — against loop references
written here, with gradient checks."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.autograd import gradcheck, gradgradcheck
from minitorch_np.nn import functional as F


def pair(v):
    return tuple(v) if isinstance(v, tuple | list) else (v, v)


def out_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def ref_max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Values, flat indices (into H×W) and the gradient of sum(v·y), window by window."""
    (kh, kw), (ph, pw), (dh, dw) = pair(kernel_size), pair(padding), pair(dilation)
    sh, sw = pair(stride if stride is not None else kernel_size)
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh, ceil_mode), out_size(w, kw, sw, pw, dw, ceil_mode)
    y, idx = np.empty((n, c, oh, ow)), np.empty((n, c, oh, ow), dtype=np.int64)
    for a in range(n):
        for b in range(c):
            for p in range(oh):
                for q in range(ow):
                    best, arg = -np.inf, None
                    for i in range(kh):
                        for j in range(kw):
                            r, col = p * sh - ph + i * dh, q * sw - pw + j * dw
                            inside = 0 <= r < h and 0 <= col < w
                            if inside and (arg is None or x[a, b, r, col] > best):
                                best, arg = x[a, b, r, col], r * w + col
                    y[a, b, p, q], idx[a, b, p, q] = best, arg
    return y, idx


def ref_avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
    (kh, kw), (ph, pw) = pair(kernel_size), pair(padding)
    sh, sw = pair(stride if stride is not None else kernel_size)
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, 1, ceil_mode), out_size(w, kw, sw, pw, 1, ceil_mode)
    y = np.empty((n, c, oh, ow))
    for p in range(oh):
        for q in range(ow):
            r0, c0 = p * sh - ph, q * sw - pw
            r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, w + pw)  # clipped to the padded input
            size = (r1 - r0) * (c1 - c0)
            r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, h), min(c1, w)
            total = x[:, :, r0:r1, c0:c1].sum(axis=(2, 3))
            if divisor_override:
                size = divisor_override
            elif not count_include_pad:
                size = (r1 - r0) * (c1 - c0)
            y[:, :, p, q] = total / size
    return y


def t64(a, device, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=grad)


def distinct(shape, seed=0):
    """Random values without ties (max pooling's gradient is defined everywhere)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0 + rng.uniform(0, 0.01, shape)


# -- max pooling ---------------------------------------------------------------------------
MAX_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=1),  # overlapping
             dict(kernel_size=3, stride=2, padding=1),
             dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
             dict(kernel_size=3, stride=2, ceil_mode=True),
             dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("kw", MAX_CASES, ids=str)
def test_max_pool2d_matches_reference(kw, device):
    x = distinct((2, 3, 7, 8)) - 10.0  # negative: padding must never win (it is −∞)
    y, idx = F.max_pool2d(t64(x, device), return_indices=True, **kw)
    ref, ref_idx = ref_max_pool(x, **kw)
    np.testing.assert_array_equal(to_host(y), ref)
    assert idx.dtype == torch.int64
    np.testing.assert_array_equal(to_host(idx), ref_idx)


@pytest.mark.parametrize("kw", MAX_CASES, ids=str)
def test_max_pool2d_gradcheck(kw, device):
    x = t64(distinct((1, 2, 6, 7), seed=1), device, grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, **kw), (x,))


def test_max_pool_gradient_accumulates_over_overlapping_windows(device):
    """The 9 wins all four 2×2 windows (stride 1): it receives the sum of their gradients."""
    x = t64([[[[1, 2, 3], [4, 9, 5], [6, 7, 8]]]], device, grad=True)
    y = F.max_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(to_host(y)[0, 0], [[9, 9], [9, 9]])
    y.backward(t64([[[[1, 10], [100, 1000]]]], device))
    np.testing.assert_array_equal(to_host(x.grad)[0, 0], [[0, 0, 0], [0, 1111, 0], [0, 0, 0]])


def test_max_pool_ties_send_the_gradient_to_the_first_maximum(device):
    """One winner per window, the first in row-major order (PyTorch's rule), not a split."""
    x = t64(np.ones((1, 1, 2, 4)), device, grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(to_host(x.grad)[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])


def test_max_pool_never_picks_the_padding_even_against_minus_infinity(device):
    # the padding counts as -inf but is not a position: a window whose real values are all
    # -inf takes its first real one (PyTorch's indices and gradient)
    x = torch.full((1, 1, 2, 2), -math.inf, device=device, requires_grad=True)
    y, idx = F.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    y.sum().backward()
    assert to_host(idx).ravel().tolist() == [0, 0, 1, 0, 0, 1, 2, 2, 3]
    assert to_host(x.grad).ravel().tolist() == [4.0, 2.0, 2.0, 1.0]  # every window lands


def test_a_max_pool_window_wholly_in_the_padding_is_minus_infinity_with_no_gradient(device):
    # width 1, kernel 2 dilated by 2, padding 1: the window at column 0 covers columns -1
    # and 1, neither of them real. Its maximum is -inf (as PyTorch) and no input is under
    # it, so it sends no gradient (PyTorch's CPU kernel sends it to another element)
    x = t64([[[[1.5], [-2.0]]]], device, grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1, padding=(0, 1), dilation=(1, 2))
    assert to_host(y).ravel().tolist() == [-math.inf, -math.inf]
    y.backward(torch.ones_like(y))
    assert to_host(x.grad).ravel().tolist() == [0.0, 0.0]


def test_max_pool_propagates_nan(device):
    x = t64([[[[1.0, np.nan], [3.0, 2.0]]]], device)
    assert np.isnan(to_host(F.max_pool2d(x, 2))).all()


def test_max_pool_float32_and_unbatched(device):
    x = torch.randn(3, 6, 6, device=device)
    y = F.max_pool2d(x, 2)
    assert y.dtype == torch.float32 and tuple(y.shape) == (3, 3, 3)
    np.testing.assert_array_equal(to_host(y), to_host(F.max_pool2d(x.unsqueeze(0), 2))[0])


@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 8), w=st.integers(2, 8), k=st.integers(1, 3), s=st.integers(1, 3),
       p=st.integers(0, 1), d=st.integers(1, 2), ceil=st.booleans(), seed=st.integers(0, 999))
def test_max_pool2d_property(h, w, k, s, p, d, ceil, seed):
    if 2 * p > k or min(h, w) + 2 * p < d * (k - 1) + 1:
        return
    x = distinct((1, 2, h, w), seed) - 5.0
    y, idx = F.max_pool2d(t64(x, "cpu"), k, s, p, d, ceil, return_indices=True)
    ref, ref_idx = ref_max_pool(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(to_host(y), ref)
    np.testing.assert_array_equal(to_host(idx), ref_idx)


# -- average pooling -----------------------------------------------------------------------
AVG_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=1),
             dict(kernel_size=3, stride=2, padding=1),
             dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
             dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
             dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True,
                  count_include_pad=False),
             dict(kernel_size=2, stride=1, divisor_override=3)]


@pytest.mark.parametrize("kw", AVG_CASES, ids=str)
def test_avg_pool2d_matches_reference(kw, device):
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 8))
    np.testing.assert_allclose(to_host(F.avg_pool2d(t64(x, device), **kw)),
                               ref_avg_pool(x, **kw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", AVG_CASES, ids=str)
def test_avg_pool2d_gradcheck(kw, device):
    x = t64(np.random.default_rng(3).standard_normal((1, 2, 5, 6)), device, grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.avg_pool2d(t, **kw), (x,))


def test_avg_pool_gradient_spreads_evenly(device):
    x = t64(np.zeros((1, 1, 3, 3)), device, grad=True)
    F.avg_pool2d(x, 2, stride=1).sum().backward()  # four overlapping 2×2 windows
    np.testing.assert_allclose(to_host(x.grad)[0, 0], np.array([[1, 2, 1], [2, 4, 2],
                                                                [1, 2, 1]]) / 4)


# -- adaptive average pooling -----------------------------------------------------------------
def ref_adaptive(x, oh, ow):
    h, w = x.shape[-2:]
    y = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        r0, r1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
        for j in range(ow):
            c0, c1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            y[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return y


@pytest.mark.parametrize("size", [1, (1, 1), 2, (3, 4), (5, 3), (7, 8), (None, 3)], ids=str)
def test_adaptive_avg_pool2d(size, device):
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 8))
    oh, ow = pair(size)
    oh, ow = oh or 7, ow or 8
    y = F.adaptive_avg_pool2d(t64(x, device), size)
    np.testing.assert_allclose(to_host(y), ref_adaptive(x, oh, ow), rtol=1e-12, atol=1e-14)
    xt = t64(x[:1, :2, :5, :6], device, grad=True)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), (xt,))


def test_adaptive_avg_pool_to_nothing_and_its_refusals(device):
    x = torch.randn(2, 3, 4, 5, device=device, requires_grad=True)
    for size, shape in (((0, 7), (2, 3, 0, 7)), ((3, 0), (2, 3, 3, 0)), (0, (2, 3, 0, 0))):
        y = F.adaptive_avg_pool2d(x, size)
        assert tuple(y.shape) == shape  # empty, as PyTorch's; its gradient is zero
        y.sum().backward()
        assert not to_host(x.grad).any()
    v = torch.randn(2, 3, 5, device=device)
    assert tuple(F.adaptive_avg_pool1d(v, 0).shape) == (2, 3, 0)
    for size in (None, (None,), 2.0):  # None keeps a size in 2-D only, as in PyTorch
        with pytest.raises(TypeError, match="adaptive_avg_pool1d: output_size must be an int"):
            F.adaptive_avg_pool1d(v, size)
    with pytest.raises(RuntimeError, match="output_size must be >= 0"):
        F.adaptive_avg_pool1d(v, -1)


def test_global_average_pooling_is_the_mean(device):
    x = torch.randn(2, 4, 5, 5, device=device)
    y = nn.AdaptiveAvgPool2d(1)(x)
    assert tuple(y.shape) == (2, 4, 1, 1)
    np.testing.assert_allclose(to_host(y)[..., 0, 0], to_host(x).mean(axis=(2, 3)), rtol=1e-6)


# -- 1-D forms and the layers ------------------------------------------------------------------
def test_pool1d_forms(device):
    x = np.random.default_rng(5).standard_normal((2, 3, 9))
    y, idx = F.max_pool1d(t64(x, device), 3, stride=2, padding=1, return_indices=True)
    ref, ref_idx = ref_max_pool(x[:, :, None], (1, 3), (1, 2), (0, 1))
    np.testing.assert_array_equal(to_host(y), ref[:, :, 0])
    np.testing.assert_array_equal(to_host(idx), ref_idx[:, :, 0])
    np.testing.assert_allclose(to_host(F.avg_pool1d(t64(x, device), 2)),
                               ref_avg_pool(x[:, :, None], (1, 2))[:, :, 0], rtol=1e-12)
    np.testing.assert_allclose(to_host(F.adaptive_avg_pool1d(t64(x, device), 4)),
                               ref_adaptive(x[:, :, None], 1, 4)[:, :, 0], rtol=1e-12)
    assert tuple(nn.MaxPool1d(2)(torch.randn(2, 3, 8)).shape) == (2, 3, 4)
    assert tuple(nn.AvgPool1d(2)(torch.randn(2, 3, 8)).shape) == (2, 3, 4)
    assert tuple(nn.AdaptiveAvgPool1d(1)(torch.randn(2, 3, 8)).shape) == (2, 3, 1)


def test_pooling_layers_repr_and_defaults():
    assert repr(nn.MaxPool2d(3)) == ("MaxPool2d(kernel_size=3, stride=3, padding=0, dilation=1, "
                                     "ceil_mode=False)")
    assert repr(nn.AvgPool2d(2, 1)) == "AvgPool2d(kernel_size=2, stride=1, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert tuple(nn.MaxPool2d(3)(torch.randn(100, 32, 24, 24)).shape) == (100, 32, 8, 8)
    y, idx = nn.MaxPool2d(2, return_indices=True)(torch.randn(1, 1, 4, 4))
    assert tuple(idx.shape) == (1, 1, 2, 2)
    assert list(nn.MaxPool2d(2).parameters()) == [] and list(nn.MaxPool2d(2).buffers()) == []


def test_pooling_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        F.max_pool2d(torch.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        F.avg_pool2d(torch.randn(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match="too small"):
        F.max_pool2d(torch.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"MaxPool2d: expected a 3-D \(C, H, W\) or 4-D"):
        nn.MaxPool2d(2)(torch.randn(4, 4))
    with pytest.raises(RuntimeError, match="floating point"):
        F.max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.int64), 2)
