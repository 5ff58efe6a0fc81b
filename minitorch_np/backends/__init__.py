"""Array backends: the only layer that touches NumPy, CuPy or the fake GPU directly.

``get_backend('cuda')`` returns the backend object of a device type; each tensor's
``device.backend`` is the same object. Backends are registered here, in the order the
test-suite's ``device`` fixture lists them.
"""
from __future__ import annotations

from .base import Backend
from .cupy_backend import CupyBackend
from .numpy_backend import NumpyBackend
from .fake_backend import FakeGpuBackend

_BACKENDS: dict[str, Backend] = {
    "cpu": NumpyBackend(),
    "cuda": CupyBackend(),
    "fakegpu": FakeGpuBackend(),
}

from .device import device  # noqa: E402  (device() looks _BACKENDS up)


def get_backend(kind: str) -> Backend:
    """The backend serving device type `kind` ('cpu', 'cuda', 'fakegpu')."""
    return _BACKENDS[kind]


def backend_of_array(array) -> Backend:
    """The backend an array belongs to; TypeError for foreign objects."""
    for b in _BACKENDS.values():
        if b.is_array(array):
            return b
    raise TypeError(f"not an array of any backend: {type(array).__name__}")


__all__ = ["Backend", "device", "get_backend", "backend_of_array"]
