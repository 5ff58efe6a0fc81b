"""Datasets: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``ConcatDataset``, ``Subset``.

A map-style dataset is anything with ``__getitem__(i)`` and ``__len__()`` (lecture 000,
``torch.utils.data.DataLoader``; lecture 004 writes one by hand to debug a pipeline). The
``DataLoader`` asks it for samples by index and collates them into mini-batches.

A dataset may also offer ``_collated_batch(indices)``, ours: the whole mini-batch that
``default_collate([self[i] for i in indices])`` would build, computed at once (one vectorised
index per tensor instead of one ``__getitem__`` call per sample). ``DataLoader`` uses it when
the collate function is the default one; ``TensorDataset`` and ``Subset`` provide it.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``a + b`` concatenates two datasets (a ``ConcatDataset``).
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``. The ``DataLoader`` groups the stream
    into mini-batches in order (no sampler, no shuffling)."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        raise TypeError("IterableDataset: '+' is not supported (ChainDataset is not implemented)")


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first dimension: ``ds[i] = (t[i] for t in
    tensors)``. All tensors must have the same first dimension.

    A mini-batch is gathered with one vectorised index per tensor (``t[indices]``), not with one
    ``__getitem__`` call per sample.

    Example::

        >>> ds = TensorDataset(images, labels)   # images (N, 1, 28, 28), labels (N,)
        >>> x, y = ds[0]
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a "
                                f"Tensor (convert NumPy arrays with torch.from_numpy)")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; every tensor "
                                 f"needs a first dimension to index samples along")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"Size mismatch between tensors: first dimensions "
                             f"{[t.shape[0] for t in tensors]} must all be equal")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _collated_batch(self, indices: np.ndarray):
        # default_collate turns a list of tuples into a *list* of stacked fields (as PyTorch)
        return [t[indices] for t in self.tensors]


class ConcatDataset(Dataset):
    """The concatenation of several map-style datasets: indices run through them in order."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} out of range for length "
                                 f"{len(self)}")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: ``subset[i] =
    dataset[indices[i]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self):
        return self._indices

    @indices.setter
    def indices(self, value):
        self._indices = value
        host = value.tolist() if isinstance(value, Tensor) else value
        self._index_array = np.asarray(host, dtype=np.int64).reshape(-1)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self._indices[i] for i in index]]
        return self.dataset[self._indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        parent = getattr(self.dataset, "__getitems__", None)
        if parent is not None:
            return parent([self._indices[i] for i in indices])
        return [self.dataset[self._indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self._indices)

    def _collated_batch(self, indices: np.ndarray):
        parent = getattr(self.dataset, "_collated_batch", None)
        return NotImplemented if parent is None else parent(self._index_array[indices])
