"""AdamW: Adam with the weight decay applied to the weights, not added to the gradient."""
from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    Adam's update with *decoupled* weight decay: before the Adam step the weights shrink,

    .. math::
        w_{t-1} &\leftarrow (1 - \eta\lambda)\, w_{t-1} \\
        w_t &\leftarrow w_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
              \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`m_t, v_t` the running averages of the raw gradient (see `Adam`).

    Why it differs from ``Adam(weight_decay=λ)``: there the decay :math:`\lambda w` joins the
    gradient and is divided by :math:`\sqrt{\hat v_t}` like it, so weights with large
    gradients are barely decayed. For plain SGD the two are the same thing —
    :math:`w - \eta(g + \lambda w) = (1 - \eta\lambda) w - \eta g` — which is why lecture 002
    can call the L2 penalty "weight decay".

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: decoupled weight decay coefficient :math:`\lambda` (default: 1e-2).
        amsgrad: use the maximum of the past second moments (default: False).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # AdamW always decouples, whatever was saved
            group["decoupled_weight_decay"] = True
