"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices.

A sampler is an iterable of indices, iterated once per epoch. ``RandomSampler`` draws a new
permutation at every ``iter()``, so the shuffling differs between epochs, and it is reproducible:
from its `generator`, or else from a seed taken from the global stream (``manual_seed``), as in
PyTorch. ``BatchSampler`` groups indices into lists of ``batch_size``.
"""
from __future__ import annotations

import itertools

from collections.abc import Iterator, Sequence

import numpy as np

from ..._random_generator import Generator, _check, new_seed
from ..._tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and, where they can, ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


def _epoch_generator(generator, op: str) -> Generator:
    """The generator to draw one epoch from: the given one (its state moves on, so the next
    epoch differs), or a fresh one seeded from the global stream."""
    _check(generator, op)
    return generator if generator is not None else Generator().manual_seed(new_seed(None, op))


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a permutation per epoch, or with ``replacement=True`` independent draws.

    ``num_samples`` (default ``len(data_source)``) larger than the dataset without replacement
    chains several permutations.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        _check(generator, "RandomSampler")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if isinstance(self.num_samples, bool) or not isinstance(self.num_samples, int) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # the draws are made lazily, at the first next(), as from a generator; the indices
        # then come from C (a generator's `yield from` runs three bytecodes per index)
        return itertools.chain.from_iterable(self._draws())

    def _draws(self) -> Iterator[list[int]]:
        n = len(self.data_source)
        rng = _epoch_generator(self.generator, "RandomSampler")._rng
        if self.replacement:
            yield rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield rng.permutation(n).tolist()
        yield rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order every epoch."""

    def __init__(self, indices: Sequence[int], generator=None):
        _check(generator, "SubsetRandomSampler")
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = _epoch_generator(self.generator, "SubsetRandomSampler")._rng
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1 drawn with probabilities proportional to `weights`
    (e.g. inverse class frequencies, to rebalance classes)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = weights.detach().cpu().numpy() if isinstance(weights, Tensor) else np.asarray(weights)
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights should be a 1-d sequence of numbers, but got shape "
                             f"{w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights should be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                               f"replacement from {np.count_nonzero(w)} with non-zero weight")
        _check(generator, "WeightedRandomSampler")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = _epoch_generator(self.generator, "WeightedRandomSampler")._rng
        p = self.weights / self.weights.sum()
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                              p=p).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`; the last, shorter list is
    dropped when `drop_last`.

    Example::

        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        # islice takes a batch's indices in one C-level call (a Python loop appending one
        # index at a time was a quarter of a DataLoader's time per MNIST batch)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
