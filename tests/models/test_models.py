"""``minitorch_np.models``: MLP, the lecture's ConvNet, BasicBlock (shortcuts A and B) and
ResNet — structure, parameter names and counts, shapes, and that they train."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import models, nn
from minitorch_np.nn import functional as F


def train_steps(model, x, target, steps=8, lr=0.05):
    """Plain SGD on one batch; the losses seen."""
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


# -- MLP -------------------------------------------------------------------------------------
def test_mlp_layers_in_the_lectures_order():
    net = models.MLP([12, 8, 6, 3], dropout=0.25, batchnorm=True)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "ReLU", "BatchNorm1d", "Dropout",
                     "Linear", "ReLU", "BatchNorm1d", "Dropout", "Linear"]
    assert net[3].p == 0.25
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight",
        "6.bias", "8.weight", "8.bias"]
    assert [type(m).__name__ for m in models.MLP([4, 3])] == ["Linear"]
    assert [type(m).__name__ for m in models.MLP([4, 5, 3], activation="tanh")] == \
        ["Linear", "Tanh", "Linear"]
    assert isinstance(models.MLP([4, 5, 3], activation=lambda: nn.LeakyReLU(0.2))[1],
                      nn.LeakyReLU)


def test_mlp_forward_and_training(device):
    torch.manual_seed(0)
    net = models.MLP([6, 16, 3], batchnorm=True).to(device)
    x = torch.randn(12, 6, device=device)
    target = torch.tensor([0, 1, 2] * 4, device=device)
    assert tuple(net(x).shape) == (12, 3)
    losses = train_steps(net, x, target)
    assert losses[-1] < losses[0]


def test_mlp_argument_errors():
    with pytest.raises(ValueError, match="at least two positive ints"):
        models.MLP([10])
    with pytest.raises(ValueError, match="unknown activation"):
        models.MLP([4, 3, 2], activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        models.MLP([4, 3, 2], dropout=1.5)


# -- the lecture's ConvNet ---------------------------------------------------------------------
def test_convnet_is_the_lectures_network():
    net = models.ConvNet()
    shapes = {n: tuple(p.shape) for n, p in net.named_parameters()}
    assert shapes == {"conv1.weight": (32, 1, 5, 5), "conv1.bias": (32,),
                      "conv2.weight": (64, 32, 5, 5), "conv2.bias": (64,),
                      "fc1.weight": (200, 256), "fc1.bias": (200,),
                      "fc2.weight": (10, 200), "fc2.bias": (10,)}
    x = torch.randn(3, 1, 28, 28)
    # the lecture's forward, step by step: 28 → 24 → 8 → 4 → 2, 64·2·2 = 256
    h = F.relu(F.max_pool2d(net.conv1(x), kernel_size=3))
    assert tuple(h.shape) == (3, 32, 8, 8)
    h = F.relu(F.max_pool2d(net.conv2(h), kernel_size=2))
    assert tuple(h.shape) == (3, 64, 2, 2)
    expected = net.fc2(F.relu(net.fc1(h.view(-1, 256))))
    np.testing.assert_array_equal(to_host(net(x)), to_host(expected))
    with pytest.raises(ValueError, match=r"ConvNet: expected MNIST images of shape "
                                         r"\(N, 1, 28, 28\)"):
        net(torch.randn(3, 28, 28))


def test_convnet_trains(device):
    torch.manual_seed(0)
    net = models.ConvNet().to(device)
    x = torch.randn(8, 1, 28, 28, device=device)
    target = torch.arange(8, device=device)
    losses = train_steps(net, x, target, steps=6, lr=0.1)
    assert losses[-1] < losses[0]


# -- residual networks ---------------------------------------------------------------------
def test_basic_block_identity_shortcut(device):
    block = models.BasicBlock(8, 8).to(device)
    assert isinstance(block.shortcut, nn.Identity)
    assert [n for n, _ in block.named_parameters()] == [
        "conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"]
    assert block.conv1.bias is None and block.conv1.kernel_size == (3, 3)
    x = torch.randn(2, 8, 6, 6, device=device)
    block.eval()
    with torch.no_grad():
        expected = F.relu(block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x))))) + x)
    np.testing.assert_allclose(to_host(block(x)), to_host(expected), rtol=1e-6, atol=1e-6)


def test_basic_block_shortcut_a_subsamples_and_pads_with_zero_channels(device):
    """Option A: x[:, :, ::2, ::2] (1/4 of the activations on a regular grid) followed by
    out_ch − in_ch zero channels; no parameters."""
    block = models.BasicBlock(4, 8, stride=2, shortcut="A").to(device)
    assert len(list(block.shortcut.parameters())) == 0
    x = torch.randn(2, 4, 7, 7, device=device)
    s = to_host(block.shortcut(x))
    assert s.shape == (2, 8, 4, 4)
    np.testing.assert_array_equal(s[:, :4], to_host(x)[:, :, ::2, ::2])
    np.testing.assert_array_equal(s[:, 4:], 0)
    assert tuple(block(x).shape) == (2, 8, 4, 4)


def test_basic_block_shortcut_b_is_a_strided_1x1_convolution(device):
    block = models.BasicBlock(4, 8, stride=2, shortcut="B").to(device)
    conv, bn = block.shortcut[0], block.shortcut[1]
    assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
    assert conv.kernel_size == (1, 1) and conv.stride == (2, 2) and conv.bias is None
    assert [n for n, _ in block.named_parameters()][-3:] == [
        "shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias"]
    x = torch.randn(2, 4, 8, 8, device=device)
    assert tuple(block(x).shape) == (2, 8, 4, 4)
    with pytest.raises(ValueError, match="shortcut must be 'A'"):
        models.BasicBlock(4, 8, shortcut="C")
    with pytest.raises(ValueError, match="can only add channels"):
        models.BasicBlock(8, 4, shortcut="A")


def resnet_parameter_count(n, classes=10, in_ch=3, shortcut="A"):
    """Counted from the architecture: 3×3 convolutions without bias, BN (γ, β), a Linear."""
    conv = lambda i, o, k=3: i * o * k * k  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    total = conv(in_ch, 16) + bn(16)
    for c_in, c_out in ((16, 16), (16, 32), (32, 64)):
        for b in range(n):
            first = c_in if b == 0 else c_out
            total += conv(first, c_out) + bn(c_out) + conv(c_out, c_out) + bn(c_out)
            if shortcut == "B" and first != c_out:
                total += conv(first, c_out, 1) + bn(c_out)
    return total + 64 * classes + classes


@pytest.mark.parametrize("depth, shortcut", [(20, "A"), (32, "A"), (20, "B"), (8, "B")])
def test_resnet_architecture(depth, shortcut):
    net = models.ResNet(depth, shortcut=shortcut)
    n = (depth - 2) // 6
    assert sum(p.numel() for p in net.parameters()) == resnet_parameter_count(n, shortcut=shortcut)
    assert [len(stage) for stage in (net.layer1, net.layer2, net.layer3)] == [n, n, n]
    assert isinstance(net.avgpool, nn.AdaptiveAvgPool2d) and net.fc.in_features == 64
    names = [name for name, _ in net.named_parameters()]
    assert names[:3] == ["conv1.weight", "bn1.weight", "bn1.bias"]
    assert names[-2:] == ["fc.weight", "fc.bias"]
    assert "layer2.0.conv1.weight" in names


def test_resnet20_has_the_papers_parameter_count():
    """He et al. (2015), Table 6: ResNet-20 on CIFAR-10 has 0.27 M parameters."""
    assert round(sum(p.numel() for p in models.ResNet(20).parameters()) / 1e6, 2) == 0.27


def test_resnet_forward_and_training(device):
    torch.manual_seed(0)
    net = models.ResNet(8, num_classes=4, in_channels=1).to(device)
    x = torch.randn(4, 1, 32, 32, device=device)
    target = torch.tensor([0, 1, 2, 3], device=device)
    out = net(x)
    assert tuple(out.shape) == (4, 4) and out.dtype == torch.float32
    losses = train_steps(net, x, target, steps=5, lr=0.05)
    assert losses[-1] < losses[0]
    net.eval()
    np.testing.assert_array_equal(to_host(net(x)), to_host(net(x)))  # no batch dependence
    np.testing.assert_allclose(to_host(net(x[:1])), to_host(net(x))[:1], rtol=1e-5, atol=1e-6)


def test_resnet_conv_initialisation_is_kaiming_normal_fan_out():
    net = models.ResNet(20)
    w = to_host(net.layer3[1].conv1.weight)  # 64·3·3 = 576 fan_out
    assert w.std() == pytest.approx(np.sqrt(2 / 576), rel=0.05)
    assert abs(w.mean()) < 0.01


def test_resnet_depth_must_be_6n_plus_2():
    with pytest.raises(ValueError, match=r"depth must be 6n \+ 2"):
        models.ResNet(18)
