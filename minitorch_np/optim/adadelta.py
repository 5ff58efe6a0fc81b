"""Adadelta: RMSprop whose step size comes from a running average of past updates."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad, _step_counter

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    For each parameter (coefficient :math:`\rho`, lr :math:`\eta`, weight decay
    :math:`\lambda`), with :math:`v_0 = u_0 = 0`:

    .. math::
        g_t &\leftarrow g_t + \lambda w_{t-1}                           && (\lambda \ne 0) \\
        v_t &\leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta w_t &\leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &\leftarrow \rho u_{t-1} + (1 - \rho) \Delta w_t^2 \\
        w_t &\leftarrow w_{t-1} - \eta\, \Delta w_t

    The ratio of two root-mean-squares has the units of :math:`w`, so no learning rate is
    needed (``lr=1`` is the default, as in the paper); :math:`\epsilon` is inside both roots
    and sets the size of the first steps (about :math:`\sqrt{\epsilon}/\sqrt{1-\rho}`).
    Lecture 000 lists it among the "incarnations" of its two core strategies (momentum, and
    per-coordinate rescaling by gradient statistics).

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: coefficient that scales the update (default: 1.0).
        rho: coefficient of the running averages (default: 0.9).
        eps: added inside the roots (default: 1e-6).
        weight_decay: L2 penalty added to the gradient (default: 0).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize,
                    **_execution_flags("Adadelta", foreach=foreach, capturable=capturable,
                                       differentiable=differentiable)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], \
                group["weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["square_avg"] = torch.zeros_like(p)
                    state["acc_delta"] = torch.zeros_like(p)
                state["step"] += 1

                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                std = square_avg.add(eps).sqrt_()
                delta = acc_delta.add(eps).sqrt_()
                delta.div_(std).mul_(grad)
                acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                p.add_(delta, alpha=-lr)
        return loss
