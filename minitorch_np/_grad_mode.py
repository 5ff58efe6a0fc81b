"""Grad mode: whether operations record the graph. Thread-local, as in PyTorch.

``no_grad()`` is used for inference and for parameter updates; the backward pass itself
runs with grad mode equal to ``create_graph``, which is what makes gradients of gradients
possible.
"""
from __future__ import annotations

import functools
import inspect
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
        self._prev = _state.enabled
        _state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        return _decorate(fn, self.__class__)


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
        return _decorate(fn, lambda: set_grad_enabled(mode))


def _decorate(fn, mode):
    """`fn` run under the context manager `mode()` makes. A generator function's body runs in
    that mode step by step — the caller's own mode is back whenever it yields — as PyTorch's
    decorators do (a plain wrapper would only cover making the generator, not running it)."""
    if not inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)
        return wrapper

    @functools.wraps(fn)
    def generator(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with mode():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException as e:
                    with mode():
                        response = gen.throw(e)
                else:
                    with mode():
                        response = gen.send(request)
        except StopIteration as stop:  # the generator returned: so does this one
            return stop.value
    return generator
