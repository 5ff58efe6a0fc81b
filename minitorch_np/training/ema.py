"""The exponentially weighted moving average of lecture 002, with its bias correction."""
from __future__ import annotations

from typing import Any

from .._grad_mode import no_grad
from .._tensor import Tensor

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    r"""A running average that forgets the past geometrically (lecture 002, "Exponentially
    weighted averages"):

    .. math::
        v_0 = 0, \qquad v_t = \beta v_{t-1} + (1 - \beta)\, \theta_t,

    so :math:`v_t = (1-\beta) \sum_{k \le t} \beta^{t-k} \theta_k` averages roughly the last
    :math:`1/(1-\beta)` values (β = 0.9: about 10 days of temperatures; 0.98: about 50).
    Starting from 0 biases the first averages towards 0 — :math:`v_1 = 0.02\,\theta_1` for
    β = 0.98 — because the weights sum to :math:`1 - \beta^t`, not 1; the bias correction
    divides by that sum:

    .. math::
        \hat v_t = \frac{v_t}{1 - \beta^t}
        \qquad\text{e.g. } \hat v_2 = \frac{0.0196\,\theta_1 + 0.02\,\theta_2}{0.0396}.

    This is how Adam's moments are built (``optim.Adam``); momentum SGD uses the uncorrected
    form (``optim.SGD``).

    Values may be numbers or tensors (of one shape); tensors are averaged outside the graph.

    Args:
        beta: the weight of the past, in [0, 1).
        bias_correction: report :math:`\hat v_t` rather than :math:`v_t` (default: True).

    Example (the lecture's temperatures)::

        >>> ema = ExponentialMovingAverage(0.98)
        >>> ema.update(40.0)   # θ1 = 40°F: v1 = 0.02·40, corrected 0.02·40 / 0.02 ≈ 40
        >>> ema.update(49.0)   # θ2 = 49°F: (0.0196·40 + 0.02·49) / 0.0396 ≈ 44.55
    """

    def __init__(self, beta: float, bias_correction: bool = True) -> None:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"ExponentialMovingAverage: beta must be in [0, 1), got {beta}")
        self.beta = beta
        self.bias_correction = bias_correction
        self.reset()

    def reset(self) -> None:
        """Forget everything: back to :math:`v_0 = 0`, :math:`t = 0`."""
        self.average = 0.0
        self.steps = 0

    def update(self, value):
        """Fold in the next value :math:`\\theta_t`; returns the new (corrected) average."""
        beta = self.beta
        if isinstance(value, Tensor):
            with no_grad():
                value = value.detach()
                if isinstance(self.average, Tensor):
                    self.average = self.average * beta + value * (1 - beta)
                else:
                    self.average = value * (1 - beta) + self.average * beta
        else:
            self.average = beta * self.average + (1 - beta) * value
        self.steps += 1
        return self.value

    __call__ = update

    @property
    def value(self):
        """The current average: :math:`\\hat v_t` with bias correction, else :math:`v_t`
        (before any update: 0)."""
        if not self.bias_correction or self.steps == 0:
            return self.average
        return self.average / (1 - self.beta ** self.steps)

    def state_dict(self) -> dict[str, Any]:
        return {"beta": self.beta, "bias_correction": self.bias_correction,
                "average": self.average, "steps": self.steps}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.beta = state_dict["beta"]
        self.bias_correction = state_dict["bias_correction"]
        self.average = state_dict["average"]
        self.steps = state_dict["steps"]

    def __repr__(self) -> str:
        return (f"ExponentialMovingAverage(beta={self.beta}, "
                f"bias_correction={self.bias_correction}, steps={self.steps})")
