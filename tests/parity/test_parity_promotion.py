"""Parity with PyTorch for type promotion, drawn by hypothesis: binary ops between tensors of
any two of the nine dtypes — n-d or 0-d (a 0-d tensor counts like a number against an n-d
one of its category) — and Python numbers on either side. The result's dtype and values
must be PyTorch's; an operation PyTorch refuses (a bool subtracted, an integer divided by
zero) must be refused. Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import operator

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "lt": operator.lt, "eq": operator.eq,
}


def _maximum(lib):
    return lambda a, b: lib.maximum(a, b)


def _operand(lib, kind, dtype, shape, values, **tensor_kwargs):
    if kind == "python":
        return values.item() if dtype != "bool" else bool(values.item())
    array = values.reshape(shape if kind == "tensor" else ())
    return lib.tensor(array.astype(dtype), dtype=getattr(lib, dtype), **tensor_kwargs)


@st.composite
def operand_specs(draw):
    kind = draw(st.sampled_from(["tensor", "0-d", "python"]))
    dtype = draw(st.sampled_from(DTYPES if kind != "python" else ["bool", "int64", "float64"]))
    if dtype == "bool":
        value = np.array(draw(st.lists(st.booleans(), min_size=3, max_size=3)))
    elif dtype.startswith("float"):
        value = np.array(draw(st.lists(st.sampled_from([-2.5, -1.0, 0.5, 2.0, 3.0]),
                                       min_size=3, max_size=3)))
    else:
        lo = 0 if dtype == "uint8" else -3
        value = np.array(draw(st.lists(st.integers(lo, 4), min_size=3, max_size=3)))
    if kind != "tensor":
        value = value[:1]
    return kind, dtype, value


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "lt",
                           "eq", "maximum"]),
       a=operand_specs(), b=operand_specs())
def test_drawn_promotion_matches_pytorch(op, a, b, device):
    if a[0] == "python" and b[0] == "python":
        return  # two numbers: no tensor involved
    if op == "maximum" and "python" in (a[0], b[0]):
        return  # maximum takes tensors only
    fn = OPS.get(op)

    def run(lib, **tensor_kwargs):
        x = _operand(lib, a[0], a[1], (3,), a[2], **tensor_kwargs)
        y = _operand(lib, b[0], b[1], (3,), b[2], **tensor_kwargs)
        return _maximum(lib)(x, y) if op == "maximum" else fn(x, y)

    try:
        theirs = run(torch_ref)
    except (RuntimeError, TypeError, ZeroDivisionError):
        with pytest.raises((RuntimeError, TypeError, ZeroDivisionError)):
            run(mt, device=device)
        return
    ours = run(mt, device=device)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (op, a, b)
    expected = theirs.numpy()
    got = to_host(ours)
    if expected.dtype.kind == "f":
        tol = 1e-3 if expected.dtype == np.float16 else 1e-6
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)
