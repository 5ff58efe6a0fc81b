"""random_split and stratified_split: lengths (counts and fractions), disjoint covering parts,
class proportions kept in every part, seeded reproducibility."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np._random_generator import Generator
from minitorch_np.datasets import MNIST5k
from minitorch_np.utils.data import Dataset, Subset, TensorDataset, random_split, stratified_split
from minitorch_np.utils.data.split import _allocate, dataset_targets


def _labelled(labels) -> TensorDataset:
    labels = np.asarray(labels, dtype=np.int64)
    return TensorDataset(torch.arange(len(labels)), torch.from_numpy(labels))


def _check_partition(parts, n):
    everything = [i for p in parts for i in p.indices]
    assert sorted(everything) == list(range(n))


# -- random_split ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n, lengths, sizes", [
    (10, [3, 7], [3, 7]),
    (10, [0.5, 0.5], [5, 5]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),   # floors 3, 3, 3; the remainder goes to the first
    (11, [0.25, 0.25, 0.5], [3, 3, 5]),    # floors 2, 2, 5; then +1 to parts 0 and 1
    (5, [1.0], [5]),
])
def test_random_split_lengths(n, lengths, sizes):
    parts = random_split(range(n), lengths, generator=Generator().manual_seed(0))
    assert [len(p) for p in parts] == sizes
    _check_partition(parts, n)


def test_random_split_is_seeded():
    a = random_split(range(20), [0.5, 0.5], generator=Generator().manual_seed(4))
    b = random_split(range(20), [0.5, 0.5], generator=Generator().manual_seed(4))
    c = random_split(range(20), [0.5, 0.5], generator=Generator().manual_seed(5))
    assert [p.indices for p in a] == [p.indices for p in b] != [p.indices for p in c]
    torch.manual_seed(1)
    d = random_split(range(20), [10, 10])
    torch.manual_seed(1)
    assert [p.indices for p in random_split(range(20), [10, 10])] == [p.indices for p in d]


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        random_split(range(3), [0.9, 0.1])


# -- stratified_split -----------------------------------------------------------------------------
def _check_stratified(parts, labels, lengths):
    labels = np.asarray(labels)
    n = len(labels)
    _check_partition(parts, n)
    assert [len(p) for p in parts] == lengths
    classes, totals = np.unique(labels, return_counts=True)
    for part, length in zip(parts, lengths):
        part_labels = labels[np.asarray(part.indices, dtype=np.int64)]
        for c, total in zip(classes, totals):
            ideal = total * length / n
            got = int(np.sum(part_labels == c))
            assert np.floor(ideal) <= got <= np.ceil(ideal), (c, got, ideal)


@pytest.mark.filterwarnings("ignore:stratified_split. length of split at index")  # empty parts
@settings(max_examples=25, deadline=None)
@given(class_counts=st.lists(st.integers(0, 30), min_size=1, max_size=6),
       cuts=st.lists(st.floats(0, 1), min_size=0, max_size=3), seed=st.integers(0, 2 ** 32))
def test_stratified_split_keeps_every_class_proportion(class_counts, cuts, seed):
    labels = np.repeat(np.arange(len(class_counts)), class_counts)
    n = len(labels)
    bounds = sorted(int(round(c * n)) for c in cuts)
    lengths = list(np.diff([0, *bounds, n]).tolist())
    ds = _labelled(labels)
    parts = stratified_split(ds, lengths, generator=Generator().manual_seed(seed))
    _check_stratified(parts, labels, lengths)


def test_stratified_split_with_fractions_and_imbalanced_classes():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 15 + [3] * 5)
    rng = np.random.default_rng(0)
    labels = labels[rng.permutation(100)]
    parts = stratified_split(_labelled(labels), [0.7, 0.2, 0.1],
                             generator=Generator().manual_seed(42))
    _check_stratified(parts, labels, [70, 20, 10])
    counts = np.array([np.bincount(labels[p.indices], minlength=4) for p in parts])
    assert counts[:, 0].tolist() == [35, 10, 5] and counts[:, 1].tolist() == [21, 6, 3]
    assert counts[1, 2:].tolist() == [3, 1]  # exact shares; 10.5/1.5 and 3.5/0.5 round


def test_allocation_needs_an_augmenting_path():
    # the greedy pass (largest fractions first) leaves class 4 short; a path fixes it
    class_counts, lengths = np.array([11, 0, 5, 10, 9]), np.array([14, 3, 18])
    alloc = _allocate(class_counts, lengths)
    assert alloc.sum(axis=1).tolist() == class_counts.tolist()
    assert alloc.sum(axis=0).tolist() == lengths.tolist()
    ideal = class_counts[:, None] * lengths[None, :] / lengths.sum()
    assert np.all(alloc >= np.floor(ideal)) and np.all(alloc <= np.ceil(ideal))


def test_stratified_split_is_seeded_and_shuffles_inside_parts():
    labels = np.repeat(np.arange(4), 25)
    ds = _labelled(labels)
    a = stratified_split(ds, [0.8, 0.2], generator=Generator().manual_seed(0))
    b = stratified_split(ds, [0.8, 0.2], generator=Generator().manual_seed(0))
    c = stratified_split(ds, [0.8, 0.2], generator=Generator().manual_seed(1))
    assert [p.indices for p in a] == [p.indices for p in b]
    assert [sorted(p.indices) for p in a] != [sorted(p.indices) for p in c]
    first_labels = labels[a[0].indices]
    assert np.any(np.diff(first_labels) < 0)  # not grouped by class
    torch.manual_seed(9)
    d = stratified_split(ds, [0.5, 0.5])
    torch.manual_seed(9)
    assert [p.indices for p in stratified_split(ds, [0.5, 0.5])] == [p.indices for p in d]


def test_lecture_004_train_validation_test_split_of_mnist5k():
    ds = MNIST5k()
    train, val, test = stratified_split(ds, [0.7, 0.15, 0.15],
                                        generator=Generator().manual_seed(42))
    for part, per_class in ((train, 350), (val, 75), (test, 75)):
        counts = np.bincount(dataset_targets(part), minlength=10)
        assert counts.tolist() == [per_class] * 10
    # a representative subset of the training part, as the lecture takes for quick experiments
    subset, _ = stratified_split(train, [0.1, 0.9], generator=Generator().manual_seed(42))
    assert np.bincount(dataset_targets(subset)).tolist() == [35] * 10
    assert isinstance(subset.dataset, Subset)


def test_labels_from_every_kind_of_dataset():
    class Pairs(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return np.zeros(2), torch.tensor(i % 2)

    assert dataset_targets(Pairs()).tolist() == [0, 1, 0, 1, 0, 1]
    parts = stratified_split(Pairs(), [4, 2], generator=Generator().manual_seed(0))
    assert sorted(dataset_targets(parts[1]).tolist()) == [0, 1]
    explicit = stratified_split(range(6), [3, 3], targets=[0, 0, 0, 1, 1, 1],
                                generator=Generator().manual_seed(0))
    labels_of_parts = [sorted(np.array([0, 0, 0, 1, 1, 1])[p.indices].tolist())
                       for p in explicit]
    assert sorted(labels_of_parts) == [[0, 0, 1], [0, 1, 1]]
    with pytest.raises(ValueError, match="one label per sample"):
        stratified_split(range(3), [2, 1], targets=[0, 1])
    with pytest.raises(ValueError, match="no labels"):
        stratified_split(TensorDataset(torch.zeros(4)), [2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stratified_split(_labelled([0, 1]), [1, 1])
