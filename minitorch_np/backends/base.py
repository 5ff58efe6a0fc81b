"""The interface every array backend implements.

A backend owns one kind of device. It hands out its array module ``xp`` (NumPy, CuPy, or
the fake-GPU namespace used in tests), which the differentiable ops call, and it is the only
place that moves arrays between the host and its device or draws random numbers there.
Everything above this layer reaches the array library through ``tensor.device.backend``.
"""
from __future__ import annotations

import contextlib

import numpy as np


class Backend:
    """One array library bound to one device type."""

    #: the device type this backend serves: 'cpu', 'cuda', 'fakegpu'
    name: str = ""

    @property
    def xp(self):
        """The array module: ``numpy``-compatible functions for arrays on this device."""
        raise NotImplementedError

    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def is_array(self, obj) -> bool:
        """Is `obj` an array of this backend (never a plain NumPy array for a GPU backend)?"""
        raise NotImplementedError

    def from_numpy(self, array: np.ndarray, index: int | None):
        """Copy a host array to device `index` (may share memory on the CPU)."""
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        """Copy a device array to the host (shares memory on the CPU)."""
        raise NotImplementedError

    def device_index(self, array) -> int | None:
        """The index of the device an array lives on (None for the CPU)."""
        return None

    def device_context(self, index: int):
        """A context manager making device `index` current (where new arrays are made)."""
        return contextlib.nullcontext()

    def synchronize(self, index: int | None = None) -> None:
        """Wait for all queued work on the device (a no-op for synchronous backends)."""

    def owner(self, array):
        """The array that owns `array`'s memory (itself unless it is a view); compared by
        identity only, so the engine can tell whether two gradients share memory."""
        while getattr(array, "base", None) is not None:  # (a buffer's base may be bytes)
            array = array.base
        return array

    def is_writable(self, array) -> bool:
        """May `array`'s memory be written (NumPy marks broadcast views read-only)?"""
        return array.flags.writeable

    def index_add(self, target, index, values) -> None:
        """``target[index] += values`` where repeated indices accumulate (``ufunc.at``)."""
        self.xp.add.at(target, index, values)

    # random numbers: one generator per backend, reseeded by manual_seed
    def manual_seed(self, seed: int) -> None:
        raise NotImplementedError

    def random_normal(self, shape, dtype, index):
        """Standard normal samples of `shape` and NumPy `dtype` on device `index`."""
        raise NotImplementedError

    def random_uniform(self, shape, dtype, index):
        """Uniform samples in [0, 1) of `shape` and NumPy `dtype` on device `index`."""
        raise NotImplementedError

    def random_integers(self, low: int, high: int, shape, index):
        """int64 samples uniform in [low, high) on device `index`."""
        raise NotImplementedError

    def random_permutation(self, n: int, index):
        """A random int64 permutation of range(n) on device `index`."""
        raise NotImplementedError

    def blas_info(self) -> str:
        return ""
