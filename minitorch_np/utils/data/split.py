"""Splitting a dataset: ``random_split`` (PyTorch's) and ``stratified_split`` (ours).

Lecture 004 (*Training Neural Networks*, "Train-validation-test split" and "Representative
subset") splits with scikit-learn's ``train_test_split(..., stratify=labels,
random_state=42)``: the validation set and the small experimentation subset must keep the
class distribution of the training set. ``stratified_split`` does that for any number of
parts, on a dataset, seeded by a ``Generator``.
"""
from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Sequence

import numpy as np

from ... import _random_generator as _random
from ..._tensor import Tensor
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset

__all__ = ["random_split", "stratified_split", "dataset_targets"]


def _split_lengths(op: str, n: int, lengths: Sequence) -> list[int]:
    """Counts from `lengths`: counts that sum to n, or fractions that sum to 1 (each split gets
    ``floor(n * fraction)``, and the remainder goes one by one to the first splits, round-robin,
    as in PyTorch)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError(f"{op}: lengths must not be empty")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"{op}: fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"{op}: length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", stacklevel=3)
        lengths = counts
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, int | np.integer) or length < 0:
            raise ValueError(f"{op}: lengths must be non-negative ints or fractions summing to "
                             f"1, got {lengths[i]!r} at index {i}")
    if sum(lengths) != n:
        raise ValueError(f"{op}: sum of input lengths ({sum(lengths)}) does not equal the length "
                         f"of the input dataset ({n})")
    return [int(x) for x in lengths]


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths.

    `lengths` are counts summing to ``len(dataset)`` or fractions summing to 1. The subsets are
    consecutive slices of one random permutation drawn from `generator` (default: the global
    stream that ``manual_seed`` seeds).

    Example::

        >>> train, val = random_split(ds, [0.8, 0.2], generator=Generator().manual_seed(42))
    """
    counts = _split_lengths("random_split", len(dataset), lengths)
    perm = _random.permutation(generator, sum(counts), "random_split").tolist()
    out, offset = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[offset:offset + c]))
        offset += c
    return out


def stratified_split(dataset: Dataset, lengths: Sequence, generator=None, *,
                     targets=None) -> list[Subset]:
    """Split `dataset` like ``random_split``, keeping the class proportions in every part.

    With ``n`` samples, ``n_c`` of class ``c`` and a part of length ``L``, the part receives
    ``n_c · L / n`` samples of class ``c`` rounded down or up, and exactly ``L`` samples in all
    (the rounding that satisfies both is found as a small flow problem, see ``_allocate``).
    Which samples of each class go to which part, and the order inside each part, are random,
    drawn from `generator`.

    Labels come from `targets` if given, else from the dataset (``dataset.targets``, the last
    tensor of a ``TensorDataset``, through ``Subset``/``ConcatDataset``, or by reading
    ``dataset[i][1]``).

    Lecture 004 (train/validation/test split, representative subset)::

        >>> g = Generator().manual_seed(42)
        >>> train, val, test = stratified_split(ds, [0.7, 0.15, 0.15], generator=g)
    """
    n = len(dataset)
    counts = _split_lengths("stratified_split", n, lengths)
    labels = dataset_targets(dataset) if targets is None else _as_host(targets)
    if labels.shape != (n,):
        raise ValueError(f"stratified_split: expected one label per sample ({n}), got labels of "
                         f"shape {labels.shape}")
    _, inverse = np.unique(labels, return_inverse=True)
    inverse = inverse.reshape(-1)
    class_counts = np.bincount(inverse) if n else np.zeros(0, dtype=np.int64)
    alloc = _allocate(class_counts, np.asarray(counts, dtype=np.int64))

    # samples grouped by class, in random order inside each class
    shuffled = _random.permutation(generator, n, "stratified_split")
    by_class = shuffled[np.argsort(inverse[shuffled], kind="stable")]
    class_start = np.concatenate([[0], np.cumsum(class_counts)])
    parts = [[] for _ in counts]
    for c in range(len(class_counts)):
        bounds = class_start[c] + np.concatenate([[0], np.cumsum(alloc[c])])
        for k in range(len(counts)):
            parts[k].append(by_class[bounds[k]:bounds[k + 1]])
    out = []
    for k in range(len(counts)):
        idx = np.concatenate(parts[k]) if parts[k] else np.zeros(0, dtype=np.int64)
        idx = idx[_random.permutation(generator, len(idx), "stratified_split")]
        out.append(Subset(dataset, idx.tolist()))
    return out


def _allocate(class_counts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """An integer matrix A (classes × parts) with row sums `class_counts`, column sums
    `lengths`, and every entry the floor or the ceiling of its ideal share ``n_c · L_k / n``.

    Start from the floors; each class still owes ``r_c`` samples and each part still takes
    ``s_k``, both integers. Class c may give one extra sample to part k only where the share has
    a fractional part. The fractional parts themselves are a fractional solution of this
    bipartite transport problem, so an integral one exists (flows are integral); we find it
    greedily (largest fractional parts first) and complete it with augmenting paths.
    """
    n = int(lengths.sum())
    if n == 0:
        return np.zeros((len(class_counts), len(lengths)), dtype=np.int64)
    product = class_counts[:, None] * lengths[None, :]
    alloc = product // n
    fractional = product % n  # n × the fractional part: compare as exact integers
    row_need = class_counts - alloc.sum(axis=1)
    col_need = lengths - alloc.sum(axis=0)
    extra = np.zeros_like(alloc)
    for flat in np.argsort(-fractional, axis=None, kind="stable"):
        c, k = divmod(int(flat), len(lengths))
        if fractional[c, k] and row_need[c] and col_need[k]:
            extra[c, k] = 1
            row_need[c] -= 1
            col_need[k] -= 1
    for c in np.flatnonzero(row_need > 0):
        while row_need[c] > 0:
            _augment(int(c), fractional > 0, extra, col_need)
            row_need[c] -= 1
    return alloc + extra


def _augment(start: int, allowed: np.ndarray, extra: np.ndarray, col_need: np.ndarray) -> None:
    """Give class `start` one more extra sample along an augmenting path (breadth-first):
    class `start` → part k (not yet used) → a class c that holds an extra in k and hands it over
    → another part ... until a part with room; then flip the edges along the path."""
    came_from_row = {}            # part k -> the class that reached it
    came_from_col = {start: None}  # class c -> the part whose extra it would hand over
    queue = deque([start])
    while queue:
        c = queue.popleft()
        for k in np.flatnonzero(allowed[c] & (extra[c] == 0)).tolist():
            if k in came_from_row:
                continue
            came_from_row[k] = c
            if col_need[k] > 0:
                col_need[k] -= 1
                while True:  # flip the path back to `start`
                    c = came_from_row[k]
                    extra[c, k] = 1
                    k = came_from_col[c]
                    if k is None:
                        return
                    extra[c, k] = 0
            for c2 in np.flatnonzero(extra[:, k] == 1).tolist():
                if c2 not in came_from_col:
                    came_from_col[c2] = k
                    queue.append(c2)
    raise RuntimeError("stratified_split: internal error, no rounding of the class shares found")


def _as_host(values) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy().reshape(-1)
    return np.asarray(values).reshape(-1)


def dataset_targets(dataset) -> np.ndarray:
    """The label of every sample of `dataset` as a host array, without running transforms when
    the labels are stored (``.targets``, a ``TensorDataset``'s last tensor)."""
    if isinstance(dataset, Subset):
        return dataset_targets(dataset.dataset)[dataset._index_array]
    if isinstance(dataset, ConcatDataset):
        return np.concatenate([dataset_targets(d) for d in dataset.datasets])
    if isinstance(dataset, TensorDataset):
        if len(dataset.tensors) < 2:
            raise ValueError("a TensorDataset of one tensor has no labels: pass targets=")
        return _as_host(dataset.tensors[-1])
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return _as_host(targets)
    labels = []
    for i in range(len(dataset)):
        sample = dataset[i]
        if not isinstance(sample, tuple | list) or len(sample) < 2:
            raise ValueError(f"cannot find the labels of {type(dataset).__name__}: it has no "
                             f"'targets' and its samples are not (input, label) pairs")
        label = sample[1]
        labels.append(label.item() if isinstance(label, Tensor) else label)
    return np.asarray(labels)
