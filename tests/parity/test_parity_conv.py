"""Parity with PyTorch for convolution, pooling, normalisation and the models: with weights
copied in, the same outputs, gradients and running statistics; the same parameter names and
order as the equivalent PyTorch networks. Skipped when PyTorch is not installed."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt
import minitorch_np.nn.functional as F
from minitorch_np import models, nn

pt = pytest.importorskip("torch")
ptF = pt.nn.functional


def both(array, requires_grad=False, device="cpu", dtype=np.float64):
    array = np.asarray(array, dtype=dtype)
    a, b = mt.tensor(array, device=device), pt.tensor(array)
    if requires_grad:
        a.requires_grad_()
        b.requires_grad_()
    return a, b


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(to_host(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


def copy_weights(ours: nn.Module, theirs, device="cpu") -> None:
    """PyTorch's parameters and buffers into ours, through our load_state_dict."""
    ours.load_state_dict({k: mt.tensor(v.detach().numpy(), device=device)
                          for k, v in theirs.state_dict().items()})


# -- functional forms ------------------------------------------------------------------------
CONV = [dict(), dict(stride=2, padding=1), dict(dilation=(2, 1), padding=(2, 0)),
        dict(groups=3, stride=(1, 2)), dict(padding="same"), dict(padding="same", dilation=2)]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's own note
@pytest.mark.parametrize("kw", CONV, ids=str)
def test_conv2d_matches(kw, device):
    rng = np.random.default_rng(0)
    x, xr = both(rng.standard_normal((2, 6, 7, 8)), True, device)
    w, wr = both(rng.standard_normal((9, 6 // kw.get("groups", 1), 3, 4)), True, device)
    b, br = both(rng.standard_normal(9), True, device)
    y, yr = F.conv2d(x, w, b, **kw), ptF.conv2d(xr, wr, br, **kw)
    close(y, yr)
    g = rng.standard_normal(tuple(yr.shape))
    y.backward(mt.tensor(g, device=device))
    yr.backward(pt.tensor(g))
    for ours, theirs in ((x, xr), (w, wr), (b, br)):
        close(ours.grad, theirs.grad)


def test_conv2d_float32_matches():
    rng = np.random.default_rng(1)
    x, xr = both(rng.standard_normal((4, 3, 16, 16)), dtype=np.float32)
    w, wr = both(rng.standard_normal((8, 3, 3, 3)), dtype=np.float32)
    close(F.conv2d(x, w, padding=1), ptF.conv2d(xr, wr, padding=1), rtol=1e-4, atol=1e-5)


def test_conv1d_matches():
    rng = np.random.default_rng(2)
    x, xr = both(rng.standard_normal((2, 4, 11)))
    w, wr = both(rng.standard_normal((6, 2, 3)))
    close(F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2),
          ptF.conv1d(xr, wr, stride=2, padding=1, dilation=2, groups=2))


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=(2, 3), dilation=(2, 1),
                                                           padding=(1, 1), stride=(1, 2))],
                         ids=str)
def test_unfold_fold_match(kw):
    rng = np.random.default_rng(3)
    x, xr = both(rng.standard_normal((2, 3, 6, 7)))
    cols, colsr = F.unfold(x, **kw), ptF.unfold(xr, **kw)
    close(cols, colsr, rtol=0, atol=0)
    y, yr = both(rng.standard_normal(tuple(colsr.shape)))
    close(F.fold(y, (6, 7), **kw), ptF.fold(yr, (6, 7), **kw))


POOL = [("max_pool2d", dict(kernel_size=3)), ("max_pool2d", dict(kernel_size=3, stride=1)),
        ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
        ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                            count_include_pad=False)),
        ("avg_pool2d", dict(kernel_size=2, stride=1, divisor_override=3)),
        ("adaptive_avg_pool2d", dict(output_size=(3, 5))),
        ("adaptive_avg_pool2d", dict(output_size=1))]


@pytest.mark.parametrize("name, kw", POOL, ids=str)
def test_pooling_matches(name, kw, device):
    rng = np.random.default_rng(4)
    x, xr = both(rng.standard_normal((2, 3, 9, 10)), True, device)
    y, yr = getattr(F, name)(x, **kw), getattr(ptF, name)(xr, **kw)
    close(y, yr)
    g = rng.standard_normal(tuple(yr.shape))
    y.backward(mt.tensor(g, device=device))
    yr.backward(pt.tensor(g))
    close(x.grad, xr.grad)


def _same_or_both_raise(ours, theirs, device, seed):
    """Run `theirs` (PyTorch) and `ours` on the same random input and upstream gradient: the
    same outputs and input gradients, or both raise."""
    try:
        yr, inputs_r = theirs()
    except (RuntimeError, ValueError, IndexError):
        with pytest.raises((RuntimeError, ValueError, IndexError)):
            ours()
        return
    y, inputs = ours()
    close(y, yr)
    if np.isneginf(yr.detach().numpy()).any():
        # a max-pool window wholly in the padding: -inf in both, and no input under it, so
        # no gradient here; PyTorch's CPU kernel sends that window's gradient to another
        # element (its index for an empty window points outside the window)
        return
    g = np.random.default_rng(seed).standard_normal(tuple(yr.shape))
    y.backward(mt.tensor(g, device=device))
    yr.backward(pt.tensor(g))
    for a, b in zip(inputs, inputs_r):
        close(a.grad, b.grad)


_DRAW = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
_SMALL = st.integers(1, 3)


@_DRAW
@given(n=st.integers(1, 2), groups=st.integers(1, 2), cin=_SMALL, cout=_SMALL,
       size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       kernel=st.tuples(_SMALL, _SMALL), stride=st.tuples(_SMALL, _SMALL),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), bias=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_drawn_conv2d_matches(n, groups, cin, cout, size, kernel, stride, padding, dilation,
                              bias, seed, device):
    # every argument drawn at once, sizes down to 1 and outputs down to nothing (then both
    # raise); channels are multiples of `groups`
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin * groups, *size))
    w = rng.standard_normal((cout * groups, cin, *kernel))
    b = rng.standard_normal(cout * groups) if bias else None
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)

    def run(lib, fn, **tensor_kwargs):
        def call():
            ts = [lib.tensor(a, dtype=lib.float64, requires_grad=True, **tensor_kwargs)
                  for a in (x, w, b) if a is not None]
            return fn(ts[0], ts[1], ts[2] if bias else None, **kw), ts
        return call
    _same_or_both_raise(run(mt, F.conv2d, device=device), run(pt, ptF.conv2d), device, seed)


@_DRAW
@given(name=st.sampled_from(["max_pool2d", "avg_pool2d"]),
       size=st.tuples(st.integers(1, 8), st.integers(1, 8)),
       kernel=st.tuples(_SMALL, _SMALL), stride=st.tuples(_SMALL, _SMALL),
       padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_drawn_pooling_matches(name, size, kernel, stride, padding, dilation, ceil_mode,
                               count_include_pad, seed, device):
    # (a draw where PyTorch refuses, e.g. padding over half the kernel, must be refused here)
    x = np.random.default_rng(seed).standard_normal((2, 3, *size))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
    if name == "max_pool2d":
        kw["dilation"] = dilation
    else:
        kw["count_include_pad"] = count_include_pad

    def run(lib, fns, **tensor_kwargs):
        def call():
            t = lib.tensor(x, dtype=lib.float64, requires_grad=True, **tensor_kwargs)
            return getattr(fns, name)(t, **kw), [t]
        return call
    _same_or_both_raise(run(mt, F, device=device), run(pt, ptF), device, seed)


def test_max_pool_indices_and_tied_gradients_match():
    x, xr = both(np.round(np.random.default_rng(5).standard_normal((1, 2, 6, 6))), True)
    (y, i), (yr, ir) = F.max_pool2d(x, 2, 1, return_indices=True), \
        ptF.max_pool2d(xr, 2, 1, return_indices=True)
    np.testing.assert_array_equal(to_host(i), ir.numpy())
    y.sum().backward()
    yr.sum().backward()
    close(x.grad, xr.grad, rtol=0, atol=0)  # ties: the same single winner


# -- normalisation layers --------------------------------------------------------------------
@pytest.mark.parametrize("layer, shape, kwargs", [
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (4, 3, 5), dict(momentum=None)),
    ("BatchNorm2d", (4, 3, 2, 3), dict(momentum=0.3, eps=1e-3)),
    ("BatchNorm2d", (4, 3, 2, 3), dict(affine=False)),
    ("BatchNorm2d", (4, 3, 2, 3), dict(track_running_stats=False))], ids=str)
def test_batchnorm_training_steps_then_eval_match(layer, shape, kwargs, device):
    rng = np.random.default_rng(6)
    ours = getattr(nn, layer)(3, **kwargs).to(device).double()
    theirs = getattr(pt.nn, layer)(3, **kwargs).double()
    if ours.affine:
        with pt.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
        copy_weights(ours, theirs, device)
    for step in range(3):
        x, xr = both(rng.standard_normal(shape) * (step + 1) + step, True, device)
        y, yr = ours(x), theirs(xr)
        close(y, yr)
        g = rng.standard_normal(shape)
        y.backward(mt.tensor(g, device=device))
        yr.backward(pt.tensor(g))
        close(x.grad, xr.grad)
    for (name, p), (name_r, pr) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == name_r
        close(p.grad, pr.grad)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key in theirs_state:
        close(ours_state[key], theirs_state[key])
    ours.eval()
    theirs.eval()
    x, xr = both(rng.standard_normal(shape), device=device)
    close(ours(x), theirs(xr))


@_DRAW
@given(layer=st.sampled_from(["BatchNorm1d", "BatchNorm2d"]), n=st.integers(1, 3),
       length=st.integers(1, 3), affine=st.booleans(), track=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5, None]), eps=st.sampled_from([1e-5, 0.1]),
       steps=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_drawn_batchnorm_matches(layer, n, length, affine, track, momentum, eps, steps, seed,
                                 device):
    # every option drawn together, down to one value per channel (PyTorch refuses to train
    # on that: so must we); training steps, then eval
    rng = np.random.default_rng(seed)
    kwargs = dict(affine=affine, track_running_stats=track, momentum=momentum, eps=eps)
    ours = getattr(nn, layer)(2, **kwargs).to(device).double()
    theirs = getattr(pt.nn, layer)(2, **kwargs).double()
    if affine:
        with pt.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
        copy_weights(ours, theirs, device)
    shape = (n, 2, length) if layer == "BatchNorm1d" else (n, 2, length, 2)

    def forward(module, lib, values, **tensor_kwargs):
        def call():
            x = lib.tensor(values, dtype=lib.float64, requires_grad=True, **tensor_kwargs)
            return module(x), [x]
        return call

    for step in range(steps + 1):
        if step == steps:  # then eval (without running statistics: the batch's, as PyTorch)
            ours.eval()
            theirs.eval()
        values = rng.standard_normal(shape) * (step + 1) + step
        _same_or_both_raise(forward(ours, mt, values, device=device),
                            forward(theirs, pt, values), device, seed + step)
        ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(theirs_state)
        for key in theirs_state:
            close(ours_state[key], theirs_state[key])


def test_layer_norm_matches():
    rng = np.random.default_rng(7)
    ours, theirs = nn.LayerNorm((3, 4)).double(), pt.nn.LayerNorm((3, 4)).double()
    with pt.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    copy_weights(ours, theirs)
    x, xr = both(rng.standard_normal((2, 5, 3, 4)), True)
    y, yr = ours(x), theirs(xr)
    close(y, yr)
    g = rng.standard_normal((2, 5, 3, 4))
    y.backward(mt.tensor(g))
    yr.backward(pt.tensor(g))
    close(x.grad, xr.grad)
    close(ours.weight.grad, theirs.weight.grad)


@_DRAW
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=4).map(tuple),
       normalized=st.integers(1, 3), affine=st.booleans(), bias=st.booleans(),
       eps=st.sampled_from([1e-5, 0.5]), seed=st.integers(0, 2**32 - 1))
def test_drawn_layer_norm_matches(shape, normalized, affine, bias, eps, seed, device):
    # normalized over the last 1-3 dimensions of shapes down to empty, with or without the
    # affine weight and bias
    rng = np.random.default_rng(seed)
    normalized_shape = shape[-normalized:]
    kwargs = dict(elementwise_affine=affine, bias=bias, eps=eps)
    try:
        theirs = pt.nn.LayerNorm(normalized_shape, **kwargs).double()
    except (RuntimeError, ValueError, TypeError):
        with pytest.raises((RuntimeError, ValueError, TypeError)):
            nn.LayerNorm(normalized_shape, **kwargs)
        return
    ours = nn.LayerNorm(normalized_shape, **kwargs).to(device).double()
    if affine:
        with pt.no_grad():
            for p in theirs.parameters():
                p.normal_()
        copy_weights(ours, theirs, device)
    values = rng.standard_normal(shape)

    def forward(module, lib, **tensor_kwargs):
        def call():
            x = lib.tensor(values, dtype=lib.float64, requires_grad=True, **tensor_kwargs)
            return module(x), [x, *module.parameters()]
        return call
    _same_or_both_raise(forward(ours, mt, device=device), forward(theirs, pt), device, seed)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Conv2d(3, 8, 3, stride=2, padding=1, groups=1, bias=False),
    lambda lib: lib.nn.Conv2d(4, 8, (3, 5), padding="same", groups=2, padding_mode="reflect"),
    lambda lib: lib.nn.Conv1d(4, 6, 3, dilation=2),
    lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), lambda lib: lib.nn.AvgPool2d(2),
    lambda lib: lib.nn.AdaptiveAvgPool2d((1, 1)),
    lambda lib: lib.nn.BatchNorm1d(5, momentum=None), lambda lib: lib.nn.BatchNorm2d(5),
    lambda lib: lib.nn.LayerNorm(5)])
def test_layer_names_shapes_and_repr_match(make):
    ours, theirs = make(mt), make(pt)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [(n, tuple(b.shape)) for n, b in ours.named_buffers()] == \
        [(n, tuple(b.shape)) for n, b in theirs.named_buffers()]


def test_conv_layer_with_padding_mode_matches():
    rng = np.random.default_rng(8)
    theirs = pt.nn.Conv2d(4, 6, 3, padding=1, groups=2, padding_mode="circular").double()
    ours = nn.Conv2d(4, 6, 3, padding=1, groups=2, padding_mode="circular").double()
    copy_weights(ours, theirs)
    x, xr = both(rng.standard_normal((2, 4, 5, 6)))
    close(ours(x), theirs(xr))


# -- the models against the same networks written with PyTorch --------------------------------
def lecture_net(lib):
    """Lecture 000's listing, word for word (save the module-level names)."""
    nn_, F_ = lib.nn, lib.nn.functional

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn_.Conv2d(1, 32, kernel_size=5)
            self.conv2 = nn_.Conv2d(32, 64, kernel_size=5)
            self.fc1 = nn_.Linear(256, 200)
            self.fc2 = nn_.Linear(200, 10)

        def forward(self, x):
            x = F_.relu(F_.max_pool2d(self.conv1(x), kernel_size=3))
            x = F_.relu(F_.max_pool2d(self.conv2(x), kernel_size=2))
            x = x.view(-1, 256)
            x = F_.relu(self.fc1(x))
            x = self.fc2(x)
            return x
    return Net()


class TorchBlock(pt.nn.Module):
    """He et al.'s basic block in PyTorch (option A: subsample + zero channels; B: 1×1 conv +
    BN), written independently of minitorch_np's."""

    def __init__(self, cin, cout, stride=1, shortcut="A"):
        super().__init__()
        self.conv1 = pt.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = pt.nn.BatchNorm2d(cout)
        self.conv2 = pt.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = pt.nn.BatchNorm2d(cout)
        self.option, self.stride, self.extra = shortcut, stride, cout - cin
        self.shortcut = pt.nn.Identity()
        if (stride != 1 or cin != cout) and shortcut == "B":
            self.shortcut = pt.nn.Sequential(pt.nn.Conv2d(cin, cout, 1, stride, bias=False),
                                             pt.nn.BatchNorm2d(cout))
        self.project = (stride != 1 or cin != cout) and shortcut == "A"

    def forward(self, x):
        out = ptF.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.project:
            s = x[:, :, ::self.stride, ::self.stride]
            s = pt.cat([s, s.new_zeros(s.shape[0], self.extra, *s.shape[2:])], 1)
        else:
            s = self.shortcut(x)
        return ptF.relu(out + s)


class TorchResNet(pt.nn.Module):
    def __init__(self, depth, num_classes=10, in_channels=3, shortcut="A"):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = pt.nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn1 = pt.nn.BatchNorm2d(16)
        stages = []
        for cin, cout, stride in ((16, 16, 1), (16, 32, 2), (32, 64, 2)):
            blocks = [TorchBlock(cin, cout, stride, shortcut)]
            blocks += [TorchBlock(cout, cout, 1, shortcut) for _ in range(n - 1)]
            stages.append(pt.nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = pt.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = pt.nn.Linear(64, num_classes)

    def forward(self, x):
        x = ptF.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def compare_training_step(ours, theirs, x_shape, device, rtol=1e-9):
    """Same names and shapes; weights copied; one forward/backward in training mode gives
    the same loss, gradients and running statistics; then the same eval outputs."""
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.to(device).double()
    theirs.double()
    copy_weights(ours, theirs, device)
    rng = np.random.default_rng(9)
    x, xr = both(rng.standard_normal(x_shape), True, device)
    target = rng.integers(0, 10, x_shape[0])
    loss = F.cross_entropy(ours(x), mt.tensor(target, device=device))
    loss_r = ptF.cross_entropy(theirs(xr), pt.tensor(target))
    close(loss, loss_r, rtol=rtol)
    loss.backward()
    loss_r.backward()
    close(x.grad, xr.grad, rtol=rtol, atol=1e-12)
    for (name, p), (_, pr) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_host(p.grad), pr.grad.numpy(), rtol=rtol, atol=1e-12,
                                   err_msg=name)
    for key, value in theirs.state_dict().items():
        close(ours.state_dict()[key], value, rtol=rtol)
    ours.eval()
    theirs.eval()
    close(ours(x), theirs(xr), rtol=rtol)


def test_convnet_matches_the_lecture_listing_in_pytorch(device):
    compare_training_step(models.ConvNet(), lecture_net(pt), (3, 1, 28, 28), device)
    assert repr(models.ConvNet()) == repr(lecture_net(pt)).replace("Net(", "ConvNet(", 1)


@pytest.mark.parametrize("cin, cout, stride, shortcut", [(8, 8, 1, "A"), (4, 8, 2, "A"),
                                                         (4, 8, 2, "B")])
def test_basic_block_matches(cin, cout, stride, shortcut, device):
    ours, theirs = models.BasicBlock(cin, cout, stride, shortcut), \
        TorchBlock(cin, cout, stride, shortcut)
    ours.to(device).double()
    theirs.double()
    copy_weights(ours, theirs, device)
    x, xr = both(np.random.default_rng(10).standard_normal((3, cin, 6, 6)), True, device)
    y, yr = ours(x), theirs(xr)
    close(y, yr)
    y.sum().backward()
    yr.sum().backward()
    close(x.grad, xr.grad)


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_resnet_matches(shortcut, device):
    compare_training_step(models.ResNet(8, shortcut=shortcut), TorchResNet(8, shortcut=shortcut),
                          (2, 3, 32, 32), device)


def test_mlp_matches_a_pytorch_sequential():
    ours = models.MLP([6, 5, 4, 3], activation="tanh", batchnorm=True)
    theirs = pt.nn.Sequential(pt.nn.Linear(6, 5), pt.nn.Tanh(), pt.nn.BatchNorm1d(5),
                              pt.nn.Linear(5, 4), pt.nn.Tanh(), pt.nn.BatchNorm1d(4),
                              pt.nn.Linear(4, 3))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.double()
    theirs.double()
    copy_weights(ours, theirs)
    x, xr = both(np.random.default_rng(11).standard_normal((5, 6)))
    close(ours(x), theirs(xr))
