"""Parity with PyTorch for tensor creation with drawn arguments: ``arange`` (integer and
float bounds and steps, where the length is a rounding question), ``linspace``, ``eye``,
``full`` (the dtype inferred from the fill value), ``tensor`` of nested lists mixing bools,
ints and floats, ``*_like`` with a dtype, and ``randint``'s bounds. Values, shapes and
dtypes, or a refusal where PyTorch refuses. Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt

pt = pytest.importorskip("torch")

REFUSALS = (RuntimeError, ValueError, TypeError, IndexError, OverflowError,
            NotImplementedError)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
DTYPES = [None, "float32", "float64", "int64", "int32", "uint8", "bool", "float16"]
_number = (st.integers(-6, 6) | st.sampled_from([0.1, 0.25, 0.5, 1.5, -0.3, 2.0, 1e-3, 3.0])
           | st.booleans())


def _dtype(lib, name):
    return None if name is None else getattr(lib, name)


INTEGERS = ("int64", "int32", "uint8", "bool")


def _refused_here(make, device, value, dtype) -> bool:
    """Where minitorch_np refuses on purpose what PyTorch converts silently (the project's
    rule: nothing is silently truncated): a non-integer value into an integer or bool dtype
    (PyTorch: 0.5 → 0 or True). Checks the refusal and says whether it applied."""
    if dtype not in INTEGERS or not isinstance(value, float) or value.is_integer():
        return False
    with pytest.raises(TypeError, match="refusing to truncate"):
        make(mt, {"device": device})
    return True


def _same(make, device, exact=True):
    """make(lib, extra_kwargs) in both; same dtype, shape and values, or both refuse."""
    try:
        theirs = make(pt, {})
    except REFUSALS:
        with pytest.raises(REFUSALS):
            make(mt, {"device": device})
        return
    ours = make(mt, {"device": device})
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    if exact:
        np.testing.assert_array_equal(to_host(ours), theirs.numpy())
    else:  # within an ulp of the dtype (the two compute start + i·step in other orders)
        ulp = 2.0 ** -10 if ours.dtype == mt.float16 else 1e-6
        np.testing.assert_allclose(to_host(ours), theirs.numpy(), rtol=ulp, atol=ulp)


@SETTINGS
@given(start=_number, end=st.none() | _number, step=st.none() | _number,
       dtype=st.sampled_from(DTYPES))
def test_drawn_arange_matches(start, end, step, dtype, device):
    if dtype in ("int64", "int32", "uint8") and end is not None and step is not None \
            and int(step) == 0 and step != 0:
        # a step that truncates to 0 in an integer dtype: PyTorch 2.13 repeats the start
        # (arange(0, 1, 0.1, dtype=int32) is ten 0s); minitorch_np refuses
        with pytest.raises((ValueError, RuntimeError), match="truncates to 0|inconsistent"):
            mt.arange(start, end, step, dtype=_dtype(mt, dtype))
        return

    def make(lib, kw):
        args = (start,) if end is None else (start, end) if step is None else \
            (start, end, step)
        return lib.arange(*args, dtype=_dtype(lib, dtype), **kw)
    _same(make, device, exact=False)


@SETTINGS
@given(start=_number, end=_number, steps=st.integers(-1, 7), dtype=st.sampled_from(DTYPES))
def test_drawn_linspace_matches(start, end, steps, dtype, device):
    _same(lambda lib, kw: lib.linspace(start, end, steps, dtype=_dtype(lib, dtype), **kw),
          device, exact=False)


@SETTINGS
@given(n=st.integers(-1, 4), m=st.none() | st.integers(-1, 4), dtype=st.sampled_from(DTYPES))
def test_drawn_eye_matches(n, m, dtype, device):
    _same(lambda lib, kw: lib.eye(n, *(() if m is None else (m,)), dtype=_dtype(lib, dtype),
                                  **kw), device)


@SETTINGS
@given(shape=st.lists(st.integers(0, 3), max_size=3), fill=_number,
       dtype=st.sampled_from(DTYPES))
def test_drawn_full_matches(shape, fill, dtype, device):
    def make(lib, kw):
        return lib.full(tuple(shape), fill, dtype=_dtype(lib, dtype), **kw)
    if not _refused_here(make, device, fill, dtype):
        _same(make, device)


_scalar = st.booleans() | st.integers(-3, 3) | st.sampled_from([0.5, -1.25])


@SETTINGS
@given(data=st.lists(_scalar, max_size=3) | st.lists(st.lists(_scalar, min_size=2,
                                                              max_size=2), max_size=3)
       | _scalar,
       dtype=st.sampled_from(DTYPES))
def test_drawn_tensor_from_python_data_matches(data, dtype, device):
    def make(lib, kw):
        return lib.tensor(data, dtype=_dtype(lib, dtype), **kw)
    flat = np.ravel(np.array(data, dtype=object)).tolist()
    odd = [v for v in flat if isinstance(v, float) and not v.is_integer()]
    if odd and _refused_here(make, device, odd[0], dtype):
        return
    _same(make, device)


@SETTINGS
@given(shape=st.lists(st.integers(0, 3), max_size=3), source=st.sampled_from(DTYPES[1:]),
       dtype=st.sampled_from(DTYPES), which=st.sampled_from(["zeros_like", "ones_like",
                                                              "full_like"]))
def test_drawn_like_matches(shape, source, dtype, which, device):
    def make(lib, kw):
        x = lib.zeros(tuple(shape), dtype=_dtype(lib, source), **kw)
        extra = (2,) if which == "full_like" else ()
        return getattr(lib, which)(x, *extra, dtype=_dtype(lib, dtype))
    _same(make, device)


@SETTINGS
@given(low=st.integers(-5, 5), high=st.none() | st.integers(-5, 5),
       shape=st.lists(st.integers(0, 3), max_size=2), dtype=st.sampled_from(DTYPES))
def test_drawn_randint_bounds_match(low, high, shape, dtype, device):
    """Not the values (the generators differ): the refusals, the dtype, the shape, and
    every value within [low, high)."""
    args = (low,) if high is None else (low, high)
    try:
        theirs = pt.randint(*args, tuple(shape), dtype=_dtype(pt, dtype))
    except REFUSALS:
        with pytest.raises(REFUSALS):
            mt.randint(*args, tuple(shape), dtype=_dtype(mt, dtype), device=device)
        return
    ours = mt.randint(*args, tuple(shape), dtype=_dtype(mt, dtype), device=device)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    lo, hi = (0, low) if high is None else (low, high)
    values = to_host(ours).astype(np.int64)
    assert ((values >= lo) & (values < hi)).all()
