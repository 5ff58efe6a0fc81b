"""training.ExponentialMovingAverage: lecture 002's temperature example and its properties."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np.training import ExponentialMovingAverage


def test_lecture_temperature_bias_correction():
    # β = 0.98: v₂ = 0.0196 θ₁ + 0.02 θ₂, corrected by 1 - 0.98² = 0.0396
    theta1, theta2 = 40.0, 49.0
    ema = ExponentialMovingAverage(0.98)
    ema.update(theta1)
    assert ema.value == pytest.approx(theta1)  # v₁ / (1 - β) = θ₁
    value = ema.update(theta2)
    assert value == pytest.approx((0.0196 * theta1 + 0.02 * theta2) / 0.0396, rel=1e-12)
    assert ema.average == pytest.approx(0.0196 * theta1 + 0.02 * theta2, rel=1e-12)


def test_without_bias_correction_starts_near_zero():
    ema = ExponentialMovingAverage(0.9, bias_correction=False)
    ema.update(40.0)
    assert ema.value == pytest.approx(4.0)  # lecture: v₁ = 0.9·0 + 0.1·40
    ema.update(49.0)
    assert ema.value == pytest.approx(0.9 * 4.0 + 0.1 * 49.0)


def test_unrolled_weights():
    # v_t = (1-β) Σ β^{t-k} θ_k (lecture 002, "Understanding exponentially weighted averages")
    rng = np.random.default_rng(0)
    thetas = rng.normal(50, 10, size=100)
    ema = ExponentialMovingAverage(0.9, bias_correction=False)
    for th in thetas:
        ema(th)
    weights = 0.1 * 0.9 ** np.arange(99, -1, -1)
    assert ema.value == pytest.approx(float(weights @ thetas), rel=1e-12)


def test_corrected_average_of_a_constant_is_the_constant():
    ema = ExponentialMovingAverage(0.99)
    for t in range(1, 20):
        assert ema.update(3.0) == pytest.approx(3.0, rel=1e-12)
        assert ema.steps == t


def test_tensors(device):
    ema = ExponentialMovingAverage(0.5)
    a = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    ema.update(a * 2)
    out = ema.update(torch.tensor([4.0, 0.0], device=device))
    # v₂ = 0.5·0.5·(2, 4) + 0.5·(4, 0) = (2.5, 1); corrected by 0.75
    np.testing.assert_allclose(out.cpu().numpy(), [2.5 / 0.75, 1 / 0.75], rtol=1e-6)
    assert out.dtype == torch.float32 and out.device == a.device and out.grad_fn is None


def test_reset_state_dict_and_validation():
    ema = ExponentialMovingAverage(0.8)
    ema.update(1.0)
    ema.update(2.0)
    other = ExponentialMovingAverage(0.1)
    other.load_state_dict(ema.state_dict())
    assert other.update(3.0) == ema.update(3.0)
    ema.reset()
    assert ema.steps == 0 and ema.value == 0.0
    with pytest.raises(ValueError, match="beta must be in"):
        ExponentialMovingAverage(1.0)
