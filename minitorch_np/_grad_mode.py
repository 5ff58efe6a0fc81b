"""Grad mode: whether operations record the graph. Thread-local, as in PyTorch.

``no_grad()`` is used for inference and for parameter updates; the backward pass itself
runs with grad mode equal to ``create_graph``, which is what makes gradients of gradients
possible.
"""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

class _State(threading.local):
    enabled = True  # each thread starts with grad mode on


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward (the default)."""
    return _state.enabled


def _set(mode: bool) -> None:
    _state.enabled = mode


class _GradMode:
    """Base of the grad-mode context managers; each is also a function decorator."""

    _mode: bool

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._mode)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class _NoArgGradMode(_GradMode):
    """A mode without arguments also decorates without parentheses (``@no_grad``), as in
    PyTorch 2."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)


class no_grad(_NoArgGradMode):
    """Context manager (or decorator) that records no graph: ``with no_grad(): ...``."""

    _mode = False


class enable_grad(_NoArgGradMode):
    """Context manager (or decorator) that records the graph, even inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off; usable as a function or a context."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self._mode = mode
        self._prev = is_grad_enabled()
        _set(mode)  # takes effect at once when called as a plain function

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set(self._prev)
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
