"""Adamax: Adam with the root mean square replaced by a decaying maximum (the infinity norm)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad, _step_counter

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma and Ba, 2014, section 7), as ``torch.optim.Adamax``.

    For each parameter (lr :math:`\eta`, betas :math:`(\beta_1, \beta_2)`, weight decay
    :math:`\lambda`), with :math:`m_0 = u_0 = 0`:

    .. math::
        g_t &\leftarrow g_t + \lambda w_{t-1}                           && (\lambda \ne 0) \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &\leftarrow \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        w_t &\leftarrow w_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot \frac{m_t}{u_t}

    Adam's :math:`\sqrt{v_t}` is an :math:`L^2` average of past gradients; letting the norm's
    order go to infinity gives this maximum, which needs no bias correction. PyTorch puts
    :math:`\epsilon` inside the maximum (so :math:`u_t \ge \epsilon`). Lecture 000 lists
    AdaMax among Adam's relatives.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 2e-3).
        betas: coefficients of the running average and of the decaying maximum
            (default: (0.9, 0.999)).
        eps: added to :math:`|g_t|` (default: 1e-8).
        weight_decay: L2 penalty added to the gradient (default: 0).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
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
                    "maximize": maximize,
                    **_execution_flags("Adamax", foreach=foreach, differentiable=differentiable,
                                       capturable=capturable)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_inf"] = torch.zeros_like(p)
                state["step"] += 1
                step = state["step"].item()

                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_inf.copy_(torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
                clr = lr / (1 - beta1 ** step)
                p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
