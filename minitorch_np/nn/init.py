"""Weight initialisation, as PyTorch's ``torch.nn.init``: in-place fills under ``no_grad``.

Every function draws from the tensor's own device backend (``Tensor.uniform_``/``normal_``),
so it works the same on the CPU and a GPU, and returns the tensor.

Why scale matters (lecture 000, "Full example"; Glorot and Bengio, 2010): for a linear layer
``y = W x`` with independent zero-mean entries, ``Var(yᵢ) = fan_in · Var(W) · Var(x)``. To
keep activations from growing or vanishing layer after layer we want ``fan_in · Var(W) ≈ 1``
in the forward pass (and ``fan_out · Var(W) ≈ 1`` for the gradients in the backward pass):

* Xavier/Glorot: ``Var(W) = gain² · 2 / (fan_in + fan_out)``, the compromise between the two;
* Kaiming/He: ``Var(W) = gain² / fan``, where ``gain = √2`` makes up for ReLU zeroing half
  of its inputs (``calculate_gain``).

A uniform U(-b, b) has variance b²/3, hence the bounds ``b = √3 · std`` below.
PyTorch's default for ``Linear`` and ``Conv`` weights is ``kaiming_uniform_(w, a=√5)``: gain
``√(2 / (1 + 5)) = √(1/3)``, so ``b = √3 · √(1/3) / √fan_in = 1 / √fan_in``, and the bias is
drawn from the same U(-1/√fan_in, 1/√fan_in).
"""
from __future__ import annotations

import math
import warnings

from .._creation import arange
from .._grad_mode import no_grad
from .._tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_"]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    ======================  ================================
    linear, conv, sigmoid   1
    tanh                    5/3
    relu                    √2
    leaky_relu              √(2 / (1 + negative_slope²))
    selu                    3/4
    ======================  ================================
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int | float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _check(op: str, tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: ``(in, out)`` of a ``Linear`` weight of shape (out, in);
    for a conv weight (out, in/groups, k₁, k₂, ...) both are multiplied by the receptive field
    size k₁·k₂·…, the number of inputs each output actually sees."""
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {list(tensor.shape)})")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of U(a, b)."""
    _check("uniform_", tensor)
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of N(mean, std²)."""
    _check("normal_", tensor)
    with no_grad():
        return tensor.normal_(mean, std)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with samples of N(mean, std²) conditioned on [a, b].

    Drawn by rejection: entries outside [a, b] are drawn again until none is left (the same
    distribution as PyTorch's inverse-CDF method, not the same numbers).
    """
    _check("trunc_normal_", tensor)
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    # the probability of accepting a draw; refuse intervals where rejection would crawl
    cdf = [0.5 * (1 + math.erf((v - mean) / (std * math.sqrt(2)))) for v in (a, b)]
    if std > 0 and cdf[1] - cdf[0] < 1e-3:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {cdf[1] - cdf[0]:.2g} "
                         f"of N({mean}, {std}²); choose a wider interval")
    with no_grad():
        tensor.normal_(mean, std)
        if std == 0:
            return tensor.clamp_(a, b)
        draw = tensor.clone()
        for _ in range(10_000):
            outside = (tensor < a) | (tensor > b)
            if not bool(outside.any()):
                return tensor
            draw.normal_(mean, std)
            tensor.copy_(tensor.where(~outside, draw))
        raise RuntimeError("trunc_normal_: rejection sampling did not finish")


def constant_(tensor: Tensor, val: float) -> Tensor:
    _check("constant_", tensor)
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    _check("zeros_", tensor)
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (got shape "
                         f"{list(tensor.shape)})")
    with no_grad():
        tensor.zero_()
        diagonal = arange(min(tensor.shape), device=tensor.device)
        tensor[diagonal, diagonal] = 1.0
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-b, b) with ``b = gain · √(6 / (fan_in + fan_out))``."""
    _check("xavier_uniform_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std²) with ``std = gain · √(2 / (fan_in + fan_out))``."""
    _check("xavier_normal_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def _kaiming_std(op: str, tensor: Tensor, a: float, mode: str, nonlinearity: str):
    _check(op, tensor)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He uniform: U(-b, b) with ``b = gain · √(3 / fan)``, ``gain = calculate_gain(
    nonlinearity, a)`` and ``fan`` the fan_in (keeps forward variances) or fan_out."""
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He normal: N(0, std²) with ``std = gain / √fan``."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std)
