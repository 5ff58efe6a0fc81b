"""Loss layers: each stores its options and calls its function in ``nn.functional``.

The formulas, and how ``weight``, ``ignore_index``, ``reduction`` and ``label_smoothing``
act, are in the docstrings of ``minitorch_np/_functions/loss.py`` and in docs/nn.md.
Class weights are registered as buffers (as in PyTorch): ``criterion.cuda()`` moves them
and ``state_dict()`` saves them.
"""
from __future__ import annotations

from ..._functions.loss import _reduction
from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    """A loss: ``reduction`` is 'mean' (default), 'sum' or 'none' (one value per element);
    ``size_average``/``reduce`` are PyTorch's deprecated spellings of it."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy between logits (N, C) [or (N, C, d₁, ...), or (C,)] and class indices
    (N,) [(N, d₁, ...), ()] or class probabilities (shaped like the input):

        ℓₙ = -w[yₙ] · log softmax(xₙ)[yₙ] = -w[yₙ] · (xₙ,yₙ - log Σ_c exp xₙ,c)

    ``weight``: per-class weights (C,); ``ignore_index``: a target value whose samples
    contribute nothing; ``reduction='mean'`` divides by Σ w[yₙ] of the non-ignored samples;
    ``label_smoothing`` ε replaces the target by (1 - ε)·target + ε/C.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                             f"{label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (e.g. the output of
    ``LogSoftmax``): ℓₙ = -w[yₙ]·xₙ,yₙ. ``NLLLoss()(LogSoftmax(1)(x), y)`` equals
    ``CrossEntropyLoss()(x, y)``."""

    def __init__(self, weight: Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """ℓₙ = (xₙ - yₙ)²."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """ℓₙ = |xₙ - yₙ|."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓₙ = ½dₙ²/β where |dₙ| < β, else |dₙ| - ½β, with dₙ = xₙ - yₙ."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓₙ = ½dₙ² where |dₙ| < δ, else δ(|dₙ| - ½δ)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities xₙ ∈ [0, 1] (e.g. after a Sigmoid):
    ℓₙ = -wₙ(yₙ log xₙ + (1 - yₙ) log(1 - xₙ)), logs clamped at -100."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one numerically stable step, on logits xₙ:
    ℓₙ = wₙ[(1 - yₙ)xₙ + (1 + (p - 1)yₙ)·log(1 + e^(-xₙ))], p = ``pos_weight``."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)
