"""dtypes: PyTorch's promotion rules, float32 kept through everything, and errors that name
the dtypes, shapes and devices involved.

The rules (``torch.result_type``): categories bool < integer < floating; a Python scalar
never widens a tensor of its own or a higher category; a 0-d tensor only decides when its
category is higher than every dimensioned operand's. NumPy 2 promotes differently
(float32 array * np.float64 scalar is float64), so this is where a stray constant shows.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch

f32, f64, i64 = torch.float32, torch.float64, torch.int64


def _t(data, dtype, device):
    return torch.tensor(data, dtype=dtype, device=device)


PROMOTIONS = [
    # (what, expression of device, expected dtype, expected values)
    ("float32 * Python float", lambda d: _t([1.0, 2.0], f32, d) * 2.5, f32, [2.5, 5.0]),
    ("Python float - float32", lambda d: 2.5 - _t([1.0, 2.0], f32, d), f32, [1.5, 0.5]),
    ("float32 + Python int", lambda d: _t([1.0, 2.0], f32, d) + 3, f32, [4.0, 5.0]),
    ("float32 ** Python float", lambda d: _t([4.0, 9.0], f32, d) ** 0.5, f32, [2.0, 3.0]),
    ("float32 + NumPy float64 scalar", lambda d: _t([1.0, 2.0], f32, d) + np.float64(0.5), f32,
     [1.5, 2.5]),
    ("int64 + Python float", lambda d: _t([1, 2], i64, d) + 0.5, f32, [1.5, 2.5]),
    ("int64 + NumPy float64 scalar", lambda d: _t([1, 2], i64, d) + np.float64(0.5), f32,
     [1.5, 2.5]),
    ("int64 * Python int", lambda d: _t([1, 2], i64, d) * 3, i64, [3, 6]),
    ("int32 + Python int", lambda d: _t([1, 2], torch.int32, d) + 5, torch.int32, [6, 7]),
    ("int32 + 0-d int64", lambda d: _t([1, 2], torch.int32, d) + _t(5, i64, d), torch.int32,
     [6, 7]),
    ("int64 / int64", lambda d: _t([1, 3], i64, d) / _t([2, 2], i64, d), f32, [0.5, 1.5]),
    ("int64 / Python int", lambda d: _t([1, 3], i64, d) / 2, f32, [0.5, 1.5]),
    ("int64 // Python int", lambda d: _t([1, 3], i64, d) // 2, i64, [0, 1]),
    ("int64 ** Python int", lambda d: _t([2, 3], i64, d) ** 2, i64, [4, 9]),
    ("int64 ** Python float", lambda d: _t([4, 9], i64, d) ** 0.5, f32, [2.0, 3.0]),
    ("exp of int64", lambda d: _t([0, 0], i64, d).exp(), f32, [1.0, 1.0]),
    ("float32 + float64", lambda d: _t([1.0, 2.0], f32, d) + _t([0.5, 0.5], f64, d), f64,
     [1.5, 2.5]),
    ("0-d float64 + float32", lambda d: _t(0.5, f64, d) + _t([1.0, 2.0], f32, d), f32,
     [1.5, 2.5]),
    ("float32 * 0-d float64", lambda d: _t([1.0, 2.0], f32, d) * _t(2.0, f64, d), f32,
     [2.0, 4.0]),
    ("0-d float64 + int64: the higher category decides", lambda d: _t(0.5, f64, d) +
     _t([1, 2], i64, d), f64, [1.5, 2.5]),
    ("float32 + 0-d int64", lambda d: _t([1.0, 2.0], f32, d) + _t(1, i64, d), f32, [2.0, 3.0]),
    ("bool + int64", lambda d: _t([True, False], torch.bool, d) + _t([2, 2], i64, d), i64,
     [3, 2]),
    ("bool + Python int", lambda d: _t([True, False], torch.bool, d) + 1, i64, [2, 1]),
    ("bool * Python float", lambda d: _t([True, False], torch.bool, d) * 2.5, f32, [2.5, 0.0]),
    ("uint8 + int8", lambda d: _t([1, 2], torch.uint8, d) + _t([1, 1], torch.int8, d),
     torch.int16, [2, 3]),
    ("sum of int64", lambda d: _t([1, 2], i64, d).sum(), i64, 3),
    ("sum of bool", lambda d: _t([True, True, False], torch.bool, d).sum(), i64, 2),
    ("where(cond, float32, Python float)", lambda d: torch.where(
        _t([True, False], torch.bool, d), _t([1.0, 2.0], f32, d), 0.5), f32, [1.0, 0.5]),
    ("maximum(float32, float64)", lambda d: torch.maximum(_t([1.0, 2.0], f32, d),
                                                          _t([1.5, 0.0], f64, d)), f64,
     [1.5, 2.0]),
    ("cat(float32, float64)", lambda d: torch.cat([_t([1.0], f32, d), _t([2.0], f64, d)]),
     f64, [1.0, 2.0]),
    ("clamp of float32 with Python floats", lambda d: _t([-1.0, 2.0], f32, d).clamp(-0.5, 0.5),
     f32, [-0.5, 0.5]),
]


@pytest.mark.parametrize("what, expr, dtype, values", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_promotion(what, expr, dtype, values, device):
    out = expr(device)
    assert out.dtype == dtype, f"{what}: got {out.dtype}, PyTorch gives {dtype}"
    np.testing.assert_array_equal(to_host(out), np.asarray(values, dtype=dtype.numpy))


def test_result_type_matches_the_ops():
    assert torch.result_type(torch.tensor([1, 2]), 1.0) == f32
    assert torch.result_type(torch.tensor([1.0], dtype=f64), torch.tensor(1.0)) == f64
    assert torch.result_type(torch.tensor(1.0, dtype=f64), torch.tensor([1.0])) == f32


def test_set_default_dtype_float64(device):
    torch.set_default_dtype(torch.float64)  # (the conftest fixture restores it)
    assert torch.tensor([1.5], device=device).dtype == f64
    assert torch.tensor(1.5, device=device).dtype == f64
    assert torch.zeros(2, device=device).dtype == f64
    assert torch.ones(2, device=device).dtype == f64
    assert torch.randn(2, device=device).dtype == f64
    assert torch.tensor([1, 2], device=device).dtype == i64
    assert (torch.tensor([1, 2], device=device) + 1.5).dtype == f64
    assert (torch.tensor([1, 2], device=device) / 2).dtype == f64
    assert torch.tensor([1, 2], device=device).exp().dtype == f64
    assert (torch.ones(2, dtype=f32, device=device) + 1.5).dtype == f32


def test_set_default_dtype_refuses_integers():
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


# -- Python's types as dtypes --------------------------------------------------------------
PYTHON_TYPES = [(float, f64), (int, i64), (bool, torch.bool)]


@pytest.mark.parametrize("default", [f32, f64])
@pytest.mark.parametrize("pytype, dtype", PYTHON_TYPES, ids=["float", "int", "bool"])
def test_python_types_are_the_widest_dtype_of_their_kind(pytype, dtype, default, device):
    torch.set_default_dtype(default)  # float is float64 whatever the default, as in PyTorch
    assert torch.ones(2, dtype=pytype, device=device).dtype is dtype
    assert torch.tensor([1, 0], dtype=pytype, device=device).dtype is dtype
    assert torch.full((2,), 1, dtype=pytype, device=device).dtype is dtype
    assert torch.zeros(2, device=device).to(dtype=pytype).dtype is dtype
    assert torch.zeros(2, device=device).type(pytype).dtype is dtype


@pytest.mark.parametrize("pytype, dtype", PYTHON_TYPES, ids=["float", "int", "bool"])
def test_to_takes_a_python_type_as_its_dtype(pytype, dtype, device):
    t = torch.tensor([0.0, 1.5], device=device)
    assert t.to(pytype).dtype is dtype
    np.testing.assert_array_equal(to_host(t.to(pytype)), np.array([0.0, 1.5]).astype(dtype.numpy))


@pytest.mark.parametrize("bad", [np.float64(1.0), np.array([1.0]), "float128", list],
                         ids=["NumPy scalar", "array", "unknown name", "list type"])
def test_what_is_not_a_dtype_is_refused(bad):
    # (np.dtype() would take the .dtype of a scalar or an array)
    with pytest.raises(TypeError, match="zeros: unsupported dtype"):
        torch.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match="zeros: unsupported dtype"):
        torch.zeros(2, dtype=torch.ones(1))


# -- NumPy arrays as operands -------------------------------------------------------------
NDARRAY_EXPRS = [
    ("ndarray + tensor", lambda a, t: a + t, np.add),
    ("tensor + ndarray", lambda a, t: t + a, lambda a, t: t + a),
    ("ndarray - tensor", lambda a, t: a - t, np.subtract),
    ("ndarray * tensor", lambda a, t: a * t, np.multiply),
    ("ndarray / tensor", lambda a, t: a / t, np.divide),
    ("ndarray ** tensor", lambda a, t: a ** t, np.power),
    ("ndarray @ tensor", lambda a, t: a @ t, np.matmul),
    ("tensor @ ndarray", lambda a, t: t @ a, lambda a, t: t @ a),
    ("ndarray < tensor", lambda a, t: a < t, np.less),
]


@pytest.mark.parametrize("what, expr, ref", NDARRAY_EXPRS, ids=[e[0] for e in NDARRAY_EXPRS])
@pytest.mark.parametrize("array_dtype", [np.float32, np.float64])
def test_ndarray_operands(what, expr, ref, array_dtype):
    """An array is a CPU tensor of its own dtype (dimensioned, so float64 wins, as in PyTorch)."""
    a = np.array([[1.0, 2.0], [0.5, 3.0]], dtype=array_dtype)
    t_host = np.array([[0.5, 1.5], [2.0, 0.25]], dtype=np.float32)
    t = torch.tensor(t_host, requires_grad=True)
    if "@" in what and array_dtype == np.float64:  # matmul does not promote, as in PyTorch
        with pytest.raises(RuntimeError, match="float64"):
            expr(a, t)
        return
    out = expr(a, t)
    assert isinstance(out, torch.Tensor), f"{what} returned {type(out).__name__}"
    expected = ref(a.astype(np.float64), t_host.astype(np.float64))
    if expected.dtype == bool:
        np.testing.assert_array_equal(to_host(out), expected)
        return
    assert out.dtype == (f64 if array_dtype == np.float64 else f32)
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-6)
    out.sum().backward()
    assert t.grad is not None and t.grad.dtype == f32


def test_ndarray_operand_is_a_cpu_tensor():
    """Like PyTorch, an array is not copied to another device behind the user's back."""
    t = torch.ones(2, device="fakegpu")
    with pytest.raises(RuntimeError, match="cpu"):
        np.ones(2) + t


def test_zero_dim_cpu_tensor_acts_as_a_number_on_another_device():
    out = torch.ones(2, device="fakegpu") * torch.tensor(3.0)
    assert out.device == torch.device("fakegpu:0")
    np.testing.assert_array_equal(to_host(out), [3.0, 3.0])


# -- float32 in, float32 out, through a long chain ------------------------------------------
CHAIN = [
    lambda y: y * 2.5, lambda y: 1 + y, lambda y: y / 3, lambda y: 0.5 - y, lambda y: y ** 2,
    lambda y: 2.0 ** y, lambda y: y * np.float64(1.5), lambda y: y.exp(), lambda y: y.log(),
    lambda y: y.sqrt(), lambda y: y.rsqrt(), lambda y: y - y.mean(), lambda y: y.sigmoid(),
    lambda y: y.tanh(), lambda y: y.sin() + y.cos(), lambda y: y.clamp(-0.5, 0.5),
    lambda y: y.clamp(min=0.1), lambda y: y.abs().relu() + 1e-3, lambda y: y.pow(3),
    lambda y: torch.where(y > 0.5, y, 0.0), lambda y: y.masked_fill(y < 0.2, 1.0),
    lambda y: y.maximum(y * 0.5) - y.minimum(y * 0.5), lambda y: y.softmax(-1),
    lambda y: y.log_softmax(-1), lambda y: y.var(0, keepdim=True) + y,
    lambda y: y.std(-1, keepdim=True) * y, lambda y: y.norm(dim=1, keepdim=True) + y,
    lambda y: y.logsumexp(1, keepdim=True) - y, lambda y: y.prod(1, keepdim=True) * y,
    lambda y: y.amax(0) + y, lambda y: y.square(), lambda y: y[[0, 2, 0]] + 1,
    lambda y: y.T @ y, lambda y: y.reshape(-1)[1:] * 0.1, lambda y: torch.stack([y, y]).sum(0),
]


def test_float32_survives_a_long_chain_of_mixed_ops(device):
    x = torch.tensor(np.linspace(0.1, 1.2, 12).reshape(3, 4), dtype=f32, device=device,
                     requires_grad=True)
    y = x
    for i, step in enumerate(CHAIN):
        y = step(y)
        assert y.dtype == f32, f"step {i} turned float32 into {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == f32


# -- errors that name what went wrong -------------------------------------------------------
@pytest.mark.parametrize("op", [lambda a, b: a @ b, torch.matmul, torch.mm, torch.bmm],
                         ids=["@", "matmul", "mm", "bmm"])
def test_matmul_of_float32_with_float64_names_both_dtypes(op, device):
    shape = (2, 2, 2) if op is torch.bmm else (2, 2)
    a = torch.ones(*shape, dtype=f32, device=device)
    b = torch.ones(*shape, dtype=f64, device=device)
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    assert "float32" in str(e.value) and "float64" in str(e.value)


def _names(msg: str, shape) -> bool:
    return str(tuple(shape)) in msg or str(list(shape)) in msg


@pytest.mark.parametrize("name, op", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b), ("maximum", torch.maximum),
    ("where", lambda a, b: torch.where(a > 0, a, b)),
])
def test_shape_mismatch_names_both_shapes(name, op, device):
    a, b = torch.ones(2, 3, device=device), torch.ones(4, device=device)
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    msg = str(e.value)
    assert name in msg and _names(msg, (2, 3)) and _names(msg, (4,)), msg


MIXED_DEVICE_OPS = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("matmul", lambda a, b: a @ b), ("maximum", torch.maximum),
    ("where", lambda a, b: torch.where(b > 0, a, b)), ("cat", lambda a, b: torch.cat([a, b])),
    ("stack", lambda a, b: torch.stack([a, b])),
]


@pytest.mark.parametrize("name, op", MIXED_DEVICE_OPS, ids=[m[0] for m in MIXED_DEVICE_OPS])
@pytest.mark.parametrize("order", ["cpu-first", "fakegpu-first"])
def test_mixing_devices_names_the_op_and_both_devices(name, op, order):
    a = torch.ones(2, 2, device="cpu", requires_grad=True)
    b = torch.ones(2, 2, device="fakegpu")
    if order == "fakegpu-first":
        a, b = b, a
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    msg = str(e.value)
    assert name in msg.lower() and "cpu" in msg and "fakegpu" in msg, msg


@pytest.mark.parametrize("expr", [
    lambda f, b: f - b, lambda f, b: b - f, lambda f, b: 1 - b, lambda f, b: b - 1,
    lambda f, b: f.long() - b, lambda f, b: torch.sub(f, b), lambda f, b: f.clone().sub_(b),
])
def test_subtracting_a_bool_tensor_is_refused_as_in_pytorch(expr, device):
    f, b = _t([1.0, 2.0], f32, device), _t([True, False], torch.bool, device)
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported.*logical_not"):
        expr(f, b)


def test_subtracting_two_bools_points_to_xor(device):
    b = _t([True, False], torch.bool, device)
    for expr in (lambda: b - b, lambda: b - True, lambda: b.clone().sub_(b)):
        with pytest.raises(RuntimeError, match="two bool tensors.*logical_xor"):
            expr()
    f = _t([1.0, 2.0], f32, device)
    # a Python bool is taken as a bool tensor there too (PyTorch 2.13; found by
    # tests/parity/test_parity_promotion.py)
    for expr in (lambda: f - True, lambda: False - f, lambda: f.clone().sub_(True)):
        with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
            expr()


def test_integer_true_division_takes_each_operand_by_its_own_value(device):
    # PyTorch converts each operand to float from its own dtype; casting to the promoted
    # integer type first wrapped -1 into uint8's 255 (found by the promotion parity test)
    u = _t([2, 4], torch.uint8, device)
    minus_one = torch.tensor(-1, dtype=torch.int8, device=device)  # 0-d: u's dtype wins
    for expr, expected in ((lambda: u / -1, [-2.0, -4.0]), (lambda: -1 / u, [-0.5, -0.25]),
                           (lambda: minus_one / u, [-0.5, -0.25]),
                           (lambda: u / 300, [2 / 300, 4 / 300])):
        out = expr()
        assert out.dtype == torch.float32
        np.testing.assert_allclose(to_host(out), expected, rtol=1e-7)


def test_no_bool_kernel_for_rounded_division_and_remainder(device):
    b = _t([True, False], torch.bool, device)
    for expr, kernel in ((lambda: b // b, "div_floor_cpu"), (lambda: b // True, "div_floor_cpu"),
                         (lambda: torch.div(b, b, rounding_mode="trunc"), "div_trunc_cpu"),
                         (lambda: b % b, "remainder_cpu")):
        with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Bool'"):
            expr()
    assert (b % 1).dtype == torch.int64  # an integer operand: an integer result, computed


def test_a_bool_tensor_to_a_bool_number_as_pytorch(device):
    b = _t([True, False], torch.bool, device)
    assert to_host(b ** True).tolist() == [True, False] and (b ** True).dtype == torch.bool
    assert to_host(b ** False).tolist() == [True, True] and (b ** False).dtype == torch.bool


def test_an_integer_tensor_to_a_negative_number_is_refused_before_wrapping(device):
    u = _t([2, 4], torch.uint8, device)  # -1 would wrap to 255 in uint8
    with pytest.raises(RuntimeError, match="negative integer powers"):
        u ** -1


def test_bool_to_a_bool_power_is_refused_as_in_pytorch(device):
    b = _t([True, False], torch.bool, device)
    for expr in (lambda: b ** b, lambda: True ** b, lambda: torch.pow(b, b)):
        with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
            expr()
    # a bool tensor meeting a number is that number's type, as in PyTorch
    np.testing.assert_array_equal(to_host(b ** 2), [1, 0])
    assert (b ** 2).dtype == i64 and (2 ** b).dtype == i64 and (b ** 0.5).dtype == f32
    np.testing.assert_array_equal(to_host(2 ** b), [2, 1])


@pytest.mark.parametrize("expr", [
    lambda a, z: a // z, lambda a, z: a % z, lambda a, z: a // 0, lambda a, z: 7 % z,
    lambda a, z: torch.div(a, z, rounding_mode="trunc"), lambda a, z: torch.remainder(a, 0),
    lambda a, z: torch.floor_divide(a, z),
])
def test_integer_division_by_zero_raises_as_in_pytorch(expr, device):
    a, z = _t([1, 2], i64, device), _t([0, 1], i64, device)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: integer division by zero"):
        expr(a, z)


def test_floating_division_by_zero_gives_inf_and_nan(device):
    f = _t([1.0, -2.0], f32, device)
    with np.errstate(divide="ignore", invalid="ignore"):  # (NumPy's warnings pass through)
        np.testing.assert_array_equal(to_host(f // 0), [np.inf, -np.inf])
        assert np.isnan(to_host(f % 0)).all()
    a = _t([7, -7], i64, device)
    np.testing.assert_array_equal(to_host(a // _t([2, 2], i64, device)), [3, -4])


def test_where_with_two_numbers_types_them_as_pytorch(device):
    cond = _t([True, False], torch.bool, device)
    for a, b, dtype, values in [(1.0, 0.0, f32, [1.0, 0.0]), (1, 0, i64, [1, 0]),
                                (1, 0.5, f32, [1.0, 0.5]),
                                (True, False, torch.bool, [True, False])]:
        out = torch.where(cond, a, b)
        assert out.dtype == dtype and out.device == cond.device, (a, b)
        assert to_host(out).tolist() == values


def test_masked_fill_keeps_the_input_dtype(device):
    # PyTorch casts the value into the tensor: 1.5 into int64 is 1, 2 into bool is True
    mask = _t([True, False], torch.bool, device)
    ints = _t([5, 6], i64, device).masked_fill(mask, 1.5)
    assert ints.dtype == i64 and to_host(ints).tolist() == [1, 6]
    flags = _t([False, False], torch.bool, device).masked_fill(mask, 2)
    assert flags.dtype == torch.bool and to_host(flags).tolist() == [True, False]
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        _t([1.0, 2.0], f32, device).masked_fill(mask, _t([3.0], f32, device))


def test_view_as_a_dtype_reads_the_same_bytes(device):
    # PyTorch's view(dtype) reinterprets, it does not convert: 1.0f is 0x3F800000
    x = _t([1.0, 2.0], f32, device)
    as_int = x.view(torch.int32)
    assert as_int.dtype == torch.int32 and to_host(as_int).tolist() == [1065353216, 1073741824]
    assert list(x.view(torch.float64).shape) == [1] and list(x.view(torch.uint8).shape) == [8]
    as_int[0] = 1073741824  # the same memory: x changes too, and its version
    assert to_host(x).tolist() == [2.0, 2.0] and x._version == 1
    grad = torch.ones(2, device=device, requires_grad=True)
    assert not grad.view(torch.float32).requires_grad  # outside the graph, as PyTorch's
    with pytest.raises(RuntimeError, match="last dimension must have stride 1"):
        torch.arange(6.0, device=device).reshape(2, 3).t().view(torch.int16)
    with pytest.raises(RuntimeError, match="a 0-d tensor cannot view"):
        _t(1.5, f32, device).view(torch.int16)


def test_small_int_and_bool_edge_cases_as_pytorch(device):
    u8 = _t([1, 2], torch.uint8, device)
    assert to_host(u8 + 300).tolist() == [45, 46] and (u8 + 300).dtype == torch.uint8  # wraps
    assert to_host(u8 * -1).tolist() == [255, 254] and to_host(u8 < -1).tolist() == [True] * 2
    ints = _t([1, 2, -1, 3], i64, device)
    assert to_host(ints ** _t([-1, -1, -1, 2], i64, device)).tolist() == [1, 0, -1, 9]
    assert to_host(2 ** _t([-1, 2], i64, device)).tolist() == [0, 4]
    assert to_host(_t([-1, -1], i64, device) ** _t([-2, -3], i64, device)).tolist() == [1, -1]
    flags = _t([True, False], torch.bool, device)
    assert flags.sign().dtype == torch.bool and to_host(flags.sign()).tolist() == [True, False]
    assert flags.square().dtype == i64 and to_host(flags.square()).tolist() == [1, 0]
    assert flags.clamp(min=2).dtype == i64 and to_host(flags.clamp(min=2)).tolist() == [2, 2]
    assert to_host(_t([math.nan, -2.0, 0.0], f32, device).sign()).tolist() == [0.0, -1.0, 0.0]
    with pytest.raises(RuntimeError, match="negation.*bool tensor is not supported"):
        -flags  # noqa: B018
    with pytest.raises(NotImplementedError, match="abs: not implemented for bool"):
        flags.abs()


def test_sum_accumulates_in_the_requested_dtype(device):
    # integers and bools sum to int64, without overflowing their own dtype (as PyTorch)
    small = torch.tensor([200, 100], dtype=torch.uint8, device=device)
    assert small.sum().dtype == torch.int64 and small.sum().item() == 300
    flags = torch.tensor([[True, False], [True, True]], device=device)
    assert flags.sum().item() == 3 and to_host(flags.sum(0)).tolist() == [2, 1]
    # dtype=: a float32 sum in float64 is differentiable, its gradient back in float32
    x = torch.tensor([1e8, 1.0, -1e8], device=device, requires_grad=True)
    s = x.sum(dtype=torch.float64)
    assert s.dtype == torch.float64 and s.item() == 1.0  # float32 accumulation gives 0
    s.backward()
    assert x.grad.dtype == torch.float32 and to_host(x.grad).tolist() == [1.0, 1.0, 1.0]
    assert torch.tensor([1, 2], device=device).sum(dtype=torch.float32).dtype == torch.float32


# ---- what PyTorch has no kernel for, refused as there (found by tests/parity/) -------------
@pytest.mark.parametrize("op, match", [
    (lambda x: x.softmax(0), "softmax: expected a floating point tensor, got .*int64"),
    (lambda x: x.log_softmax(0), "log_softmax: expected a floating point tensor"),
    (lambda x: x.norm(), "norm: expected a floating point tensor"),
    (lambda x: x.var(), "var: expected a floating point tensor"),
    (lambda x: x.std(), "var: expected a floating point tensor"),
])
def test_integer_inputs_refused_where_pytorch_has_no_integer_kernel(op, match, device):
    with pytest.raises(RuntimeError, match=match):
        op(_t([[1, 2], [3, 4]], torch.int64, device))
    x = _t([[1, 2], [3, 4]], torch.int64, device)
    assert x.softmax(0, dtype=torch.float32).dtype == torch.float32  # a dtype= converts first


def test_bool_inputs_refused_by_relu_and_argmax_but_not_by_max(device):
    b = _t([[True, False], [False, True]], torch.bool, device)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        b.relu()
    for op in (lambda: b.argmax(), lambda: b.argmin(dim=0)):
        with pytest.raises(RuntimeError, match="does not support bool input"):
            op()
    values, indices = b.max(dim=0)
    assert values.dtype == torch.bool and to_host(indices).tolist() == [0, 1]


def test_all_and_any_of_uint8_stay_uint8_as_in_pytorch(device):
    u = _t([[1, 0], [2, 3]], torch.uint8, device)
    assert u.all().dtype == torch.uint8 and u.any(dim=0).dtype == torch.uint8
    assert u.all().item() == 0 and to_host(u.any(dim=0)).tolist() == [1, 1]
    assert _t([1, 0], torch.int64, device).all().dtype == torch.bool
