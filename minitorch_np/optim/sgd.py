"""Stochastic gradient descent, with momentum, dampening, weight decay and Nesterov's variant."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minitorch_np as torch

from .optimizer import Optimizer, _execution_flags, _params_with_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`w` with gradient :math:`g_t` (lr :math:`\eta`, momentum
    :math:`\mu`, dampening :math:`\tau`, weight decay :math:`\lambda`):

    .. math::
        g_t &\leftarrow g_t + \lambda w_{t-1}                         && (\lambda \ne 0) \\
        b_t &\leftarrow g_t \text{ at the first step, else } \mu b_{t-1} + (1 - \tau) g_t
                                                                       && (\mu \ne 0) \\
        g_t &\leftarrow g_t + \mu b_t \text{ (nesterov) or } b_t       && (\mu \ne 0) \\
        w_t &\leftarrow w_{t-1} - \eta g_t

    The momentum buffer starts as the first gradient itself (not zero, and not dampened).

    **The lectures' forms** (all tested in ``tests/optim/test_optim_sgd.py``):

    * Lecture 000 (Rumelhart et al.): :math:`u_t = \gamma u_{t-1} + \eta g_t,\ w_{t+1} = w_t -
      u_t` with :math:`u_0 = 0`. PyTorch keeps :math:`b = u / \eta` instead: the same steps
      with ``momentum=γ`` as long as :math:`\eta` is constant (when a scheduler changes
      :math:`\eta`, PyTorch's form applies the new rate to the whole buffer at once).
      Lecture 004's :math:`m \leftarrow \beta m - \eta g,\ w \leftarrow w + m` is the same with
      :math:`m = -u`.
    * Lecture 002 (EWMA form): :math:`v = \beta v + (1-\beta) g,\ w \leftarrow w - \alpha v`
      with :math:`v_0 = 0`. Unrolled, :math:`v_t = (1-\beta) \sum_k \beta^{t-k} g_k =
      (1-\beta) b_t`: exactly ``SGD(lr=α(1-β), momentum=β)``. ``SGD(lr=α, momentum=β,
      dampening=β)`` is the EWMA form too, but started from :math:`v_0 = g_1` instead of 0
      (PyTorch does not dampen the first gradient); the two differ by
      :math:`\beta^{t} g_1`-sized terms that die out.

    Args:
        params: parameters to optimize, or dicts defining param groups.
        lr: learning rate :math:`\eta` (default: 1e-3).
        momentum: momentum factor :math:`\mu` (default: 0).
        dampening: dampening :math:`\tau` for momentum (default: 0).
        weight_decay: L2 penalty :math:`\lambda`, added to the gradient (default: 0).
        nesterov: Nesterov momentum, from Sutskever et al. (default: False).
        maximize: ascend the objective instead of descending it (default: False).
        foreach, fused, capturable, differentiable: PyTorch's choices of how the step is
            computed; accepted and kept in the param groups, with no effect here
            (``differentiable=True`` raises: see ``optimizer._execution_flags``).

    Example::

        >>> optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss_fn(model(input), target).backward()
        >>> optimizer.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    **_execution_flags("SGD", foreach=foreach, differentiable=differentiable,
                                       fused=fused)}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            params = _params_with_grad(group)
            if momentum == 0 and weight_decay == 0 and not group["maximize"]:
                # plain w ← w - η g for the whole group: one call, as PyTorch's foreach path
                torch._foreach_add_(params, [p.grad for p in params], alpha=-lr)
                continue
            for p in params:
                grad = p.grad if not group["maximize"] else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.detach().clone()
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad.add(buf, alpha=momentum) if nesterov else buf
                p.add_(grad, alpha=-lr)
        return loss
