"""Array backends: the only layer that touches NumPy, CuPy or the fake GPU directly.

``get_backend('cuda')`` returns the backend object of a device type; each tensor's
``device.backend`` is the same object. Backends are registered here, in the order the
test-suite's ``device`` fixture lists them.
"""
from __future__ import annotations

import contextlib

from .base import Backend
from .cupy_backend import CupyBackend
from .fake_backend import FakeGpuBackend
from .numpy_backend import NumpyBackend

_BACKENDS: dict[str, Backend] = {
    "cpu": NumpyBackend(),
    "cuda": CupyBackend(),
    "fakegpu": FakeGpuBackend(),
}

from .device import device  # noqa: E402  (device() looks _BACKENDS up)

_NO_GUARD = contextlib.nullcontext()


def device_guard(dev):
    """Make device `dev` current while arrays are computed outside ``Function.apply``.

    CuPy runs kernels and allocates on the *current* GPU, so work on ``cuda:1`` must happen
    inside ``cuda.Device(1)``; for the CPU and device 0 this costs nothing.
    """
    return dev.backend.device_context(dev.index) if dev.index else _NO_GUARD


def get_backend(kind: str) -> Backend:
    """The backend serving device type `kind` ('cpu', 'cuda', 'fakegpu')."""
    return _BACKENDS[kind]


def backend_of_array(array) -> Backend:
    """The backend an array belongs to; TypeError for foreign objects."""
    for b in _BACKENDS.values():
        if b.is_array(array):
            return b
    raise TypeError(f"not an array of any backend: {type(array).__name__}")


__all__ = ["Backend", "device", "device_guard", "get_backend", "backend_of_array"]
