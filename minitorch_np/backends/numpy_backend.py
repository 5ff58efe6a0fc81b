"""The CPU backend: NumPy arrays, NumPy's PCG64 generator."""
from __future__ import annotations

import numpy as np

from .base import Backend


class NumpyBackend(Backend):
    name = "cpu"

    xp = np  # a plain attribute, not a property: ops read it once per call

    def __init__(self):
        self._rng = np.random.Generator(np.random.PCG64(0))

    def is_array(self, obj) -> bool:
        return isinstance(obj, np.ndarray)

    def from_numpy(self, array, index=None):
        return array

    def to_numpy(self, array):
        return array

    def manual_seed(self, seed: int) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def random_normal(self, shape, dtype, index=None):
        return self._rng.standard_normal(shape, dtype=dtype)

    def random_uniform(self, shape, dtype, index=None):
        return self._rng.random(shape, dtype=dtype)

    def random_integers(self, low, high, shape, index=None):
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def random_permutation(self, n, index=None):
        return self._rng.permutation(n).astype(np.int64, copy=False)
