"""nn.utils: clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector and
vector_to_parameters."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(device, scale=1.0):
    rng = np.random.default_rng(0)
    params, grads = [], []
    for shape in ((3, 4), (4,), (2, 2, 2)):
        p = nn.Parameter(torch.zeros(*shape, device=device))
        g = rng.standard_normal(shape).astype(np.float32) * scale
        p.grad = torch.tensor(g, device=device)
        params.append(p)
        grads.append(g.astype(np.float64))
    params.append(nn.Parameter(torch.zeros(2, device=device)))  # no grad: skipped
    return params, grads


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm(device, norm_type):
    params, grads = _params_with_grads(device, scale=5.0)
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    returned = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert returned.shape == () and returned.device == params[0].device
    assert float(returned) == pytest.approx(total, rel=1e-5)
    coef = 1.0 / (total + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(to_host(p.grad), g * coef, rtol=1e-5)
    after = get_total_norm([p.grad for p in params[:3]], norm_type)
    assert float(after) == pytest.approx(1.0, rel=1e-4)


def test_clip_grad_norm_of_order_zero_and_minus_infinity(device):
    # PyTorch's numbers for one gradient [3, 0, -4]: the norm of the per-tensor norms, so
    # order 0 counts the tensors with a non-zero gradient, -inf is the smallest |g| (here 0)
    for norm_type, expected in [(0, 1.0), (-math.inf, 0.0)]:
        p = torch.zeros(3, device=device, requires_grad=True)
        p.grad = torch.tensor([3.0, 0.0, -4.0], device=device)
        assert nn.utils.clip_grad_norm_([p], 100.0, norm_type=norm_type).item() == expected
        assert to_host(p.grad).tolist() == [3.0, 0.0, -4.0]  # below max_norm: unchanged


def test_clip_grad_norm_leaves_small_gradients(device):
    params, grads = _params_with_grads(device, scale=0.01)
    clip_grad_norm_(params, max_norm=10.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(to_host(p.grad), g, rtol=1e-6)


def test_clip_grad_norm_single_tensor_and_no_grads(device):
    p = nn.Parameter(torch.zeros(2, device=device))
    assert float(clip_grad_norm_(p, 1.0)) == 0.0
    p.grad = torch.tensor([3.0, 4.0], device=device)
    assert float(clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(to_host(p.grad), [0.6, 0.8], rtol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf · 0, as in PyTorch
def test_clip_grad_norm_nonfinite(device):
    p = nn.Parameter(torch.zeros(2, device=device))
    p.grad = torch.tensor([float("inf"), 1.0], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert math.isinf(float(clip_grad_norm_([p], 1.0)))


def test_clip_grad_value(device):
    params, grads = _params_with_grads(device, scale=3.0)
    clip_grad_value_(params, 0.5)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(to_host(p.grad), np.clip(g, -0.5, 0.5), rtol=1e-6)


def test_clip_inside_a_training_step(device):
    model = nn.Linear(3, 2, device=device)
    (model(torch.randn(8, 3, device=device)) * 100).sum().backward()
    total = clip_grad_norm_(model.parameters(), 0.5)
    assert float(total) > 0.5
    assert float(get_total_norm([p.grad for p in model.parameters()])) == \
        pytest.approx(0.5, rel=1e-4)
    assert all(p.grad.grad_fn is None for p in model.parameters())


def test_parameters_to_vector_round_trip(device):
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)).to(device)
    vec = parameters_to_vector(model.parameters())
    expected = np.concatenate([to_host(p).ravel() for p in model.parameters()])
    assert vec.shape == (11,)  # 3·2 + 2 + 2·1 + 1
    np.testing.assert_array_equal(to_host(vec), expected)
    # differentiable: the gradient of the vector reaches each parameter
    (vec * torch.arange(11, dtype=torch.float32, device=device)).sum().backward()
    np.testing.assert_array_equal(to_host(model[0].weight.grad), np.arange(6).reshape(2, 3))

    new = torch.arange(11, dtype=torch.float32, device=device)
    held = list(model.parameters())
    vector_to_parameters(new, model.parameters())
    assert all(p is q for p, q in zip(held, model.parameters()))
    assert to_host(model[1].weight).tolist() == [[8.0, 9.0]]
    assert to_host(model[1].bias).tolist() == [10.0]
    new[10] = -1.0  # the parameters now share memory with the vector, as in PyTorch
    assert to_host(model[1].bias).tolist() == [-1.0]
    with pytest.raises(RuntimeError, match="11"):
        vector_to_parameters(torch.zeros(8, device=device), model.parameters())
    with pytest.raises(TypeError, match="expected"):
        vector_to_parameters([0.0] * 11, model.parameters())


def test_parameters_on_two_devices_are_refused():
    with pytest.raises(TypeError, match="different devices"):
        parameters_to_vector([nn.Parameter(torch.zeros(1)),
                              nn.Parameter(torch.zeros(1, device="fakegpu"))])
