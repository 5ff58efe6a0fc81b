"""L-BFGS: the first iterations by hand, convergence on a quadratic and on Rosenbrock."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np import optim

C = np.array([1.0, 10.0, 0.5])
P0 = np.array([1.0, -1.0, 2.0])


def _quadratic_closure(opt, p, c):
    def closure():
        opt.zero_grad()
        loss = 0.5 * (c * p * p).sum()
        loss.backward()
        return loss
    return closure


def _setup(device, **kwargs):
    p = torch.tensor(P0, dtype=torch.float64, device=device, requires_grad=True)
    c = torch.tensor(C, dtype=torch.float64, device=device)
    opt = optim.LBFGS([p], **kwargs)
    return p, opt, _quadratic_closure(opt, p, c)


def test_defaults_are_pytorchs():
    p = torch.zeros(1, requires_grad=True)
    d = optim.LBFGS([p]).defaults
    assert d == {"lr": 1, "max_iter": 20, "max_eval": 25, "tolerance_grad": 1e-7,
                     "tolerance_change": 1e-9, "history_size": 100, "line_search_fn": None}
    assert optim.LBFGS([p], max_iter=8).defaults["max_eval"] == 10  # max_iter · 5 // 4


def test_first_iteration_is_a_scaled_gradient_step(device):
    # d = -g, t = min(1, 1/‖g‖₁) · lr
    p, opt, closure = _setup(device, lr=0.5, max_iter=1)
    loss = opt.step(closure)
    g = C * P0
    t = min(1.0, 1.0 / np.abs(g).sum()) * 0.5
    np.testing.assert_allclose(p.detach().cpu().numpy(), P0 - t * g, rtol=1e-12)
    assert loss.item() == pytest.approx(0.5 * (C * P0 * P0).sum())  # the loss before the step


def test_second_iteration_is_the_two_loop_recursion(device):
    p, opt, closure = _setup(device, lr=1.0, max_iter=2, max_eval=10)
    opt.step(closure)
    # by hand: one (s, y) pair after the first step
    g0 = C * P0
    t0 = min(1.0, 1.0 / np.abs(g0).sum())
    p1 = P0 - t0 * g0
    g1 = C * p1
    s, y = -t0 * g0, g1 - g0
    rho, gamma = 1 / (y @ s), (y @ s) / (y @ y)
    q = -g1
    a = rho * (s @ q)
    q = q - a * y
    r = gamma * q
    r = r + s * (a - rho * (y @ r))
    np.testing.assert_allclose(p.detach().cpu().numpy(), p1 + 1.0 * r, rtol=1e-10)
    assert opt.state[p]["n_iter"] == 2 and opt.state[p]["func_evals"] == 2


def test_converges_on_an_ill_conditioned_quadratic(device):
    p, opt, closure = _setup(device)
    opt.step(closure)
    # it stops once the loss changes by less than tolerance_change = 1e-9 (loss ~ c p²/2)
    np.testing.assert_allclose(p.detach().cpu().numpy(), np.zeros(3), atol=1e-5)
    assert opt.state[p]["n_iter"] < 20


def test_stops_at_once_at_a_minimum(device):
    p = torch.zeros(3, dtype=torch.float64, device=device, requires_grad=True)
    c = torch.tensor(C, dtype=torch.float64, device=device)
    opt = optim.LBFGS([p])
    opt.step(_quadratic_closure(opt, p, c))
    assert opt.state[p]["func_evals"] == 1 and opt.state[p]["n_iter"] == 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_rosenbrock_with_strong_wolfe(device, dtype):
    xy = torch.tensor([-1.5, 2.0], dtype=dtype, device=device, requires_grad=True)
    opt = optim.LBFGS([xy], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        x, y = xy[0], xy[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    tol = 1e-5 if dtype == torch.float64 else 1e-4  # it stops on tolerance_change
    np.testing.assert_allclose(xy.detach().cpu().numpy(), [1.0, 1.0], atol=tol)
    assert opt.state[xy]["func_evals"] <= 5 * 25


def test_history_size_bounds_the_memory(device):
    p, opt, closure = _setup(device, history_size=2, max_iter=6, tolerance_change=0)
    opt.step(closure)
    assert len(opt.state[p]["old_dirs"]) <= 2


def test_needs_a_closure_and_one_group():
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = optim.LBFGS([p])
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.add_param_group({"params": [q]})
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([p], line_search_fn="armijo")


def test_several_parameters_are_one_flat_vector(device):
    # two parameters take exactly the steps of their concatenation
    a = torch.tensor([1.0, -1.0], dtype=torch.float64, device=device, requires_grad=True)
    b = torch.tensor([[2.0]], dtype=torch.float64, device=device, requires_grad=True)
    opt = optim.LBFGS([a, b])

    def closure():
        opt.zero_grad()
        loss = 0.5 * (a * a).sum() + 5.0 * (b * b).sum()
        loss.backward()
        return loss

    opt.step(closure)
    flat = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64, device=device,
                        requires_grad=True)
    c = torch.tensor([1.0, 1.0, 10.0], dtype=torch.float64, device=device)
    opt_flat = optim.LBFGS([flat])
    opt_flat.step(_quadratic_closure(opt_flat, flat, c))
    assert a.shape == (2,) and b.shape == (1, 1)
    np.testing.assert_allclose(torch.cat([a.detach(), b.detach().reshape(-1)]).cpu().numpy(),
                               flat.detach().cpu().numpy(), rtol=1e-12, atol=1e-15)
    assert abs(b.item()) < 1e-4
