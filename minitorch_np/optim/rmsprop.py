"""RMSprop: divide each coordinate's gradient by a running root mean square of its past values."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad, _step_counter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e), as ``torch.optim.RMSprop``.

    For each parameter (lr :math:`\eta`, smoothing constant :math:`\alpha`, momentum
    :math:`\mu`, weight decay :math:`\lambda`), with :math:`v_0 = 0`:

    .. math::
        g_t &\leftarrow g_t + \lambda w_{t-1}                          && (\lambda \ne 0) \\
        v_t &\leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &\leftarrow \alpha \bar g_{t-1} + (1 - \alpha) g_t,\quad
        \tilde v_t \leftarrow v_t - \bar g_t^2 \text{ (centered), else } \tilde v_t = v_t \\
        b_t &\leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),\quad
        w_t \leftarrow w_{t-1} - \eta b_t                              && (\mu > 0) \\
        w_t &\leftarrow w_{t-1} - \eta\, g_t / (\sqrt{\tilde v_t} + \epsilon)  && (\mu = 0)

    :math:`\epsilon` is added *outside* the square root. ``centered`` divides by an estimate
    of the gradient's standard deviation instead of its root mean square (Graves, 2013).
    No bias correction: the first steps are larger than later ones (:math:`v_1 = (1-\alpha)
    g_1^2`, so the first step is :math:`\eta / \sqrt{1 - \alpha} \approx 10\eta`).

    **The lectures' forms.** Lecture 002's :math:`s = \beta_2 s + (1-\beta_2) g^2,\ w \leftarrow
    w - \alpha\, g / (\sqrt{s} + \epsilon)` is exactly this with ``alpha=β₂``, ``lr=α``.
    Lecture 004 writes :math:`w \leftarrow w - \eta\, g \oslash \sqrt{s + \epsilon}` with
    :math:`\epsilon` under the root and :math:`\beta = 0.9`; PyTorch's default is
    ``alpha=0.99``, and its :math:`\epsilon` is outside.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate (default: 1e-2).
        alpha: smoothing constant :math:`\alpha` (default: 0.99).
        eps: added to the denominator (default: 1e-8).
        weight_decay: L2 penalty added to the gradient (default: 0).
        momentum: momentum factor (default: 0).
        centered: normalise by the estimated variance of the gradient (default: False).
        maximize: ascend instead of descend (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize,
                    **_execution_flags("RMSprop", capturable=capturable, foreach=foreach,
                                       differentiable=differentiable)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            momentum, weight_decay = group["momentum"], group["weight_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_counter()
                    state["square_avg"] = torch.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = torch.zeros_like(p)
                state["step"] += 1

                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                square_avg = state["square_avg"]
                square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(grad, 1 - alpha)
                    avg = (square_avg - grad_avg * grad_avg).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg = avg.add_(eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(momentum).addcdiv_(grad, avg)
                    p.add_(buf, alpha=-lr)
                else:
                    p.addcdiv_(grad, avg, value=-lr)
        return loss
