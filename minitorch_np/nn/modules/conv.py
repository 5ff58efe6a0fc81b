"""`Conv1d` and `Conv2d`: convolution layers, computed as im2col + one matrix product.

The lecture's MNIST network (lecture 000, "Full example") is built from ``nn.Conv2d(1, 32,
kernel_size=5)`` and ``nn.Conv2d(32, 64, kernel_size=5)``; ``F.conv2d`` (``_functions/conv.py``)
explains the computation and docs/im2col.md its cost.
"""
from __future__ import annotations

import math

from ... import _creation
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n: int, name: str, layer: str) -> tuple:
    values = tuple(value) if isinstance(value, list | tuple) else (value,) * n
    if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in values):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return values


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, initialisation, repr."""

    _dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, groups: int, bias: bool, padding_mode: str, device, dtype) -> None:
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        kernel_size = _tuple(kernel_size, n, "kernel_size", name)
        stride = _tuple(stride, n, "stride", name)
        dilation = _tuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
        else:
            padding = _tuple(padding, n, "padding", name)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, but "
                             f"got padding_mode={padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for padding_mode != 'zeros': last dimension first, both sides
        if isinstance(padding, str):
            pads = []
            for d, k in zip(reversed(dilation), reversed(kernel_size)):
                total = 0 if padding == "valid" else d * (k - 1)
                pads += [total // 2, total - total // 2]
        else:
            pads = [p for p in reversed(padding) for _ in range(2)]
        self._reversed_padding_repeated_twice = tuple(pads)
        self.weight = Parameter(_creation.empty(
            (out_channels, in_channels // groups) + kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: W ~ kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in)
        with fan_in = in_channels/groups · kh·kw, and the bias from the same range."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input: Tensor) -> None:
        """A clear error for a wrong rank or channel count, naming the layer and the shapes."""
        name, n, c = type(self).__name__, self._dims, self.in_channels
        spatial = ("L",) if n == 1 else ("H", "W")
        expected = f"(N, {c}, {', '.join(spatial)}) or ({c}, {', '.join(spatial)})"
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{name}: expected a {n + 2}-D input of shape {expected}, got "
                             f"{input.ndim}-D input of shape {tuple(input.shape)}")
        if input.shape[-n - 1] != c:
            raise RuntimeError(f"{name}: expected input with {c} channels (shape {expected}), "
                             f"got {tuple(input.shape)}")

    def _conv(self, input: Tensor, weight: Tensor, bias: Tensor | None, padding) -> Tensor:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._conv(padded, self.weight, self.bias, 0)
        return self._conv(input, self.weight, self.bias, self.padding)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) inputs (or unbatched (C_in, H, W)).

        y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]       (⋆: 2-D cross-correlation)

    computed as ``unfold`` (im2col) + one matrix product (see ``F.conv2d``).

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: an int or a pair (height, width).
        padding: an int, a pair, 'valid' (none) or 'same' (output as large as the input).
        groups: split the channels into `groups` independent convolutions.
        bias: learn a bias per output channel (default True).
        padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'.

    Shape:
        (N, C_in, H, W) → (N, C_out, H_out, W_out), with
        H_out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1 (W_out likewise).

    Attributes:
        weight: (C_out, C_in/groups, kh, kw) from U(−1/√fan_in, 1/√fan_in), fan_in =
            C_in/groups·kh·kw (PyTorch's ``kaiming_uniform_(a=√5)``).
        bias: (C_out,), from the same U(−1/√fan_in, 1/√fan_in).

    >>> conv = nn.Conv2d(1, 32, kernel_size=5)        # lecture 000, "Full example"
    >>> conv(minitorch_np.randn(100, 1, 28, 28)).shape
    minitorch_np.Size([100, 32, 24, 24])
    """

    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def _conv(self, input, weight, bias, padding):
        return F.conv2d(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) inputs (or unbatched (C_in, L)).

    The same arguments as `Conv2d` with single ints; weight (C_out, C_in/groups, k).
    L_out = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
    """

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def _conv(self, input, weight, bias, padding):
        return F.conv1d(input, weight, bias, self.stride, padding, self.dilation, self.groups)
