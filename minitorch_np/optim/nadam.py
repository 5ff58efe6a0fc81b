"""NAdam: Adam with Nesterov momentum (the gradient step looks one momentum step ahead)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import (Optimizer, _execution_flags, _params_with_grad, _scalar_dtype,
                        _step_counter)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    For each parameter (lr :math:`\eta`, betas :math:`(\beta_1, \beta_2)`, momentum decay
    :math:`\psi`, weight decay :math:`\lambda`), with :math:`m_0 = v_0 = 0` and
    :math:`\Pi_0 = 1`:

    .. math::
        \mu_t &\leftarrow \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr),\quad
        \mu_{t+1} \leftarrow \beta_1 \bigl(1 - \tfrac12\, 0.96^{(t+1)\psi}\bigr),\quad
        \Pi_t \leftarrow \Pi_{t-1}\, \mu_t \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad
        d_t \leftarrow \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        w_t &\leftarrow w_{t-1} - \eta \frac{1 - \mu_t}{1 - \Pi_t} \frac{g_t}{d_t}
                                - \eta \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d_t}

    (weight decay: :math:`g_t \leftarrow g_t + \lambda w_{t-1}`, or :math:`w_{t-1} \leftarrow
    (1 - \eta\lambda) w_{t-1}` with ``decoupled_weight_decay``). Where Adam steps along the
    bias-corrected momentum :math:`\hat m_t`, NAdam mixes the current gradient and the
    *next* step's momentum — Nesterov's look-ahead (lecture 000 lists both) — with a
    momentum :math:`\mu_t` warmed up over the first few thousand steps. The product
    :math:`\Pi_t` is kept as a float32 (float64 when that is the default) tensor, as PyTorch
    keeps it.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 2e-3).
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: weight decay coefficient (default: 0).
        momentum_decay: :math:`\psi` (default: 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (default: False).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
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
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    **_execution_flags("NAdam", foreach=foreach, capturable=capturable,
                                       differentiable=differentiable)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["mu_product"] = torch.tensor(1.0, dtype=_scalar_dtype())
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                step = state["step"].item()

                grad = p.grad if not group["maximize"] else -p.grad
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(p, alpha=weight_decay)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]
                mu_product *= mu

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)

                product = mu_product.item()
                product_next = product * mu_next
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
                p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - product_next))
        return loss
