"""Adam: momentum on the gradient and a per-coordinate scale from its squares, bias-corrected."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad, _step_counter

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014), as ``torch.optim.Adam``.

    For each parameter (lr :math:`\eta`, betas :math:`(\beta_1, \beta_2)`, weight decay
    :math:`\lambda`), with :math:`m_0 = v_0 = 0` and the step count :math:`t` starting at 1:

    .. math::
        g_t &\leftarrow g_t + \lambda w_{t-1}  \quad\text{(coupled decay; or } w_{t-1}
              \leftarrow (1 - \eta\lambda) w_{t-1} \text{ when decoupled, see AdamW)} \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t^{\max} &\leftarrow \max(\hat v_{t-1}^{\max}, v_t)  \quad\text{(amsgrad: use it
              in place of } v_t \text{ below)} \\
        w_t &\leftarrow w_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
              \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    which is :math:`w_t = w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)` with the
    bias-corrected :math:`\hat m_t = m_t / (1 - \beta_1^t)`, :math:`\hat v_t = v_t / (1 -
    \beta_2^t)`: :math:`\epsilon` is added *after* the bias correction, outside the root. So
    a gradient far below :math:`\epsilon` barely moves the parameter (a constant gradient of
    1e-8 makes the first step :math:`\eta/2`), while a larger one moves it by about
    :math:`\eta` whatever its size.

    **The lectures' forms.** Lecture 000's update (Kingma and Ba) is exactly this. Lecture 002
    writes the same moments (:math:`v` for :math:`m`, :math:`s` for :math:`v`), with
    :math:`\epsilon` under the root: :math:`w \leftarrow w - \alpha\, v^{corr} /
    \sqrt{s^{corr} + \epsilon}`; lecture 004 likewise, with the sign folded into :math:`m`
    (:math:`m \leftarrow \beta_1 m - (1-\beta_1) g,\ w \leftarrow w + \eta \hat m \oslash
    \sqrt{\hat s + \epsilon}`). PyTorch (and we) put :math:`\epsilon` outside the root.
    Defaults as in the lectures: :math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-8}`.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages of the gradient and of its square
            (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: L2 penalty, added to the gradient (default: 0).
        amsgrad: use the maximum of the past second moments (Reddi et al., 2018)
            (default: False).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
        decoupled_weight_decay: shrink the weights directly instead, as AdamW does
            (default: False).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    **_execution_flags(type(self).__name__, foreach=foreach,
                                       capturable=capturable, differentiable=differentiable,
                                       fused=fused)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                step = state["step"].item()

                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(p, alpha=weight_decay)

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]
                    max_sq.copy_(torch.maximum(max_sq, exp_avg_sq))
                    denom = (max_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                p.addcdiv_(exp_avg, denom, value=-step_size)
        return loss
