"""``DataLoader``: a dataset and a sampling policy combined into an iterator over mini-batches.

Lecture 000 (F. Fleuret, ``torch.utils.data.DataLoader``)::

    train_loader = DataLoader(datasets.MNIST(root='./data/mnist', train=True, download=True,
                                             transform=train_transforms),
                              batch_size=100, num_workers=4, shuffle=True,
                              pin_memory=torch.cuda.is_available())
    for e in range(nb_epochs):
        for input, target in iter(train_loader):
            ...

Each ``iter(loader)`` is one epoch: the batch sampler yields lists of indices (every index of
the dataset exactly once, in a new random order when ``shuffle=True``), the dataset is read at
those indices, and ``collate_fn`` stacks the samples into a batch. Batches stay on the host (CPU
tensors); the training loop moves them to the device.

Loading runs in the calling process: ``num_workers``, ``pin_memory``, ``timeout``,
``worker_init_fn``, ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``
and ``pin_memory_device`` are accepted (so PyTorch code runs unchanged) and validated, but have
no effect. Worker processes would copy every batch between processes; NumPy already releases
the GIL in the heavy array work, and the datasets here fit in memory.
"""
from __future__ import annotations

import numpy as np

from ..._random_generator import _check
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info():
    """Always None: samples are loaded in the main process (see ``DataLoader``)."""
    return None


class DataLoader:
    """Iterate over `dataset` in mini-batches.

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__``, ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); ``None`` turns batching off (each sample
            is converted with ``default_convert``).
        shuffle: a new random order every epoch (a ``RandomSampler``).
        sampler: an iterable of indices, instead of ``shuffle``.
        batch_sampler: an iterable of index lists, instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: list of samples → batch (default: ``default_collate``).
        generator: the ``Generator`` that shuffles (default: the global stream, which
            ``manual_seed`` seeds).
        num_workers, pin_memory, ...: accepted, no effect (loading runs in this process).

    When the dataset offers ``_collated_batch(indices)`` (``TensorDataset``, ``Subset`` of
    one, the ``datasets`` without transforms) and ``collate_fn`` is the default, a batch is
    gathered with one vectorised index instead of one ``__getitem__`` per sample; the result is
    the same.
    """

    _frozen = ("dataset", "batch_size", "batch_sampler", "sampler", "drop_last",
               "persistent_workers")

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = ""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        _check(generator, "DataLoader")

        if isinstance(dataset, IterableDataset):
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            if isinstance(dataset, IterableDataset):
                BatchSampler(range(0), batch_size, drop_last)  # validates batch_size/drop_last
            else:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._frozen:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (
            isinstance(self.dataset, IterableDataset) and self.batch_size is not None)

    def __iter__(self) -> _DataLoaderIter:
        """One epoch. A shuffling sampler draws its permutation here, so every epoch differs."""
        return _DataLoaderIter(self)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def _fetch(self, indices: list[int]):
        """The collated batch of the samples at `indices`."""
        if self.collate_fn is default_collate:
            fast = getattr(self.dataset, "_collated_batch", None)
            if fast is not None:
                batch = fast(np.asarray(indices, dtype=np.int64))
                if batch is not NotImplemented:
                    return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)


class _DataLoaderIter:
    """The iterator of one epoch (what ``iter(loader)`` returns)."""

    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._length = None
        try:
            self._length = len(loader)
        except TypeError:
            pass
        if isinstance(loader.dataset, IterableDataset):
            self._batches = self._stream(loader)
        elif loader._auto_collation:
            self._batches = (loader._fetch(indices) for indices in loader.batch_sampler)
        else:
            self._batches = (loader.collate_fn(loader.dataset[i]) for i in loader.sampler)

    @staticmethod
    def _stream(loader: DataLoader):
        if loader.batch_size is None:
            for sample in loader.dataset:
                yield loader.collate_fn(sample)
            return
        batch = []
        for sample in loader.dataset:
            batch.append(sample)
            if len(batch) == loader.batch_size:
                yield loader.collate_fn(batch)
                batch = []
        if batch and not loader.drop_last:
            yield loader.collate_fn(batch)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("this DataLoader's dataset has no length")
        return self._length
