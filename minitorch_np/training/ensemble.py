"""`Ensemble`: average the predictions of several networks (lecture 002, "Model ensembles")."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

from .._functions.reduction import log_softmax, logsumexp
from .._functions.shape import stack
from .._tensor import Tensor
from ..nn import Module, ModuleList

__all__ = ["Ensemble"]


class Ensemble(Module):
    r"""Several networks predicting together (lecture 002: "train multiple independent models;
    at test time average their results. Enjoy 2% extra performance").

    With ``average='probs'`` (the default, for classifiers that output logits) the members'
    class probabilities are averaged, and their logarithm is returned:

    .. math::
        \text{out}(x) = \log \frac{1}{M} \sum_{m=1}^{M} \operatorname{softmax}(f_m(x))
                      = \operatorname{logsumexp}_m \big(\log\operatorname{softmax} f_m(x)\big)
                        - \log M,

    computed in the log domain so no probability underflows. These are valid logits —
    their softmax is the averaged probabilities — so ``nn.CrossEntropyLoss``, ``argmax``,
    `Accuracy` and `Model.evaluate` work on the ensemble as on one network. With
    ``average='outputs'`` the raw outputs are averaged (regression, or averaging logits).

    Snapshot ensembles (lecture 002) take their members from one run: save the weights at
    the end of each cycle of a cyclical schedule and build the ensemble with
    `Ensemble.from_state_dicts`.

    Args:
        models: the members: ``nn.Module``\ s, or `Model`\ s (their ``.net`` is used).
        average: ``'probs'`` (default) or ``'outputs'``.

    Example::

        >>> ensemble = Ensemble([net_a, net_b, net_c]).eval()
        >>> logits = ensemble(x)          # the log of the averaged probabilities
        >>> Model(ensemble).compile(None, nn.CrossEntropyLoss()).evaluate(test_loader)
    """

    def __init__(self, models: Iterable, average: str = "probs") -> None:
        super().__init__()
        members = [getattr(m, "net", m) for m in models]
        if not members:
            raise ValueError("Ensemble: needs at least one model")
        for m in members:
            if not isinstance(m, Module):
                raise TypeError(f"Ensemble: members must be nn.Modules or training.Models, got "
                                f"{type(m).__name__}")
        if average not in ("probs", "outputs"):
            raise ValueError(f"Ensemble: average must be 'probs' or 'outputs', got {average!r}")
        self.members = ModuleList(members)
        self.average = average

    @classmethod
    def from_state_dicts(cls, make_net: Callable[[], Module], state_dicts: Iterable[Mapping],
                         average: str = "probs") -> Ensemble:
        """An ensemble of ``make_net()`` networks, each loaded with one of `state_dicts`
        (snapshots of one run, or checkpoints of several)."""
        members = []
        for state in state_dicts:
            net = make_net()
            net.load_state_dict(state)
            members.append(net)
        return cls(members, average=average)

    def forward(self, *inputs) -> Tensor:
        outputs = [member(*inputs) for member in self.members]
        if self.average == "outputs":
            return stack(outputs, dim=0).mean(dim=0)
        for out in outputs:
            if out.ndim < 1:
                raise ValueError("Ensemble: average='probs' needs outputs of shape (N, C) (class "
                                 "scores on dim 1); use average='outputs' otherwise")
        dim = 1 if outputs[0].ndim > 1 else 0
        log_probs = stack([log_softmax(out, dim=dim) for out in outputs], dim=0)
        return logsumexp(log_probs, dim=0) - math.log(len(outputs))

    def extra_repr(self) -> str:
        return f"average={self.average!r}"
