"""nn.init: gains, fans, and the statistics of every initialiser (and of Linear/Embedding's
defaults). Sample sizes are large enough that the tolerances are several standard errors of
the estimate, and the seed is fixed, so the tests are deterministic."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.nn import init


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape, fans", [((30, 20), (20, 30)),  # Linear: (out, in)
                                         ((16, 3, 5, 5), (75, 400)),  # Conv2d: × receptive field
                                         ((8, 4, 3), (12, 24))])  # Conv1d
def test_fan_in_and_fan_out(shape, fans):
    assert init._calculate_fan_in_and_fan_out(torch.empty(*shape)) == fans
    assert init._calculate_correct_fan(torch.empty(*shape), "fan_out") == fans[1]
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init._calculate_correct_fan(torch.empty(*shape), "fan_avg")


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(torch.empty(5))


def _stats(t):
    a = to_host(t).astype(np.float64).ravel()
    return a, a.mean(), a.std()


N = (400, 250)  # 100 000 samples: the standard error of a std estimate is ~0.2 %


def test_uniform_and_normal(device):
    a, mean, std = _stats(init.uniform_(torch.empty(*N, device=device), -2.0, 3.0))
    assert a.min() >= -2.0 and a.max() < 3.0
    assert mean == pytest.approx(0.5, abs=0.03) and std == pytest.approx(5 / math.sqrt(12),
                                                                         rel=0.02)
    a, mean, std = _stats(init.normal_(torch.empty(*N, device=device), 1.5, 0.5))
    assert mean == pytest.approx(1.5, abs=0.01) and std == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3)])
def test_xavier(device, shape):
    t = torch.empty(*shape, device=device)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    std = 1.7 * math.sqrt(2.0 / (fan_in + fan_out))
    a, mean, s = _stats(init.xavier_uniform_(t, gain=1.7))
    assert np.abs(a).max() <= math.sqrt(3) * std and s == pytest.approx(std, rel=0.02)
    _, mean, s = _stats(init.xavier_normal_(t, gain=1.7))
    assert abs(mean) < 0.02 * std * 5 and s == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0.2), ("tanh", 0)])
def test_kaiming(device, mode, nonlinearity, a):
    t = torch.empty(200, 120, 2, 2, device=device)  # fan_in 480, fan_out 800
    fan = 480 if mode == "fan_in" else 800
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    vals, _, s = _stats(init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity))
    assert np.abs(vals).max() <= math.sqrt(3) * std and s == pytest.approx(std, rel=0.02)
    assert np.abs(vals).max() > 0.99 * math.sqrt(3) * std  # the whole range is used
    _, mean, s = _stats(init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity))
    assert s == pytest.approx(std, rel=0.02) and abs(mean) < 0.1 * std


def test_trunc_normal(device):
    a, mean, std = _stats(init.trunc_normal_(torch.empty(*N, device=device), 0.0, 1.0,
                                             -1.0, 2.0))
    assert a.min() >= -1.0 and a.max() <= 2.0
    # moments of N(0, 1) truncated to [α, β] = [-1, 2]
    def phi(x):
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    Z = 0.5 * (math.erf(2 / math.sqrt(2)) - math.erf(-1 / math.sqrt(2)))
    m = (phi(-1) - phi(2)) / Z
    var = 1 + (-1 * phi(-1) - 2 * phi(2)) / Z - m * m
    assert mean == pytest.approx(m, abs=0.01) and std == pytest.approx(math.sqrt(var), rel=0.02)


def test_constant_zeros_ones_eye(device):
    t = torch.empty(3, 4, device=device)
    assert to_host(init.constant_(t, 2.5)).tolist() == [[2.5] * 4] * 3
    assert not to_host(init.zeros_(t)).any()
    assert (to_host(init.ones_(t)) == 1).all()
    np.testing.assert_array_equal(to_host(init.eye_(t)), np.eye(3, 4))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(torch.empty(2, 2, 2))


def test_init_on_parameters_records_nothing_and_keeps_dtype(device):
    p = nn.Parameter(torch.empty(10, 10, dtype=torch.float64, device=device))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.zeros_, init.trunc_normal_):
        out = fn(p)
        assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
        assert p.dtype == torch.float64 and p.device == torch.empty(1, device=device).device


def test_zero_element_tensor_is_a_no_op():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(torch.empty(0, 3))


def test_linear_default_init_bounds_and_spread(device):
    """PyTorch's default: kaiming_uniform_(a=√5) = U(-1/√fan_in, 1/√fan_in), bias the same."""
    m = nn.Linear(400, 300, device=device)
    bound = 1 / math.sqrt(400)
    w, _, std = _stats(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert std == pytest.approx(bound / math.sqrt(3), rel=0.02)
    b = to_host(m.bias)
    assert np.abs(b).max() <= bound and b.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)
    assert m.weight.dtype == torch.float32
    m.reset_parameters()  # redraws
    assert not np.array_equal(to_host(m.weight).ravel(), w.astype(np.float32))


def test_embedding_default_init_is_standard_normal(device):
    e = nn.Embedding(1000, 100, device=device)
    _, mean, std = _stats(e.weight)
    assert abs(mean) < 0.02 and std == pytest.approx(1.0, rel=0.02)


def test_linear_zero_features_does_not_fail():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Linear(0, 3)
    assert m.weight.shape == (3, 0) and not to_host(m.bias).any()
