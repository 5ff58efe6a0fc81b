"""Normalisation: BatchNorm1d/2d (batch statistics with the biased variance, running
statistics with the unbiased one, momentum, num_batches_tracked, train/eval, state dicts)
and LayerNorm — the lecture's printed example, hand-computed running statistics, and
gradient checks of the fused backward."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.autograd import gradcheck, gradgradcheck
from minitorch_np.nn import Parameter
from minitorch_np.nn import functional as F


def t64(a, device, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=grad)


def ref_batch_norm(x, weight, bias, eps=1e-5):
    """Per channel (axis 1) over every other axis, biased variance."""
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=dims, keepdims=True), x.var(axis=dims, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


# -- the lecture ---------------------------------------------------------------------------
def test_lecture_batchnorm1d_example(device):
    """Lecture 000, "Batch normalization": data scaled by [2, 5, 10] and shifted comes out
    with the means β = [2, 4, 8] and the standard deviations γ = [1, 2, 3]."""
    x = torch.empty(1000, 3, device=device).normal_()
    x = x * torch.tensor([2., 5., 10.], device=device) + torch.tensor([-10., 25., 3.],
                                                                      device=device)
    bn = nn.BatchNorm1d(3).to(device)
    bn.bias = Parameter(torch.Tensor([2, 4, 8]).to(device))
    bn.weight = Parameter(torch.Tensor([1, 2, 3]).to(device))
    y = bn(x)
    np.testing.assert_allclose(to_host(y.mean(0)), [2, 4, 8], atol=1e-4)
    # normalised with the biased variance, so the unbiased std is γ·√(1000/999) (1.0005 ...),
    # the lecture's printed tensor([1.0005, 2.0010, 3.0015])
    np.testing.assert_allclose(to_host(y.std(0)), np.array([1, 2, 3]) * np.sqrt(1000 / 999),
                               rtol=1e-4)
    assert y.dtype == torch.float32


# -- training mode, running statistics -------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_running_statistics_by_hand(momentum, device):
    """Three training steps: running_mean/var follow (1−m)·old + m·batch, with the unbiased
    batch variance; momentum=None is the plain average of the batches' statistics."""
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(2, momentum=momentum).to(device).double()
    mean, var = np.zeros(2), np.ones(2)
    batch_means, batch_vars = [], []
    for step in range(1, 4):
        x = rng.standard_normal((3, 2, 2, 3)) * [[[[2.0]], [[0.5]]]] + step
        bn(t64(x, device))
        m_b = x.mean(axis=(0, 2, 3))
        v_b = x.var(axis=(0, 2, 3), ddof=1)  # 18 values per channel: × 18/17
        batch_means.append(m_b)
        batch_vars.append(v_b)
        factor = 1.0 / step if momentum is None else momentum
        mean = (1 - factor) * mean + factor * m_b
        var = (1 - factor) * var + factor * v_b
        assert int(bn.num_batches_tracked.item()) == step
    np.testing.assert_allclose(to_host(bn.running_mean), mean, rtol=1e-12)
    np.testing.assert_allclose(to_host(bn.running_var), var, rtol=1e-12)
    if momentum is None:
        np.testing.assert_allclose(to_host(bn.running_mean), np.mean(batch_means, 0),
                                   rtol=1e-12)


def test_training_normalises_with_the_batch_and_biased_variance(device):
    x = np.random.default_rng(1).standard_normal((4, 3, 5)) * 3 + 1
    bn = nn.BatchNorm1d(3).to(device).double()
    with torch.no_grad():
        bn.weight.copy_(t64([1.0, 2.0, -1.0], device))
        bn.bias.copy_(t64([0.0, 0.5, 2.0], device))
    y = bn(t64(x, device))
    np.testing.assert_allclose(to_host(y), ref_batch_norm(x, np.array([1.0, 2.0, -1.0]),
                                                          np.array([0.0, 0.5, 2.0])),
                               rtol=1e-12, atol=1e-12)


def test_eval_uses_the_running_statistics(device):
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(3).to(device).double()
    for _ in range(2):
        bn(t64(rng.standard_normal((4, 3, 2, 2)) + 5, device))
    bn.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    rm, rv = to_host(bn.running_mean), to_host(bn.running_var)
    w, b = to_host(bn.weight), to_host(bn.bias)
    expected = ((x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5) * w[:, None, None]
                + b[:, None, None])
    before = (rm.copy(), int(bn.num_batches_tracked.item()))
    np.testing.assert_allclose(to_host(bn(t64(x, device))), expected, rtol=1e-12)
    # evaluation leaves the statistics alone, and a single sample is fine
    np.testing.assert_array_equal(to_host(bn.running_mean), before[0])
    assert int(bn.num_batches_tracked.item()) == before[1]
    assert tuple(bn(t64(x[:1], device)).shape) == (1, 3, 2, 2)


def test_running_statistics_stay_outside_the_graph(device):
    bn = nn.BatchNorm1d(2).to(device)
    x = torch.randn(5, 2, device=device, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    for buf in (bn.running_mean, bn.running_var):
        assert not buf.requires_grad and buf.grad_fn is None
    assert bn.running_mean.dtype == torch.float32 and bn.num_batches_tracked.dtype == torch.int64


def test_without_tracking_batch_statistics_are_used_in_eval_too(device):
    bn = nn.BatchNorm1d(3, track_running_stats=False).to(device).double()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert [name for name, _ in bn.named_buffers()] == []
    x = np.random.default_rng(3).standard_normal((6, 3))
    bn.eval()
    np.testing.assert_allclose(to_host(bn(t64(x, device))),
                               ref_batch_norm(x, np.ones(3), np.zeros(3)), rtol=1e-12,
                               atol=1e-12)


def test_affine_false_has_no_parameters(device):
    bn = nn.BatchNorm2d(4, affine=False).to(device)
    assert bn.weight is None and bn.bias is None and list(bn.parameters()) == []
    assert repr(bn) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                        "track_running_stats=True)")
    y = bn(torch.randn(3, 4, 2, 2, device=device))
    np.testing.assert_allclose(to_host(y).mean(axis=(0, 2, 3)), 0, atol=1e-6)


def test_training_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(torch.randn(1, 3))
    bn = nn.BatchNorm2d(3)
    assert tuple(bn(torch.randn(1, 3, 2, 1)).shape) == (1, 3, 2, 1)  # N·H·W = 2 values


def test_batchnorm_input_errors_name_the_layer():
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected input with 3 channels "
                                         r"\(shape \(N, 3, H, W\)\), got \(8, 4, 32, 32\)"):
        nn.BatchNorm2d(3)(torch.randn(8, 4, 32, 32))
    with pytest.raises(RuntimeError, match=r"BatchNorm1d: expected an input of shape \(N, 3\) "
                                         r"or \(N, 3, L\), got 4-D"):
        nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match="running_mean and running_var must be given"):
        F.batch_norm(torch.randn(4, 3), None, None, training=False)


# -- gradients -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 3, 2, 3)], ids=str)
def test_batch_norm_train_gradcheck(shape, device):
    rng = np.random.default_rng(4)
    x = t64(rng.standard_normal(shape) * 2 + 1, device, grad=True)
    w = t64(rng.standard_normal(shape[1]), device, grad=True)
    b = t64(rng.standard_normal(shape[1]), device, grad=True)
    rm, rv = torch.zeros(shape[1], dtype=torch.float64, device=device), \
        torch.ones(shape[1], dtype=torch.float64, device=device)

    def f(x, w, b):
        return F.batch_norm(x, rm, rv, w, b, training=True)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))


def test_batch_norm_eval_gradcheck(device):
    rng = np.random.default_rng(5)
    x, w, b = (t64(rng.standard_normal(s), device, grad=True) for s in ((3, 2, 2), 2, 2))
    rm, rv = t64([0.5, -1.0], device), t64([2.0, 0.3], device)

    def f(x, w, b):
        return F.batch_norm(x, rm, rv, w, b, training=False)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_batch_norm_backward_closed_form(device):
    """The fused backward against the formula of docs/batchnorm.md, computed here:
    ∂L/∂x = γ/(Mσ)·(M·g − Σg − x̂·Σ(g·x̂)), ∂L/∂γ = Σ g·x̂, ∂L/∂β = Σ g."""
    rng = np.random.default_rng(6)
    x, g = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    gamma = np.array([1.5, -0.5])
    xt, wt, bt = t64(x, device, True), t64(gamma, device, True), t64([0.1, 0.2], device, True)
    F.batch_norm(xt, None, None, wt, bt, training=True).backward(t64(g, device))
    sigma = np.sqrt(x.var(0) + 1e-5)
    xhat = (x - x.mean(0)) / sigma
    m = 6
    dx = gamma / (m * sigma) * (m * g - g.sum(0) - xhat * (g * xhat).sum(0))
    np.testing.assert_allclose(to_host(xt.grad), dx, rtol=1e-10)
    np.testing.assert_allclose(to_host(wt.grad), (g * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(to_host(bt.grad), g.sum(0), rtol=1e-10)


def test_batchnorm_float32_gradients(device):
    bn = nn.BatchNorm2d(3).to(device)
    x = torch.randn(4, 3, 2, 2, device=device, requires_grad=True)
    y = bn(x)
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad.dtype == bn.weight.grad.dtype == torch.float32
    # Σ over the batch of a normalised channel is constant: its gradient wrt x is ~0
    np.testing.assert_allclose(to_host(x.grad), 0, atol=1e-5)


# -- state dicts ---------------------------------------------------------------------------
def test_state_dict_round_trip(device):
    rng = np.random.default_rng(7)
    bn = nn.BatchNorm1d(3).to(device)
    for _ in range(3):
        bn(torch.tensor(rng.standard_normal((4, 3)), dtype=torch.float32, device=device))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == torch.int64
    assert int(state["num_batches_tracked"].item()) == 3
    fresh = nn.BatchNorm1d(3).to(device)
    fresh.load_state_dict(state)
    for key in state:
        np.testing.assert_array_equal(to_host(fresh.state_dict()[key]), to_host(state[key]))
    bn.eval()
    fresh.eval()
    x = torch.randn(2, 3, device=device)
    np.testing.assert_array_equal(to_host(fresh(x)), to_host(bn(x)))


def test_state_dict_without_num_batches_tracked_loads_as_version_1():
    """Checkpoints written before num_batches_tracked existed (metadata version 1) load, and
    the counter becomes 0; a version-2 checkpoint missing it is an error under strict."""
    bn = nn.BatchNorm1d(2)
    bn(torch.randn(4, 2))
    old = OrderedDict((k, v) for k, v in bn.state_dict().items() if k != "num_batches_tracked")
    old._metadata = OrderedDict({"": {"version": 1}})
    fresh = nn.BatchNorm1d(2)
    fresh.load_state_dict(old)
    assert int(fresh.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(to_host(fresh.running_mean), to_host(bn.running_mean))
    new = OrderedDict(old)
    new._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        nn.BatchNorm1d(2).load_state_dict(new)


def test_reset_and_repr():
    bn = nn.BatchNorm1d(3, eps=1e-3, momentum=None)
    bn(torch.randn(5, 3) + 4)
    bn.reset_running_stats()
    np.testing.assert_array_equal(to_host(bn.running_mean), 0)
    np.testing.assert_array_equal(to_host(bn.running_var), 1)
    assert int(bn.num_batches_tracked.item()) == 0
    assert repr(bn) == ("BatchNorm1d(3, eps=0.001, momentum=None, affine=True, bias=True, "
                        "track_running_stats=True)")
    no_bias = nn.BatchNorm2d(2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    y = no_bias(torch.randn(3, 2, 2, 2))
    np.testing.assert_allclose(to_host(y).mean(axis=(0, 2, 3)), 0, atol=1e-6)


# -- LayerNorm -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((4, 5), 5), ((2, 3, 4), (3, 4))], ids=str)
def test_layer_norm(shape, normalized, device):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape) * 3 + 2
    ln = nn.LayerNorm(normalized).to(device).double()
    with torch.no_grad():
        ln.weight.copy_(t64(rng.standard_normal(ln.weight.shape), device))
        ln.bias.copy_(t64(rng.standard_normal(ln.bias.shape), device))
    k = 1 if isinstance(normalized, int) else len(normalized)
    dims = tuple(range(len(shape) - k, len(shape)))
    ref = ((x - x.mean(axis=dims, keepdims=True)) / np.sqrt(x.var(axis=dims, keepdims=True)
                                                            + 1e-5)
           * to_host(ln.weight) + to_host(ln.bias))
    np.testing.assert_allclose(to_host(ln(t64(x, device))), ref, rtol=1e-12, atol=1e-12)
    xt = t64(x, device, grad=True)
    w, b = (t64(to_host(p), device, grad=True) for p in (ln.weight, ln.bias))
    f = lambda x, w, b: F.layer_norm(x, normalized, w, b)  # noqa: E731
    assert gradcheck(f, (xt, w, b))
    assert gradgradcheck(f, (xt, w, b))
    assert gradcheck(lambda x, b: F.layer_norm(x, normalized, None, b), (xt, b))


@pytest.mark.parametrize("shape, normalized", [((0,), (0,)), ((3, 0), (0,)), ((0, 4), (4,)),
                                               ((2, 0, 3), (0, 3))], ids=str)
def test_layer_norm_of_nothing_is_empty_with_zero_gradients(shape, normalized, device):
    # as PyTorch; it divided by a count of 0 (found by tests/parity/test_parity_conv.py)
    layer = nn.LayerNorm(normalized).to(device).double()
    x = torch.zeros(shape, dtype=torch.float64, device=device, requires_grad=True)
    y = layer(x)
    assert list(y.shape) == list(shape)
    y.sum().backward()
    assert list(x.grad.shape) == list(shape)
    assert not to_host(layer.weight.grad).any() and not to_host(layer.bias.grad).any()


def test_layer_norm_options_and_errors(device):
    ln = nn.LayerNorm(4, elementwise_affine=False)
    assert ln.weight is None and list(ln.parameters()) == []
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)"
    assert nn.LayerNorm(4, bias=False).bias is None
    y = nn.LayerNorm(4).to(device)(torch.randn(3, 4, device=device))
    assert y.dtype == torch.float32
    np.testing.assert_allclose(to_host(y).mean(-1), 0, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"LayerNorm: expected an input of shape \(\*, 4\)"):
        nn.LayerNorm(4)(torch.randn(3, 5))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(torch.randn(3, 5), (4,))
