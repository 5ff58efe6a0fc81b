"""Parity with PyTorch for indexing keys drawn by hypothesis: ints (negative too), slices
with steps, None, Ellipsis, integer lists with repeats, and boolean masks, mixed in one key.
The values of ``x[key]`` and the gradient of a weighted sum of them (repeated indices
accumulate) must agree; a key PyTorch refuses must be refused. Skipped without PyTorch.
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


@st.composite
def keys(draw, shape):
    """A key for an array of `shape`: one entry per dimension it consumes, at most one
    integer list (PyTorch and NumPy place mixed advanced indices differently otherwise)."""
    entries, dim, advanced = [], 0, False
    while dim < len(shape) and draw(st.booleans()):
        n = shape[dim]
        kinds = ["int", "slice", "none"] + ([] if advanced else ["list", "mask"])
        kind = draw(st.sampled_from(kinds))
        if kind == "int" and n > 0:
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            entries.append(slice(start, stop, draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "none":
            entries.append(None)
            continue  # consumes no dimension
        elif kind == "list" and n > 0:
            entries.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
            advanced = True
        elif kind == "mask":
            entries.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)),
                                    dtype=bool))
            advanced = True
        else:
            entries.append(slice(None))
        dim += 1
    if draw(st.booleans()) and not any(e is Ellipsis for e in entries):
        entries.insert(draw(st.integers(0, len(entries))), Ellipsis)
    return tuple(entries)


def _lib_key(lib, key, **tensor_kwargs):
    return tuple(lib.tensor(k, **tensor_kwargs) if isinstance(k, np.ndarray) else k
                 for k in key)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
def test_drawn_getitem_matches_pytorch(data, shape, device):
    key = data.draw(keys(shape))
    values = np.random.default_rng(0).standard_normal(shape)
    try:
        xr = torch_ref.tensor(values, requires_grad=True)
        yr = xr[_lib_key(torch_ref, key)]
    except (IndexError, RuntimeError, ValueError, TypeError):
        x = mt.tensor(values, requires_grad=True, device=device)
        with pytest.raises((IndexError, RuntimeError, ValueError, TypeError)):
            x[_lib_key(mt, key, device=device)]
        return
    x = mt.tensor(values, requires_grad=True, device=device)
    if yr.numel() == 0:
        # PyTorch skips the bounds check where nothing is gathered (an empty tensor, or one
        # a slice emptied first), so x[..., [5]] of a (0, 2) tensor passes there; here an
        # index out of range is refused
        try:
            y = x[_lib_key(mt, key, device=device)]
        except IndexError as e:
            assert "out of bounds" in str(e)
            return
    else:
        y = x[_lib_key(mt, key, device=device)]
    assert tuple(y.shape) == tuple(yr.shape), key
    np.testing.assert_array_equal(to_host(y), yr.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(yr.shape))
    (y * mt.tensor(w, device=device)).sum().backward()
    (yr * torch_ref.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), xr.grad.numpy(), rtol=1e-12, atol=1e-12,
                               err_msg=str(key))


@st.composite
def unique_keys(draw, shape):
    """A key as `keys` draws, with no repeated position (assigning twice to one element has
    no defined winner in PyTorch)."""
    key = draw(keys(shape))
    return tuple(sorted(set(k)) if isinstance(k, list) else k for k in key)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_drawn_setitem_matches_pytorch(data, shape, device):
    # y = 2x; y[key] = v (in place, recorded); loss = Σ w·y: values and the gradients of x
    # (zero where overwritten) and of v (summed over where it was broadcast)
    key = data.draw(unique_keys(shape))
    rng = np.random.default_rng(0)
    values = rng.standard_normal(shape)
    try:
        target_shape = tuple(torch_ref.tensor(values)[_lib_key(torch_ref, key)].shape)
    except (IndexError, RuntimeError, ValueError, TypeError):
        return  # keys PyTorch refuses: test_drawn_getitem_matches_pytorch covers those
    if 0 in target_shape:
        return  # nothing assigned (where PyTorch skips the bounds check: see above)
    v_shape = data.draw(st.sampled_from([(), target_shape[-1:], target_shape]))
    v = rng.standard_normal(v_shape)
    w = rng.standard_normal(shape)

    def run(lib, **tensor_kwargs):
        x = lib.tensor(values, requires_grad=True, **tensor_kwargs)
        vt = lib.tensor(v, requires_grad=True, **tensor_kwargs)
        y = x * 2.0
        y[_lib_key(lib, key, **tensor_kwargs)] = vt
        (y * lib.tensor(w, **tensor_kwargs)).sum().backward()
        return y, x.grad, vt.grad

    ours, theirs = run(mt, device=device), run(torch_ref)
    for a, b in zip(ours, theirs):
        b = np.zeros(v_shape) if b is None else b.detach().numpy()  # v unused: no grad
        a = np.zeros(v_shape) if a is None else to_host(a.detach())
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=str(key))
