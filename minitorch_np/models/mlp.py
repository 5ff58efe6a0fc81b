"""`MLP`: a fully connected network (lecture 000, "Dropout"; lecture 004, "Batch
Normalization")."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import nn

__all__ = ["MLP"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU}


class MLP(nn.Sequential):
    """Linear layers of the given `sizes`, each hidden one followed by its activation, then
    optionally batch normalization and dropout:

        Linear(s₀, s₁) → act → [BatchNorm1d(s₁)] → [Dropout(p)] → … → Linear(s_{k−1}, s_k)

    The order is the lectures' (lecture 004 puts ``BatchNorm1d`` after the ``ReLU``; lecture
    000 puts ``Dropout`` after the activation). The last layer has no activation: it outputs
    logits (for ``nn.CrossEntropyLoss``).

    Args:
        sizes: the layer widths, input first: ``[784, 400, 256, 10]`` (lecture 003).
        activation: 'relu' (default), 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', or a
            callable returning a new activation Module (e.g. ``nn.ReLU``).
        dropout: the probability of the Dropout after each hidden layer (0: no Dropout).
        batchnorm: add a BatchNorm1d after each hidden activation.

    Being an ``nn.Sequential``, its parameters are named '0.weight', '0.bias', … as in a
    PyTorch ``nn.Sequential`` of the same layers.

    >>> net = MLP([32 * 32 * 3, 100, 100, 10], batchnorm=True)   # lecture 004's network
    """

    def __init__(self, sizes: Sequence[int], activation: str | Callable[[], nn.Module] = "relu",
                 dropout: float = 0.0, batchnorm: bool = False) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                     for s in sizes):
            raise ValueError(f"MLP: sizes must list at least two positive ints (input and output "
                             f"widths), got {sizes!r}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; use one of "
                                 f"{sorted(_ACTIVATIONS)} or a callable returning a Module")
            make_activation = _ACTIVATIONS[activation]
        elif callable(activation):
            make_activation = activation
        else:
            raise TypeError(f"MLP: activation must be a name or a callable returning a Module, "
                            f"got {type(activation).__name__}")
        if not isinstance(dropout, int | float) or isinstance(dropout, bool) \
                or not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be a probability in [0, 1), got {dropout!r}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i == len(sizes) - 2:
                break  # the output layer: logits, no activation
            act = make_activation()
            if not isinstance(act, nn.Module):
                raise TypeError(f"MLP: activation() must return a Module, got "
                                f"{type(act).__name__}")
            layers.append(act)
            if batchnorm:
                layers.append(nn.BatchNorm1d(n_out))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes
