"""`Optimizer`: the data model every optimizer shares (PyTorch's ``torch.optim.Optimizer``).

An optimizer holds

* ``param_groups``: a list of dicts, each with its ``'params'`` (a list of leaf tensors) and
  its own options (``'lr'``, ``'momentum'``, ...); options a group does not give come from
* ``defaults``: the options passed to the constructor;
* ``state``: a dict keyed by parameter, holding what the update rule remembers between steps
  (momentum buffers, moving averages, step counts). It is filled lazily, at the first step
  that sees a gradient for the parameter, with tensors on the parameter's device.

``step()`` reads each parameter's ``.grad`` and changes the parameter in place, outside the
graph (under ``no_grad``); parameters whose ``.grad`` is None are skipped. ``zero_grad()``
clears the gradients. ``state_dict()`` / ``load_state_dict()`` save and restore everything
but the parameters themselves, so training resumes exactly where it stopped.

Lecture 000 ("Going deeper", torch.optim): "An optimizer has an internal state to keep
quantities such as moving averages, and operates on an iterator over Parameters ...
An optimizer can also operate on several iterators, each corresponding to a group of
Parameters that should be handled similarly."
"""
from __future__ import annotations

import copy
import functools
import inspect
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import minitorch_np as torch  # the public API, as PyTorch's optimizers use ``torch``

from .._tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option with no default: every param group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


_SET_MESSAGE = ("optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")


def _counted_step(step):
    """Wrap a subclass's ``step``: run it outside the graph, and note that it ran.

    The note (``optimizer._opt_called``) lets a learning-rate scheduler warn when its
    ``step()`` is called before the optimizer's, as PyTorch does.
    """
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        with torch.no_grad():
            return step(self, *args, **kwargs)
    wrapper._counted = True
    return wrapper


def _scalar_dtype():
    """The dtype of the ``step`` counters: float64 when that is the default, else float32."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _step_counter() -> Tensor:
    """A new step counter: a 0-d tensor on the CPU, as PyTorch keeps it (not on the device)."""
    return torch.tensor(0.0, dtype=_scalar_dtype())


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "minitorch_np.Tensor"
    return type(obj).__module__ + "." + type(obj).__qualname__


class Optimizer:
    r"""Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts each defining
            a param group (``{'params': [...], 'lr': 0.1, ...}``). Its order must be
            deterministic: a ``set`` is refused.
        defaults: the options used by groups that do not give them.

    Subclasses implement ``step`` (which the base class runs under ``no_grad`` and records
    for the schedulers' order check).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_counted", False):
            cls.step = _counted_step(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        if isinstance(params, set | frozenset):  # (PyTorch checks this in groups only)
            raise TypeError(_SET_MESSAGE)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # -- param groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. unfreezing layers while
        fine-tuning). Options the group leaves out are taken from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(_SET_MESSAGE)
        else:
            params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. "
                             "Some param names are missing")
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                f"is {_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in group) != ("param_names" in param_group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not taken.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter.

        ``set_to_none=True`` (the default) drops them (``p.grad = None``): the next backward
        allocates fresh ones, and a parameter that gets no gradient is then skipped by
        ``step()``; ``False`` fills them with zeros (and such a parameter is updated with a
        zero gradient, which still moves it through momentum or weight decay).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; `closure` (optional for most
        optimizers) re-evaluates the model and returns the loss, which is returned."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure):
        """The loss the closure returns, computed with the graph on (step runs without)."""
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, with parameters replaced by their index.

        ``{'state': {0: {'momentum_buffer': tensor, ...}, 1: ...},
        'param_groups': [{'lr': 0.01, ..., 'params': [0, 1]}, ...]}``: parameters are numbered
        in order across the groups; the tensors of ``state`` are the optimizer's own (copy
        them, or ``minitorch_np.save`` the dict, to keep a snapshot).
        """
        index: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` saved into this optimizer (built on the same parameters,
        in the same groups). State tensors are copied onto each parameter's device and dtype
        (the ``step`` counters stay as saved)."""
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v)
            else:
                state[k] = copy.deepcopy(v)

        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            for key, value in self._option_defaults().items():
                s.setdefault(key, value)  # an older or partial state dict lacks newer options
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.state = state
        self.param_groups = saved_groups


    def _option_defaults(self) -> dict[str, Any]:
        """Each option's value when a loaded group lacks it: the constructor's default, as
        PyTorch's ``__setstate__`` fills in (``nesterov=False``, ``foreach=None``, ...)."""
        signature = inspect.signature(type(self).__init__).parameters
        return {key: signature[key].default if key in signature else value
                for key, value in self.defaults.items()
                if key not in signature or signature[key].default is not inspect.Parameter.empty}


def _cast(param: Tensor, value, key=None):
    """A copy of `value` with its tensors on `param`'s device (and dtype, for floating
    state other than the ``step`` counters)."""
    if key == "step" and isinstance(value, int | float):  # saved by an older version
        return torch.tensor(float(value), dtype=_scalar_dtype())
    if isinstance(value, Tensor):
        if key == "step":
            return value.clone()
        if param.is_floating_point():
            out = value.to(device=param.device, dtype=param.dtype)
        else:
            out = value.to(device=param.device)
        return out.clone() if out is value else out
    if isinstance(value, dict):
        return {k: _cast(param, v, key=k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast(param, v) for v in value)
    return value


def _execution_flags(name: str, **flags) -> dict[str, Any]:
    """PyTorch's options that choose *how* a step is computed rather than what it computes —
    ``foreach`` (one kernel per list of tensors), ``fused`` (one kernel per step),
    ``capturable`` (CUDA graphs), ``differentiable`` (the step recorded by autograd) — checked
    and returned for the param groups, where PyTorch keeps them too. There is one
    implementation here, so the first three change nothing; ``differentiable=True`` would
    need the update written with recorded (out-of-place) ops, and is refused."""
    for key, value in flags.items():
        allowed = (None, True, False) if key in ("foreach", "fused") else (True, False)
        if value not in allowed or (value is not None and not isinstance(value, bool)):
            raise TypeError(f"{name}: {key} must be {' or '.join(map(repr, allowed))}, got "
                            f"{value!r}")
    if flags.get("differentiable"):
        raise NotImplementedError(f"{name}: differentiable=True (a step recorded by autograd, "
                                  "to differentiate through the update) is not supported")
    return flags


def _params_with_grad(group: dict[str, Any]) -> Iterable[Tensor]:
    """The parameters of `group` that received a gradient (the others are not updated)."""
    return [p for p in group["params"] if p.grad is not None]
