"""Adagrad: divide each coordinate's step by the root of the sum of its squared gradients."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad, _step_counter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    For each parameter (lr :math:`\eta`, lr decay :math:`\kappa`, weight decay
    :math:`\lambda`), with :math:`s_0` = ``initial_accumulator_value``:

    .. math::
        \tilde\eta_t &\leftarrow \eta / (1 + (t - 1)\kappa) \\
        g_t &\leftarrow g_t + \lambda w_{t-1}                   && (\lambda \ne 0) \\
        s_t &\leftarrow s_{t-1} + g_t^2 \\
        w_t &\leftarrow w_{t-1} - \tilde\eta_t\, g_t / (\sqrt{s_t} + \epsilon)

    The sum never forgets, so every coordinate's step only shrinks; RMSprop and Adam replace
    the sum by a moving average (lecture 002, "RMSprop"). The ``lr_decay`` term is the
    lecture's 1/t decay (see ``lr_scheduler.InverseTimeLR``) built into the optimizer.

    As in PyTorch, the state of every parameter is created in the constructor (and for a
    group added later, at its first step), and the sums always start from the constructor's
    ``initial_accumulator_value``: a param group's own value of it is kept in the group but
    not used.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 1e-2).
        lr_decay: learning-rate decay :math:`\kappa` (default: 0).
        weight_decay: L2 penalty added to the gradient (default: 0).
        initial_accumulator_value: starting value of the sums :math:`s_0` (default: 0).
        eps: added to the denominator (default: 1e-10).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "maximize": maximize,
                    **_execution_flags("Adagrad", foreach=foreach, differentiable=differentiable,
                                       fused=fused)}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_counter()
            state["sum"] = torch.full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in _params_with_grad(group):
                state = self._init_state(p)
                state["step"] += 1
                step = state["step"].item()

                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt().add_(eps)
                p.addcdiv_(grad, std, value=-clr)
        return loss
