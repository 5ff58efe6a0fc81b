"""RMSprop, Adagrad and Adadelta against hand-computed trajectories."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import optim

P0 = [1.0, -2.0, 0.5]
C = [1.0, 0.5, 3.0]


# -- RMSprop --------------------------------------------------------------------------------
def test_issue_example_rmsprop_small_gradient(device):
    # v = 0.01·1e-8 = 1e-10, √v = 1e-5, + eps → 1.001e-5: p = 1 - 0.01·1e-4/1.001e-5 ≈ 0.9001
    p = torch.tensor([1.0], device=device, requires_grad=True)
    opt = optim.RMSprop([p])
    p.grad = torch.tensor([1e-4], device=device)
    opt.step()
    assert p.item() == pytest.approx(1 - 0.01 * 1e-4 / (1e-5 + 1e-8), rel=1e-6)
    assert round(p.item(), 4) == 0.9001


def test_rmsprop_is_lecture_002_form(device, quadratic, reference):
    # lecture 002: s = β₂ s + (1-β₂) g², w ← w - α g / (√s + ε), with alpha = β₂
    alpha_lr, beta2, eps = 0.01, 0.9, 1e-8
    s = {}

    def update(i, t, p, g):
        s[i] = beta2 * s.get(i, 0.0) + (1 - beta2) * g * g
        return p - alpha_lr * g / (math.sqrt(s[i]) + eps)

    got = quadratic(lambda ps: optim.RMSprop(ps, lr=alpha_lr, alpha=beta2), P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("momentum, centered, weight_decay, maximize", [
    (0.0, True, 0.0, False),
    (0.9, False, 0.0, False),
    (0.5, True, 0.1, False),
    (0.0, False, 0.1, True),
])
def test_rmsprop_options_follow_the_formula(device, quadratic, reference, momentum, centered,
                                            weight_decay, maximize):
    lr, alpha, eps = 0.01, 0.95, 1e-8
    v, gbar, buf = {}, {}, {}

    def update(i, t, p, g):
        g = (-g if maximize else g) + weight_decay * p
        v[i] = alpha * v.get(i, 0.0) + (1 - alpha) * g * g
        var = v[i]
        if centered:
            gbar[i] = alpha * gbar.get(i, 0.0) + (1 - alpha) * g
            var = v[i] - gbar[i] ** 2
        step = g / (math.sqrt(var) + eps)
        if momentum:
            buf[i] = momentum * buf.get(i, 0.0) + step
            step = buf[i]
        return p - lr * step

    def make(ps):
        return optim.RMSprop(ps, lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                             centered=centered, weight_decay=weight_decay, maximize=maximize)

    got = quadratic(make, P0, C, 8, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 8), rtol=1e-5, atol=1e-7)


def test_rmsprop_state_and_defaults(device):
    p = torch.ones(2, device=device, requires_grad=True)
    opt = optim.RMSprop([p], momentum=0.9, centered=True)
    assert opt.defaults["lr"] == 1e-2 and opt.defaults["alpha"] == 0.99
    assert opt.defaults["eps"] == 1e-8
    assert len(opt.state) == 0  # lazily created
    p.grad = torch.ones(2, device=device)
    opt.step()
    st = opt.state[p]
    assert set(st) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert st["step"].item() == 1 and st["square_avg"].device == p.device


# -- Adagrad --------------------------------------------------------------------------------
def test_adagrad_by_hand(device, quadratic):
    # ½p² from 1, lr 0.1: s = 1 → p = 0.9; s = 1.81 → p = 0.9 - 0.1·0.9/√1.81
    got = quadratic(lambda ps: optim.Adagrad(ps, lr=0.1), [1.0], [1.0], 2, device)
    p2 = 0.9 - 0.1 * 0.9 / math.sqrt(1.81)
    np.testing.assert_allclose(np.ravel(got), [0.9, p2], rtol=1e-6)


@pytest.mark.parametrize("lr_decay, weight_decay, init, maximize", [
    (0.0, 0.0, 0.0, False), (0.1, 0.0, 0.0, False), (0.05, 0.1, 0.5, False),
    (0.0, 0.0, 0.1, True)])
def test_adagrad_options_follow_the_formula(device, quadratic, reference, lr_decay,
                                            weight_decay, init, maximize):
    lr, eps = 0.2, 1e-10
    s = {}

    def update(i, t, p, g):
        g = (-g if maximize else g) + weight_decay * p
        s[i] = s.get(i, init) + g * g
        return p - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(s[i]) + eps)

    def make(ps):
        return optim.Adagrad(ps, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                             initial_accumulator_value=init, maximize=maximize)

    got = quadratic(make, P0, C, 8, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 8), rtol=1e-5, atol=1e-7)


def test_adagrad_defaults_and_validation():
    p = torch.ones(1, requires_grad=True)
    d = optim.Adagrad([p]).defaults
    assert (d["lr"], d["lr_decay"], d["eps"], d["initial_accumulator_value"]) == \
        (1e-2, 0, 1e-10, 0)
    with pytest.raises(ValueError, match="Invalid lr_decay value: -1"):
        optim.Adagrad([p], lr_decay=-1)
    with pytest.raises(ValueError, match="Invalid initial_accumulator_value value: -1"):
        optim.Adagrad([p], initial_accumulator_value=-1)


def test_adagrad_state_starts_in_the_constructor_from_its_accumulator_value(device):
    # as PyTorch: every parameter has its state at once; a group's own
    # initial_accumulator_value is ignored, the constructor's is used (also for added groups)
    a, b, c = (torch.ones(1, device=device, requires_grad=True) for _ in range(3))
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=1.0, initial_accumulator_value=0.5)
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    assert to_host(opt.state[b]["sum"]).tolist() == [0.5] and opt.state[b]["step"].item() == 0
    opt.add_param_group({"params": [c], "initial_accumulator_value": 7.0})
    for p in (a, b, c):
        p.grad = torch.ones(1, device=device)
    opt.step()
    for p in (a, b, c):  # s = 0.5 + 1: p = 1 - 1/√1.5
        np.testing.assert_allclose(to_host(p.detach()), [1 - 1 / math.sqrt(1.5)], rtol=1e-6)


# -- Adadelta -------------------------------------------------------------------------------
@pytest.mark.parametrize("lr, rho, eps, weight_decay, maximize", [
    (1.0, 0.9, 1e-6, 0.0, False), (0.5, 0.8, 1e-3, 0.1, False), (1.0, 0.95, 1e-2, 0.0, True)])
def test_adadelta_follows_the_formula(device, quadratic, reference, lr, rho, eps,
                                      weight_decay, maximize):
    v, u = {}, {}

    def update(i, t, p, g):
        g = (-g if maximize else g) + weight_decay * p
        v[i] = rho * v.get(i, 0.0) + (1 - rho) * g * g
        delta = math.sqrt(u.get(i, 0.0) + eps) / math.sqrt(v[i] + eps) * g
        u[i] = rho * u.get(i, 0.0) + (1 - rho) * delta * delta
        return p - lr * delta

    def make(ps):
        return optim.Adadelta(ps, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                              maximize=maximize)

    got = quadratic(make, P0, C, 10, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 10), rtol=1e-5, atol=1e-8)


def test_adadelta_first_step_size_is_set_by_eps(device):
    # u_0 = 0: Δ = √ε / √((1-ρ) g² + ε) · g ≈ √ε/√(1-ρ) for |g| ≫ √ε
    p = torch.tensor([0.0], device=device, requires_grad=True)
    opt = optim.Adadelta([p])
    p.grad = torch.tensor([5.0], device=device)
    opt.step()
    assert p.item() == pytest.approx(-math.sqrt(1e-6) / math.sqrt(0.1 * 25 + 1e-6) * 5,
                                     rel=1e-5)


def test_adadelta_defaults_and_validation():
    p = torch.ones(1, requires_grad=True)
    d = optim.Adadelta([p]).defaults
    assert (d["lr"], d["rho"], d["eps"], d["weight_decay"]) == (1.0, 0.9, 1e-6, 0)
    with pytest.raises(ValueError, match="Invalid rho value: 1.5"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.Adadelta([p], eps=-1)
