"""Dropout (lecture 000, "Dropout"; lecture 002, "Regularization: Dropout").

During training each element is kept with probability 1 - p and zeroed otherwise, and the
survivors are multiplied by 1/(1 - p): "inverted dropout". The expected value of every
output then equals its input, so at test time the layer is simply the identity:

    y = x ⊙ m / (1 - p),   mᵢ ~ Bernoulli(1 - p)   (training)
    y = x                                           (evaluation)

and the backward pass applies the same scaled mask: ∂L/∂x = ∂L/∂y ⊙ m / (1 - p).
"""
from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .inplace import apply_inplace
from .operands import tensor_arg

__all__ = ["dropout"]


class Dropout(ArrayFunction):
    """y = x ⊙ m/(1-p) with a fresh Bernoulli(1-p) mask m;  ∂y/∂x = m/(1-p)."""

    @staticmethod
    def forward(ctx, x, p):
        backend, index = ctx.device.backend, ctx.device.index
        # the mask is drawn on the input's device, by its backend's generator
        keep = backend.random_uniform(x.shape, x.dtype, index) >= p
        scaled_mask = keep.astype(x.dtype) * (1.0 / (1.0 - p)) if p < 1 else \
            keep.astype(x.dtype) * 0.0
        ctx.save_for_backward(scaled_mask)  # a constant: double backward works too
        return x * scaled_mask

    @staticmethod
    def backward(ctx, g):
        scaled_mask, = ctx.saved_tensors
        return g * scaled_mask, None


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability `p` and scale the rest by 1/(1-p) when `training`;
    the identity otherwise (and for p = 0)."""
    x = tensor_arg("dropout", input)
    if not isinstance(p, int | float) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating point tensor, got {x.dtype}")
    if not training or p == 0:
        return x
    if inplace:
        return apply_inplace("dropout_", x, lambda t: Dropout.apply(t, float(p)))
    return Dropout.apply(x, float(p))
