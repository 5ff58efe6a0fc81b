"""`Dropout` (lecture 000, "Dropout"; lecture 002, "Regularization: Dropout")."""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """During training, zero each element with probability `p` and scale the survivors by
    1/(1 - p) ("inverted dropout"); in evaluation mode (``model.eval()`` or
    ``model.train(False)``) the identity.

    Scaling at training time keeps E[output] = input, so nothing changes at test time.

    >>> x = minitorch_np.full((3, 6), 1.0)
    >>> nn.Dropout(p=0.75)(x)   # every entry is 0 or 1/(1 - 0.75) = 4
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(p, int | float) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
