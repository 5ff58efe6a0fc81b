"""`ConvNet`: the lecture's convolutional network for MNIST (lecture 000, "Full example")."""
from __future__ import annotations

from .. import nn
from .._tensor import Tensor
from ..nn import functional as F

__all__ = ["ConvNet"]


class ConvNet(nn.Module):
    """The lecture's MNIST network, layer for layer:

        (N, 1, 28, 28) → conv1 5×5 (32) → (N, 32, 24, 24) → max-pool 3 → (N, 32, 8, 8) → relu
                       → conv2 5×5 (64) → (N, 64, 4, 4)   → max-pool 2 → (N, 64, 2, 2) → relu
                       → view (N, 256) → fc1 (200) → relu → fc2 (10 logits)

    Parameters (as in the lecture's ``Net``): conv1.weight (32, 1, 5, 5), conv1.bias,
    conv2.weight (64, 32, 5, 5), conv2.bias, fc1.weight (200, 256), fc1.bias,
    fc2.weight (10, 200), fc2.bias — PyTorch's default initialisation for each.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5)
        self.fc1 = nn.Linear(256, 200)
        self.fc2 = nn.Linear(200, 10)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"ConvNet: expected MNIST images of shape (N, 1, 28, 28), got "
                             f"{shape}")
        x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3))
        x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2))
        x = x.view(-1, 256)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x
