"""``Generator``: a seedable source of host random numbers for the data pipeline.

PyTorch's ``torch.Generator`` is what ``DataLoader(generator=...)``, ``random_split(...,
generator=...)`` and samplers take to make shuffling reproducible independently of the global
seed. Ours wraps one NumPy ``PCG64`` bit generator on the host: data pipelines (shuffling,
splits, augmentations) run on the host, whatever device the model trains on.

Where no generator is given, the randomness comes from the *global* CPU stream, the one
``minitorch_np.manual_seed(s)`` reseeds, so a seeded script is reproducible end to end, and
each new epoch draws fresh numbers from the stream (shuffles differ between epochs).
"""
from __future__ import annotations

import numpy as np

from . import _creation
from .backends import get_backend
from .backends.numpy_backend import host_normal, host_uniform

__all__ = ["Generator"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed for a fresh Generator
# PCG64: state (128 bits), increment (128 bits), has_uint32 (1 byte), uinteger (32 bits)
_STATE_BYTES = 16 + 16 + 1 + 4


class Generator:
    """A host random-number generator with PyTorch's ``torch.Generator`` interface.

    Example::

        >>> g = minitorch_np.Generator().manual_seed(42)
        >>> loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)
    """

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise ValueError(f"Generator: only device='cpu' is supported (data pipelines draw "
                             f"their random numbers on the host), got device={device!r}")
        self.device = "cpu"
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns the generator itself, as in PyTorch (``Generator().manual_seed(0)``)."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got "
                            f"{type(seed).__name__}")
        seed = int(seed)
        if not -2 ** 63 <= seed < 2 ** 64:
            raise RuntimeError(f"Generator.manual_seed: seed must be in [-2**63, 2**64), "
                               f"got {seed}")
        self._seed = seed % 2 ** 64  # a negative seed wraps around, as in PyTorch
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % 2 ** 63)
        self.manual_seed(s)
        return s

    def get_state(self):
        """The generator's state as a uint8 tensor (save it, ``set_state`` it back later)."""
        st = self._rng.bit_generator.state
        raw = (st["state"]["state"].to_bytes(16, "little")
               + st["state"]["inc"].to_bytes(16, "little")
               + bytes([st["has_uint32"]]) + int(st["uinteger"]).to_bytes(4, "little"))
        return _creation.tensor(np.frombuffer(raw, dtype=np.uint8))

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by ``get_state``."""
        raw = bytes(np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state,
                               dtype=np.uint8).ravel())
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Generator.set_state: expected a uint8 tensor of {_STATE_BYTES} "
                               f"bytes (from Generator.get_state), got {len(raw)}")
        bit_generator = np.random.PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[0:16], "little"),
                      "inc": int.from_bytes(raw[16:32], "little")},
            "has_uint32": raw[32], "uinteger": int.from_bytes(raw[33:37], "little")}
        self._rng = np.random.Generator(bit_generator)
        return self


# -- host random numbers for the data pipeline ------------------------------------------------
# Each helper draws from `generator` when one is given, else from the global CPU stream (the CPU
# backend's generator, which `manual_seed` reseeds), and returns NumPy arrays.

def _global():
    return get_backend("cpu")

def _shape(size) -> tuple:
    return (int(size),) if isinstance(size, int | np.integer) else tuple(int(s) for s in size)


def _check(generator, op: str):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{op}: generator must be a minitorch_np.Generator or None, got "
                        f"{type(generator).__name__}")


def uniform(generator, low, high, size, op: str = "uniform") -> np.ndarray:
    """float64 samples of U[low, high) of shape `size` (`low`, `high` broadcast)."""
    _check(generator, op)
    if generator is not None:
        u = generator._rng.random(_shape(size))
    else:
        u = _global().random_uniform(_shape(size), np.float64, None)
    return np.asarray(low, dtype=np.float64) + (np.asarray(high, dtype=np.float64)
                                                - np.asarray(low, dtype=np.float64)) * u


def integers(generator, low, high, size, op: str = "integers") -> np.ndarray:
    """int64 samples uniform in [low, high) (`low`, `high` ints or arrays broadcasting against
    `size`)."""
    _check(generator, op)
    if not np.all(np.asarray(low) < np.asarray(high)):
        raise RuntimeError(f"{op}: expected low < high, got low={low}, high={high}")
    rng = generator._rng if generator is not None else None
    if rng is not None:
        return rng.integers(low, high, size=_shape(size), dtype=np.int64)
    return _global().random_integers(low, high, _shape(size), None)


def permutation(generator, n: int, op: str = "randperm") -> np.ndarray:
    """A random permutation of 0..n-1 as int64."""
    _check(generator, op)
    if generator is not None:
        return generator._rng.permutation(n).astype(np.int64, copy=False)
    return _global().random_permutation(int(n), None).astype(np.int64, copy=False)


def new_seed(generator, op: str = "seed") -> int:
    """A fresh 63-bit seed drawn from `generator` (or the global stream)."""
    return int(integers(generator, 0, 2 ** 63 - 1, (), op))


class GeneratorSource:
    """A user `Generator` behind the random-number interface of a backend: samples are drawn
    on the host with the generator's own stream, then copied to the target device."""

    def __init__(self, generator: Generator, device):
        _check(generator, "random")
        self._rng, self._backend = generator._rng, device.backend

    def random_uniform(self, shape, dtype, index):
        return self._backend.from_numpy(host_uniform(self._rng, shape, dtype), index)

    def random_normal(self, shape, dtype, index):
        return self._backend.from_numpy(host_normal(self._rng, shape, dtype), index)

    def random_integers(self, low, high, shape, index):
        return self._backend.from_numpy(self._rng.integers(low, high, size=shape, dtype=np.int64),
                                        index)

    def random_permutation(self, n, index):
        return self._backend.from_numpy(self._rng.permutation(n).astype(np.int64), index)
