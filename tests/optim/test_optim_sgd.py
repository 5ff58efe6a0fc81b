"""SGD against hand-computed trajectories, and against the lectures' forms of momentum."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np import optim

P0 = [1.0, -2.0, 0.5]
C = [1.0, 0.5, 3.0]


def test_issue_example_momentum_on_half_p_squared(device, quadratic):
    # lr 0.1, momentum 0.9 on ½p² from p = 1: b = 1, 1.8, 2.34 → p = 0.9, 0.72, 0.486
    got = quadratic(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), [1.0], [1.0], 3, device)
    np.testing.assert_allclose(np.ravel(got), [0.9, 0.72, 0.486], rtol=1e-6)


def test_plain_sgd_is_geometric(device, quadratic):
    # p_t = (1 - lr c)^t p_0
    got = quadratic(lambda ps: optim.SGD(ps, lr=0.1), P0, C, 5, device)
    want = [[p * (1 - 0.1 * c) ** t for p, c in zip(P0, C)] for t in range(1, 6)]
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("momentum, dampening, weight_decay, nesterov, maximize", [
    (0.9, 0.0, 0.0, False, False),
    (0.9, 0.5, 0.0, False, False),
    (0.5, 0.0, 0.1, False, False),
    (0.9, 0.0, 0.0, True, False),
    (0.9, 0.0, 0.1, True, False),
    (0.0, 0.0, 0.2, False, False),
    (0.9, 0.1, 0.05, False, True),
])
def test_sgd_options_follow_the_formula(device, quadratic, reference, momentum, dampening,
                                        weight_decay, nesterov, maximize):
    lr = 0.05
    bufs = {}

    def update(i, t, p, g):
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            bufs[i] = g if t == 1 else momentum * bufs[i] + (1 - dampening) * g
            g = g + momentum * bufs[i] if nesterov else bufs[i]
        return p - lr * g

    def make(ps):
        return optim.SGD(ps, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)

    got = quadratic(make, P0, C, 8, device)
    np.testing.assert_allclose(got, reference(update, P0, C, 8), rtol=1e-5, atol=1e-7)


def test_momentum_buffer_starts_as_first_gradient(device):
    p = torch.tensor([2.0, -1.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = torch.tensor([3.0, 4.0], device=device)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert buf.device == p.device
    np.testing.assert_array_equal(buf.cpu().numpy(), [3.0, 4.0])  # not dampened, not zero
    p.grad = torch.tensor([1.0, 1.0], device=device)
    opt.step()
    np.testing.assert_allclose(buf.cpu().numpy(), [0.9 * 3 + 0.5, 0.9 * 4 + 0.5], rtol=1e-6)
    assert buf is not p.grad


def test_no_state_without_momentum(device):
    p = torch.tensor([1.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = torch.ones(1, device=device)
    opt.step()
    assert len(opt.state[p]) == 0


# -- the lectures' forms of momentum --------------------------------------------------------
def _lecture_run(update, p0, c, steps):
    """Run a lecture's momentum rule on the quadratic in float64 NumPy."""
    w, v = np.array(p0), np.zeros(len(p0))
    out = []
    for _ in range(steps):
        w, v = update(w, v, np.array(c) * w)
        out.append(w.copy())
    return out


def test_lecture_000_rumelhart_momentum_is_pytorch_momentum(device, quadratic):
    # u_t = γ u_{t-1} + η g_t, w ← w - u_t  ==  SGD(lr=η, momentum=γ) while η is constant
    eta, gamma = 0.05, 0.5

    def rumelhart(w, u, g):
        u = gamma * u + eta * g
        return w - u, u

    got = quadratic(lambda ps: optim.SGD(ps, lr=eta, momentum=gamma), P0, C, 10, device)
    np.testing.assert_allclose(got, _lecture_run(rumelhart, P0, C, 10), rtol=1e-5, atol=1e-7)


def test_lecture_004_momentum_is_the_same_with_the_sign_folded_in(device, quadratic):
    # m ← β m - η g, w ← w + m
    eta, beta = 0.01, 0.9

    def lecture_004(w, m, g):
        m = beta * m - eta * g
        return w + m, m

    got = quadratic(lambda ps: optim.SGD(ps, lr=eta, momentum=beta), P0, C, 10, device)
    np.testing.assert_allclose(got, _lecture_run(lecture_004, P0, C, 10), rtol=1e-5, atol=1e-7)


def _ewma(alpha, beta):
    def lecture_002(w, v, g):  # v = β v + (1-β) g, w ← w - α v, v_0 = 0
        v = beta * v + (1 - beta) * g
        return w - alpha * v, v
    return lecture_002


def test_lecture_002_ewma_momentum_is_sgd_with_rescaled_lr(device, quadratic):
    # v_t = (1-β) b_t exactly, so the EWMA form is SGD(lr=α(1-β), momentum=β, dampening=0)
    alpha, beta = 0.2, 0.9
    got = quadratic(lambda ps: optim.SGD(ps, lr=alpha * (1 - beta), momentum=beta),
                    P0, C, 12, device)
    np.testing.assert_allclose(got, _lecture_run(_ewma(alpha, beta), P0, C, 12),
                               rtol=1e-5, atol=1e-7)


def test_lecture_002_ewma_momentum_vs_dampening(device):
    # SGD(lr=α, momentum=β, dampening=β) is the EWMA started from v_0 = g_1 instead of 0:
    # with a constant gradient g it steps α g every time, the EWMA α (1 - β^t) g
    alpha, beta, g = 0.1, 0.9, 2.0
    p = torch.tensor([0.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=alpha, momentum=beta, dampening=beta)
    ewma_w, v, w_prev = 0.0, 0.0, 0.0
    for t in range(1, 8):
        p.grad = torch.tensor([g], device=device)
        opt.step()
        v = beta * v + (1 - beta) * g
        ewma_w -= alpha * v
        assert p.item() - w_prev == pytest.approx(-alpha * g, rel=1e-5)
        assert ewma_w == pytest.approx(-alpha * g * sum(1 - beta ** k for k in range(1, t + 1)))
        w_prev = p.item()
    assert p.item() < ewma_w  # the dampened-SGD form moved further: no slow start


def test_weight_decay_is_l2_penalty_gradient(device):
    # lecture 002: SGD's weight_decay λ is the gradient of the penalty ½ λ ‖w‖²
    lam = 0.1
    w1 = torch.tensor([1.0, -3.0], device=device, requires_grad=True)
    w2 = torch.tensor([1.0, -3.0], device=device, requires_grad=True)
    x = torch.tensor([0.5, 2.0], device=device)
    opt1, opt2 = optim.SGD([w1], lr=0.1, weight_decay=lam), optim.SGD([w2], lr=0.1)
    for _ in range(5):
        opt1.zero_grad()
        opt2.zero_grad()
        ((w1 * x).sum() ** 2).backward()
        ((w2 * x).sum() ** 2 + 0.5 * lam * (w2 * w2).sum()).backward()
        opt1.step()
        opt2.step()
    np.testing.assert_allclose(w1.detach().cpu().numpy(), w2.detach().cpu().numpy(), rtol=1e-5)


def test_sgd_validation():
    p = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -0.1"):
        optim.SGD([p], lr=0.1, weight_decay=-0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="zero dampening"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_sgd_defaults():
    p = torch.zeros(1, requires_grad=True)
    assert optim.SGD([p]).defaults == {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
                                           "nesterov": False, "maximize": False, "foreach": None,
                                           "differentiable": False, "fused": None}


def test_sgd_keeps_dtype(device):
    for dtype in (torch.float32, torch.float64):
        p = torch.ones(3, dtype=dtype, device=device, requires_grad=True)
        opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
        for _ in range(2):
            p.grad = torch.ones(3, dtype=dtype, device=device)
            opt.step()
        assert p.dtype == dtype and opt.state[p]["momentum_buffer"].dtype == dtype
