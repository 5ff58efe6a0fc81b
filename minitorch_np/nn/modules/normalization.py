"""`LayerNorm`: normalisation over the last dimensions of each sample (Ba et al., 2016)."""
from __future__ import annotations

from ... import _creation
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """y = γ ⊙ (x − μ)/√(σ² + ε) + β, with μ and the biased σ² taken over the last
    ``len(normalized_shape)`` dimensions of each sample.

    Unlike batch normalization the statistics are per sample, so training and evaluation
    behave the same and there are no running averages.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dim).
        eps: added to the variance (1e-5).
        elementwise_affine: learn γ (init 1) and β (init 0) of shape `normalized_shape`.
        bias: learn β too (when `elementwise_affine`).

    >>> ln = nn.LayerNorm(10)
    >>> ln(minitorch_np.randn(4, 10)).mean(-1)    # ≈ 0 for every sample
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                      dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if not isinstance(input, Tensor):
            raise TypeError(f"LayerNorm: expected a Tensor input, got {type(input).__name__}")
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            trailing = ", ".join(map(str, self.normalized_shape))
            raise RuntimeError(f"LayerNorm: expected an input of shape (*, {trailing}), got "
                             f"{tuple(input.shape)}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
