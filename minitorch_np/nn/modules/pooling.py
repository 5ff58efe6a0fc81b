"""Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d` and their 1-D forms.

Each keeps its arguments and calls the function of the same name in ``nn.functional``
(``_functions/pooling.py`` holds the computation and its backward).
"""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d"]


def _check_rank(layer: Module, input, dims: int) -> None:
    name = type(layer).__name__
    spatial = "L" if dims == 1 else "H, W"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: expected a {dims + 1}-D (C, {spatial}) or {dims + 2}-D "
                         f"(N, C, {spatial}) input, got shape {tuple(input.shape)}")


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling: the maximum of each kh×kw window (`stride` defaults to the kernel).

    Shape: (N, C, H, W) → (N, C, H_out, W_out), H_out = ⌊(H + 2·padding − dilation·(kernel
    − 1) − 1) / stride⌋ + 1 (⌈·⌉ with `ceil_mode`). The gradient of each output goes to its
    window's (first) maximum; overlapping windows accumulate. With ``return_indices`` it
    also returns the maxima's positions in the flattened H×W input.

    >>> nn.MaxPool2d(3)(minitorch_np.randn(100, 32, 24, 24)).shape   # lecture 000's net
    minitorch_np.Size([100, 32, 8, 8])
    """

    def forward(self, input: Tensor):
        _check_rank(self, input, 2)
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L) inputs."""

    def forward(self, input: Tensor):
        _check_rank(self, input, 1)
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool2d(Module):
    """2-D average pooling: the mean of each kh×kw window.

    Zero padding counts in the mean unless ``count_include_pad=False``;
    ``divisor_override`` divides every window's sum by that number instead.
    Shape as `MaxPool2d` (without dilation).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 2)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """1-D average pooling over (N, C, L) inputs."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 1)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size.

    ``AdaptiveAvgPool2d(1)`` is global average pooling: (N, C, H, W) → (N, C, 1, 1), the
    one-before-last layer of residual networks (lecture 000, "Residual networks").
    None in `output_size` keeps that input dimension.
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 2)
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """1-D adaptive average pooling: (N, C, L) → (N, C, output_size)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 1)
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
