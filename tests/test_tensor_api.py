"""The Tensor's attributes and small methods (API.md, "Tensors": attributes, methods, and
"the small things the lectures' listings lean on")."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()


CUDA = torch.cuda.is_available()


# -- shape and friends ---------------------------------------------------------------------
def test_shape_is_a_size_that_prints_like_pytorch(device):
    t = torch.zeros(2, 3, device=device)
    assert isinstance(t.shape, torch.Size) and isinstance(t.shape, tuple)
    assert repr(t.shape) == "minitorch_np.Size([2, 3])"
    assert t.shape == (2, 3) and t.shape == torch.Size([2, 3])
    assert t.size() == t.shape
    assert repr(torch.tensor(1.0, device=device).shape) == "minitorch_np.Size([])"
    assert torch.Size([2, 3, 4]).numel() == 24


def test_ndim_dim_numel_len(device):
    t = torch.zeros(4, 3, 2, device=device)
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24 and t.nelement() == 24
    assert len(t) == 4
    s = torch.tensor(5.0, device=device)
    assert s.ndim == 0 and s.numel() == 1


@pytest.mark.parametrize("dim, n", [(0, 4), (1, 3), (2, 2), (-1, 2), (-3, 4)])
def test_size_of_a_dimension(device, dim, n):
    size = torch.zeros(4, 3, 2, device=device).size(dim)
    assert size == n and type(size) is int


@pytest.mark.parametrize("dim", [3, -4])
def test_size_of_a_missing_dimension_raises(dim):
    with pytest.raises(IndexError, match="out of range"):
        torch.zeros(4, 3, 2).size(dim)


def test_dtype_and_device_attributes(device):
    t = torch.zeros(2, dtype=torch.float64, device=device)
    assert t.dtype is torch.float64
    assert isinstance(t.device, torch.device)
    assert t.device.type == torch.device(device).type
    assert t.device.index == (None if device == "cpu" else torch.device(device).index or 0)


def test_is_cuda(device):
    assert torch.zeros(1, device=device).is_cuda is (device == "cuda")


def test_variable_is_the_legacy_wrapper(device):
    # lecture 003: `inputs, labels = Variable(inputs.view(-1, 28*28)), Variable(labels)`
    from minitorch_np.autograd import Variable
    labels = torch.tensor([3, 0, 1], device=device)
    v = Variable(labels)
    assert v.dtype == torch.int64 and v.device == labels.device and isinstance(labels, Variable)
    v.add_(1)
    assert to_host(labels).tolist() == [4, 1, 2]  # the same memory
    y = torch.ones(2, device=device, requires_grad=True) * 2
    assert Variable(y).is_leaf and not Variable(y).requires_grad
    w = Variable(torch.ones(2, dtype=torch.float64, device=device), requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == torch.float64
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1, 2])
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(labels, volatile=True)


# -- autograd attributes -------------------------------------------------------------------
def test_leaf_attributes(device):
    x = torch.ones(2, device=device)
    assert not x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    w = torch.ones(2, device=device, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.grad is None and w.grad_fn is None


def test_result_of_an_op_is_not_a_leaf(device):
    w = torch.ones(2, device=device, requires_grad=True)
    y = w * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert (torch.ones(2, device=device) * 2).grad_fn is None  # nothing to record


def test_grad_after_backward(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.device == w.device and w.grad.dtype is torch.float32
    np.testing.assert_array_equal(to_host(w.grad), [2.0, 4.0])


def test_grad_assignment_is_checked(device):
    w = torch.ones(2, device=device, requires_grad=True)
    w.grad = torch.zeros(2, device=device)
    assert w.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="size"):
        w.grad = torch.zeros(3, device=device)
    with pytest.raises(RuntimeError, match="type"):
        w.grad = torch.zeros(2, dtype=torch.float64, device=device)
    with pytest.raises(TypeError):
        w.grad = [0.0, 0.0]
    w.grad = None
    assert w.grad is None


def test_requires_grad_(device):
    t = torch.ones(2, device=device)
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    t.requires_grad = True
    assert t.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        torch.ones(2, dtype=torch.int64, device=device).requires_grad_()
    y = t * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    with pytest.raises(TypeError):
        t.requires_grad_("yes")


# -- data, detach, clone --------------------------------------------------------------------
def test_data_is_detached_and_shares_memory(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.device == w.device and d.dtype is w.dtype
    d[0] = 5.0  # not tracked, but the memory is the same
    assert w[0].item() == 5.0 and w.requires_grad
    d.mul_(2)
    assert to_host(w).tolist() == [10.0, 4.0]


def test_data_of_a_non_leaf_is_detached_too(device):
    y = torch.ones(2, device=device, requires_grad=True) * 3
    assert y.data.grad_fn is None and not y.data.requires_grad
    np.testing.assert_array_equal(to_host(y.data), [3.0, 3.0])


def test_data_can_be_replaced(device):
    w = torch.zeros(2, device=device, requires_grad=True)
    w.data = torch.tensor([1.0, 2.0], device=device)
    assert w.requires_grad and to_host(w).tolist() == [1.0, 2.0]


def test_detach_shares_memory_and_the_version_counter(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = w * 1
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 9.0
    assert y[0].item() == 9.0
    assert y._version == d._version == 1


def test_clone_copies_and_is_differentiable(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    c = w.clone()
    assert c.requires_grad and c.grad_fn is not None and not c.is_leaf
    with torch.no_grad():
        c[0] = 100.0
    assert w[0].item() == 1.0
    (c * 3).sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [3.0, 3.0])
    plain = torch.arange(3, device=device)
    assert plain.clone().dtype is torch.int64 and plain.clone() is not plain


def test_deepcopy_of_a_leaf(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    c = copy.deepcopy(w)
    assert c is not w and c.requires_grad and c.device == w.device
    c.data[0] = 7.0
    assert w[0].item() == 1.0


# -- T and mT ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4)])
def test_T_reverses_the_dimensions(device, shape):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    t = torch.tensor(a, device=device)
    assert t.T.shape == a.T.shape
    np.testing.assert_array_equal(to_host(t.T), a.T)


def test_mT_transposes_the_last_two_dimensions(device):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = torch.tensor(a, device=device)
    assert t.mT.shape == (2, 4, 3)
    np.testing.assert_array_equal(to_host(t.mT), np.swapaxes(a, -1, -2))
    with pytest.raises((RuntimeError, IndexError)):
        _ = torch.ones(3, device=device).mT


def test_T_is_differentiable(device):
    w = torch.tensor([[1.0, 2.0, 3.0]], device=device, requires_grad=True)
    (w.T * torch.tensor([[1.0], [2.0], [3.0]], device=device)).sum().backward()
    np.testing.assert_array_equal(to_host(w.grad), [[1.0, 2.0, 3.0]])


# -- leaving the tensor world ------------------------------------------------------------------
@pytest.mark.parametrize("value, kind", [(3, int), (2.5, float), (True, bool)])
def test_item_returns_a_python_number(device, value, kind):
    for t in (torch.tensor(value, device=device), torch.tensor([[value]], device=device)):
        v = t.item()
        assert type(v) is kind and v == value


def test_item_of_many_elements_raises(device):
    with pytest.raises(RuntimeError, match="2 elements"):
        torch.ones(2, device=device).item()
    with pytest.raises(RuntimeError):
        torch.ones(0, device=device).item()


def test_tolist(device):
    a = np.arange(6).reshape(2, 3)
    t = torch.tensor(a, device=device)
    assert t.tolist() == a.tolist()
    assert type(t.tolist()[0][0]) is int
    assert torch.tensor([1.5, 2.5], device=device).tolist() == [1.5, 2.5]
    assert torch.tensor(4.0, device=device).tolist() == 4.0


def test_numpy_shares_memory_on_cpu():
    t = torch.tensor([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 10.0
    assert t[0].item() == 10.0
    t[1] = 20.0
    assert a[1] == 20.0


@pytest.mark.parametrize("dev", ["fakegpu", "fakegpu:1"])
def test_numpy_of_a_device_tensor_asks_for_cpu_first(dev):
    t = torch.ones(2, device=dev)
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        t.numpy()
    with pytest.raises(TypeError):
        np.asarray(t)  # the same rule through the array protocol
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 1.0])


def test_numpy_of_a_tensor_requiring_grad_raises(device):
    w = torch.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    np.testing.assert_array_equal(to_host(w), [1.0, 1.0])


def test_array_protocol_on_cpu():
    t = torch.tensor([[1, 2], [3, 4]])
    a = np.asarray(t)
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


# -- to / cpu / cuda / casts --------------------------------------------------------------------
def test_to_device_and_back(device):
    t = torch.tensor([[1.0, 2.0]])
    moved = t.to(device)
    assert moved.device.type == torch.device(device).type
    assert moved.dtype is torch.float32
    back = moved.to("cpu")
    assert back.device == torch.device("cpu")
    assert isinstance(back.numpy(), np.ndarray)
    np.testing.assert_array_equal(back.numpy(), [[1.0, 2.0]])
    assert moved.cpu().device == torch.device("cpu")


def test_to_returns_self_when_nothing_changes(device):
    t = torch.ones(2, device=device)
    assert t.to(device) is t
    assert t.to(torch.float32) is t
    assert t.to(t) is t
    assert t.to(device=t.device, dtype=t.dtype) is t
    c = t.to(device, copy=True)
    assert c is not t and to_host(c).tolist() == [1.0, 1.0]


def test_cpu_of_a_cpu_tensor_is_itself():
    t = torch.ones(2)
    assert t.cpu() is t


def test_to_dtype(device):
    t = torch.tensor([1.7, -1.7, 2.0], device=device)
    d = t.to(torch.float64)
    assert d.dtype is torch.float64 and d.device == t.device
    np.testing.assert_array_equal(to_host(d), np.array([1.7, -1.7, 2.0], np.float32))
    assert t.to(dtype=torch.int64).tolist() == [1, -1, 2]  # an explicit cast truncates


def test_to_another_tensor_takes_its_device_and_dtype(device):
    t = torch.tensor([1, 2])
    other = torch.zeros(1, dtype=torch.float64, device=device)
    r = t.to(other)
    assert r.device == other.device and r.dtype is torch.float64


def test_to_device_and_dtype_together(device):
    r = torch.tensor([1, 2]).to(device, torch.float64)
    assert r.device.type == torch.device(device).type and r.dtype is torch.float64
    r = torch.tensor([1, 2]).to(torch.device(device), dtype=torch.float16)
    assert r.dtype is torch.float16


def test_to_with_a_bad_argument_raises():
    with pytest.raises(TypeError, match="to"):
        torch.ones(2).to(3.5)
    with pytest.raises(RuntimeError, match="unknown device"):
        torch.ones(2).to("tpu")


def test_to_is_differentiable_across_dtypes(device):
    w = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = w.to(torch.float64)
    assert y.grad_fn is not None
    (y * y).sum().backward()
    assert w.grad.dtype is torch.float32
    np.testing.assert_array_equal(to_host(w.grad), [2.0, 4.0])


@pytest.mark.skipif(CUDA, reason="CUDA is available here")
def test_cuda_raises_a_clear_error_without_cuda():
    t = torch.ones(2)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        t.cuda()
    with pytest.raises(RuntimeError, match="pip install"):
        t.to("cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.zeros(2, device="cuda:0")


@pytest.mark.parametrize("method, dtype", [("float", torch.float32), ("double", torch.float64),
                                           ("long", torch.int64), ("int", torch.int32),
                                           ("half", torch.float16), ("bool", torch.bool)])
def test_cast_methods(device, method, dtype):
    t = torch.tensor([0.0, 1.5, -2.5], dtype=torch.float64, device=device)
    r = getattr(t, method)()
    assert r.dtype is dtype and r.device == t.device
    np.testing.assert_array_equal(to_host(r), np.array([0.0, 1.5, -2.5]).astype(dtype.numpy))


def test_cast_to_the_same_dtype_is_the_same_tensor(device):
    t = torch.ones(2, device=device)
    assert t.float() is t
    assert t.type() == "minitorch_np.float32"
    assert t.type(torch.float64).dtype is torch.float64


# -- Python protocols ---------------------------------------------------------------------------
def test_iteration_yields_the_rows(device):
    a = np.arange(6).reshape(3, 2)
    t = torch.tensor(a, device=device)
    rows = list(t)
    assert len(rows) == 3
    for row, ref in zip(rows, a, strict=True):
        assert isinstance(row, torch.Tensor) and row.device == t.device
        assert row.tolist() == ref.tolist()
    assert [v.item() for v in torch.tensor([4, 5], device=device)] == [4, 5]


def test_len_and_iteration_of_a_0d_tensor_raise(device):
    s = torch.tensor(1.0, device=device)
    with pytest.raises(TypeError, match="0-d"):
        len(s)
    with pytest.raises(TypeError, match="0-d"):
        iter(s)


@pytest.mark.parametrize("t, b, f, i", [
    (lambda d: torch.tensor([0.0], device=d), False, 0.0, 0),
    (lambda d: torch.tensor(2.5, device=d), True, 2.5, 2),
    (lambda d: torch.tensor([[-3.7]], device=d), True, -3.7, -3),
    (lambda d: torch.tensor(7, device=d), True, 7.0, 7),
])
def test_bool_float_int_of_one_element(device, t, b, f, i):
    x = t(device)
    assert bool(x) is b
    assert float(x) == pytest.approx(f)
    assert int(x) == i


@pytest.mark.parametrize("convert", [bool, float, int])
def test_bool_float_int_of_many_elements_raise(device, convert):
    with pytest.raises(RuntimeError):
        convert(torch.ones(2, device=device))


def test_comparison_results_work_in_if(device):
    a, b = torch.tensor([3], device=device), torch.tensor([3], device=device)
    assert bool(a == b) and not bool(a != b)
    with pytest.raises(RuntimeError, match="ambiguous"):
        if torch.tensor([1, 2], device=device) == torch.tensor([1, 2], device=device):
            pass


def test_int_tensor_as_a_list_index(device):
    items = ["a", "b", "c"]
    assert items[torch.tensor(2, device=device)] == "c"
    with pytest.raises(TypeError):
        items[torch.tensor(1.0, device=device)]


def test_format_spec_on_0d_tensors(device):
    assert f"{torch.tensor(3.14159, device=device):.4f}" == "3.1416"
    assert "{:.01f}".format(torch.tensor(5.06, device=device)) == "5.1"  # noqa: UP032
    assert "{:d}".format(torch.tensor(5, device=device)) == "5"  # noqa: UP032
    assert f"{torch.tensor(1.5, device=device, requires_grad=True):.2f}" == "1.50"


def test_format_of_a_0d_tensor_is_its_number_as_in_pytorch(device):
    # Tensor.__format__ formats item() for a 0-d tensor, even with no spec
    assert f"{torch.tensor(1.5, device=device)}" == format(torch.tensor(1.5), "") == "1.5"
    assert f"{torch.tensor(3, device=device)}" == "3"
    assert f"{torch.tensor(True, device=device)}" == "True"
    assert f"{torch.tensor(0.1, device=device)}" == "0.10000000149011612"  # float32's 0.1
    assert str(torch.tensor(1.5, device=device)).startswith("tensor(1.5000")  # str is the repr


def test_format_without_spec_is_the_repr(device):
    for t in (torch.tensor([1.0, 2.0], device=device), torch.tensor([1.5], device=device)):
        assert f"{t}" == repr(t) == str(t)


def test_format_spec_on_one_element_tensors_and_on_many(device):
    # API.md: the lectures' f'{t:.4f}' works on any one-element tensor (PyTorch: 0-d only);
    # a spec on several elements is an error, as in PyTorch
    assert f"{torch.tensor([2.0 / 3.0], device=device):.2f}" == "0.67"
    assert format(torch.tensor([[1.5]], device=device), ".1f") == "1.5"
    with pytest.raises(TypeError, match="unsupported format string .*Tensor.__format__"):
        format(torch.tensor([1.0, 2.0], device=device), ".2f")


def test_tensors_hash_by_identity():
    a, b = torch.ones(1), torch.ones(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# -- int arguments: anything with __index__, as in PyTorch ----------------------------------------
SHAPE_OPS_WITH_INTS = [
    ("reshape", lambda x, n: x.reshape(n, 6), (2, 6)),
    ("reshape tuple", lambda x, n: x.reshape((n, -1)), (2, 6)),
    ("view", lambda x, n: x.view(n, 6), (2, 6)),
    ("view one size", lambda x, n: x.view(n * 6), (12,)),
    ("expand", lambda x, n: x[:1].expand(n, -1), (2, 4)),
    ("broadcast_to", lambda x, n: x[:1].broadcast_to((n, 4)), (2, 4)),
    ("permute", lambda x, n: x.permute(n - 1, 0), (4, 3)),
    ("unflatten", lambda x, n: x.unflatten(1, (n, n)), (3, 2, 2)),
    ("chunk", lambda x, n: x.chunk(n, 1)[0], (3, 2)),
    ("split", lambda x, n: x.split(n, 1)[0], (3, 2)),  # (PyTorch itself refuses an np.int64 here)
    ("split sizes", lambda x, n: x.split([n, n], 1)[1], (3, 2)),
    ("narrow", lambda x, n: x.narrow(1, n, n), (3, 2)),
    ("new_zeros", lambda x, n: x.new_zeros(n, 3), (2, 3)),
]


@pytest.mark.parametrize("n", [np.int64(2), np.int32(2), torch.tensor(2)],
                         ids=["np.int64", "np.int32", "0-d tensor"])
@pytest.mark.parametrize("name, op, shape", SHAPE_OPS_WITH_INTS,
                         ids=[o[0] for o in SHAPE_OPS_WITH_INTS])
def test_shape_ops_take_any_int_with_index(device, name, op, shape, n):
    x = torch.arange(12.0, device=device).reshape(3, 4)
    out = op(x, n)
    assert out.shape == shape and all(type(s) is int for s in out.shape)
    assert out.dtype is torch.float32


@pytest.mark.parametrize("name, op", [
    ("reshape", lambda x: x.reshape(2.0, 6)), ("reshape", lambda x: x.reshape(True, 12)),
    ("reshape", lambda x: x.reshape(torch.tensor(2.0), 6)), ("view", lambda x: x.view(2.0, 6)),
    ("view", lambda x: x.view(12.0)), ("expand", lambda x: x.expand(3.0, 4)),
    ("permute", lambda x: x.permute(1.0, 0)), ("chunk", lambda x: x.chunk(2.0)),
    ("split", lambda x: x.split(2.0)), ("split", lambda x: x.split([1.0, 3.0], 1)),
    ("narrow", lambda x: x.narrow(1, 1.0, 2)),
])
def test_shape_ops_refuse_floats_naming_the_op(name, op):
    with pytest.raises(TypeError, match=rf"^{name}: \w+ must be (an int|ints), got"):
        op(torch.ones(3, 4))


# -- the legacy constructor ----------------------------------------------------------------------
def test_legacy_constructor_from_data_is_float32():
    t = torch.Tensor([2.0, 4.0, 8.0])
    assert t.dtype is torch.float32 and t.shape == (3,)
    assert t.tolist() == [2.0, 4.0, 8.0]
    t = torch.Tensor([2, 4, 8])  # ints too: Tensor is the float tensor type
    assert t.dtype is torch.float32 and t.tolist() == [2.0, 4.0, 8.0]
    assert torch.Tensor(np.array([1, 2], dtype=np.int64)).dtype is torch.float32
    assert torch.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, not a shape


def test_legacy_constructor_from_sizes():
    t = torch.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is torch.float32
    assert isinstance(t, torch.Tensor) and not t.requires_grad
    e = torch.Tensor()
    assert e.shape == (0,) and e.dtype is torch.float32


def test_legacy_constructor_on_a_device(device):
    t = torch.Tensor([1, 2], device=device)
    assert t.device.type == torch.device(device).type and t.dtype is torch.float32
    assert torch.Tensor(2, 2, device=device).shape == (2, 2)


def test_is_tensor_and_numel_functions():
    assert torch.is_tensor(torch.ones(1)) and not torch.is_tensor([1.0])
    assert torch.numel(torch.ones(2, 5)) == 10


def test_membership_and_comparison_with_none_as_in_pytorch(device):
    t = torch.tensor([[1, 2], [3, 4]], device=device)
    assert 2 in t and 5 not in t and torch.tensor(3, device=device) in t
    with pytest.raises(RuntimeError, match="__contains__ only supports Tensor or scalar"):
        [1] in t  # noqa: B015
    assert (t == None) is False and (t != None) is True  # noqa: E711


def test_detach_in_place_refuses_a_view(device):
    y = torch.ones(3, device=device, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach"):
        y[:2].detach_()
    assert y.detach_() is y and not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("op", [lambda x: x.t(), lambda x: x.T, lambda x: x.reshape(3),
                                lambda x: x.view(3), lambda x: x.permute(0),
                                lambda x: x.expand(3), lambda x: x.transpose(0, 0),
                                lambda x: x.squeeze()],
                         ids=["t", "T", "reshape", "view", "permute", "expand", "transpose",
                              "squeeze"])
def test_a_shape_op_that_changes_nothing_is_still_a_new_view(device, op):
    # as PyTorch: not the tensor itself (a leaf would stay a leaf, its .grad shared)
    x = torch.ones(3, device=device, requires_grad=True)
    y = op(x)
    assert y is not x and not y.is_leaf and y.grad_fn is not None
    assert y._version_counter is x._version_counter  # a view: it shares memory and counter
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf"):  # a non-leaf, as PyTorch says
        assert y.grad is None
    assert to_host(x.grad).tolist() == [1.0, 1.0, 1.0]


def test_a_reshape_that_copies_is_not_a_view(device):
    # a transposed matrix cannot be flattened without a copy: no shared memory, no shared
    # counter (an in-place change of one is not the other's); a slice's reshape is a view
    x = torch.arange(6.0, device=device).reshape(2, 3)
    flat = x.t().reshape(6)
    assert flat._base is None and flat._version_counter is not x._version_counter
    flat.add_(1.0)
    assert x._version == 0 and to_host(x).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    row = x[1:].reshape(3)
    assert row._base is x._base and row._version_counter is x._version_counter
    row.add_(1.0)
    assert x._version == 1 and to_host(x)[1].tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(RuntimeError, match="view size .* not compatible"):
        x.t().view(6)


def test_size_slices_joins_and_repeats_stay_sizes():
    s = torch.ones(2, 3, 4).shape
    for out, expected in [(s[1:], (3, 4)), (s + (5,), (2, 3, 4, 5)), ((1,) + s, (1, 2, 3, 4)),
                          (s * 2, (2, 3, 4) * 2), (2 * s[:1], (2, 2))]:
        assert type(out) is torch.Size and out == expected
    assert type(s[0]) is int and s.numel() == 24
    with pytest.raises(TypeError):
        s + [5]  # noqa: B018 - a tuple only, as tuple's (and PyTorch's)
