"""Metrics for `Model.fit`: running statistics summed batch by batch (lecture 004).

A metric sees each batch's outputs and targets (``update``) and gives its value over every
sample seen since ``reset`` (``compute``). Summing counts over the batches, rather than
averaging per-batch values, makes the epoch's value exact whatever the batch sizes (a smaller
last batch counts for what it holds).
"""
from __future__ import annotations

from .._tensor import Tensor
from ..backends import device_guard

__all__ = ["Accuracy", "Metric"]


class Metric:
    """Base class: a name (the history key, e.g. ``'acc'``), and ``reset``, ``update``,
    ``compute``.

    Subclasses keep Python numbers (not tensors) between batches, so a metric holds no graph
    and no device memory.
    """

    name: str = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Tensor, target: Tensor) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Accuracy(Metric):
    r"""The fraction of samples classified correctly:

    .. math::
        \mathrm{acc} = \frac{1}{N} \sum_{i=1}^{N} [\hat y_i = y_i],

    with :math:`\hat y_i = \arg\max_c \text{output}_{i,c}` for outputs of shape (N, C) (logits
    or probabilities), or :math:`\hat y_i = [\text{output}_i > \text{threshold}]` for one output
    per sample, shape (N,) or (N, 1) (a binary classifier; the default threshold 0 suits
    logits, use 0.5 for probabilities).

    Its history key is ``'acc'`` (``'eval_acc'`` on the evaluation data), as in lecture 004.

    Args:
        threshold: the decision threshold of a one-output classifier (default: 0.0).

    Example::

        >>> acc = Accuracy()
        >>> acc.update(torch.tensor([[2., 1.], [0., 3.]]), torch.tensor([0, 0]))
        >>> acc.compute()
        0.5
    """

    name = "acc"

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = float(threshold)
        self.reset()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        if not isinstance(output, Tensor) or not isinstance(target, Tensor):
            raise TypeError(f"Accuracy.update: expected Tensors, got {type(output).__name__} "
                            f"and {type(target).__name__}")
        shape = tuple(output._data.shape)
        one_output = len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)
        if not (one_output or (len(shape) == 2 and shape[1] > 1)):
            raise ValueError(f"Accuracy: expected outputs of shape (N, C), (N,) or (N, 1), "
                             f"got {shape}")
        if target._device is not output._device:
            target = target.to(output._device)
        y = target._data
        n = y.size  # (the targets flattened below)
        if n != shape[0]:
            raise ValueError(f"Accuracy: {shape[0]} predictions but {n} targets")
        # counted on the arrays: nothing here is differentiated, and as Tensor ops the four
        # steps cost more Python than a training step's backward of a small layer
        xp = output._device.backend.xp
        with device_guard(output._device):
            x = output._data
            if y.ndim != 1:
                y = y.reshape(-1)
            predicted = x.reshape(-1) > self.threshold if one_output else x.argmax(axis=1)
            if y.dtype.kind == "f":  # e.g. 0./1. labels of BCEWithLogitsLoss
                y = y.astype(xp.int64)
            self.correct += int(xp.count_nonzero(predicted == y))
        self.total += n

    def compute(self) -> float:
        """The accuracy over every sample seen since ``reset`` (0.0 before any)."""
        return self.correct / self.total if self.total else 0.0

    def __repr__(self) -> str:
        return "Accuracy()" if self.threshold == 0.0 else f"Accuracy(threshold={self.threshold})"
