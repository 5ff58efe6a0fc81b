"""In-place tensor methods (``add_``, ``mul_``, ``copy_``, ``normal_``, ...): values against
NumPy, and the contract every one of them keeps: it returns ``self``, keeps the dtype and the
memory, bumps ``_version``, and refuses to change the dtype category or grow the shape."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()

X = np.array([[0.5, -1.0, 2.0], [3.0, -4.5, 1.5]], dtype=np.float32)
ROW = np.array([1.0, 2.0, -0.5], dtype=np.float32)
POS = np.array([[2.0, 4.0, 0.5], [1.0, 8.0, 0.25]], dtype=np.float32)
MASK = np.array([[True, False, True], [False, False, True]])


def _t(a, device):
    return torch.tensor(a, device=device)


# name: (apply to the tensor, NumPy reference on the array)
OPS = {
    "add_scalar": (lambda t, d: t.add_(2.5), lambda a: a + 2.5),
    "add_tensor": (lambda t, d: t.add_(_t(POS, d)), lambda a: a + POS),
    "add_broadcast": (lambda t, d: t.add_(_t(ROW, d)), lambda a: a + ROW),
    "add_alpha": (lambda t, d: t.add_(_t(ROW, d), alpha=-2), lambda a: a - 2 * ROW),
    "add_scalar_alpha": (lambda t, d: t.add_(1, alpha=3), lambda a: a + 3),
    "sub_tensor": (lambda t, d: t.sub_(_t(POS, d)), lambda a: a - POS),
    "sub_alpha": (lambda t, d: t.sub_(_t(ROW, d), alpha=0.5), lambda a: a - 0.5 * ROW),
    "mul_scalar": (lambda t, d: t.mul_(-3), lambda a: a * -3),
    "mul_tensor": (lambda t, d: t.mul_(_t(POS, d)), lambda a: a * POS),
    "div_scalar": (lambda t, d: t.div_(4), lambda a: a / 4),
    "div_tensor": (lambda t, d: t.div_(_t(POS, d)), lambda a: a / POS),
    "pow_scalar": (lambda t, d: t.pow_(2), lambda a: a ** 2),
    "pow_tensor": (lambda t, d: t.abs_().pow_(_t(ROW, d)), lambda a: np.abs(a) ** ROW),
    "clamp_both": (lambda t, d: t.clamp_(-1.0, 1.5), lambda a: np.clip(a, -1.0, 1.5)),
    "clamp_min": (lambda t, d: t.clamp_(min=0), lambda a: np.maximum(a, 0)),
    "clamp_max": (lambda t, d: t.clamp_(max=-0.5), lambda a: np.minimum(a, -0.5)),
    "zero_": (lambda t, d: t.zero_(), lambda a: np.zeros_like(a)),
    "fill_scalar": (lambda t, d: t.fill_(7.25), lambda a: np.full_like(a, 7.25)),
    "fill_int": (lambda t, d: t.fill_(3), lambda a: np.full_like(a, 3)),
    "fill_0d_tensor": (lambda t, d: t.fill_(torch.tensor(-2.0, device=d)),
                       lambda a: np.full_like(a, -2.0)),
    "copy_same_shape": (lambda t, d: t.copy_(_t(POS, d)), lambda a: POS.copy()),
    "copy_broadcast": (lambda t, d: t.copy_(_t(ROW, d)), lambda a: np.broadcast_to(ROW, a.shape)),
    "copy_int_source": (lambda t, d: t.copy_(torch.tensor([1, 2, 3], device=d)),
                        lambda a: np.broadcast_to(np.float32([1, 2, 3]), a.shape)),
    "copy_float64_source": (lambda t, d: t.copy_(torch.tensor(POS, dtype=torch.float64,
                                                              device=d)),
                            lambda a: POS.copy()),
    "addcmul_": (lambda t, d: t.addcmul_(_t(ROW, d), _t(POS, d), value=0.5),
                 lambda a: a + 0.5 * ROW * POS),
    "addcmul_default": (lambda t, d: t.addcmul_(_t(POS, d), _t(POS, d)), lambda a: a + POS * POS),
    "addcdiv_": (lambda t, d: t.addcdiv_(_t(ROW, d), _t(POS, d), value=-2),
                 lambda a: a - 2 * ROW / POS),
    "masked_fill_scalar": (lambda t, d: t.masked_fill_(_t(MASK, d), -9.0),
                           lambda a: np.where(MASK, -9.0, a)),
    "masked_fill_broadcast": (lambda t, d: t.masked_fill_(_t(MASK[0], d), 0.0),
                              lambda a: np.where(MASK[0], 0.0, a)),
    "masked_fill_0d_tensor": (lambda t, d: t.masked_fill_(_t(MASK, d),
                                                          torch.tensor(4.0, device=d)),
                              lambda a: np.where(MASK, 4.0, a)),
    "neg_": (lambda t, d: t.neg_(), lambda a: -a),
    "abs_": (lambda t, d: t.abs_(), lambda a: np.abs(a)),
    "exp_": (lambda t, d: t.exp_(), lambda a: np.exp(a)),
    "relu_": (lambda t, d: t.relu_(), lambda a: np.maximum(a, 0)),
    "lerp_": (lambda t, d: t.lerp_(_t(POS, d), 0.25), lambda a: a + 0.25 * (POS - a)),
    "iadd": (lambda t, d: _iadd(t, 1.5), lambda a: a + 1.5),
    "imul_tensor": (lambda t, d: _imul(t, _t(ROW, d)), lambda a: a * ROW),
}


def _iadd(t, v):
    t += v
    return t


def _imul(t, v):
    t *= v
    return t


@pytest.mark.parametrize("name", list(OPS))
def test_inplace_op_values_identity_dtype_version(device, name):
    op, ref = OPS[name]
    t = _t(X, device)
    data_before, version_before = t._data, t._version
    out = op(t, device)
    assert out is t                       # returns self
    assert t._data is data_before         # the same memory, written in place
    assert t.dtype is torch.float32 and t.shape == X.shape and t.device.type == \
        torch.device(device).type
    assert t._version > version_before
    np.testing.assert_allclose(to_host(t), ref(X.copy()).astype(np.float32), rtol=1e-6, atol=1e-6)


def test_each_inplace_op_bumps_the_version_once(device):
    t = _t(X, device)
    for expected, op in enumerate([lambda: t.add_(1), lambda: t.mul_(2), lambda: t.zero_(),
                                   lambda: t.fill_(1), lambda: t.clamp_(0, 1),
                                   lambda: t.copy_(_t(POS, device)), lambda: t.normal_()],
                                  start=1):
        op()
        assert t._version == expected


def test_inplace_ops_on_int_tensors(device):
    t = torch.tensor([1, 2, 3], device=device)
    t.add_(2).mul_(3).sub_(torch.tensor([1, 1, 1], device=device), alpha=2)
    assert t.dtype is torch.int64 and to_host(t).tolist() == [7, 10, 13]
    t.clamp_(8, 12)
    assert to_host(t).tolist() == [8, 10, 12]
    t.fill_(4).masked_fill_(torch.tensor([True, False, False], device=device), -1)
    assert to_host(t).tolist() == [-1, 4, 4]


@pytest.mark.parametrize("op", [
    lambda t, d: t.add_(1.5),
    lambda t, d: t.add_(torch.tensor([0.5, 0.5, 0.5], device=d)),
    lambda t, d: t.sub_(0.5),
    lambda t, d: t.mul_(2.5),
    lambda t, d: t.div_(2),           # true division makes floats, even of ints
    lambda t, d: t.pow_(0.5),
    lambda t, d: t.clamp_(0.5),
    lambda t, d: t.fill_(1.5),
    lambda t, d: t.masked_fill_(torch.tensor([True, False, True], device=d), 0.5),
    lambda t, d: t.addcmul_(t, t, value=0.5),
], ids=["add_float", "add_float_tensor", "sub_float", "mul_float", "div", "pow_float",
        "clamp_float", "fill_float", "masked_fill_float", "addcmul_float"])
def test_inplace_op_refuses_to_change_the_dtype_category(device, op):
    t = torch.tensor([1, 2, 3], device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        op(t, device)
    assert to_host(t).tolist() == [1, 2, 3] and t.dtype is torch.int64 and t._version == 0


def test_an_int_result_cannot_go_into_a_bool_tensor(device):
    b = torch.tensor([True, False], device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        b.add_(torch.tensor([1, 1], device=device))


def test_a_wider_float_result_is_narrowed_to_the_tensor_dtype(device):
    t = torch.ones(3, device=device)
    t.add_(torch.full((3,), 0.5, dtype=torch.float64, device=device))
    assert t.dtype is torch.float32 and to_host(t).tolist() == [1.5, 1.5, 1.5]
    d = torch.ones(3, dtype=torch.float64, device=device)
    d.mul_(torch.full((3,), 2.0, device=device))
    assert d.dtype is torch.float64 and to_host(d).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("shape, other", [((3,), (2, 3)), ((1,), (3,)), ((2, 1), (2, 3))])
def test_inplace_op_that_would_grow_the_shape_raises(device, shape, other):
    t = torch.ones(*shape, device=device)
    o = torch.ones(*other, device=device)
    for op in (t.add_, t.mul_, t.copy_):
        with pytest.raises(RuntimeError, match="shape"):
            op(o)
    assert t.shape == shape and t._version == 0


def test_copy_across_devices(device):
    other = "cpu" if device != "cpu" else "fakegpu"
    t = torch.zeros(2, 3, device=device)
    src = torch.tensor(POS, device=other)
    assert t.copy_(src) is t
    assert t.device.type == torch.device(device).type
    np.testing.assert_array_equal(to_host(t), POS)
    back = torch.zeros(3, dtype=torch.float64, device=other)
    back.copy_(torch.tensor([1, 2, 3], device=device))
    assert back.dtype is torch.float64 and to_host(back).tolist() == [1.0, 2.0, 3.0]


def test_copy_between_the_two_fake_devices():
    t = torch.zeros(2, device="fakegpu:1")
    t.copy_(torch.tensor([1.0, 2.0], device="fakegpu:0"))
    assert t.device == torch.device("fakegpu:1") and to_host(t).tolist() == [1.0, 2.0]


def test_copy_requires_a_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        torch.zeros(2).copy_([1.0, 2.0])


def test_operands_on_another_device_raise(device):
    other = "cpu" if device != "cpu" else "fakegpu"
    t = torch.ones(3, device=device)
    with pytest.raises(RuntimeError, match="device"):
        t.add_(torch.ones(3, device=other))
    assert t._version == 0


def test_fill_refuses_a_many_element_tensor(device):
    with pytest.raises(RuntimeError, match="0-dimension"):
        torch.zeros(3, device=device).fill_(torch.ones(2, device=device))


def test_masked_fill_needs_a_bool_mask(device):
    with pytest.raises(TypeError, match="bool"):
        torch.zeros(3, device=device).masked_fill_(torch.tensor([1, 0, 1], device=device), 1.0)


# -- random fills: statistics on 100k samples -----------------------------------------------------
N = 100_000


@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (3.0, 0.5), (-10.0, 4.0)])
def test_normal_statistics(device, mean, std):
    t = torch.empty(N, device=device)
    assert t.normal_(mean, std) is t
    assert t.dtype is torch.float32
    v = to_host(t).astype(np.float64)
    # 5 standard errors: se(mean) = σ/√n, se(std) ≈ σ/√(2n)
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(N)
    assert abs(v.std() - std) < 5 * std / math.sqrt(2 * N)
    assert abs(np.mean(np.abs(v - mean) < std) - 0.6827) < 5 * math.sqrt(0.6827 * 0.3173 / N)


def test_normal_float64(device):
    t = torch.empty(N, dtype=torch.float64, device=device).normal_(1.0, 2.0)
    assert t.dtype is torch.float64
    v = to_host(t)
    assert abs(v.mean() - 1.0) < 5 * 2.0 / math.sqrt(N)


@pytest.mark.parametrize("a, b", [(0.0, 1.0), (-2.0, 3.0), (5.0, 5.5)])
def test_uniform_range_and_mean(device, a, b):
    t = torch.empty(N, device=device)
    assert t.uniform_(a, b) is t
    v = to_host(t).astype(np.float64)
    assert v.min() >= a and v.max() <= b  # [a, b) up to float32 rounding of the upper end
    assert abs(v.mean() - (a + b) / 2) < 5 * (b - a) / math.sqrt(12 * N)
    assert abs(np.mean(v < a + (b - a) / 4) - 0.25) < 5 * math.sqrt(0.25 * 0.75 / N)


def test_uniform_default_is_0_1(device):
    v = to_host(torch.zeros(1000, device=device).uniform_())
    assert v.min() >= 0.0 and v.max() < 1.0 and len(np.unique(v)) > 990


def test_random_fills_keep_the_shape(device):
    t = torch.zeros(3, 4, device=device)
    t.normal_()
    assert t.shape == (3, 4) and np.all(to_host(t) != 0)
    t.uniform_(1, 2)
    assert t.shape == (3, 4) and np.all(to_host(t) >= 1)


def test_random_fill_arguments_are_checked(device):
    with pytest.raises(RuntimeError, match="std"):
        torch.zeros(3, device=device).normal_(0.0, -1.0)
    with pytest.raises(RuntimeError, match="from"):
        torch.zeros(3, device=device).uniform_(2.0, 1.0)
    for fill in ("normal_", "uniform_"):
        with pytest.raises(TypeError, match="floating point"):
            getattr(torch.zeros(3, dtype=torch.int64, device=device), fill)()


# -- views, leaves and the graph -----------------------------------------------------------------
def test_inplace_op_on_a_view_changes_the_base(device):
    base = torch.zeros(2, 4, device=device)
    base[:, 1:3].add_(1)
    base[1].mul_(5)
    base.T[0].fill_(-1)
    np.testing.assert_array_equal(to_host(base), [[-1, 1, 1, 0], [-1, 5, 5, 0]])
    assert base._version == 3


def test_inplace_on_a_leaf_requiring_grad_raises(device):
    w = torch.ones(3, device=device, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.normal_(),
               lambda: w.uniform_(), lambda: w.copy_(torch.zeros(3, device=device))):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            op()
    assert to_host(w).tolist() == [1.0, 1.0, 1.0] and w._version == 0


def test_inplace_on_a_leaf_is_fine_under_no_grad(device):
    w = torch.ones(3, device=device, requires_grad=True)
    with torch.no_grad():
        w.sub_(torch.tensor([0.5, 1.0, 1.5], device=device))
        w.mul_(2)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert to_host(w).tolist() == [1.0, 0.0, -1.0]


def test_inplace_ops_on_a_non_leaf_are_recorded(device):
    w = torch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = w * 2
    y.add_(1).mul_(3).clamp_(max=20.0)  # y = clamp(3(2w + 1), max=20)
    np.testing.assert_array_equal(to_host(y.detach()), [9.0, 15.0, 20.0])
    y.sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [6.0, 6.0, 0.0])


def test_inplace_with_an_operand_requiring_grad_is_recorded(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    acc = torch.zeros(2, device=device)
    acc.add_(w * w).addcmul_(w, torch.tensor([3.0, 3.0], device=device))
    assert acc.requires_grad and acc.grad_fn is not None
    acc.sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [2 * 1.0 + 3, 2 * 2.0 + 3])


def test_a_float64_operand_recorded_into_a_float32_tensor_keeps_float32_grads(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = w * 1
    y.add_(torch.tensor([0.5, 0.5], dtype=torch.float64, device=device))
    assert y.dtype is torch.float32
    (y * y).sum().backward()
    assert w.grad.dtype is torch.float32
    np.testing.assert_allclose(to_host(w.grad), [3.0, 5.0])


def test_augmented_floor_div_mod_and_bitwise_assignments_are_in_place(device):
    # without __ifloordiv__ & co. Python rebinds `t = t // 2`: other names keep the old tensor
    t = torch.tensor([7, 9], device=device)
    alias = t
    t //= 2
    t %= 3
    assert t is alias and to_host(alias).tolist() == [0, 1] and alias._version == 2
    b = torch.tensor([True, False], device=device)
    alias = b
    b &= torch.tensor([True, True], device=device)
    b |= torch.tensor([False, True], device=device)
    b ^= torch.tensor([True, False], device=device)
    assert b is alias and to_host(alias).tolist() == [False, True]
    f = torch.tensor([1.0, 0.7], dtype=torch.float64, device=device)
    f //= 0.1
    assert to_host(f).tolist() == [9.0, 6.0]
    with pytest.raises(RuntimeError, match="floor_divide_: result type .*float32 can't be cast"):
        t //= 0.5


# ---- torch._foreach_add_: the one call of an optimizer's plain update -----------------------
def test_foreach_add_is_add_on_each_pair(device):
    ts = [_t(X, device), _t(ROW, device), _t(POS, device)]
    os_ = [_t(POS, device), _t(ROW * 3, device), _t(X, device)]
    memory = [t._data for t in ts]
    versions = [t._version for t in ts]
    torch._foreach_add_(ts, os_, alpha=-0.5)
    for t, a, b in zip(ts, (X, ROW, POS), (POS, ROW * 3, X)):
        np.testing.assert_array_equal(to_host(t), a + np.float32(-0.5) * b)
        assert t.dtype == torch.float32
    assert all(t._data is m for t, m in zip(ts, memory))  # written in place
    assert [t._version for t in ts] == [v + 1 for v in versions]


def test_foreach_add_falls_back_to_add_for_other_operands(device):
    # a broadcast row, a float64 operand and a number take add_'s general path
    t, u, v = _t(X, device), _t(X, device), _t(X, device)
    torch._foreach_add_([t, u, v], [_t(ROW, device), _t(POS, device).double(), 2.0])
    np.testing.assert_array_equal(to_host(t), X + ROW)
    np.testing.assert_allclose(to_host(u), X + POS, rtol=1e-7)
    assert u.dtype == torch.float32
    np.testing.assert_array_equal(to_host(v), X + 2.0)
    with pytest.raises(RuntimeError, match="add_"):  # add_'s own message for a shape it can't take
        torch._foreach_add_([_t(ROW, device)], [_t(X, device)])


def test_foreach_add_checks_its_lists(device):
    t = _t(X, device)
    with pytest.raises(RuntimeError, match="same length.*2 and 1"):
        torch._foreach_add_([t, t], [t])
    with pytest.raises(TypeError, match="list of Tensors, got ndarray"):
        torch._foreach_add_([X], [t])
    np.testing.assert_array_equal(to_host(t), X)


def test_foreach_add_while_recording_is_refused_on_a_leaf_requiring_grad(device):
    w = torch.tensor(X, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        torch._foreach_add_([w], [_t(X, device)])
    with torch.no_grad():
        torch._foreach_add_([w], [_t(X, device)])
    np.testing.assert_array_equal(to_host(w), 2 * X)
