"""Adam, AdamW, Adamax and NAdam against hand-computed trajectories."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np import optim

P0 = [1.0, -2.0, 0.5]
C = [1.0, 0.5, 3.0]


def _adam_reference(lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False, decoupled=False,
                    maximize=False):
    """Kingma and Ba's update (lecture 000), with the bias-corrected moments written out."""
    m, v, vmax = {}, {}, {}

    def update(i, t, p, g):
        g = -g if maximize else g
        if weight_decay and decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m[i] = beta1 * m.get(i, 0.0) + (1 - beta1) * g
        v[i] = beta2 * v.get(i, 0.0) + (1 - beta2) * g * g
        vmax[i] = max(vmax.get(i, 0.0), v[i])
        m_hat = m[i] / (1 - beta1 ** t)
        v_hat = (vmax[i] if amsgrad else v[i]) / (1 - beta2 ** t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return update


# -- Adam -----------------------------------------------------------------------------------
def test_issue_example_adam_tiny_gradient(device):
    # m̂ = 1e-8, √v̂ = 1e-8: the step is lr · 1e-8 / (1e-8 + 1e-8) = lr / 2 → 0.9995
    p = torch.tensor([1.0], device=device, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = torch.tensor([1e-8], device=device)
    opt.step()
    assert p.item() == pytest.approx(0.9995, rel=1e-6)


def test_adam_first_step_is_lr_times_sign(device):
    # bias correction makes m̂₁ = g, √v̂₁ = |g|: the first step is ±lr whatever |g| (≫ eps)
    p = torch.tensor([0.0, 0.0, 0.0], device=device, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    p.grad = torch.tensor([1e3, -2.0, 1e-3], device=device)
    opt.step()
    np.testing.assert_allclose(p.detach().cpu().numpy(), [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_bias_corrections_by_hand(device):
    # constant gradient g: m_t = (1-β1^t) g and v_t = (1-β2^t) g², so every step is
    # lr · g / (|g| + eps) once corrected; the state keeps the uncorrected moments
    g, lr = 0.5, 0.1
    p = torch.tensor([0.0], device=device, requires_grad=True)
    opt = optim.Adam([p], lr=lr)
    for t in range(1, 5):
        p.grad = torch.tensor([g], device=device)
        opt.step()
        st = opt.state[p]
        assert st["step"].item() == t
        assert st["exp_avg"].item() == pytest.approx((1 - 0.9 ** t) * g, rel=1e-6)
        assert st["exp_avg_sq"].item() == pytest.approx((1 - 0.999 ** t) * g * g, rel=1e-5)
        assert p.item() == pytest.approx(-t * lr * g / (g + 1e-8), rel=1e-5)


@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.05, "betas": (0.8, 0.99)},
    {"lr": 0.05, "amsgrad": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    {"lr": 0.05, "maximize": True, "eps": 1e-3},
    {"lr": 0.05, "betas": (0.3, 0.9)},  # β1 < 0.5: lerp's other branch
])
def test_adam_options_follow_the_formula(device, quadratic, reference, kwargs):
    full = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                "decoupled_weight_decay": False, "maximize": False} | kwargs
    (b1, b2) = full["betas"]
    update = _adam_reference(full["lr"], b1, b2, full["eps"], full["weight_decay"],
                             full["amsgrad"], full["decoupled_weight_decay"], full["maximize"])
    got = quadratic(lambda ps: optim.Adam(ps, **kwargs), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


def test_amsgrad_keeps_the_maximum(device):
    p = torch.tensor([0.0], device=device, requires_grad=True)
    opt = optim.Adam([p], amsgrad=True, betas=(0.9, 0.5))
    for g in (4.0, 0.1, 0.1):
        p.grad = torch.tensor([g], device=device)
        opt.step()
    st = opt.state[p]
    # v: 8, 4.005, 2.0075 (β2 = 0.5); the maximum stays at the first
    assert st["exp_avg_sq"].item() == pytest.approx(0.25 * 8 + 0.5 * 0.01 + 0.5 * 0.01 / 2,
                                                    rel=1e-6)
    assert st["max_exp_avg_sq"].item() == pytest.approx(8.0)


def test_adam_validation():
    p = torch.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        optim.Adam([p], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: -0.1"):
        optim.Adam([p], betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1e-08"):
        optim.Adam([p], eps=-1e-8)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        optim.Adam([p], weight_decay=-1)
    d = optim.Adam([p]).defaults
    assert (d["lr"], d["betas"], d["eps"], d["weight_decay"], d["amsgrad"]) == \
        (1e-3, (0.9, 0.999), 1e-8, 0, False)


# -- AdamW ----------------------------------------------------------------------------------
def test_adamw_is_adam_with_decoupled_decay(device, quadratic, reference):
    update = _adam_reference(0.05, 0.9, 0.999, 1e-8, weight_decay=0.01, decoupled=True)
    got = quadratic(lambda ps: optim.AdamW(ps, lr=0.05), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


def test_adamw_differs_from_adam_l2(device, quadratic):
    adamw = quadratic(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.5), P0, C, 5, device)
    adam = quadratic(lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.5), P0, C, 5, device)
    assert not np.allclose(adamw, adam, rtol=1e-3)


def test_adamw_defaults_and_amsgrad(device, quadratic, reference):
    p = torch.ones(1, requires_grad=True)
    d = optim.AdamW([p]).defaults
    assert d["weight_decay"] == 1e-2 and d["decoupled_weight_decay"] is True
    assert d["lr"] == 1e-3 and d["betas"] == (0.9, 0.999) and d["eps"] == 1e-8
    update = _adam_reference(0.05, 0.9, 0.99, 1e-8, weight_decay=0.1, amsgrad=True,
                             decoupled=True)
    got = quadratic(lambda ps: optim.AdamW(ps, lr=0.05, betas=(0.9, 0.99), weight_decay=0.1,
                                           amsgrad=True), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


# -- Adamax ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1},
                                    {"lr": 0.05, "maximize": True}])
def test_adamax_follows_the_formula(device, quadratic, reference, kwargs):
    full = {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
            "maximize": False} | kwargs
    lr, (b1, b2), eps, wd = full["lr"], full["betas"], full["eps"], full["weight_decay"]
    m, u = {}, {}

    def update(i, t, p, g):
        g = (-g if full["maximize"] else g) + wd * p
        m[i] = b1 * m.get(i, 0.0) + (1 - b1) * g
        u[i] = max(b2 * u.get(i, 0.0), abs(g) + eps)
        return p - lr / (1 - b1 ** t) * m[i] / u[i]

    got = quadratic(lambda ps: optim.Adamax(ps, **kwargs), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


# -- NAdam ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {}, {"lr": 0.05, "momentum_decay": 0.1}, {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}])
def test_nadam_follows_the_formula(device, quadratic, reference, kwargs):
    full = {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
            "momentum_decay": 4e-3, "decoupled_weight_decay": False} | kwargs
    lr, (b1, b2), eps, wd, psi = (full["lr"], full["betas"], full["eps"],
                                  full["weight_decay"], full["momentum_decay"])
    m, v, prod = {}, {}, {}

    def update(i, t, p, g):
        if wd and full["decoupled_weight_decay"]:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod[i] = prod.get(i, 1.0) * mu
        m[i] = b1 * m.get(i, 0.0) + (1 - b1) * g
        v[i] = b2 * v.get(i, 0.0) + (1 - b2) * g * g
        d = math.sqrt(v[i] / (1 - b2 ** t)) + eps
        return (p - lr * (1 - mu) / (1 - prod[i]) * g / d
                - lr * mu_next / (1 - prod[i] * mu_next) * m[i] / d)

    got = quadratic(lambda ps: optim.NAdam(ps, **kwargs), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


def test_nadam_mu_product_state(device):
    p = torch.ones(1, device=device, requires_grad=True)
    opt = optim.NAdam([p])
    for _ in range(3):
        p.grad = torch.ones(1, device=device)
        opt.step()
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2, 3)]
    prod = opt.state[p]["mu_product"]
    assert prod.dtype == torch.float32 and prod.ndim == 0
    assert prod.item() == pytest.approx(mus[0] * mus[1] * mus[2], rel=1e-6)
    d = opt.defaults
    assert (d["lr"], d["momentum_decay"], d["decoupled_weight_decay"]) == (2e-3, 4e-3, False)
    with pytest.raises(ValueError, match="Invalid momentum_decay value: -1"):
        optim.NAdam([p], momentum_decay=-1)
