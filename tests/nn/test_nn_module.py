"""The Module system: registries, traversal, modes, devices, state dicts, hooks, repr,
containers and `Parameter`."""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
        self.scale = nn.Parameter(torch.ones(3))

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(5, 4)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Sequential(OrderedDict(act=nn.ReLU(), out=nn.Linear(3, 2)))

    def forward(self, x):
        x = self.first(x)
        for b in self.blocks:
            x = torch.tanh(b(x))
            x = nn.functional.pad(x, (0, 1))
        return self.head(x[..., :3])


# The names and order PyTorch gives this architecture: a module's own parameters first, then
# its children's in assignment order, depth first.
NET_PARAMETERS = ["first.weight", "first.bias",
                  "blocks.0.scale", "blocks.0.fc.weight", "blocks.0.fc.bias",
                  "blocks.1.scale", "blocks.1.fc.weight", "blocks.1.fc.bias",
                  "head.out.weight", "head.out.bias"]
NET_STATE = ["first.weight", "first.bias",
             "blocks.0.scale", "blocks.0.steps", "blocks.0.fc.weight", "blocks.0.fc.bias",
             "blocks.1.scale", "blocks.1.steps", "blocks.1.fc.weight", "blocks.1.fc.bias",
             "head.out.weight", "head.out.bias"]


# -- registries ---------------------------------------------------------------------------
def test_attribute_assignment_fills_the_registries():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._modules) == ["fc"]
    assert list(b._buffers) == ["steps", "scratch"]
    assert b._non_persistent_buffers_set == {"scratch"}
    assert "fc" not in b.__dict__ and "scale" not in b.__dict__
    assert b.fc is b._modules["fc"] and b.scale is b._parameters["scale"]


def test_named_parameters_and_state_dict_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NET_PARAMETERS
    assert list(net.state_dict()) == NET_STATE
    assert [n for n, _ in net.named_buffers()] == ["blocks.0.steps", "blocks.0.scratch",
                                                   "blocks.1.steps", "blocks.1.scratch"]
    assert len(list(net.parameters())) == len(NET_PARAMETERS)
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.blocks[0].named_parameters(prefix="b")] == \
        ["b.scale", "b.fc.weight", "b.fc.bias"]


def test_named_modules_and_children():
    net = Net()
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "first", "blocks", "blocks.0", "blocks.0.fc", "blocks.1",
                     "blocks.1.fc", "head", "head.act", "head.out"]
    assert [n for n, _ in net.named_children()] == ["first", "blocks", "head"]
    assert next(net.children()) is net.first
    assert len(list(net.modules())) == len(names)


def test_shared_modules_and_tied_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert len([n for n, _ in model.named_modules(remove_duplicate=False)]) == 4
    # tied weights across different modules
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    # the state dict keeps every name (as PyTorch)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_reassignment_rules():
    m = nn.Linear(2, 2)
    m.bias = None  # a parameter may become None
    assert m.bias is None and "bias" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = torch.zeros(2, 2)
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="as child module '0'"):
        setattr(seq, "0", 3)
    b = Block()
    b.steps = torch.ones(1, dtype=torch.int64)  # a buffer stays a buffer
    assert "steps" in b._buffers and int(b.steps.item()) == 1
    b.scratch = torch.ones(2)  # and keeps its persistence
    assert "scratch" in b._non_persistent_buffers_set
    b.fc = nn.Identity()  # a module can be replaced by another
    assert isinstance(b._modules["fc"], nn.Identity)
    b.x = nn.Parameter(torch.zeros(1))
    del b.x
    assert "x" not in b._parameters
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nope'"):
        _ = b.nope


def test_buffer_class_registers_itself():
    m = nn.Module()
    m.running = nn.Buffer(torch.ones(2))
    m.tmp = nn.Buffer(torch.zeros(1), persistent=False)
    assert list(m._buffers) == ["running", "tmp"]
    assert type(m.running) is torch.Tensor
    assert list(m.state_dict()) == ["running"]


def test_register_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="name should be a string"):
        m.register_buffer(3, None)
    m.plain = 1
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_parameter("plain", None)
    with pytest.raises(TypeError, match="Parameter or None required"):
        m.register_parameter("w", torch.zeros(1))
    with pytest.raises(TypeError, match="Tensor or None required"):
        m.register_buffer("b", [1, 2])
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("c", torch.zeros(1))


def test_non_leaf_parameter_is_refused():
    m = nn.Module()
    x = torch.ones(2, requires_grad=True)
    p = nn.Parameter(x * 2)  # Parameter(...) is always a leaf
    assert p.is_leaf
    p.grad_fn = (x * 2).grad_fn  # forge a non-leaf
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("w", p)


def test_missing_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(torch.zeros(1))


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("blocks.1.fc") is net.blocks[1].fc
    assert net.get_parameter("blocks.0.scale") is net.blocks[0].scale
    assert net.get_buffer("blocks.1.steps") is net.blocks[1].steps
    with pytest.raises(AttributeError):
        net.get_submodule("blocks.7")


# -- Parameter ----------------------------------------------------------------------------
def test_parameter_shares_memory_and_prints():
    t = torch.zeros(2, 3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, torch.Tensor)
    t.add_(1.0)
    assert to_host(p).tolist() == [[1.0] * 3] * 2
    assert repr(p).startswith("Parameter containing:\ntensor([[1., 1., 1.],")
    assert repr(p).endswith("requires_grad=True)")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(torch.zeros(2, dtype=torch.int64))
    assert nn.Parameter().shape == (0,)
    # operations on parameters give plain tensors
    assert type(p * 2) is torch.Tensor


def test_deepcopy_gives_independent_parameters():
    a = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    b = copy.deepcopy(a)
    assert isinstance(b[0].weight, nn.Parameter)
    with torch.no_grad():
        b[0].weight.fill_(0.0)
    assert to_host(a[0].weight).any()


# -- modes and gradients ------------------------------------------------------------------
def test_train_false_propagates_lecture_listing():
    """Lecture 000, "Dropout": model.train(False) switches the shared dropout module."""
    dropout = nn.Dropout()
    model = nn.Sequential(nn.Linear(3, 10), dropout, nn.Linear(10, 3))
    assert dropout.training is True
    assert model.train(False) is model
    assert dropout.training is False
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.eval()
    assert dropout.training is False
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_and_requires_grad(device):
    model = nn.Linear(3, 2, device=device)
    model(torch.ones(4, 3, device=device)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert to_host(model.weight.grad).tolist() == [[0.0] * 3] * 2
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    out = model(torch.ones(1, 3, device=device))
    assert not out.requires_grad


def test_apply_visits_children_first():
    order = []
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    net.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Sequential", "Sequential"]


# -- devices and dtypes -------------------------------------------------------------------
def test_to_dtype_converts_in_place():
    net = Net()
    params = list(net.parameters())
    net(torch.randn(2, 5)).sum().backward()
    assert net.double() is net
    assert all(p is q for p, q in zip(params, net.parameters()))
    assert all(p.dtype == torch.float64 and p.grad.dtype == torch.float64 for p in params)
    assert net.blocks[0].steps.dtype == torch.int64  # integer buffers keep their dtype
    assert net(torch.randn(2, 5, dtype=torch.float64)).dtype == torch.float64
    net.to(torch.float32)
    assert all(p.dtype == torch.float32 for p in params)
    with pytest.raises(TypeError, match="floating point"):
        net.to(torch.int64)


@pytest.mark.parametrize("target", ["fakegpu", "fakegpu:1"])
def test_to_device_moves_parameters_in_place(target):
    net = Net()
    held = list(net.parameters())  # what an optimizer built before the move holds
    x = torch.randn(2, 5)
    expected = to_host(net(x))
    net(x).sum().backward()
    assert net.to(target) is net
    dev = torch.zeros(1, device=target).device  # 'fakegpu' means fakegpu:0
    for p, q in zip(held, net.parameters()):
        assert p is q and p.device == dev and p.grad.device == dev
    assert all(b.device == dev for b in net.buffers())
    out = net(x.to(target))
    assert out.device == dev
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-6)
    # a step through the held references changes the model that now lives on the device
    with torch.no_grad():
        for p in held:
            p.sub_(0.1 * p.grad)
    assert not np.allclose(to_host(net(x.to(target))), expected)
    net.cpu()
    assert all(p.device == torch.device("cpu") for p in held)


def test_to_parses_arguments():
    m = nn.Linear(2, 2)
    m.to("fakegpu", torch.float64)
    assert m.weight.device == torch.device("fakegpu:0") and m.weight.dtype == torch.float64
    m.to(torch.zeros(1, dtype=torch.float32))
    assert m.weight.device == torch.device("cpu") and m.weight.dtype == torch.float32
    m.to(device="fakegpu", dtype=torch.float32, non_blocking=True)
    assert m.weight.device.type == "fakegpu"
    with pytest.raises(TypeError):
        m.to(3)


# -- state dicts --------------------------------------------------------------------------
def test_state_dict_round_trip(device):
    a, b = Net().to(device), Net().to(device)
    x = torch.randn(3, 5, device=device)
    assert not np.allclose(to_host(a(x)), to_host(b(x)))
    with torch.no_grad():
        a.blocks[1].steps.fill_(7)
    b_params = list(b.parameters())
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(to_host(a(x)), to_host(b(x)))
    assert int(b.blocks[1].steps.item()) == 7
    assert all(p is q for p, q in zip(b_params, b.parameters()))  # copied in place


def test_state_dict_round_trip_through_a_file(tmp_path):
    a, b = Net(), Net()
    torch.save(a.state_dict(), tmp_path / "net.pt")
    b.load_state_dict(torch.load(tmp_path / "net.pt"))
    x = torch.randn(2, 5)
    np.testing.assert_array_equal(to_host(a(x)), to_host(b(x)))


def test_state_dict_shares_memory_and_is_detached():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    with torch.no_grad():
        m.weight.fill_(3.0)
    assert float(sd["weight"][0, 0]) == 3.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="enc.")) == ["enc.weight", "enc.bias"]


def test_load_state_dict_reports_keys_by_name():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = m.state_dict()
    del sd["1.bias"]
    sd["1.extra"] = torch.zeros(1)
    sd["9.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert 'Missing key(s) in state_dict: "1.bias"' in msg
    # the root module finds "9.weight", then module "1" finds "1.extra" (PyTorch's order)
    assert 'Unexpected key(s) in state_dict: "9.weight", "1.extra"' in msg
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.bias"]
    assert result.unexpected_keys == ["9.weight", "1.extra"]


def test_load_state_dict_shape_mismatch_is_an_error_even_when_not_strict():
    m = nn.Linear(2, 3)
    sd = {"weight": torch.zeros(3, 4), "bias": torch.zeros(3)}
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param "
                                               r"with shape \[3, 4\] from checkpoint, the shape "
                                               r"in current model is \[3, 2\]"):
            m.load_state_dict(sd, strict=strict)
    with pytest.raises(RuntimeError, match="expected Tensor"):
        m.load_state_dict({"weight": [[0.0] * 2] * 3, "bias": torch.zeros(3)})
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([("weight", torch.zeros(3, 2))])


def test_load_state_dict_casts_moves_and_assigns():
    m = nn.Linear(2, 2)
    src = {"weight": torch.ones(2, 2, dtype=torch.float64, device="fakegpu"),
           "bias": torch.zeros(2)}
    m.load_state_dict(src)
    assert m.weight.dtype == torch.float32 and m.weight.device == torch.device("cpu")
    assert to_host(m.weight).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    new_w = torch.full((2, 2), 5.0)
    m.load_state_dict({"weight": new_w, "bias": torch.zeros(2)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    new_w.fill_(6.0)  # assign: the module now uses the given tensor's memory
    assert float(m.weight[0, 0]) == 6.0


# -- hooks --------------------------------------------------------------------------------
def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(args) or out + 1)
    out = m(torch.ones(1, 2))
    np.testing.assert_allclose(to_host(out), to_host(m.bias.reshape(1, 2)) + 1, rtol=1e-6)
    assert to_host(calls[0][0]).tolist() == [[0.0, 0.0]]  # the hook saw the new input
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(to_host(m(torch.zeros(1, 2))), to_host(m.bias.reshape(1, 2)))
    assert not m._forward_hooks and not m._forward_pre_hooks

    seen = []
    with m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs),
                                 with_kwargs=True):
        m(input=torch.ones(1, 2))
    assert list(seen[0]) == ["input"] and not m._forward_hooks
    order = []
    m.register_forward_hook(lambda *a: order.append("a"))
    m.register_forward_hook(lambda *a: order.append("b"), prepend=True)
    m(torch.ones(1, 2))
    assert order == ["b", "a"]


def test_always_call_hook_runs_when_forward_raises():
    m = nn.Linear(2, 2)
    got = []
    m.register_forward_hook(lambda mod, args, out: got.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        m(torch.ones(1, 3))
    assert got == [None]


# -- repr ---------------------------------------------------------------------------------
def test_repr_like_pytorch():
    model = nn.Sequential(nn.Linear(3, 10), nn.Dropout(), nn.Linear(10, 3, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=10, bias=True)\n"
        "  (1): Dropout(p=0.5, inplace=False)\n"
        "  (2): Linear(in_features=10, out_features=3, bias=False)\n"
        ")")
    nested = nn.Sequential(nn.Sequential(nn.ReLU(inplace=True)), nn.Flatten())
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): ReLU(inplace=True)\n"
        "  )\n"
        "  (1): Flatten(start_dim=1, end_dim=-1)\n"
        ")")
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(blocks) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.Module()) == "Module()"


# -- containers ---------------------------------------------------------------------------
def test_sequential_indexing_and_editing():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]
    with pytest.raises(IndexError):
        s[3]
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[1] is c
    s.insert(0, a)
    assert next(iter(s)) is a and list(s._modules) == ["0", "1", "2"]
    s.append(nn.Sigmoid())
    assert len(s) == 4
    assert isinstance(s.pop(-1), nn.Sigmoid) and len(s) == 3
    s.extend([nn.Identity()])
    assert len(s) == 4
    both = s + nn.Sequential(nn.ReLU())
    assert len(both) == 5 and len(s) == 4
    x = torch.randn(4, 2)
    np.testing.assert_allclose(to_host(s(x)), to_host(c(torch.tanh(a(x)))), rtol=1e-6)


def test_sequential_from_ordered_dict():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in s.named_parameters()] == ["fc.weight", "fc.bias"]
    assert s.fc is s[0]


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    layers.append(nn.Linear(2, 1))
    layers += [nn.Tanh()]
    assert len(layers) == 4 and isinstance(layers[-1], nn.Tanh)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and list(layers._modules)[-1] == "4"
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias",
                                                         "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.Linear(1, 1))
    with pytest.raises(NotImplementedError):
        layers(torch.zeros(1))

    d = nn.ModuleDict({"enc": nn.Linear(2, 2)})
    d["dec"] = nn.Linear(2, 2)
    d.update([("act", nn.ReLU())])
    assert list(d) == ["enc", "dec", "act"] and "dec" in d and len(d) == 3
    assert [n for n, _ in d.named_parameters()] == ["enc.weight", "enc.bias",
                                                    "dec.weight", "dec.bias"]
    assert isinstance(d.pop("act"), nn.ReLU) and len(d) == 2
    with pytest.raises(ValueError, match="length"):
        d.update([("a", nn.ReLU(), 3)])


def test_parameter_list_and_dict():
    pl = nn.ParameterList([torch.zeros(2), nn.Parameter(torch.ones(1))])
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"a": torch.zeros(1)})
    pd["b"] = torch.ones(2)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"] and "b" in pd
    # as PyTorch: a plain dict's keys are sorted, an OrderedDict keeps its order
    assert list(nn.ParameterDict({"b": torch.zeros(1), "a": torch.zeros(1)})) == ["a", "b"]
    ordered = OrderedDict([("b", torch.zeros(1)), ("a", torch.zeros(1))])
    assert list(nn.ParameterDict(ordered)) == ["b", "a"]


# -- the lectures' listings ---------------------------------------------------------------
class MultilayerPerceptron(nn.Module):
    """Lecture 002, "Dropout in PyTorch (Functional API)"."""

    def __init__(self, num_features, num_classes, drop_proba, num_hidden_1, num_hidden_2):
        super().__init__()
        self.drop_proba = drop_proba
        self.linear_1 = nn.Linear(num_features, num_hidden_1)
        self.linear_2 = nn.Linear(num_hidden_1, num_hidden_2)
        self.linear_out = nn.Linear(num_hidden_2, num_classes)

    def forward(self, x):
        out = nn.functional.relu(self.linear_1(x))
        out = nn.functional.dropout(out, p=self.drop_proba, training=self.training)
        out = nn.functional.relu(self.linear_2(out))
        out = nn.functional.dropout(out, p=self.drop_proba, training=self.training)
        logits = self.linear_out(out)
        probas = nn.functional.log_softmax(logits, dim=1)
        return logits, probas


def test_lecture_training_loop(device):
    """Lecture 000's loop: model.cuda(); criterion.cuda(); SGD written by hand with
    ``p.detach().sub_(eta * p.grad)``; then evaluation with model.train(False)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + 2 * (x[:, 2] > 0)
    train_input, train_target = torch.tensor(x), torch.tensor(y)
    model = MultilayerPerceptron(6, 4, 0.2, 32, 16)
    criterion = nn.CrossEntropyLoss()
    model.to(device)
    criterion.to(device)
    train_input, train_target = train_input.to(device), train_target.to(device)
    losses = []
    for _ in range(60):
        for b in range(0, 64, 16):
            logits, _ = model(train_input.narrow(0, b, 16))
            loss = criterion(logits, train_target.narrow(0, b, 16))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.detach().sub_(0.1 * p.grad)
        losses.append(loss.item())
    model.train(False)
    with torch.no_grad():
        logits, probas = model(train_input)
        again, _ = model(train_input)
    np.testing.assert_array_equal(to_host(logits), to_host(again))  # no dropout in eval
    accuracy = (to_host(logits.argmax(1)) == y).mean()
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.9
    np.testing.assert_allclose(np.exp(to_host(probas)).sum(1), 1.0, rtol=1e-5)
