"""Parity with PyTorch for reductions with drawn shapes, dims and values, drawn by hypothesis:
values from a small set so that ties and zeros are common (where max, amax, median, norm
and prod have to choose where the gradient goes), shapes down to empty dimensions, dims
None, one (negative too) or several, keepdim both ways. The result, and the gradient of a
random upstream gradient, in float64; or a refusal where PyTorch refuses. Skipped when
PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")

VALUES = [-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.0, 2.0]  # ties and zeros on purpose


def _values_of(out):
    """The tensors a reduction returns (max/min/median with a dim return (values, indices))."""
    return list(out) if isinstance(out, tuple) else [out]


def _all(dim):
    return None if dim == () else dim


# name: (function of (x, dim, keepdim), whether dim may be a tuple, whether it has a gradient)
REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum() if d is None else x.sum(d, keepdim=k), True, True),
    "mean": (lambda x, d, k: x.mean() if d is None else x.mean(d, keepdim=k), True, True),
    "prod": (lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k), False, True),
    "amax": (lambda x, d, k: x.amax(() if d is None else d, keepdim=k), True, True),
    "amin": (lambda x, d, k: x.amin(() if d is None else d, keepdim=k), True, True),
    "max": (lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k), False, True),
    "min": (lambda x, d, k: x.min() if d is None else x.min(d, keepdim=k), False, True),
    "median": (lambda x, d, k: x.median() if d is None else x.median(d, keepdim=k), False,
               True),
    "argmax": (lambda x, d, k: x.argmax(d, keepdim=k), False, False),
    "argmin": (lambda x, d, k: x.argmin(d, keepdim=k), False, False),
    # (every dim written out for None and (): PyTorch 2.13's logsumexp(()) of a 1-D tensor
    # fails inside, "output with shape [] doesn't match the broadcast shape [1]"; ours
    # reduces all, as its sum(()) does)
    "logsumexp": (lambda x, d, k: x.logsumexp(tuple(range(x.ndim)) if _all(d) is None else d,
                                              keepdim=k), True, True),
    # (var and std get dim=() as None: PyTorch 2.13's var/std forward reduce all for dim=(),
    # but their backward divides by n − 1 = 0 as if nothing were reduced — ±inf, or nan
    # where all values are equal; its dim=None path gives the gradient, as ours does for both)
    "var": (lambda x, d, k: x.var(_all(d), keepdim=k), True, True),
    "var c0": (lambda x, d, k: x.var(_all(d), correction=0, keepdim=k), True, True),
    "std": (lambda x, d, k: x.std(_all(d), keepdim=k), True, True),
    "std c2": (lambda x, d, k: x.std(_all(d), correction=2, keepdim=k), True, True),
    # (at most 2 dims: PyTorch sends the Frobenius norm over 3 or more to matrix_norm, which
    # refuses; ours is the vector 2-norm over them, as torch.linalg.vector_norm's)
    "norm": (lambda x, d, k: x.norm(dim=d[:2] if isinstance(d, tuple) else d, keepdim=k),
             True, True),
    "norm 1": (lambda x, d, k: x.norm(1, dim=d, keepdim=k), True, True),
    "norm inf": (lambda x, d, k: x.norm(float("inf"), dim=d, keepdim=k), True, True),
    "norm 3": (lambda x, d, k: x.norm(3, dim=d, keepdim=k), True, True),
    "all": (lambda x, d, k: x.all() if d is None else x.all(d, keepdim=k), False, False),
    "any": (lambda x, d, k: x.any() if d is None else x.any(d, keepdim=k), False, False),
}
REFUSALS = (RuntimeError, IndexError, ValueError, TypeError)


@st.composite
def _reduction_case(draw):
    name = draw(st.sampled_from(sorted(REDUCTIONS)), label="reduction")
    _, tuple_dims, _ = REDUCTIONS[name]
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3), label="shape"))
    ndim = max(len(shape), 1)  # a 0-d tensor takes dim 0 and -1
    one_dim = st.integers(-ndim, ndim - 1)
    dims = st.none() | one_dim
    if tuple_dims and shape:
        dims = dims | st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)
                               ).map(lambda ds: tuple(d - len(shape) if i % 2 else d
                                                      for i, d in enumerate(ds)))
    dim = draw(dims, label="dim")
    keepdim = draw(st.booleans(), label="keepdim")
    values = np.array(draw(st.lists(st.sampled_from(VALUES), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape)))), dtype=np.float64)
    return name, values.reshape(shape), dim, keepdim


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")  # (PyTorch's)
@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_reduction_case(), seed=st.integers(0, 2 ** 16))
def test_drawn_reduction_matches_pytorch(case, seed, device):
    name, values, dim, keepdim = case
    fn, _, differentiable = REDUCTIONS[name]
    theirs_x = torch_ref.tensor(values, requires_grad=differentiable)
    ours_x = mt.tensor(values, device=device, requires_grad=differentiable)
    try:
        theirs = _values_of(fn(theirs_x, dim, keepdim))
    except REFUSALS:
        with pytest.raises(REFUSALS):
            fn(ours_x, dim, keepdim)
        return
    ours = _values_of(fn(ours_x, dim, keepdim))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape), (name, dim, keepdim)
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], name
        np.testing.assert_allclose(to_host(o), t.detach().numpy(), rtol=1e-12, atol=1e-12,
                                   equal_nan=True, err_msg=f"{name} dim={dim}")
    if not differentiable:
        return
    upstream = np.random.default_rng(seed).standard_normal(theirs[0].shape)
    (theirs[0] * torch_ref.tensor(upstream)).sum().backward()
    (ours[0] * mt.tensor(upstream, device=device)).sum().backward()
    np.testing.assert_allclose(to_host(ours_x.grad), theirs_x.grad.numpy(), rtol=1e-12,
                               atol=1e-12, equal_nan=True, err_msg=f"∂ {name} dim={dim}")
