"""Devices (API.md, "Devices and backends"): ``minitorch_np.device``, ``cuda.is_available``,
tensors on the fake GPU, moving between devices, and the clear error when devices are mixed."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()


CUDA = torch.cuda.is_available()


# -- the device object -------------------------------------------------------------------------
def test_device_with_an_index():
    d = torch.device("cuda:1")
    assert repr(d) == "device(type='cuda', index=1)"
    assert str(d) == "cuda:1"
    assert d.type == "cuda" and d.index == 1


def test_device_without_an_index():
    d = torch.device("cuda")
    assert repr(d) == "device(type='cuda')" and str(d) == "cuda" and d.index is None
    c = torch.device("cpu")
    assert repr(c) == "device(type='cpu')" and str(c) == "cpu"


def test_device_equality_and_hashing():
    assert torch.device("cuda:1") == torch.device("cuda", 1)
    assert torch.device("cuda:1") == "cuda:1"
    assert torch.device("cuda:1") != torch.device("cuda:0")
    assert torch.device("cuda") != torch.device("cuda:0")  # as in PyTorch
    assert torch.device("cpu") == "cpu" and torch.device("cpu") != "cuda"
    assert torch.device("cpu") != "not a device"
    assert len({torch.device("fakegpu:1"), torch.device("fakegpu", 1), torch.device("cpu")}) == 2
    assert torch.device(torch.device("cuda:0")) == torch.device("cuda:0")


@pytest.mark.parametrize("spec", ["tpu", "gpu:0", "CUDA", ""])
def test_unknown_device_type_raises(spec):
    with pytest.raises(RuntimeError, match="unknown device type"):
        torch.device(spec)


@pytest.mark.parametrize("spec", ["cuda:x", "cuda:-1", "cuda:1:2", "cpu:1"])
def test_malformed_device_strings_raise(spec):
    with pytest.raises(ValueError):
        torch.device(spec)


def test_device_index_given_twice_raises():
    with pytest.raises(ValueError, match="twice"):
        torch.device("cuda:1", 1)


def test_device_of_a_non_string_raises():
    with pytest.raises(TypeError):
        torch.device(1.5)


@pytest.mark.skipif(CUDA, reason="CUDA is available here")
def test_cuda_is_not_available_here():
    assert torch.cuda.is_available() is False
    assert torch.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        torch.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.cuda.synchronize()


# -- fake GPU tensors --------------------------------------------------------------------------
FACTORIES = {
    "tensor": lambda d: torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
    "zeros": lambda d: torch.zeros(2, 2, device=d),
    "ones": lambda d: torch.ones(2, 2, device=d),
    "full": lambda d: torch.full((2, 2), 3.0, device=d),
    "empty": lambda d: torch.empty(2, 2, device=d),
    "arange": lambda d: torch.arange(4, device=d),
    "linspace": lambda d: torch.linspace(0, 1, 4, device=d),
    "eye": lambda d: torch.eye(2, device=d),
    "rand": lambda d: torch.rand(2, 2, device=d),
    "randn": lambda d: torch.randn(2, 2, device=d),
    "randint": lambda d: torch.randint(0, 5, (2, 2), device=d),
    "randperm": lambda d: torch.randperm(4, device=d),
    "legacy": lambda d: torch.Tensor([1, 2], device=d),
    "to": lambda d: torch.ones(2).to(d),
}


@pytest.mark.parametrize("name", list(FACTORIES))
@pytest.mark.parametrize("spec, index", [("fakegpu", 0), ("fakegpu:0", 0), ("fakegpu:1", 1)])
def test_fakegpu_creation(name, spec, index):
    t = FACTORIES[name](spec)
    assert t.device == torch.device("fakegpu", index)
    assert t.device.type == "fakegpu" and t.device.index == index
    assert not t.is_cuda


def _ops(x, w):
    """A tour of the op families, each result paired with its name."""
    return {
        "add": x + 1, "radd": 1 + x, "mul": x * w, "div": x / 2, "pow": x ** 2, "neg": -x,
        "exp": x.exp(), "relu": x.relu(), "where": torch.where(x > 2, x, w),
        "compare": x > 2, "sum": x.sum(), "mean_dim": x.mean(0), "max": x.max(),
        "argmax": x.argmax(1), "matmul": x @ w, "mm": x.mm(w.t()), "mv": x.mv(w[0]),
        "reshape": x.reshape(4), "T": x.T, "transpose": x.transpose(0, 1),
        "unsqueeze": x.unsqueeze(0), "cat": torch.cat([x, w]), "stack": torch.stack([x, w]),
        "getitem": x[0], "getitem_adv": x[[1, 0]], "getitem_mask": x[x > 1],
        "narrow": x.narrow(0, 1, 1), "clone": x.clone(), "detach": x.detach(),
        "cast": x.double(), "softmax": x.softmax(1), "std": x.std(0),
        "zeros_like": torch.zeros_like(x), "inplace": x.clone().add_(1),
    }


@pytest.mark.parametrize("spec", ["fakegpu:0", "fakegpu:1"])
def test_ops_stay_on_the_fake_gpu(spec):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=spec)
    w = torch.tensor([[0.5, -1.0], [2.0, 0.0]], device=spec)
    host_x, host_w = torch.tensor(to_host(x)), torch.tensor(to_host(w))
    expected = _ops(host_x, host_w)
    for name, out in _ops(x, w).items():
        assert out.device == x.device, name
        np.testing.assert_allclose(to_host(out), to_host(expected[name]), rtol=1e-6,
                                   err_msg=name)


def test_backward_stays_on_the_fake_gpu():
    w = torch.tensor([1.0, -2.0, 3.0], device="fakegpu:1", requires_grad=True)
    loss = (w * w).sum() + (w.relu() @ torch.ones(3, device="fakegpu:1"))
    loss.backward()
    assert w.grad.device == w.device
    np.testing.assert_array_equal(to_host(w.grad), [3.0, -4.0, 7.0])


def test_to_cpu_returns_a_numpy_backed_tensor():
    x = torch.arange(6.0, device="fakegpu").reshape(2, 3)
    c = x.to("cpu")
    assert c.device == torch.device("cpu")
    assert isinstance(c._data, np.ndarray)
    np.testing.assert_array_equal(c.numpy(), np.arange(6.0).reshape(2, 3))
    c[0, 0] = 100.0  # a copy: the device tensor is unchanged
    assert x[0, 0].item() == 0.0


def test_moving_to_the_device_copies():
    a = np.array([1.0, 2.0], dtype=np.float32)
    cpu = torch.from_numpy(a)
    dev = cpu.to("fakegpu")
    a[0] = -5.0
    assert to_host(dev).tolist() == [1.0, 2.0]


def test_moving_between_the_fake_gpus():
    x = torch.tensor([1.0, 2.0], device="fakegpu:0")
    y = x.to("fakegpu:1")
    assert y.device == torch.device("fakegpu:1") and to_host(y).tolist() == [1.0, 2.0]
    assert (y * 2).device == y.device


def test_to_device_accepts_device_objects_and_normalises_the_index(device):
    x = torch.ones(2)
    assert x.to(torch.device(device)).device.type == torch.device(device).type
    if device != "cpu":
        # 'fakegpu' alone means the current device, index 0
        assert x.to(device).device.index == (torch.device(device).index or 0)


# -- mixing devices ----------------------------------------------------------------------------
MIXED = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: torch.mul(a, b),
    "matmul": lambda a, b: a @ b,
    "mm": lambda a, b: a.mm(b),
    "cat": lambda a, b: torch.cat([a, b]),
    "stack": lambda a, b: torch.stack([a, b]),
    "where": lambda a, b: torch.where(a > 0, a, b),
    "maximum": lambda a, b: torch.maximum(a, b),
    "eq": lambda a, b: a == b,
}


@pytest.mark.parametrize("name", list(MIXED))
@pytest.mark.parametrize("first, second", [("cpu", "fakegpu:0"), ("fakegpu:0", "cpu"),
                                           ("fakegpu:0", "fakegpu:1")])
def test_mixing_devices_raises_naming_the_op_and_both_devices(name, first, second):
    a = torch.ones(2, 2, device=first)
    b = torch.ones(2, 2, device=second)
    with pytest.raises(RuntimeError) as info:
        MIXED[name](a, b)
    message = str(info.value)
    op = {"mm": "matmul"}.get(name, name)
    assert op.lower() in message.lower(), message
    assert first in message and second in message, message


def test_mixing_devices_in_setitem_and_inplace_raises():
    x = torch.zeros(2, 2, device="fakegpu")
    with pytest.raises(RuntimeError, match="cpu"):
        x[0] = torch.ones(2)
    with pytest.raises(RuntimeError, match="cpu"):
        x.add_(torch.ones(2, 2))


def test_gradient_flows_through_to_device():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to("fakegpu")
    assert y.device.type == "fakegpu" and y.grad_fn is not None
    loss = (y * y * torch.tensor([1.0, 2.0, 3.0], device="fakegpu")).sum()
    loss.backward()
    assert x.grad.device == torch.device("cpu")
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 8.0, 18.0])


def test_gradient_flows_through_a_round_trip():
    w = torch.tensor([[1.0, 2.0]], device="fakegpu:1", requires_grad=True)
    (w.cpu().to("fakegpu:0") * 3).sum().backward()
    assert w.grad.device == torch.device("fakegpu:1")
    assert to_host(w.grad).tolist() == [[3.0, 3.0]]


@pytest.mark.parametrize("op", [lambda s, g: s * g, lambda s, g: g * s, lambda s, g: g + s,
                                lambda s, g: g / s, lambda s, g: torch.where(g > 0, g, s)],
                         ids=["mul", "rmul", "add", "div", "where"])
def test_a_0d_cpu_tensor_works_with_a_device_tensor(op):
    scalar = torch.tensor(2.0)
    g = torch.tensor([1.0, 4.0], device="fakegpu")
    out = op(scalar, g)
    assert out.device == g.device
    np.testing.assert_array_equal(to_host(out), to_host(op(scalar, g.cpu())))


def test_a_0d_cpu_tensor_keeps_the_device_tensor_dtype():
    out = torch.tensor(2.0, dtype=torch.float64) * torch.ones(2, device="fakegpu")
    assert out.dtype is torch.float32  # a 0-d tensor does not promote a dimensioned one


def test_a_0d_cpu_tensor_promotes_like_a_0d_tensor():
    out = torch.tensor(2.0, dtype=torch.float64) * torch.ones(2, dtype=torch.int64,
                                                              device="fakegpu")
    assert out.dtype is torch.float64 and out.device.type == "fakegpu"  # as torch.result_type


def test_a_0d_cpu_tensor_requiring_grad_with_a_device_tensor():
    scale = torch.tensor(2.0, requires_grad=True)
    g = torch.tensor([1.0, 4.0], device="fakegpu")
    (scale * g).sum().backward()
    assert scale.grad.device == torch.device("cpu") and scale.grad.item() == 5.0


def test_a_one_element_1d_cpu_tensor_is_not_a_scalar():
    with pytest.raises(RuntimeError, match="same device"):
        torch.tensor([2.0]) * torch.ones(2, device="fakegpu")


def test_a_0d_device_tensor_with_a_cpu_tensor_is_mixing():
    with pytest.raises(RuntimeError, match="same device"):
        torch.tensor(2.0, device="fakegpu") * torch.ones(2)
