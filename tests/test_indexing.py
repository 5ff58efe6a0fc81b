"""``x[key]`` and ``x[key] = value``: basic and advanced indexing with NumPy's semantics,
checked against NumPy on every device."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()

A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


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
    ref = A[key]
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
    ref = a[key]
    out = x[key]
    assert tuple(out.shape) == np.shape(ref)
    np.testing.assert_array_equal(to_host(out), ref)
    y = torch.tensor(a, device=device)
    expected = a.copy()
    expected[key] = -1.0
    y[key] = -1.0
    np.testing.assert_array_equal(to_host(y), expected)
