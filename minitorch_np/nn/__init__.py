"""``minitorch_np.nn``: modules (layers, containers, losses), ``functional``, ``init``,
``utils`` — PyTorch's ``torch.nn`` with the same names, arguments and defaults.

See docs/nn.md for how the Module system, initialisation and the losses work.
"""
from .parameter import Buffer, Parameter  # noqa: I001
from .modules import *  # the layers, listed in modules/__init__.py
from .modules import __all__ as _modules_all
from . import functional, init, utils

__all__ = ["Parameter", "Buffer", "functional", "init", "utils"] + list(_modules_all)
