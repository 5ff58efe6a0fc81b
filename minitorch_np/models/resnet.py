"""Residual networks (He et al., 2015) for 32×32 images: `BasicBlock` and `ResNet`.

Lecture 000 ("Residual networks"): a block learns a *residual* F(x) added to a pass-through
of its input, y = relu(F(x) + x), so the network starts near the identity. When a block
halves the map size (stride 2) and increases the number of channels from C to C', the
pass-through must change shape too; He et al. propose

* option **A**: keep 1/4 of the activations on a regular grid (stride 2) and pad the result
  with C' − C zero channels — no parameters;
* option **B**: C' convolutions with a 1×1×C filter (with stride 2), i.e. the same linear map
  ℝ^C → ℝ^C' at every location, followed here by batch normalization as in He et al.'s
  ImageNet models (and torchvision).

The networks are fully convolutional and end with a per-channel global average pooling
that feeds a single fully connected layer.
"""
from __future__ import annotations

from .. import nn
from .._tensor import Tensor
from ..nn import functional as F
from ..nn import init

__all__ = ["BasicBlock", "ResNet"]


class _SubsampleAndPad(nn.Module):
    """Shortcut A: x[:, :, ::stride, ::stride] followed by out_ch − in_ch zero channels."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.in_ch, self.out_ch, self.stride = in_ch, out_ch, stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.out_ch != self.in_ch:
            x = F.pad(x, (0, 0, 0, 0, 0, self.out_ch - self.in_ch))
        return x

    def extra_repr(self) -> str:
        return f"{self.in_ch}, {self.out_ch}, stride={self.stride}"


class BasicBlock(nn.Module):
    """He et al.'s basic residual block (two 3×3 convolutions):

        out = relu(bn1(conv1(x)))               conv1: 3×3, stride `stride`, no bias
        out = bn2(conv2(out))                   conv2: 3×3, stride 1, no bias
        y   = relu(out + shortcut(x))

    `shortcut` is the identity when the shape is unchanged; otherwise option 'A' (subsample
    and zero-pad channels, no parameters) or 'B' (1×1 convolution with `stride` + BatchNorm2d).

    Parameter names: conv1.weight, bn1.weight, bn1.bias, conv2.weight, bn2.weight, bn2.bias
    (+ shortcut.0.weight, shortcut.1.weight, shortcut.1.bias for option B).
    """

    expansion = 1

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, shortcut: str = "A") -> None:
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"BasicBlock: shortcut must be 'A' (subsample and zero-pad) or "
                             f"'B' (1×1 convolution), got {shortcut!r}")
        if shortcut == "A" and out_ch < in_ch:
            raise ValueError(f"BasicBlock: shortcut 'A' can only add channels (zero padding), "
                             f"got in_ch={in_ch} > out_ch={out_ch}; use shortcut='B'")
        self.conv1 = nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        if stride == 1 and in_ch == out_ch:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = _SubsampleAndPad(in_ch, out_ch, stride)
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_ch))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """He et al.'s residual network for 32×32 images (CIFAR-10; their section 4.2).

        conv1 3×3 (16) → bn1 → relu
        → layer1: n blocks, 16 channels, 32×32
        → layer2: n blocks, 32 channels, 16×16 (the first with stride 2)
        → layer3: n blocks, 64 channels, 8×8   (the first with stride 2)
        → global average pooling → fc (num_classes)

    with depth = 6n + 2 (20, 32, 44, 56, 110 …); ResNet-20 has 0.27 M parameters. The
    convolutions are initialised as He et al. do (``kaiming_normal_``, fan_out, ReLU gain,
    as torchvision's ResNet), batch norms with γ = 1, β = 0, the final Linear as PyTorch's.

    Args:
        depth: 6n + 2.
        num_classes: outputs of the last layer (10).
        in_channels: image channels (3).
        shortcut: 'A' (parameter-free, He et al.'s choice on CIFAR) or 'B' (1×1 conv + BN).
    """

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3,
                 shortcut: str = "A") -> None:
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f"ResNet: depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, "
                             f"110, ...), got {depth!r}")
        n = (depth - 2) // 6
        self.depth = depth
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._stage(16, 16, n, 1, shortcut)
        self.layer2 = self._stage(16, 32, n, 2, shortcut)
        self.layer3 = self._stage(32, 64, n, 2, shortcut)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    @staticmethod
    def _stage(in_ch: int, out_ch: int, blocks: int, stride: int, shortcut: str):
        layers = [BasicBlock(in_ch, out_ch, stride, shortcut)]
        layers += [BasicBlock(out_ch, out_ch, 1, shortcut) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)
