"""``minitorch_np.utils.data``: datasets, samplers, splits and the ``DataLoader``.

Read bottom-up: ``dataset.py`` (what a dataset is), ``sampler.py`` (in which order to visit
it), ``split.py`` (random and stratified splits), ``_collate.py`` (samples → batch),
``dataloader.py`` (all of it, one epoch per ``iter``).
"""
from ._collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset
from .sampler import (
                      BatchSampler,
                      RandomSampler,
                      Sampler,
                      SequentialSampler,
                      SubsetRandomSampler,
                      WeightedRandomSampler,
)
from .split import random_split, stratified_split

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset",
           "random_split", "stratified_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate", "default_convert", "get_worker_info"]
