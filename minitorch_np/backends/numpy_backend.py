"""The CPU backend: NumPy arrays, NumPy's PCG64 generator."""
from __future__ import annotations

import warnings

import numpy as np

from .base import Backend

# PyTorch's float ops never warn: log(0) is -inf, 0/0 is nan, exp(1000) is inf — values, not
# errors. NumPy reports each as a RuntimeWarning ("divide by zero encountered in log"); these
# are silenced for calls made from this package's own modules only (a warning is attributed
# to the module whose line called NumPy), so the user's own NumPy code warns as before.
_SPECIAL_VALUES = r".*encountered in |Mean of empty slice"
warnings.filterwarnings("ignore", message=_SPECIAL_VALUES, category=RuntimeWarning,
                        module=r"minitorch_np(\.|$)")

# NumPy's generator draws float32 and float64 only: float16 samples are drawn in float32 and
# rounded (as the CuPy backend does for cuRAND)
_FLOAT16_BELOW_ONE = np.nextafter(np.float16(1), np.float16(0))


def host_normal(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Standard normal samples of `dtype` (float16, float32 or float64) from `rng`."""
    if np.dtype(dtype) == np.float16:
        return rng.standard_normal(shape, dtype=np.float32).astype(np.float16)
    return rng.standard_normal(shape, dtype=dtype)


def host_uniform(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """U[0, 1) samples of `dtype` from `rng` (float16: rounded, kept below 1)."""
    if np.dtype(dtype) == np.float16:
        out = rng.random(shape, dtype=np.float32).astype(np.float16)
        return np.minimum(out, _FLOAT16_BELOW_ONE, out=out)
    return rng.random(shape, dtype=dtype)


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
        return host_normal(self._rng, shape, dtype)

    def random_uniform(self, shape, dtype, index=None):
        return host_uniform(self._rng, shape, dtype)

    def random_integers(self, low, high, shape, index=None):
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def random_permutation(self, n, index=None):
        return self._rng.permutation(n).astype(np.int64, copy=False)
