"""Broadcasting and reduction dims, drawn by hypothesis.

Binary ops get pairs of mutually broadcastable shapes (NumPy's rules, which PyTorch shares):
forward against NumPy, then ``gradcheck``, which also checks that each gradient has been
summed back to its input's shape. Reductions get random ``dim``/``keepdim`` and their
gradients are compared with closed forms (d sum = 1, d mean = 1/n, ...).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import minitorch_np as torch
from minitorch_np.autograd import gradcheck

# `device` is a function-scoped fixture, but a constant one: sharing it across examples is fine
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2**32 - 1)


def _pair(n=2):
    return mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=4, max_side=4)


def sum_to_shape(g: np.ndarray, shape) -> np.ndarray:
    """Undo broadcasting: sum `g` over the dims that were added or stretched from 1."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a ** b, np.power),
    "maximum": (torch.maximum, np.maximum),
    "minimum": (torch.minimum, np.minimum),
}


def _operands(name, shapes, rng):
    a = rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1])
    if name == "pow":
        a = rng.uniform(0.5, 2.0, shapes[0])
    if name == "div":
        b = rng.choice([-1.0, 1.0], shapes[1]) * rng.uniform(0.5, 1.5, shapes[1])
    if name in ("maximum", "minimum"):  # at least 0.05 apart: no ties within gradcheck's ε
        b = np.where(np.abs(b - a) < 0.05, b + 0.1, b)
    return a, b


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=_pair(), seed=seeds)
def test_binary_broadcasting(name, shapes, seed, device):
    op, ref = BINARY[name]
    a, b = _operands(name, shapes.input_shapes, np.random.default_rng(seed))
    ta = torch.tensor(a, device=device, requires_grad=True)
    tb = torch.tensor(b, device=device, requires_grad=True)

    out = op(ta, tb)
    assert tuple(out.shape) == shapes.result_shape
    np.testing.assert_allclose(to_host(out), ref(a, b), rtol=1e-12, atol=1e-14)
    assert gradcheck(op, (ta, tb))


@SETTINGS
@given(shapes=_pair(), seed=seeds)
def test_broadcast_gradients_are_summed_back(shapes, seed, device):
    """For y = a·b and upstream v: ∂/∂a = sum-to-shape(v·b), ∂/∂b = sum-to-shape(v·a)."""
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a, b, v = rng.standard_normal(sa), rng.standard_normal(sb), rng.standard_normal(
        shapes.result_shape)
    ta = torch.tensor(a, device=device, requires_grad=True)
    tb = torch.tensor(b, device=device, requires_grad=True)
    (ta * tb).backward(torch.tensor(v, device=device))
    assert tuple(ta.grad.shape) == sa and tuple(tb.grad.shape) == sb
    np.testing.assert_allclose(to_host(ta.grad), sum_to_shape(v * b, sa), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_host(tb.grad), sum_to_shape(v * a, sb), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(shapes=_pair(3), seed=seeds)
def test_where_broadcasts_three_ways(shapes, seed, device):
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    cond = rng.random(sc) < 0.5
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ta = torch.tensor(a, device=device, requires_grad=True)
    tb = torch.tensor(b, device=device, requires_grad=True)
    tc = torch.tensor(cond, device=device)
    out = torch.where(tc, ta, tb)
    np.testing.assert_array_equal(to_host(out), np.where(cond, a, b))
    assert gradcheck(lambda x, y: torch.where(tc, x, y), (ta, tb))


# -- reductions over drawn dims ------------------------------------------------------------
@st.composite
def shape_dims_keepdim(draw, min_side=1):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=min_side, max_side=4))
    ndim = len(shape)
    dims = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    # some dims written negative, as users do
    dims = [d - ndim if draw(st.booleans()) else d for d in dims]
    dim = dims[0] if len(dims) == 1 and draw(st.booleans()) else tuple(dims)
    return shape, dim, draw(st.booleans())


def _axes(dim, ndim):
    return tuple(d % ndim for d in (dim if isinstance(dim, tuple) else (dim,)))


def _spread(v, shape, axes, keepdim):
    """Upstream gradient of the reduced output, broadcast back over the input's shape."""
    if not keepdim:
        v = np.expand_dims(v, axes)
    return np.broadcast_to(v, shape)


def _check_reduction(name, shape, dim, keepdim, device, x, expected, closed_form_grad,
                     **kw):
    axes = _axes(dim, len(shape))
    t = torch.tensor(x, device=device, requires_grad=True)
    out = getattr(t, name)(dim=dim, keepdim=keepdim, **kw)
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-12, atol=1e-14)
    v = np.random.default_rng(1).standard_normal(expected.shape)
    out.backward(torch.tensor(v, device=device))
    want = _spread(v, shape, axes, keepdim) * closed_form_grad
    np.testing.assert_allclose(to_host(t.grad), want, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(sdk=shape_dims_keepdim(), seed=seeds)
def test_sum_over_drawn_dims(sdk, seed, device):
    shape, dim, keepdim = sdk
    x = np.random.default_rng(seed).standard_normal(shape)
    axes = _axes(dim, len(shape))
    _check_reduction("sum", shape, dim, keepdim, device, x,
                     np.sum(x, axis=axes, keepdims=keepdim), np.ones(shape))


@SETTINGS
@given(sdk=shape_dims_keepdim(), seed=seeds)
def test_mean_over_drawn_dims(sdk, seed, device):
    shape, dim, keepdim = sdk
    x = np.random.default_rng(seed).standard_normal(shape)
    axes = _axes(dim, len(shape))
    n = math.prod(shape[a] for a in axes)
    _check_reduction("mean", shape, dim, keepdim, device, x,
                     np.mean(x, axis=axes, keepdims=keepdim), np.full(shape, 1 / n))


@SETTINGS
@given(sdk=shape_dims_keepdim(min_side=2), correction=st.sampled_from([0, 1]), seed=seeds)
def test_var_over_drawn_dims(sdk, correction, seed, device):
    """d var / dx = 2 (x - mean) / (n - correction)."""
    shape, dim, keepdim = sdk
    x = np.random.default_rng(seed).standard_normal(shape)
    axes = _axes(dim, len(shape))
    n = math.prod(shape[a] for a in axes)
    grad = 2 * (x - x.mean(axis=axes, keepdims=True)) / (n - correction)
    _check_reduction("var", shape, dim, keepdim, device, x,
                     np.var(x, axis=axes, ddof=correction, keepdims=keepdim), grad,
                     correction=correction)


@SETTINGS
@given(sdk=shape_dims_keepdim(), seed=seeds)
def test_amax_over_drawn_dims(sdk, seed, device):
    """d amax / dx = 1 at the (unique) largest element of each reduced slice, else 0."""
    shape, dim, keepdim = sdk
    x = np.random.default_rng(seed).permutation(math.prod(shape)).reshape(shape) / 10.0
    axes = _axes(dim, len(shape))
    grad = (x == x.max(axis=axes, keepdims=True)).astype(np.float64)
    _check_reduction("amax", shape, dim, keepdim, device, x,
                     np.max(x, axis=axes, keepdims=keepdim), grad)


@SETTINGS
@given(sdk=shape_dims_keepdim(), seed=seeds)
def test_logsumexp_over_drawn_dims(sdk, seed, device):
    """d logsumexp / dx = softmax over the reduced dims."""
    shape, dim, keepdim = sdk
    x = 3 * np.random.default_rng(seed).standard_normal(shape)
    axes = _axes(dim, len(shape))
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    softmax = e / e.sum(axis=axes, keepdims=True)
    lse = np.log(np.exp(x).sum(axis=axes, keepdims=keepdim))
    _check_reduction("logsumexp", shape, dim, keepdim, device, x, lse, softmax)


@SETTINGS
@given(sdk=shape_dims_keepdim(), p=st.sampled_from([1, 2, 3]), seed=seeds)
def test_norm_over_drawn_dims(sdk, p, seed, device):
    """d ‖x‖ₚ / dx = sign(x) |x|ᵖ⁻¹ / ‖x‖ₚᵖ⁻¹."""
    shape, dim, keepdim = sdk
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)  # away from the kink at 0
    axes = _axes(dim, len(shape))
    norm = (np.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1 / p)
    grad = np.sign(x) * np.abs(x) ** (p - 1) / norm ** (p - 1)
    expected = norm if keepdim else np.squeeze(norm, axis=axes)
    _check_reduction("norm", shape, dim, keepdim, device, x, expected, grad, p=p)
