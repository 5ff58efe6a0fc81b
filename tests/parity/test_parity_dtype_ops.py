"""Parity with PyTorch for unary ops and reductions over every dtype, drawn by hypothesis:
the result's dtype and values (``exp`` of an integer tensor is float, ``sum`` of a bool or
int8 tensor is int64, ``mean`` of an integer tensor is refused, ...), or a refusal where
PyTorch refuses. Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
UNARY = {
    "neg": lambda x: -x, "abs": lambda x: x.abs(), "exp": lambda x: x.exp(),
    "log": lambda x: x.log(), "sqrt": lambda x: x.sqrt(), "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(), "relu": lambda x: x.relu(), "sign": lambda x: x.sign(),
    "square": lambda x: x.square(), "clamp": lambda x: x.clamp(min=0),
    "logical_not": lambda x: x.logical_not(), "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
}
REDUCE = {
    "sum": lambda x: x.sum(), "sum dim": lambda x: x.sum(dim=0), "prod": lambda x: x.prod(),
    "mean": lambda x: x.mean(), "max": lambda x: x.max(), "min dim": lambda x: x.min(dim=0)[0],
    "argmax": lambda x: x.argmax(), "amax": lambda x: x.amax(dim=0), "std": lambda x: x.std(),
    "all": lambda x: x.all(), "any dim": lambda x: x.any(dim=0), "norm": lambda x: x.norm(),
    "logsumexp": lambda x: x.logsumexp(0), "argmin dim": lambda x: x.argmin(dim=1),
    "softmax": lambda x: x.softmax(0), "var": lambda x: x.var(),
}


def _values(dtype, data):
    if dtype == "bool":
        return np.array(data.draw(st.lists(st.booleans(), min_size=4, max_size=4)))
    lo = 0 if dtype == "uint8" else -4
    values = np.array(data.draw(st.lists(st.integers(lo, 5), min_size=4, max_size=4)))
    return values / 2 if dtype.startswith("float") else values


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), dtype=st.sampled_from(DTYPES),
       name=st.sampled_from(sorted(UNARY) + sorted(REDUCE)))
def test_drawn_dtype_op_matches_pytorch(data, dtype, name, device):
    op = UNARY.get(name) or REDUCE[name]
    values = _values(dtype, data).reshape(2, 2).astype(dtype)
    try:
        theirs = op(torch_ref.tensor(values))
    except (RuntimeError, TypeError, AttributeError):
        with pytest.raises((RuntimeError, TypeError, AttributeError)):
            op(mt.tensor(values, device=device))
        return
    ours = op(mt.tensor(values, device=device))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (name, dtype)
    expected = theirs.numpy()
    tol = 2e-3 if expected.dtype == np.float16 else 1e-6
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(to_host(ours), expected, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(to_host(ours), expected)
