"""Parity with PyTorch for chains of shape ops drawn by hypothesis: reshape, view, permute,
transpose, squeeze/unsqueeze, flatten, expand, narrow, split, chunk, cat, stack, ``.T`` and
``.mT`` in any order, on any shape (sizes 0 and 1 included). The values, the gradient
through the chain, and where PyTorch refuses (``view`` of a non-contiguous tensor, a bad
dimension) the refusal must agree. Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")


def _step(T, x, kind, a, b):
    """One shape op on x, its arguments read from the numbers a and b."""
    nd = x.ndim
    if kind == "reshape flat":
        return x.reshape(-1)
    if kind == "reshape split first":
        return x.reshape(x.shape[0], -1) if nd and x.shape[0] else x.reshape(1, -1)
    if kind == "view flat":
        return x.view(-1)
    if kind == "permute":
        return x.permute(np.random.default_rng(a).permutation(nd).tolist())
    if kind == "transpose":
        return x.transpose(a % nd, b % nd) if nd else x
    if kind == "unsqueeze":
        return x.unsqueeze(a % (nd + 1))
    if kind == "squeeze":
        return x.squeeze()
    if kind == "squeeze dim":
        return x.squeeze(a % nd) if nd else x
    if kind == "flatten":
        return x.flatten(min(a % nd, b % nd), max(a % nd, b % nd)) if nd else x.flatten()
    if kind == "expand":
        return x.unsqueeze(0).expand(2, *x.shape)
    if kind == "narrow":
        if not nd or not x.shape[a % nd]:
            return x
        d = a % nd
        start = b % x.shape[d]
        return x.narrow(d, start, x.shape[d] - start)
    if kind == "split":
        return x.split(max(1, a % 3), dim=b % nd)[0] if nd and x.shape[b % nd] else x
    if kind == "chunk":
        return x.chunk(max(1, a % 3), dim=b % nd)[-1] if nd and x.shape[b % nd] else x
    if kind == "cat":
        return T.cat([x, x * 2.0], dim=a % nd) if nd else x
    if kind == "stack":
        return T.stack([x, x * 3.0], dim=a % (nd + 1))
    if kind == "T":
        return x.T if nd == 2 else x  # (PyTorch deprecates .T on other ranks)
    if kind == "mT":
        return x.mT if nd >= 2 else x
    raise AssertionError(kind)


KINDS = ["reshape flat", "reshape split first", "view flat", "permute", "transpose",
         "unsqueeze", "squeeze", "squeeze dim", "flatten", "expand", "narrow", "split", "chunk",
         "cat", "stack", "T", "mT"]


def _chain(T, values, program, **tensor_kwargs):
    x = T.tensor(values, requires_grad=True, **tensor_kwargs)
    y = x * 1.0
    for kind, a, b in program:
        y = _step(T, y, kind, a, b)
    return x, y


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3),
       program=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 7),
                                  st.integers(0, 7)), min_size=1, max_size=6),
       seed=st.integers(0, 2**32 - 1))
def test_drawn_shape_chain_matches_pytorch(shape, program, seed, device):
    values = np.random.default_rng(seed).standard_normal(shape)
    try:
        xr, yr = _chain(torch_ref, values, program)
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises((RuntimeError, IndexError, ValueError)):
            _chain(mt, values, program, device=device)
        return
    x, y = _chain(mt, values, program, device=device)
    assert tuple(y.shape) == tuple(yr.shape), program
    np.testing.assert_array_equal(to_host(y), yr.detach().numpy())
    w = np.random.default_rng(seed + 1).standard_normal(tuple(yr.shape))
    (y * mt.tensor(w, device=device)).sum().backward()
    (yr * torch_ref.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), xr.grad.numpy(), rtol=1e-12, atol=1e-12)
