"""``x[key]``, ``x[key] = value``, ``gather``, ``take_along_dim`` and ``index_select`` with
PyTorch's semantics, checked against NumPy constructions on every device, and against PyTorch
itself where it is installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np.autograd import gradcheck, gradgradcheck


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()

A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


def _dims_used(k) -> int:
    if k is None or k is Ellipsis or isinstance(k, bool):
        return 0
    return np.ndim(k) if np.asarray(k).dtype == bool else 1


def _is_int(k) -> bool:
    return isinstance(k, int | np.integer) and not isinstance(k, bool) or (
        isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "i")


def pytorch_rule(a: np.ndarray, key) -> tuple:
    """``(first, rest)`` with ``a[first][rest]`` equal to PyTorch's ``a[key]``: PyTorch applies
    the integers first (basic indexing, so ``a[first]`` is a view and can be assigned through),
    then NumPy's rule to the rest. An Ellipsis is spelled out: PyTorch places advanced indices by
    the dimensions they index, so one standing for no dimensions does not separate them."""
    key = key if isinstance(key, tuple) else (key,)
    used = sum(_dims_used(k) for k in key)
    key = [e for k in key for e in ([slice(None)] * (a.ndim - used) if k is Ellipsis else [k])]
    first = tuple(int(k) if _is_int(k) else slice(None) for k in key
                  for _ in range(_dims_used(k)))
    return first + (Ellipsis,), tuple(k for k in key if not _is_int(k))  # `...`: 0-d, a view


def by_pytorch_rule(a: np.ndarray, key) -> np.ndarray:
    first, rest = pytorch_rule(a, key)
    return a[first][rest]


def _on(device, key):
    """`key` with NumPy arrays turned into tensors on `device`."""
    def one(k):
        return torch.tensor(k, device=device) if isinstance(k, np.ndarray) else k
    return tuple(one(k) for k in key) if isinstance(key, tuple) else one(key)


BASIC = {
    "int": 1,
    "negative_int": -1,
    "two_ints": (1, 2),
    "three_ints": (2, 3, 4),
    "negative_ints": (-3, -1, -5),
    "slice": slice(1, 3),
    "slice_step": (slice(None, None, 2),),
    "slices_steps": (slice(0, 3, 2), slice(1, None, 2), slice(None, 4, 3)),
    "negative_slice_bounds": (slice(-2, None), slice(None, -1)),
    "empty_slice": slice(2, 1),
    "none_first": (None, 1),
    "none_middle": (slice(None), None, 0),
    "ellipsis_last": (Ellipsis, 2),
    "ellipsis_middle": (1, Ellipsis, 3),
    "ellipsis_none": (1, Ellipsis, None),
    "ellipsis_only": Ellipsis,
}

ADVANCED = {
    "int_list": ([0, 2],),
    "int_list_repeats": ([2, 0, 2, -1],),
    "two_int_lists": ([0, 2], [1, 3]),
    "list_in_middle": (slice(None), [0, 0, 3]),
    "int_tensor": np.array([2, 1]),
    "int_tensor_2d": np.array([[0, 1], [2, 2]]),
    "int_tensors_broadcast": (np.array([[0], [2]]), np.array([1, 3])),
    "bool_mask_dim0": np.array([True, False, True]),
    "bool_mask_2d": A[..., 0] > 20,
    "bool_mask_3d": A % 7 == 0,
    "mixed_int_list_slice": (1, [0, 1], slice(None)),
    "mixed_slice_none_list": (slice(None), None, [1, 2]),
    "mixed_negative_list": (0, slice(None), [1, -1]),
    "separated_arrays": ([0, 2], slice(1, 3), [4, 0]),
    "bool_then_slice": (np.array([False, True, True]), slice(None, 2)),
    "int32_index": np.array([0, 2], dtype=np.int32),
    "empty_index": np.array([], dtype=np.int64),
}


@pytest.mark.parametrize("name", list(BASIC))
def test_basic_indexing_matches_numpy(device, name):
    key = BASIC[name]
    x = torch.tensor(A, device=device)
    out = x[key]
    ref = A[key]
    assert tuple(out.shape) == np.shape(ref)
    assert out.device == x.device and out.dtype is torch.float32
    np.testing.assert_array_equal(to_host(out), ref)


@pytest.mark.parametrize("name", list(ADVANCED))
def test_advanced_indexing_matches_numpy(device, name):
    key = ADVANCED[name]
    x = torch.tensor(A, device=device)
    out = x[_on(device, key)]
    ref = by_pytorch_rule(A, key)  # NumPy's A[key] for all but mixed_negative_list
    assert tuple(out.shape) == ref.shape
    assert out.device == x.device
    np.testing.assert_array_equal(to_host(out), ref)


def test_cpu_index_tensors_may_index_a_device_tensor(device):
    x = torch.tensor(A, device=device)
    out = x[torch.tensor([2, 0])]
    assert out.device == x.device
    np.testing.assert_array_equal(to_host(out), A[[2, 0]])


def test_index_on_another_device_raises():
    x = torch.tensor(A)
    with pytest.raises(RuntimeError, match="fakegpu:0"):
        x[torch.tensor([0, 1], device="fakegpu")]
    y = torch.tensor(A, device="fakegpu:1")
    with pytest.raises(RuntimeError, match="fakegpu"):
        y[torch.tensor([0, 1], device="fakegpu:0")]


def test_indexing_integer_and_bool_tensors(device):
    t = torch.tensor([[1, 2, 3], [4, 5, 6]], device=device)
    assert t[1, 2].item() == 6 and t[1, 2].dtype is torch.int64
    b = torch.tensor([True, False, True], device=device)
    assert b[torch.tensor([2, 1], device=device)].tolist() == [True, False]


def test_a_0d_result_is_a_tensor(device):
    x = torch.tensor(A, device=device)
    v = x[1, 2, 3]
    assert isinstance(v, torch.Tensor) and v.shape == () and v.item() == A[1, 2, 3]


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [3, -4, (0, 4), (0, 0, 5), (Ellipsis, -6)],
                         ids=["int", "negative", "second_dim", "third_dim", "ellipsis"])
def test_integer_out_of_range_raises_index_error_naming_the_shape(device, key):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError, match=r"\[3, 4, 5\]"):
        x[key]


@pytest.mark.parametrize("key", [([0, 3],), (slice(None), [4]), (0, [1], [-6])],
                         ids=["list", "list_dim1", "negative_list"])
def test_advanced_index_out_of_range_raises(device, key):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError, match=r"\[3, 4, 5\]"):
        x[key]
    with pytest.raises(IndexError, match=r"\[3, 4, 5\]"):
        x[_on(device, tuple(np.array(k) if isinstance(k, list) else k for k in key))]


def test_too_many_indices_raise(device):
    with pytest.raises(IndexError, match="too many indices"):
        torch.tensor(A, device=device)[0, 0, 0, 0]


def test_bool_mask_of_the_wrong_shape_raises(device):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError):
        x[torch.tensor([True, False], device=device)]


def test_an_empty_mask_against_a_non_empty_dimension_raises(device):
    # NumPy lets an empty boolean mask through against any size; PyTorch refuses it (found
    # by tests/parity/test_parity_indexing.py)
    x = torch.zeros(2, 1, device=device)
    with pytest.raises(IndexError, match=r"shape of the mask \[0\] does not match the shape "
                                         r"\[1\] .*from dimension 1"):
        x[..., torch.zeros(0, dtype=torch.bool, device=device)]


def test_an_integer_out_of_range_beside_an_advanced_index_raises_on_an_empty_block(device):
    # the integer becomes an index array of the (empty) block's shape; its range is checked
    # before that, as PyTorch checks it
    x = torch.zeros(0, 1, 0, device=device)
    with pytest.raises(IndexError, match="index 0 is out of bounds for dimension 2 with size 0"):
        x[torch.zeros(0, dtype=torch.bool, device=device), ..., 0]


@pytest.mark.parametrize("key", [1.5, (0, 1.0), "a"])
def test_non_integer_indices_raise(device, key):
    with pytest.raises(IndexError, match="valid indices"):
        torch.tensor(A, device=device)[key]


def test_float_tensor_index_raises(device):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError, match="long, int or bool"):
        x[torch.tensor([0.0, 1.0], device=device)]


def test_negative_step_raises(device):
    with pytest.raises(ValueError, match="step"):
        torch.tensor(A, device=device)[::-1]


# -- views and copies --------------------------------------------------------------------------
def test_basic_indexing_returns_a_view(device):
    x = torch.tensor(A, device=device)
    row = x[1]
    row[0, 0] = 100.0  # writes through to x, as in PyTorch
    assert x[1, 0, 0].item() == 100.0 and x[1, 0, 1].item() == A[1, 0, 1]
    assert x._version == row._version == 1
    col = x[:, 2, ::2]
    col.mul_(0)
    assert to_host(x)[:, 2, ::2].sum() == 0


def test_advanced_indexing_returns_a_copy(device):
    x = torch.tensor(A, device=device)
    picked = x[[0, 1]]
    picked[0] = -1.0
    np.testing.assert_array_equal(to_host(x), A)
    masked = x[x > 10]
    masked.zero_()
    np.testing.assert_array_equal(to_host(x), A)
    rows = x[_on(device, np.array([2, 0]))]   # on the CPU, the DataLoader's direct gather
    assert rows._base is None and rows._version == 0
    rows.zero_()
    np.testing.assert_array_equal(to_host(x), A)
    assert x._version == 0


def test_indexing_gradient_accumulates_repeated_indices(device):
    w = torch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (w[[0, 0, 2, 0]] * torch.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [7.0, 0.0, 3.0])


def test_basic_indexing_gradient(device):
    w = torch.tensor(A, device=device, requires_grad=True)
    w[1:, ::2, -1].sum().backward()
    expected = np.zeros_like(A)
    expected[1:, ::2, -1] = 1.0
    np.testing.assert_array_equal(to_host(w.grad), expected)


# -- setitem -------------------------------------------------------------------------------------
SETITEM = {
    "int_scalar": (1, 0.5),
    "element": ((2, 3, 4), -1.0),
    "slice_scalar": ((slice(None), slice(1, 3)), 7.0),
    "step_slice": ((Ellipsis, slice(None, None, 2)), 3.0),
    "int_scalar_int_value": (0, 2),
    "row_broadcast": ((slice(None), 0), np.array([10.0, 20.0, 30.0, 40.0, 50.0], np.float32)),
    "column_broadcast": ((0, slice(None), slice(None)),
                         np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)),
    "full_block": (1, np.arange(20, dtype=np.float32).reshape(4, 5)),
    "int_list": (([0, 2],), 9.0),
    "int_lists_values": (([0, 2], [1, 3]), np.array([[5.0] * 5, [6.0] * 5], np.float32)),
    "int_tensor_index": ((np.array([2, 0]), slice(None), 1), 8.0),
    "bool_mask_scalar": (A > 30, 0.0),
    "bool_mask_values": (A % 7 == 0, np.arange((A % 7 == 0).sum(), dtype=np.float32)),
    "bool_mask_dim0": ((np.array([True, False, True]),), -2.0),
    "none_and_ellipsis": ((None, 1, Ellipsis), 4.0),
    "int_values_into_float": ((0, 0), np.array([1, 2, 3, 4, 5])),
}


@pytest.mark.parametrize("name", list(SETITEM))
def test_setitem_matches_numpy(device, name):
    key, value = SETITEM[name]
    x = torch.tensor(A, device=device)
    ref = A.copy()
    ref[key] = value
    v = torch.tensor(value, device=device) if isinstance(value, np.ndarray) else value
    before = x._version
    x[_on(device, key)] = v
    assert x.dtype is torch.float32 and x.shape == A.shape
    assert x._version == before + 1
    np.testing.assert_array_equal(to_host(x), ref)


def test_setitem_keeps_the_tensor_identity_and_memory():
    a = A.copy()
    x = torch.from_numpy(a)
    x[0, 0, 0] = 123.0
    assert a[0, 0, 0] == 123.0


def test_setitem_casts_a_value_of_another_float_dtype(device):
    x = torch.zeros(3, device=device)
    x[1] = torch.tensor(2.5, dtype=torch.float64, device=device)
    assert x.dtype is torch.float32 and to_host(x).tolist() == [0.0, 2.5, 0.0]


def test_setitem_of_ints_into_an_int_tensor(device):
    t = torch.arange(4, device=device)
    t[1] = 10
    t[torch.tensor([2, 3], device=device)] = torch.tensor([7, 8], device=device)
    assert t.dtype is torch.int64 and to_host(t).tolist() == [0, 10, 7, 8]


@pytest.mark.parametrize("value", [1.5, 2.0, "tensor"], ids=["float", "integral_float",
                                                              "float_tensor"])
def test_setitem_refuses_to_truncate_floats_into_an_int_tensor(device, value):
    t = torch.arange(3, device=device)
    if value == "tensor":
        value = torch.tensor(1.5, device=device)
    with pytest.raises(RuntimeError, match="truncat"):
        t[0] = value
    assert to_host(t).tolist() == [0, 1, 2]  # unchanged
    assert t._version == 0


def test_setitem_bool_values_into_a_bool_tensor(device):
    b = torch.zeros(3, dtype=torch.bool, device=device)
    b[1] = True
    b[torch.tensor([False, False, True], device=device)] = 1
    assert to_host(b).tolist() == [False, True, True]


def test_setitem_with_a_value_on_another_device_raises(device):
    other = "cpu" if device != "cpu" else "fakegpu"
    x = torch.zeros(3, device=device)
    with pytest.raises(RuntimeError, match="cannot be written"):
        x[0:1] = torch.ones(1, device=other)
    with pytest.raises(RuntimeError, match="cannot be written"):
        x[1:] = torch.ones(2, device=other)
    assert to_host(x).tolist() == [0.0, 0.0, 0.0]


def test_setitem_with_a_shape_that_does_not_fit_raises(device):
    x = torch.zeros(2, 3, device=device)
    with pytest.raises((ValueError, RuntimeError), match=r"\[2, 3\]"):
        x[0] = torch.ones(4, device=device)
    with pytest.raises(IndexError):
        x[2] = 1.0


def test_setitem_into_a_view_updates_the_base(device):
    x = torch.zeros(3, 4, device=device)
    row = x[1]
    row[2:] = 5.0
    assert to_host(x)[1].tolist() == [0.0, 0.0, 5.0, 5.0]


def test_setitem_is_recorded_in_the_graph(device):
    w = torch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    v = torch.tensor(10.0, device=device, requires_grad=True)
    y = w * 2
    y[1] = v * 3
    assert y.grad_fn is not None
    (y * torch.tensor([1.0, 2.0, 3.0], device=device)).sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [2.0, 0.0, 6.0])  # w[1] was overwritten
    assert v.grad.item() == 6.0


def test_setitem_on_a_leaf_requiring_grad_raises(device):
    w = torch.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 1.0
    with torch.no_grad():
        w[0] = 1.0
    assert to_host(w).tolist() == [1.0, 0.0, 0.0]


# -- property tests: random keys against NumPy ---------------------------------------------------


@st.composite
def _array_and_key(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    length = draw(st.integers(1, 3))  # all index lists broadcast together: one length
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "list", "none", "all"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            key.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
        elif kind == "list":
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length)))
        elif kind == "none":
            key.extend([None, slice(None)])
        else:
            key.append(slice(None))
    if draw(st.booleans()) and key:
        key[draw(st.integers(0, len(key) - 1))] = Ellipsis  # replaces one entry
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape), tuple(key)


@settings(max_examples=25, deadline=None)
@given(_array_and_key(), st.sampled_from(["cpu", "fakegpu"]))
def test_random_keys_match_numpy(array_and_key, device):
    a, key = array_and_key
    x = torch.tensor(a, device=device)
    ref = by_pytorch_rule(a, key)
    out = x[key]
    assert tuple(out.shape) == np.shape(ref)
    np.testing.assert_array_equal(to_host(out), ref)
    y = torch.tensor(a, device=device)
    expected = a.copy()
    first, rest = pytorch_rule(expected, key)
    expected[first][rest] = -1.0
    y[key] = -1.0
    np.testing.assert_array_equal(to_host(y), expected)


# -- PyTorch's rule: integers first ----------------------------------------------------------------
Z = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)

# Keys where NumPy's rule places the dimensions differently (it counts an integer as an advanced
# index): array, key, PyTorch's shape.
INTEGERS_FIRST = {
    "int_slice_list": (A, (0, slice(None), [0, 1]), (4, 2)),
    "int_slice_negative_list": (A, (2, slice(1, None), [-1, 0, -1]), (3, 3)),
    "int_slice_mask": (A, (1, slice(None), np.array([True, False, True, False, True])), (4, 3)),
    "int_slice_int_tensor_2d": (A, (0, slice(None), np.array([[0, 1], [1, 2]])), (4, 2, 2)),
    "int_ellipsis_list": (A, (0, Ellipsis, [3, 1]), (4, 2)),
    "int_none_slice_none_list": (A, (0, None, slice(None), None, [1, 2]), (1, 4, 1, 2)),
    "int_slice_true": (A, (0, slice(None), True), (4, 1, 5)),
    "int_slice_false": (A, (0, slice(None), False), (4, 0, 5)),
    "0d_tensor_slice_list": (A, (np.array(2), slice(None), [4, 0]), (4, 2)),
    "ellipsis_of_no_dims": (A, (slice(None), [0, 1], Ellipsis, [0, 1]), (3, 2)),
    "4d_slice_int_slice_list": (Z, (slice(None), 0, slice(None), [0, 1]), (2, 4, 2)),
    "4d_int_slice_int_list": (Z, (0, slice(None), 1, [0, 1]), (3, 2)),
    "4d_int_slice_lists": (Z, (1, slice(None, 2), [0, 3], [[1], [2]]), (2, 2, 2)),
}


@pytest.mark.parametrize("name", list(INTEGERS_FIRST))
def test_integers_apply_first_as_in_pytorch(device, name):
    a, key, shape = INTEGERS_FIRST[name]
    out = torch.tensor(a, device=device)[_on(device, key)]
    assert tuple(out.shape) == shape
    np.testing.assert_array_equal(to_host(out), by_pytorch_rule(a, key))


@pytest.mark.parametrize("name", list(INTEGERS_FIRST))
def test_setitem_integers_apply_first(device, name):
    a, key, shape = INTEGERS_FIRST[name]
    value = -np.arange(1, int(np.prod(shape)) + 1, dtype=np.float32).reshape(shape)
    x = torch.tensor(a, device=device)
    x[_on(device, key)] = torch.tensor(value, device=device)
    expected = a.copy()
    first, rest = pytorch_rule(expected, key)
    expected[first][rest] = value
    np.testing.assert_array_equal(to_host(x), expected)


def test_setitem_refuses_the_numpy_shaped_value(device):
    x = torch.tensor(A, device=device)
    with pytest.raises((ValueError, RuntimeError), match=r"\[2, 4\]"):
        x[0, :, [0, 1]] = torch.ones(2, 4, device=device)
    np.testing.assert_array_equal(to_host(x), A)
    assert x._version == 0


@pytest.mark.parametrize("name", list(INTEGERS_FIRST))
def test_integers_first_gradients(device, name):
    a, key, shape = INTEGERS_FIRST[name]
    x = torch.tensor(a, dtype=torch.float64, device=device, requires_grad=True)
    key, host_key = _on(device, key), key
    assert gradcheck(lambda t: t[key], (x,))
    assert gradgradcheck(lambda t: t[key], (x,))
    positions = by_pytorch_rule(np.arange(a.size).reshape(a.shape), host_key)
    if np.unique(positions).size < positions.size:
        return  # a position written twice keeps one value: no gradient to check (nor in PyTorch)
    v = torch.ones(shape, dtype=torch.float64, device=device, requires_grad=True)

    def put(t, value):
        y = t * 1.0  # not a leaf: an in-place write is recorded
        y[key] = value
        return y
    assert gradcheck(put, (x, v))


def test_integers_first_gradient_lands_in_place(device):
    x = torch.tensor(A, device=device, requires_grad=True)
    weights = torch.tensor([[1.0, 2.0]] * 4, device=device)  # (4, 2), PyTorch's shape
    (x[0, :, [0, 3]] * weights).sum().backward()
    expected = np.zeros_like(A)
    expected[0, :, 0], expected[0, :, 3] = 1.0, 2.0
    np.testing.assert_array_equal(to_host(x.grad), expected)


def test_0d_integer_tensor_selects_a_view(device):
    x = torch.tensor(A, device=device)
    row = x[torch.tensor(1, device=device)]
    row[0, 0] = -1.0  # a view, as PyTorch's select
    assert x[1, 0, 0].item() == -1.0


@pytest.mark.parametrize("key", [(0, slice(None), [0, 5]), (5, slice(None), [0, 1]),
                                 (0, slice(None), [0, 1], 0)],
                         ids=["list", "int", "too_many"])
def test_integers_first_errors(device, key):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError, match=r"\[3, 4, 5\]"):
        x[key]


def test_integers_first_mask_of_the_wrong_shape_raises(device):
    x = torch.tensor(A, device=device)
    with pytest.raises(IndexError, match=r"mask \[4\].*\[5\]"):
        x[0, :, torch.tensor([True, False, True, False], device=device)]


# -- a list as the whole key -----------------------------------------------------------------------
def test_a_list_of_lists_is_a_tuple(device):
    x = torch.tensor(A, device=device)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = x[[[0, 1], [2, 0]]]
    assert tuple(out.shape) == (2, 5)
    np.testing.assert_array_equal(to_host(out), A[[0, 1], [2, 0]])


@pytest.mark.parametrize("make, ref", [
    (lambda d: [torch.tensor(0, device=d), torch.tensor(1, device=d)], A[0, 1]),
    (lambda d: [0, slice(None)], A[0, :]),
    (lambda d: [1, None], A[1, None]),
    (lambda d: [Ellipsis, 2], A[..., 2]),
    (lambda d: [True, slice(None)], A[None]),
    (lambda d: [[]], A[np.array([], dtype=np.int64)]),
], ids=["0d_tensors", "slice", "none", "ellipsis", "bool_and_slice", "empty_list"])
def test_a_list_holding_a_tensor_sequence_slice_none_or_ellipsis_is_a_tuple(device, make, ref):
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = torch.tensor(A, device=device)[make(device)]
    assert tuple(out.shape) == ref.shape
    np.testing.assert_array_equal(to_host(out), ref)


def test_a_list_of_numbers_or_of_32_lists_is_one_index(device):
    x = torch.tensor(A, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(to_host(x[[2, 0, 2]]), A[[2, 0, 2]])
        np.testing.assert_array_equal(to_host(x[[True, False, True]]), A[[True, False, True]])
        long = [[0, 1]] * 32
        assert tuple(x[long].shape) == (32, 2, 4, 5)
        np.testing.assert_array_equal(to_host(x[long]), A[np.array(long)])


def test_setitem_with_a_list_as_a_tuple(device):
    x = torch.tensor(A, device=device)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        x[[[0, 1], [2, 0]]] = -1.0
    expected = A.copy()
    expected[[0, 1], [2, 0]] = -1.0
    np.testing.assert_array_equal(to_host(x), expected)


# -- uint8 indices are masks -----------------------------------------------------------------------
UINT8_WARNING = ("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                 "torch.bool instead.")


def test_uint8_index_is_a_mask_with_a_deprecation_warning(device):
    x = torch.tensor(A, device=device)
    mask = torch.tensor([1, 0, 1], dtype=torch.uint8, device=device)
    with pytest.warns(UserWarning, match=UINT8_WARNING.replace(".", r"\.")) as record:
        out = x[mask]
    assert record[0].filename == __file__  # points at the indexing line
    np.testing.assert_array_equal(to_host(out), A[[True, False, True]])
    with pytest.warns(UserWarning, match="uint8"):
        out = x[:, torch.tensor(A[0] % 3 == 0, device=device).to(torch.uint8)]
    np.testing.assert_array_equal(to_host(out), A[:, A[0] % 3 == 0])
    with pytest.warns(UserWarning, match="uint8"):
        out = x[1, :, torch.tensor([0, 1, 0, 0, 3], dtype=torch.uint8, device=device)]
    np.testing.assert_array_equal(to_host(out), A[1][:, [1, 4]])


def test_0d_uint8_index_is_a_bool(device):
    x = torch.tensor(A, device=device)
    with pytest.warns(UserWarning, match="uint8"):
        assert tuple(x[torch.tensor(1, dtype=torch.uint8, device=device)].shape) == (1, 3, 4, 5)
    with pytest.warns(UserWarning, match="uint8"):
        assert tuple(x[torch.tensor(0, dtype=torch.uint8)].shape) == (0, 3, 4, 5)


def test_setitem_with_a_uint8_mask(device):
    x = torch.tensor(A, device=device)
    with pytest.warns(UserWarning, match="uint8"):
        x[torch.tensor([0, 2, 1], dtype=torch.uint8, device=device)] = torch.zeros(2, 4, 5,
                                                                                   device=device)
    expected = A.copy()
    expected[1:] = 0.0
    np.testing.assert_array_equal(to_host(x), expected)


# -- gather, take_along_dim, index_select ----------------------------------------------------------
M = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32)


@pytest.mark.parametrize("dim, index, expected", [
    (1, [[0, 2]], [[1.0, 3.0]]),
    (1, [[0, 2], [1, 0]], [[1.0, 3.0], [5.0, 4.0]]),
    (0, [[2], [0]], [[7.0], [1.0]]),
    (-1, [[0, 2, 1, 1]], [[1.0, 3.0, 2.0, 2.0]]),
    (1, np.zeros((0, 2), dtype=np.int64), np.zeros((0, 2))),
], ids=["one_row", "two_rows", "dim0_one_column", "longer_along_dim", "empty"])
def test_gather_output_has_the_index_shape(device, dim, index, expected):
    x = torch.tensor(M, device=device)
    out = x.gather(dim, torch.tensor(index, device=device))
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_array_equal(to_host(out), expected)


def test_gather_with_a_smaller_index_gradient(device):
    x = torch.tensor(M, dtype=torch.float64, device=device, requires_grad=True)
    index = torch.tensor([[0, 2, 2], [1, 0, 1]], device=device)
    assert gradcheck(lambda t: t.gather(1, index), (x,))
    assert gradgradcheck(lambda t: t.gather(1, index), (x,))
    x.gather(1, index).sum().backward()
    np.testing.assert_array_equal(to_host(x.grad), [[1, 0, 2], [1, 2, 0], [0, 0, 0]])


@pytest.mark.parametrize("index, message", [
    ([[-1, 2]], r"gather\(\): index -1 is out of bounds for dimension 1 with size 3"),
    ([[0, 3]], r"gather\(\): index 3 is out of bounds for dimension 1 with size 3"),
    ([[0], [1], [2], [0]], r"gather\(\): Size does not match at dimension 0 expected index "
                           r"\[4, 1\] to be no larger than self \[3, 3\] apart from dimension 1"),
    ([0, 1], r"gather\(\): Index tensor must have the same number of dimensions"),
], ids=["negative", "too_large", "larger_index", "fewer_dims"])
def test_gather_errors(device, index, message):
    x = torch.tensor(M, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        x.gather(1, torch.tensor(index, device=device))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bool, torch.uint8])
def test_gather_index_dtype_must_be_int32_or_int64(device, dtype):
    x = torch.tensor(M, device=device)
    with pytest.raises(RuntimeError, match=r"gather\(\): Expected dtype int32/int64"):
        x.gather(1, torch.tensor([[0, 1]], device=device).to(dtype))
    out = x.gather(1, torch.tensor([[2, 1]], dtype=torch.int32, device=device))
    np.testing.assert_array_equal(to_host(out), [[3.0, 2.0]])


def test_gather_of_a_0d_tensor(device):
    x = torch.tensor(5.0, device=device)
    np.testing.assert_array_equal(to_host(x.gather(0, torch.tensor([0, 0], device=device))),
                                  [5.0, 5.0])
    assert x.gather(0, torch.tensor(0, device=device)).shape == ()


@pytest.mark.parametrize("shape, index, dim", [
    ((3, 3), [[0, 2]], 1), ((3, 3), [[0], [2]], 0), ((2, 1, 3), [[[0, 2], [1, 1]]], 2),
    ((3, 4), [[3, 0, 1], [2, 2, 2], [1, 0, 3]], -1),
], ids=["index_row_broadcast", "index_column_broadcast", "both_broadcast", "same_shape"])
def test_take_along_dim_broadcasts_like_numpy(device, shape, index, dim):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    x = torch.tensor(a, device=device, requires_grad=True)
    idx = torch.tensor(index, device=device)
    out = torch.take_along_dim(x, idx, dim)
    np.testing.assert_array_equal(to_host(out), np.take_along_axis(a, np.array(index), dim))
    assert gradcheck(lambda t: t.take_along_dim(idx, dim), (x,))


def test_take_along_dim_without_dim_reads_the_flattened_input(device):
    x = torch.tensor(M, device=device)
    out = x.take_along_dim(torch.tensor([[8, 0], [4, 4]], device=device))
    np.testing.assert_array_equal(to_host(out), [9.0, 1.0, 5.0, 5.0])


@pytest.mark.parametrize("index, dim, error, message", [
    (np.array([[-1, 2]]), 1, RuntimeError, r"take_along_dim\(\): index -1 is out of bounds"),
    (np.array([[0, 2]], dtype=np.int32), 1, RuntimeError, r"should be int64 but got .*int32"),
    (np.array([0, 2]), 1, RuntimeError, "same number of dimensions"),
    (np.array([[0, 2], [1, 1]]), 1, RuntimeError, r"size of tensor a \(3\) must match"),
], ids=["negative", "int32", "fewer_dims", "not_broadcastable"])
def test_take_along_dim_errors(device, index, dim, error, message):
    with pytest.raises(error, match=message):
        torch.tensor(M, device=device).take_along_dim(torch.tensor(index, device=device), dim)


def test_index_select_with_a_0d_index_keeps_the_dimension(device):
    v = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = torch.tensor(v, device=device, requires_grad=True)
    out = x.index_select(1, torch.tensor(2, device=device))
    assert tuple(out.shape) == (2, 1)
    np.testing.assert_array_equal(to_host(out), v[:, [2]])
    assert gradcheck(lambda t: t.index_select(1, torch.tensor(2, device=device)), (x,))
    s = torch.tensor(5.0, device=device)
    assert s.index_select(0, torch.tensor([0], device=device)).shape == ()


@pytest.mark.parametrize("index, error, message", [
    ([[0, 1]], IndexError, r"index_select\(\): Index is supposed to be a vector.*\[1, 2\]"),
    ([-1], IndexError, r"index_select\(\): index -1 is out of bounds for dimension 1 with size 3"),
    ([0, 3], IndexError, r"index_select\(\): index 3 is out of bounds for dimension 1"),
    ([True, False], RuntimeError, r"index_select\(\): Expected dtype int32 or int64"),
    ([0.0, 1.0], RuntimeError, r"index_select\(\): Expected dtype int32 or int64"),
], ids=["2d", "negative", "too_large", "bool", "float"])
def test_index_select_errors(device, index, error, message):
    x = torch.zeros(2, 3, device=device)
    with pytest.raises(error, match=message):
        x.index_select(1, torch.tensor(index, device=device))


# -- parity with PyTorch ---------------------------------------------------------------------------
def _pytorch_key(pt, key):
    """`key` for PyTorch: NumPy arrays become tensors."""
    def one(k):
        return pt.from_numpy(k) if isinstance(k, np.ndarray) else k
    return tuple(one(k) for k in key) if isinstance(key, tuple) else one(key)


def _assert_key_matches_pytorch(pt, device, a, key):
    """Values, gradient (of a random upstream gradient) and assignment agree with PyTorch."""
    ours = torch.tensor(a, dtype=torch.float64, device=device, requires_grad=True)
    theirs = pt.tensor(a, dtype=pt.float64, requires_grad=True)
    out_ours, out_theirs = ours[_on(device, key)], theirs[_pytorch_key(pt, key)]
    assert tuple(out_ours.shape) == tuple(out_theirs.shape), key
    np.testing.assert_array_equal(to_host(out_ours), out_theirs.detach().numpy())
    g = np.random.default_rng(0).standard_normal(tuple(out_theirs.shape))
    out_ours.backward(torch.tensor(g, device=device))
    out_theirs.backward(pt.from_numpy(g))
    np.testing.assert_allclose(to_host(ours.grad), theirs.grad.numpy(), rtol=1e-12)
    mine, theirs = torch.tensor(a, device=device), pt.tensor(a)
    value = np.arange(g.size, dtype=a.dtype).reshape(g.shape)  # repeated indices: the last write
    mine[_on(device, key)] = torch.tensor(value, device=device)
    theirs[_pytorch_key(pt, key)] = pt.from_numpy(value)
    np.testing.assert_array_equal(to_host(mine), theirs.numpy())


@pytest.mark.parametrize("name", list(INTEGERS_FIRST))
def test_integers_first_matches_pytorch(device, name):
    pt = pytest.importorskip("torch")
    a, key, _ = INTEGERS_FIRST[name]
    _assert_key_matches_pytorch(pt, device, a, key)


def test_list_keys_uint8_gather_and_index_select_match_pytorch(device):
    pt = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # both libraries' deprecation warnings
        _assert_key_matches_pytorch(pt, device, A, [[0, 1], [2, 0]])
        _assert_key_matches_pytorch(pt, device, A, [0, slice(None), [1, 3]])
        _assert_key_matches_pytorch(pt, device, A, np.array([1, 0, 1], dtype=np.uint8))
    for dim, index in [(1, [[0, 2]]), (1, [[0, 2], [1, 0]]), (0, [[2, 1, 0]])]:
        assert torch.tensor(M, device=device).gather(dim, torch.tensor(index, device=device)) \
            .tolist() == pt.tensor(M).gather(dim, pt.tensor(index)).tolist()
    x = np.arange(6.0).reshape(2, 3)
    assert torch.tensor(x, device=device).index_select(1, torch.tensor(2, device=device)) \
        .tolist() == pt.tensor(x).index_select(1, pt.tensor(2)).tolist()


@st.composite
def _mixed_key(draw):
    """A key of integers, slices, lists and masks in any order, one per dimension and at least
    one of each of the first three, with None or True put in and an Ellipsis standing for some
    of the dimensions."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=3, max_size=4)))
    length = draw(st.integers(1, 3))  # lists and masks share one length: they broadcast
    more = st.sampled_from(["int", "slice", "list", "mask"])
    kinds = ["int", "slice", "list"] + draw(st.lists(more, min_size=len(shape) - 3,
                                                     max_size=len(shape) - 3))
    key = []
    for n, kind in zip(shape, draw(st.permutations(kinds))):
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            key.append(slice(draw(st.none() | st.integers(-n, n)), draw(st.none() | st.integers(
                -n, n)), draw(st.none() | st.integers(1, 2))))
        elif kind == "list" or n < length:
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length)))
        else:
            mask = np.zeros(n, dtype=bool)
            mask[draw(st.permutations(range(n)))[:length]] = True
            key.append(mask)
    for extra in draw(st.lists(st.sampled_from([None, True]), max_size=2)):
        key.insert(draw(st.integers(0, len(key))), extra)
    if draw(st.booleans()):
        start = draw(st.integers(0, len(key)))
        key[start:draw(st.integers(start, len(key)))] = [Ellipsis]
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape), tuple(key)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # `device` is a string
@given(array_and_key=_mixed_key())
def test_random_mixed_keys_match_pytorch(device, array_and_key):
    pt = pytest.importorskip("torch")
    a, key = array_and_key
    _assert_key_matches_pytorch(pt, device, a, key)
