"""Making tensors: ``tensor``, ``as_tensor``, ``from_numpy``, the factories, ``*_like``,
the default dtype and ``manual_seed`` (API.md, "Tensors")."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()


# -- tensor(): dtype inference -----------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    ([True, False], torch.bool),
    ([1, 2, 3], torch.int64),
    ([1, 2.5], torch.float32),
    ([[1, 2], [3, 4.0]], torch.float32),
    ([True, 1], torch.int64),
    ([True, 1.5], torch.float32),
    (3, torch.int64),
    (3.5, torch.float32),
    (True, torch.bool),
    ([], torch.float32),
    (np.array([1.0, 2.0]), torch.float64),            # a NumPy array keeps its dtype
    (np.array([1, 2], dtype=np.int32), torch.int32),
    (np.array([1, 2], dtype=np.uint8), torch.uint8),
    (np.array([True]), torch.bool),
    (np.float64(1.5), torch.float64),                 # so does a NumPy scalar
    ([np.int32(1), np.int32(2)], torch.int32),
    ([np.float64(1.0), 2], torch.float64),
    (range(3), torch.int64),                          # a range is a sequence of ints
    (range(0), torch.float32),
    ([range(2), range(2)], torch.int64),
])
def test_tensor_infers_dtype_like_pytorch(device, data, dtype):
    t = torch.tensor(data, device=device)
    assert t.dtype is dtype
    expected = np.asarray(data)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(to_host(t), expected.astype(dtype.numpy))


def test_tensor_nested_lists_give_the_nested_shape(device):
    t = torch.tensor([[[1.0], [2.0]], [[3.0], [4.0]], [[5.0], [6.0]]], device=device)
    assert t.shape == (3, 2, 1)
    assert t.ndim == 3
    np.testing.assert_array_equal(to_host(t)[:, :, 0], [[1, 2], [3, 4], [5, 6]])


def test_tensor_of_tensors_stacks_them(device):
    t = torch.tensor([torch.tensor(1.0), torch.tensor(2.5)], device=device)
    assert t.dtype is torch.float32
    np.testing.assert_array_equal(to_host(t), np.array([1.0, 2.5], np.float32))


def test_tensor_copies_a_numpy_array():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = torch.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    t[1] = -1.0
    assert a[1] == 2.0


def test_tensor_copies_a_tensor(device):
    src = torch.tensor([1.0, 2.0], device=device)
    t = torch.tensor(src, device=device)
    src[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    assert t is not src


def test_tensor_of_a_tensor_requiring_grad_is_a_new_leaf():
    src = torch.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor(src)
    assert not t.requires_grad and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.int32, torch.int64,
                                   torch.bool, torch.float16, torch.uint8])
def test_tensor_dtype_argument(device, dtype):
    t = torch.tensor([0, 1, 2], dtype=dtype, device=device)
    assert t.dtype is dtype
    np.testing.assert_array_equal(to_host(t), np.array([0, 1, 2]).astype(dtype.numpy))


@pytest.mark.parametrize("spelling", [torch.float64, "float64", np.float64])
def test_tensor_dtype_spellings(spelling):
    assert torch.tensor([1, 2], dtype=spelling).dtype is torch.float64


def test_tensor_python_types_as_dtypes_are_pytorchs():
    assert torch.tensor([1, 2], dtype=float).dtype is torch.float64  # not the default float
    assert torch.tensor([1.0], dtype=int).dtype is torch.int64
    assert torch.tensor([2, 0], dtype=bool).tolist() == [True, False]


def test_integral_floats_may_become_ints(device):
    t = torch.tensor([1.0, -2.0, 3.0], dtype=torch.int64, device=device)
    assert t.dtype is torch.int64
    assert t.tolist() == [1, -2, 3]


@pytest.mark.parametrize("make", [
    lambda d: torch.tensor([1.5, 2.0], dtype=torch.int64, device=d),
    lambda d: torch.tensor(np.array([0.5]), dtype=torch.int32, device=d),
    lambda d: torch.tensor([float("nan")], dtype=torch.int64, device=d),
    lambda d: torch.tensor([float("inf")], dtype=torch.int64, device=d),
    lambda d: torch.as_tensor([2.25], dtype=torch.int64, device=d),
    lambda d: torch.full((2,), 1.5, dtype=torch.int64, device=d),
], ids=["list", "ndarray", "nan", "inf", "as_tensor", "full"])
def test_float_data_into_an_int_dtype_is_not_silently_truncated(device, make):
    with pytest.raises(TypeError, match="truncate"):
        make(device)


# -- tensor(): numbers the dtype cannot hold (PyTorch raises; NumPy would wrap around) -----------
@pytest.mark.parametrize("data, dtype", [
    ([2 ** 63], None), ([-2 ** 63 - 1], None), (2 ** 64, None), ([1, 2 ** 70], None),
    ([2 ** 63], torch.int64), ([2 ** 63], torch.int8), ([np.uint64(2 ** 63)], torch.int64),
])
@pytest.mark.parametrize("maker", [torch.tensor, torch.as_tensor], ids=["tensor", "as_tensor"])
def test_ints_beyond_int64_raise_as_in_pytorch(device, maker, data, dtype):
    with pytest.raises(ValueError, match=rf"{maker.__name__}: Overflow when unpacking long long"
                                         rf".* -?\d{{19,}} does not fit in int64"):
        maker(data, dtype=dtype, device=device)


@pytest.mark.parametrize("data, dtype, value", [
    ([300], torch.int8, 300), (300, torch.int8, 300), ([-129], torch.int8, -129),
    ([256], torch.uint8, 256), ([-256], torch.uint8, -256), ([2 ** 31], torch.int32, 2 ** 31),
    ([True, 300], torch.int8, 300), ([300.0], torch.int8, 300.0), ([-1.0], torch.uint8, -1.0),
    ([1e20], torch.int64, 1e20), (np.int64(300), torch.int8, 300),
    ([np.int32(40000)], torch.int16, 40000), ([torch.tensor(300), 5], torch.int8, 300),
])
@pytest.mark.parametrize("maker", [torch.tensor, torch.as_tensor], ids=["tensor", "as_tensor"])
def test_numbers_outside_an_integer_dtype_raise_as_in_pytorch(device, maker, data, dtype, value):
    with pytest.raises(RuntimeError, match=re.escape(
            f"{maker.__name__}: value {value} cannot be converted to type {dtype!r} without "
            f"overflow")):
        maker(data, dtype=dtype, device=device)


def test_what_pytorch_lets_wrap_around_or_convert(device):
    # a negative int may wrap into an unsigned dtype; arrays and tensors are cast unchecked
    assert torch.tensor([-1, -255], dtype=torch.uint8, device=device).tolist() == [255, 1]
    assert torch.tensor(np.array([300]), dtype=torch.int8, device=device).tolist() == [44]
    assert torch.tensor(torch.tensor([300]), dtype=torch.int8, device=device).tolist() == [44]
    assert torch.tensor([2, 0], dtype=torch.bool, device=device).tolist() == [True, False]
    # a big int is fine where it becomes a float
    assert torch.tensor([2 ** 64, 0.5], device=device).dtype is torch.float32
    assert torch.tensor([2 ** 63], dtype=torch.float64, device=device).tolist() == [2.0 ** 63]
    assert torch.tensor([2 ** 70], dtype=torch.bool, device=device).tolist() == [True]


def test_ragged_nested_lists_raise():
    with pytest.raises(ValueError, match="equal-length"):
        torch.tensor([[1, 2], [3]])
    with pytest.raises(ValueError):
        torch.tensor([[1.0], [2.0, 3.0]])


@pytest.mark.parametrize("data", ["abc", [1 + 2j], None, [None], {"a": 1}],
                         ids=["str", "complex", "None", "list-None", "dict"])
def test_data_that_is_not_numbers_raises_type_error(data):
    with pytest.raises(TypeError):
        torch.tensor(data)


def test_unsupported_dtype_name_raises():
    with pytest.raises(TypeError, match="dtype"):
        torch.tensor([1.0], dtype="float128")


@pytest.mark.parametrize("make", [
    lambda d: torch.tensor([1, 2], requires_grad=True, device=d),
    lambda d: torch.zeros(2, dtype=torch.int64, requires_grad=True, device=d),
    lambda d: torch.ones(2, dtype=torch.bool, requires_grad=True, device=d),
    lambda d: torch.arange(3, requires_grad=True, device=d),
    lambda d: torch.tensor([1, 2], device=d).requires_grad_(),
], ids=["tensor", "zeros", "ones-bool", "arange", "requires_grad_"])
def test_requires_grad_on_an_integer_tensor_raises(device, make):
    with pytest.raises(RuntimeError, match="floating point"):
        make(device)


def test_requires_grad_argument_makes_a_leaf(device):
    t = torch.tensor([1.0, 2.0], requires_grad=True, device=device)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


# -- as_tensor, from_numpy ------------------------------------------------------------------
def test_as_tensor_shares_memory_with_a_numpy_array_on_cpu():
    a = np.array([1.0, 2.0, 3.0])
    t = torch.as_tensor(a)
    assert t.dtype is torch.float64
    a[0] = 7.0
    assert t[0].item() == 7.0


def test_as_tensor_copies_when_it_must(device):
    a = np.array([1.0, 2.0, 3.0])
    t = torch.as_tensor(a, dtype=torch.float32, device=device)
    a[0] = 7.0
    assert t.dtype is torch.float32
    assert t.device.type == torch.device(device).type
    np.testing.assert_array_equal(to_host(t), [1.0, 2.0, 3.0])


def test_as_tensor_of_a_tensor_is_the_same_tensor_when_nothing_changes(device):
    t = torch.ones(2, device=device)
    assert torch.as_tensor(t) is t
    assert torch.as_tensor(t, dtype=torch.float64).dtype is torch.float64


def test_as_tensor_of_a_list_infers_dtype(device):
    assert torch.as_tensor([1, 2], device=device).dtype is torch.int64
    assert torch.as_tensor([1, 2.0], device=device).dtype is torch.float32


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = torch.from_numpy(a)
    assert t.dtype is torch.float64 and t.shape == (2, 3) and t.device == torch.device("cpu")
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


@pytest.mark.parametrize("np_dtype, dtype", [(np.float32, torch.float32), (np.int64, torch.int64),
                                             (np.int32, torch.int32), (np.bool_, torch.bool),
                                             (np.uint8, torch.uint8)])
def test_from_numpy_keeps_the_dtype(np_dtype, dtype):
    assert torch.from_numpy(np.zeros(2, np_dtype)).dtype is dtype


def test_from_numpy_refuses_other_things():
    with pytest.raises(TypeError, match="ndarray"):
        torch.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError):
        torch.from_numpy(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        torch.from_numpy(np.array([1 + 1j]))


# -- factories ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],)], ids=["varargs", "tuple", "list"])
@pytest.mark.parametrize("name, value", [("zeros", 0.0), ("ones", 1.0)])
def test_zeros_ones_sizes_and_values(device, size, name, value):
    t = getattr(torch, name)(*size, device=device)
    assert t.shape == (2, 3) and t.dtype is torch.float32
    np.testing.assert_array_equal(to_host(t), np.full((2, 3), value, np.float32))


def test_zero_dimensional_and_empty_shapes(device):
    assert torch.zeros((), device=device).shape == ()
    assert torch.ones(0, 3, device=device).shape == (0, 3)
    assert torch.empty(0, device=device).numel() == 0


def test_empty_has_the_shape_and_dtype(device):
    t = torch.empty(2, 5, dtype=torch.float64, device=device)
    assert t.shape == (2, 5) and t.dtype is torch.float64


@pytest.mark.parametrize("fill, dtype", [(7, torch.int64), (2.5, torch.float32),
                                         (True, torch.bool)])
def test_full_infers_dtype_from_the_fill_value(device, fill, dtype):
    t = torch.full((2, 2), fill, device=device)
    assert t.dtype is dtype
    np.testing.assert_array_equal(to_host(t), np.full((2, 2), fill, dtype.numpy))


def test_full_with_dtype_and_int_size(device):
    t = torch.full((3,), 7, dtype=torch.float32, device=device)
    assert t.dtype is torch.float32 and t.tolist() == [7.0, 7.0, 7.0]
    assert torch.full([2], 2.0, dtype=torch.int64, device=device).tolist() == [2, 2]


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((2, 9), {}), ((10, 0, -3), {}), ((-4, 4, 3), {}), ((0,), {}),
])
def test_arange_of_ints_is_int64(device, args, kwargs):
    t = torch.arange(*args, device=device, **kwargs)
    assert t.dtype is torch.int64
    np.testing.assert_array_equal(to_host(t), np.arange(*args))


@pytest.mark.parametrize("args", [(5.0,), (0, 1, 0.25), (1, 2.5, 0.5), (-1.0, 1.0, 0.5),
                                  (3, 0, -0.75)])
def test_arange_with_a_float_bound_is_float32(device, args):
    t = torch.arange(*args, device=device)
    assert t.dtype is torch.float32
    np.testing.assert_allclose(to_host(t), np.arange(*args).astype(np.float32), rtol=0, atol=1e-6)


def test_arange_dtype_argument(device):
    t = torch.arange(4, dtype=torch.float64, device=device)
    assert t.dtype is torch.float64 and t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_arange_bad_steps_raise():
    with pytest.raises(RuntimeError, match="step"):
        torch.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="step"):
        torch.arange(0, 10, -1)


# (start, end, step), dtype, what torch.arange gives: start and step are truncated to the
# integer dtype; int64 truncates end too, the narrower dtypes count the steps in floats
ARANGE_INTO_INTS = [
    ((0.5, 3), torch.int64, [0, 1, 2]),
    ((0, 6, 1.5), torch.int64, [0, 1, 2, 3, 4, 5]),
    ((0, 2.5, 1), torch.int64, [0, 1]),
    ((0, -2.5, -1), torch.int64, [0, -1]),
    ((3, 0.5, -1), torch.int64, [3, 2, 1]),
    ((0.9, 0.95), torch.int64, []),
    ((0, 6, 1.5), torch.int32, [0, 1, 2, 3]),
    ((0, 2.5, 1), torch.int32, [0, 1, 2]),
    ((-0.5, 3, 1), torch.int16, [0, 1, 2, 3]),
    ((0, -2.5, -1), torch.uint8, [0, 255, 254]),
]


@pytest.mark.parametrize("args, dtype, expected", ARANGE_INTO_INTS)
def test_arange_with_float_arguments_into_an_integer_dtype(device, args, dtype, expected):
    t = torch.arange(*args, dtype=dtype, device=device)
    assert t.dtype is dtype and t.tolist() == expected


@pytest.mark.parametrize("args, dtype", [((0, 2.5, 0.5), torch.int64), ((0, 3, 0.7), torch.int64),
                                         ((0, 2, 0.5), torch.int32)])
def test_arange_refuses_a_step_that_truncates_to_zero(args, dtype):
    # PyTorch raises this ValueError for int64 (and silently gives zeros for int32)
    with pytest.raises(ValueError, match=r"arange: step must be nonzero, but step=0\.\d "
                                         r"truncates to 0 in minitorch_np\.int"):
        torch.arange(*args, dtype=dtype)


@pytest.mark.parametrize("args, dtype, expected", [
    ((torch.tensor(3),), torch.int64, [0, 1, 2]),
    ((torch.tensor(3, dtype=torch.int32),), torch.int64, [0, 1, 2]),
    ((torch.tensor(True),), torch.int64, [0]),
    ((1, torch.tensor(4), torch.tensor(2)), torch.int64, [1, 3]),
    ((torch.tensor(3.0),), torch.float32, [0.0, 1.0, 2.0]),
    ((0, torch.tensor(1), 0.5), torch.float32, [0.0, 0.5]),
    ((np.int64(3),), torch.int64, [0, 1, 2]),
    ((np.float32(2),), torch.float32, [0.0, 1.0]),
], ids=["int64", "int32", "bool", "start-end-step", "float", "float step", "np.int64",
        "np.float32"])
def test_arange_takes_0d_tensors_as_numbers(device, args, dtype, expected):
    args = [torch.tensor(a.item(), dtype=a.dtype, device=device) if isinstance(a, torch.Tensor)
            else a for a in args]
    t = torch.arange(*args, device=device)
    assert t.dtype is dtype and t.tolist() == expected


def test_arange_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match=r"arange: argument 'end' must be a number or a 0-d "
                                        r"tensor, not a Tensor of shape \[1\]"):
        torch.arange(torch.tensor([3]))
    with pytest.raises(TypeError, match="arange: argument 'step' must be a number .* not str"):
        torch.arange(0, 3, "1")
    with pytest.raises(RuntimeError, match="arange: unsupported range: 0 -> inf"):
        torch.arange(0, math.inf)


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-1, 1, 1), (2, -3, 11), (0, 1, 0)])
def test_linspace(device, start, end, steps):
    t = torch.linspace(start, end, steps, device=device)
    assert t.dtype is torch.float32 and t.shape == (steps,)
    np.testing.assert_allclose(to_host(t), np.linspace(start, end, steps), rtol=1e-6, atol=1e-6)


def test_linspace_negative_steps_raise():
    with pytest.raises(RuntimeError, match="steps"):
        torch.linspace(0, 1, -1)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)])
def test_eye(device, args):
    t = torch.eye(*args, device=device)
    assert t.dtype is torch.float32
    np.testing.assert_array_equal(to_host(t), np.eye(*args))


def test_eye_dtype(device):
    t = torch.eye(2, dtype=torch.int64, device=device)
    assert t.dtype is torch.int64 and t.tolist() == [[1, 0], [0, 1]]


def _five_sigma(sd: float, n: int) -> float:
    """Five standard errors of a sample mean: a correct sampler fails this ~1 in 1.7 million."""
    return 5 * sd / math.sqrt(n)


def test_rand_is_uniform_on_0_1(device):
    n = 20_000
    t = torch.rand(n, device=device)
    assert t.dtype is torch.float32 and t.shape == (n,)
    v = to_host(t).astype(np.float64)
    assert v.min() >= 0.0 and v.max() < 1.0
    assert abs(v.mean() - 0.5) < _five_sigma(math.sqrt(1 / 12), n)
    assert abs((v < 0.25).mean() - 0.25) < _five_sigma(math.sqrt(0.25 * 0.75), n)


def test_randn_is_standard_normal(device):
    n = 20_000
    t = torch.randn(4, n // 4, device=device)
    assert t.dtype is torch.float32 and t.shape == (4, n // 4)
    v = to_host(t).astype(np.float64).ravel()
    assert abs(v.mean()) < _five_sigma(1.0, n)
    assert abs(v.std() - 1.0) < _five_sigma(1.0, 2 * n)  # sd of the sample sd ≈ σ/√(2n)


def test_random_factories_take_dtype_and_tuple_sizes(device):
    assert torch.rand((2, 3), dtype=torch.float64, device=device).dtype is torch.float64
    assert torch.randn((2, 3), device=device).shape == (2, 3)
    with pytest.raises(TypeError, match="floating"):
        torch.rand(2, dtype=torch.int64, device=device)
    with pytest.raises(TypeError, match="floating"):
        torch.randn(2, dtype=torch.int64, device=device)


def test_randint_range_and_dtype(device):
    t = torch.randint(3, 7, (4000,), device=device)
    assert t.dtype is torch.int64 and t.shape == (4000,)
    assert set(to_host(t).tolist()) == {3, 4, 5, 6}
    u = torch.randint(5, (2, 3), device=device)  # randint(high, size)
    assert u.shape == (2, 3) and to_host(u).min() >= 0 and to_host(u).max() < 5
    assert torch.randint(0, 2, (3,), dtype=torch.float32, device=device).dtype is torch.float32


def test_randint_bad_bounds_raise():
    with pytest.raises(RuntimeError, match="low < high"):
        torch.randint(3, 3, (2,))
    with pytest.raises(TypeError):
        torch.randint(3)


@pytest.mark.parametrize("n", [0, 1, 10])
def test_randperm_is_a_permutation(device, n):
    t = torch.randperm(n, device=device)
    assert t.dtype is torch.int64 and t.shape == (n,)
    assert sorted(to_host(t).tolist()) == list(range(n))


@pytest.mark.parametrize("make", [
    lambda d: torch.zeros(-1, device=d),
    lambda d: torch.ones(2, -3, device=d),
    lambda d: torch.empty((-1, 2), device=d),
    lambda d: torch.full((-1,), 0.0, device=d),
    lambda d: torch.rand(-1, device=d),
    lambda d: torch.randn(3, -2, device=d),
    lambda d: torch.randint(0, 5, (-1,), device=d),
    lambda d: torch.randperm(-1, device=d),
], ids=["zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm"])
def test_negative_sizes_raise(device, make):
    with pytest.raises(RuntimeError, match="non-negative"):
        make(device)


@pytest.mark.parametrize("size", [(2.5,), ("a",), (True,), (np.True_,), (torch.tensor(2.0),)])
def test_non_integer_sizes_raise(size):
    with pytest.raises(TypeError, match="zeros: sizes must be ints, got"):
        torch.zeros(*size)


INT_SIZES = [np.int64(3), np.int32(3), torch.tensor(3)]
SIZED_FACTORIES = {
    "zeros": lambda n, d: torch.zeros(n, 2, device=d),
    "ones": lambda n, d: torch.ones((n, 2), device=d),
    "empty": lambda n, d: torch.empty([n], device=d),
    "full": lambda n, d: torch.full((n,), 1.0, device=d),
    "rand": lambda n, d: torch.rand(n, device=d),
    "randn": lambda n, d: torch.randn(2, n, device=d),
    "randint": lambda n, d: torch.randint(0, 5, (n,), device=d),
    "randperm": lambda n, d: torch.randperm(n, device=d),
    "eye": lambda n, d: torch.eye(n, n, device=d),
    "linspace": lambda n, d: torch.linspace(0, 1, n, device=d),
    "new_zeros": lambda n, d: torch.ones(1, device=d).new_zeros(n),
}


@pytest.mark.parametrize("n", INT_SIZES, ids=["np.int64", "np.int32", "0-d tensor"])
@pytest.mark.parametrize("name", list(SIZED_FACTORIES))
def test_factories_take_any_int_with_index_as_pytorch_does(device, name, n):
    t = SIZED_FACTORIES[name](n, device)
    assert 3 in t.shape and all(type(s) is int for s in t.shape)


@pytest.mark.parametrize("name", ["randperm", "eye", "linspace"])
def test_factories_refuse_a_float_count(name):
    with pytest.raises(TypeError, match=f"{name}: .* must be an int, got float"):
        SIZED_FACTORIES[name](3.0, "cpu")


@pytest.mark.parametrize("make", [torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn],
                         ids=lambda f: f.__name__)
def test_factories_without_a_size_raise_as_in_pytorch(make):
    with pytest.raises(TypeError, match=rf"{make.__name__}\(\) missing 1 required positional "
                                        "argument: 'size'"):
        make()
    assert make(()).shape == ()  # a 0-d tensor asks for the empty size


@pytest.mark.parametrize("size", [2, np.int64(2), torch.tensor(2), 2.0])
def test_full_wants_a_sequence_size_as_in_pytorch(size):
    with pytest.raises(TypeError, match="full: size must be a tuple or list of ints"):
        torch.full(size, 1.0)
    with pytest.raises(TypeError, match="full: size must be a tuple or list of ints"):
        torch.ones(1).new_full(size, 1.0)
    assert torch.full([2], 1.0).shape == torch.full(torch.Size([2]), 1.0).shape == (2,)


# -- dtype / device / requires_grad arguments of every factory ---------------------------------
FACTORIES = {
    "tensor": lambda **kw: torch.tensor([[1.0, 2.0]], **kw),
    "as_tensor": lambda **kw: torch.as_tensor([[1.0, 2.0]], **{k: v for k, v in kw.items()
                                                               if k != "requires_grad"}),
    "zeros": lambda **kw: torch.zeros(1, 2, **kw),
    "ones": lambda **kw: torch.ones(1, 2, **kw),
    "empty": lambda **kw: torch.empty(1, 2, **kw),
    "full": lambda **kw: torch.full((1, 2), 3.0, **kw),
    "arange": lambda **kw: torch.arange(0.0, 2.0, **kw),
    "linspace": lambda **kw: torch.linspace(0, 1, 2, **kw),
    "eye": lambda **kw: torch.eye(2, **kw),
    "rand": lambda **kw: torch.rand(1, 2, **kw),
    "randn": lambda **kw: torch.randn(1, 2, **kw),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factories_default_to_float32_on_cpu(name):
    t = FACTORIES[name]()
    assert t.dtype is torch.float32
    assert t.device == torch.device("cpu")
    assert not t.requires_grad


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factories_honour_dtype_device_requires_grad(device, name):
    kw = {"dtype": torch.float64, "device": device}
    if name != "as_tensor":
        kw["requires_grad"] = True
    t = FACTORIES[name](**kw)
    assert t.dtype is torch.float64
    assert t.device.type == torch.device(device).type
    assert t.requires_grad is (name != "as_tensor")
    assert t.is_leaf


def test_device_argument_accepts_device_objects(device):
    dev = torch.device(device)
    t = torch.zeros(2, device=dev)
    assert t.device.type == dev.type
    assert torch.tensor([1.0], device=dev).device == t.device


# -- *_like ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_keeps_shape_dtype_device(device, name):
    src = torch.ones(2, 3, dtype=torch.float64, device=device)
    t = getattr(torch, name)(src)
    assert t.shape == (2, 3) and t.dtype is torch.float64 and t.device == src.device
    assert not t.requires_grad
    u = getattr(torch, name)(src, dtype=torch.float32, requires_grad=True)
    assert u.dtype is torch.float32 and u.requires_grad


def test_like_values(device):
    src = torch.arange(6, device=device).reshape(2, 3)
    z, o = torch.zeros_like(src), torch.ones_like(src)
    assert z.dtype is torch.int64 and o.dtype is torch.int64
    np.testing.assert_array_equal(to_host(z), np.zeros((2, 3)))
    np.testing.assert_array_equal(to_host(o), np.ones((2, 3)))
    f = torch.full_like(src, 4)
    assert f.dtype is torch.int64 and to_host(f).tolist() == [[4] * 3] * 2
    r = torch.randint_like(src, 2, 5)
    assert r.dtype is torch.int64 and set(to_host(r).ravel()) <= {2, 3, 4}


def test_like_refuses_a_non_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        torch.zeros_like([1.0, 2.0])


def test_like_moves_to_another_device(device):
    src = torch.ones(2)
    assert torch.zeros_like(src, device=device).device.type == torch.device(device).type


# -- default dtype -----------------------------------------------------------------------------
def test_default_dtype_is_float32():
    assert torch.get_default_dtype() is torch.float32


def test_set_default_dtype_changes_float_factories_only(device):
    torch.set_default_dtype(torch.float64)  # the conftest fixture restores it
    assert torch.get_default_dtype() is torch.float64
    assert torch.tensor([1.5], device=device).dtype is torch.float64
    assert torch.tensor(1.5, device=device).dtype is torch.float64
    assert torch.zeros(2, device=device).dtype is torch.float64
    assert torch.arange(2.0, device=device).dtype is torch.float64
    assert torch.rand(2, device=device).dtype is torch.float64
    assert torch.Tensor([1, 2]).dtype is torch.float64
    assert torch.tensor([1, 2], device=device).dtype is torch.int64   # ints are unaffected
    assert torch.arange(3, device=device).dtype is torch.int64
    torch.set_default_dtype(torch.float32)
    assert torch.tensor([1.5], device=device).dtype is torch.float32


@pytest.mark.parametrize("bad", [torch.int64, torch.float16, torch.bool])
def test_set_default_dtype_refuses_non_float32_64(bad):
    with pytest.raises(TypeError):
        torch.set_default_dtype(bad)
    assert torch.get_default_dtype() is torch.float32


# -- seeding -----------------------------------------------------------------------------------
def _draw(device):
    """One draw of every random source on `device`, as host arrays."""
    return [to_host(torch.rand(5, device=device)),
            to_host(torch.randn(2, 3, device=device)),
            to_host(torch.randint(0, 1000, (6,), device=device)),
            to_host(torch.randperm(8, device=device)),
            to_host(torch.empty(4, device=device).normal_()),
            to_host(torch.empty(4, device=device).uniform_(-1, 1))]


def test_manual_seed_reproduces_the_same_numbers(device):
    torch.manual_seed(1234)
    first = _draw(device)
    torch.manual_seed(1234)
    second = _draw(device)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_numbers(device):
    torch.manual_seed(1)
    a = to_host(torch.randn(100, device=device))
    torch.manual_seed(2)
    b = to_host(torch.randn(100, device=device))
    assert not np.array_equal(a, b)


def test_successive_draws_differ(device):
    assert not np.array_equal(to_host(torch.rand(50, device=device)),
                              to_host(torch.rand(50, device=device)))


def test_same_seed_same_numbers_on_cpu_and_fakegpu():
    torch.manual_seed(2024)
    cpu = _draw("cpu")
    torch.manual_seed(2024)
    fake = _draw("fakegpu")
    for a, b in zip(cpu, fake, strict=True):
        np.testing.assert_array_equal(a, b)


def test_manual_seed_reseeds_every_device_at_once():
    torch.manual_seed(7)
    cpu_first = to_host(torch.randn(10))
    torch.randn(10, device="fakegpu")  # drawing on one device ...
    torch.manual_seed(7)
    torch.randn(10, device="fakegpu")
    np.testing.assert_array_equal(to_host(torch.randn(10)), cpu_first)  # ... leaves the other


def test_initial_seed_and_bad_seeds():
    torch.manual_seed(99)
    assert torch.initial_seed() == 99
    with pytest.raises(ValueError):
        torch.manual_seed(-1)


# -- property test: any NumPy array round-trips through tensor() -----------------------------------


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8,
                                   np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
       st.sampled_from(["cpu", "fakegpu"]))
def test_numpy_arrays_round_trip(a, device):
    t = torch.tensor(a, device=device)
    assert t.dtype.numpy == a.dtype and tuple(t.shape) == a.shape
    np.testing.assert_array_equal(to_host(t), a)
    np.testing.assert_array_equal(np.array(t.tolist(), dtype=a.dtype).reshape(a.shape), a)


def test_random_factories_draw_from_a_given_generator_not_the_global_stream(device):
    def draws(global_seed):
        torch.manual_seed(global_seed)
        g = torch.Generator().manual_seed(0)
        return [to_host(torch.rand(3, generator=g, device=device)),
                to_host(torch.randn(3, generator=g, device=device)),
                to_host(torch.randint(0, 100, (3,), generator=g, device=device)),
                to_host(torch.randperm(5, generator=g, device=device))]
    for a, b in zip(draws(1), draws(2)):
        np.testing.assert_array_equal(a, b)
    g = torch.Generator().manual_seed(0)
    first, second = torch.rand(3, generator=g), torch.rand(3, generator=g)
    assert not np.array_equal(to_host(first), to_host(second))  # the generator's stream moves on


@pytest.mark.parametrize("name", ["randn", "rand"])
def test_random_factories_draw_float16_too(device, name):
    # NumPy's generator has no float16: the samples are drawn in float32 and rounded
    torch.manual_seed(0)
    x = getattr(torch, name)(4000, dtype=torch.float16, device=device)
    assert x.dtype is torch.float16 and x.device == torch.device(device)
    values = to_host(x).astype(np.float64)
    if name == "rand":
        assert values.min() >= 0 and values.max() < 1 and abs(values.mean() - 0.5) < 0.03
    else:
        assert abs(values.mean()) < 0.06 and abs(values.std() - 1) < 0.06
    g = torch.Generator().manual_seed(3)
    y = getattr(torch, name)(5, dtype=torch.float16, generator=g, device=device)
    z = getattr(torch, name)(5, dtype=torch.float32, generator=torch.Generator().manual_seed(3),
                            device=device)
    np.testing.assert_array_equal(to_host(y), to_host(z).astype(np.float16))


def test_randint_requires_grad_needs_a_floating_dtype(device):
    torch.manual_seed(0)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require"):
        torch.randint(0, 5, (3,), device=device, requires_grad=True)
    after_error = torch.randint(0, 5, (3,), device=device)  # refused before drawing
    torch.manual_seed(0)
    again = torch.randint(0, 5, (3,), device=device)
    assert to_host(after_error).tolist() == to_host(again).tolist()
    t = torch.randint(0, 5, (3,), dtype=torch.float32, device=device, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.dtype == torch.float32


def test_ranges_of_bools_are_refused_as_in_pytorch(device):
    with pytest.raises(RuntimeError, match="arange: not implemented for minitorch_np.bool"):
        torch.arange(3, dtype=torch.bool, device=device)
    with pytest.raises(RuntimeError, match="linspace: not implemented"):
        torch.linspace(0, 1, 2, dtype=torch.bool, device=device)
    # no range to make: PyTorch answers these, and so do we
    assert torch.linspace(0, 1, 0, dtype=torch.bool, device=device).shape == (0,)
    assert to_host(torch.linspace(0.1, 1, 1, dtype=torch.bool, device=device)).tolist() == [True]


@pytest.mark.parametrize("args, dtype, expected", [
    ((0, 1.5, 4), torch.int64, [0, 0, 0, 1]),             # the bounds truncated first
    ((-3, 1, 7), torch.int64, [-3, -2, -1, 0, 0, 0, 1]),   # 1 − 3·(2/3) rounded once: −0.99…
    ((-1, 0, 3), torch.uint8, [255, 127, 0]),              # -1 wraps into uint8, as PyTorch
    ((10, 0, 4), torch.int32, [10, 6, 3, 0]),
    ((-3.0, 1.0, 8), torch.float64, [-3.0, -2.428571428571429, -1.8571428571428572,
                                     -1.2857142857142858, -0.7142857142857142,
                                     -0.1428571428571428, 0.4285714285714286, 1.0]),
])
def test_linspace_values_are_pytorchs(device, args, dtype, expected):
    """PyTorch's printed values: each half computed from its own end, rounded once."""
    assert to_host(torch.linspace(*args, dtype=dtype, device=device)).tolist() == expected


def test_integer_fill_values_fit_their_dtype_as_in_pytorch(device):
    assert to_host(torch.full((2,), -1, dtype=torch.uint8, device=device)).tolist() == [255] * 2
    for value in (300, -256):
        with pytest.raises(RuntimeError, match="cannot be converted to type"):
            torch.full((2,), value, dtype=torch.uint8, device=device)
    with pytest.raises(RuntimeError, match="linspace: value -0.3 cannot be converted"):
        torch.linspace(0, -0.3, 2, dtype=torch.uint8, device=device)


def test_randint_bounds_must_fit_the_dtype(device):
    assert torch.randint(0, 256, (50,), dtype=torch.uint8, device=device).dtype == torch.uint8
    for low, high in ((-1, 0), (0, 257)):
        with pytest.raises(RuntimeError, match="out of bounds for minitorch_np.uint8"):
            torch.randint(low, high, (2,), dtype=torch.uint8, device=device)
