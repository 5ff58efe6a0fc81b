"""Helpers for the optimizer tests: run an optimizer on a separable quadratic.

f(p) = ½ Σ c_i p_i², so ∂f/∂p_i = c_i p_i: each coordinate's trajectory can be computed by
hand (or by a few lines of plain Python in the test) from the update rule's formula.
"""
from __future__ import annotations

import pytest

import minitorch_np as torch


def run_quadratic(make_optimizer, p0, curvatures, steps, device, *, backward=True):
    """The parameter's values after each of `steps` steps, as lists of floats.

    With `backward` the gradient comes from autograd on f; otherwise it is written into
    ``p.grad`` directly (c ⊙ p).
    """
    p = torch.tensor(p0, device=device, requires_grad=True)
    c = torch.tensor(curvatures, device=device)
    optimizer = make_optimizer([p])
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        if backward:
            (0.5 * (c * p * p).sum()).backward()
        else:
            p.grad = (c * p).detach()
        optimizer.step()
        trajectory.append(p.detach().cpu().tolist())
    return trajectory


def reference_quadratic(update, p0, curvatures, steps):
    """The same trajectory in float64 Python: ``update(i, t, p, g)`` returns the new value of
    coordinate `i` at step `t` (1-based) from its value `p` and gradient `g`; any memory
    the rule needs lives in the closure."""
    p = list(p0)
    trajectory = []
    for t in range(1, steps + 1):
        p = [update(i, t, p[i], curvatures[i] * p[i]) for i in range(len(p))]
        trajectory.append(list(p))
    return trajectory


@pytest.fixture
def quadratic():
    return run_quadratic


@pytest.fixture
def reference():
    return reference_quadratic
