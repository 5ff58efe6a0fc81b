"""DataLoader, samplers and default_collate: every sample once per epoch, seeded shuffling that
changes between epochs, drop_last sizes, the vectorised TensorDataset path, collate rules."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np._random_generator import Generator
from minitorch_np.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
)


def _index_dataset(n: int, device="cpu") -> TensorDataset:
    """Sample i is (i as a float feature row, i as the label): batches reveal the indices."""
    return TensorDataset(torch.arange(n, device=device).float().reshape(n, 1),
                         torch.arange(n, device=device))


def _epoch(loader) -> list[list[int]]:
    return [to_host(y).tolist() for _, y in loader]


# -- one epoch: every sample exactly once ------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), shuffle=st.booleans(),
       drop_last=st.booleans())
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, drop_last):
    loader = DataLoader(_index_dataset(n), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last)
    batches = _epoch(loader)
    seen = [i for b in batches for i in b]
    assert len(seen) == len(set(seen))  # no sample twice
    if drop_last:
        assert all(len(b) == batch_size for b in batches)
        assert len(seen) == (n // batch_size) * batch_size
    else:
        assert sorted(seen) == list(range(n))
        assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        assert len(batches[-1]) == n - batch_size * (len(batches) - 1)
    assert len(loader) == len(batches)
    if not shuffle:
        assert seen == list(range(len(seen)))


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, True, [3, 3, 3]),
    (2, 5, True, []), (2, 5, False, [2]), (1, 1, False, [1])])
def test_drop_last_batch_sizes(n, batch_size, drop_last, sizes):
    loader = DataLoader(_index_dataset(n), batch_size=batch_size, drop_last=drop_last)
    assert [len(b) for b in _epoch(loader)] == sizes
    assert len(loader) == len(sizes)


# -- shuffling ---------------------------------------------------------------------------------
def test_shuffling_differs_between_epochs_and_is_reproducible_with_manual_seed():
    loader = DataLoader(_index_dataset(50), batch_size=50, shuffle=True)
    torch.manual_seed(3)
    first, second = _epoch(loader)[0], _epoch(loader)[0]
    assert first != second  # a new permutation every epoch
    assert sorted(first) == sorted(second) == list(range(50))
    torch.manual_seed(3)
    assert _epoch(loader)[0] == first and _epoch(loader)[0] == second


def test_shuffling_with_a_generator_is_independent_of_the_global_seed():
    def epochs(seed, global_seed):
        torch.manual_seed(global_seed)
        g = Generator().manual_seed(seed)
        loader = DataLoader(_index_dataset(30), batch_size=7, shuffle=True, generator=g)
        return _epoch(loader), _epoch(loader)

    a = epochs(seed=1, global_seed=0)
    assert epochs(seed=1, global_seed=123) == a
    assert epochs(seed=2, global_seed=0) != a
    assert a[0] != a[1]


def test_generator_state_round_trip():
    g = Generator().manual_seed(7)
    state = g.get_state()
    first = list(RandomSampler(range(20), generator=g))
    g.set_state(state)
    assert list(RandomSampler(range(20), generator=g)) == first
    assert g.initial_seed() == 7
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(_index_dataset(3), shuffle=True, generator=np.random.default_rng(0))


def test_random_sampler_draws_at_the_first_next_not_at_iter():
    # as PyTorch's generator-based __iter__: iter() alone consumes no randomness
    g = Generator().manual_seed(3)
    state = g.get_state()
    it = iter(RandomSampler(range(6), generator=g))
    assert np.array_equal(g.get_state(), state)
    first = next(it)
    assert not np.array_equal(g.get_state(), state)
    g.set_state(state)
    assert [first, *it] == list(RandomSampler(range(6), generator=g))


def test_random_sampler_replacement_and_num_samples():
    g = Generator().manual_seed(0)
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=200, generator=g))
    assert len(drawn) == 200 and set(drawn) <= set(range(5)) and len(set(drawn)) == 5
    chained = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(chained) == 10
    assert sorted(chained[:4]) == sorted(chained[4:8]) == [0, 1, 2, 3]  # whole permutations
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(4), num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(range(4), replacement=1)


def test_subset_and_weighted_samplers():
    g = Generator().manual_seed(0)
    indices = [10, 20, 30, 40]
    assert sorted(SubsetRandomSampler(indices, generator=g)) == indices
    weights = [0.0, 1.0, 0.0, 3.0]
    drawn = list(WeightedRandomSampler(weights, 400, generator=g))
    assert set(drawn) == {1, 3}
    assert 0.65 < drawn.count(3) / 400 < 0.85  # P(3) = 0.75; 400 draws: sd ≈ 0.022
    no_repeat = list(WeightedRandomSampler([1, 1, 1, 0, 1], 4, replacement=False, generator=g))
    assert sorted(no_repeat) == [0, 1, 2, 4]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1, 0], 2, replacement=False)


def test_batch_sampler_and_custom_sampler():
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5],
                                                                        [6]]
    assert len(BatchSampler(range(7), 3, True)) == 2
    loader = DataLoader(_index_dataset(6), batch_size=2, sampler=[5, 3, 1])
    assert _epoch(loader) == [[5, 3], [1]]
    loader = DataLoader(_index_dataset(6), batch_sampler=[[0, 5], [2]])
    assert _epoch(loader) == [[0, 5], [2]]


# -- the vectorised TensorDataset path ----------------------------------------------------------
class _CountingTensorDataset(TensorDataset):
    calls = 0

    def __getitem__(self, index):
        type(self).calls += 1
        return super().__getitem__(index)


def test_tensor_dataset_batches_use_one_vectorised_index(device):
    x = torch.randn(23, 3, 4, device=device)
    y = torch.arange(23, device=device)
    ds = _CountingTensorDataset(x, y)
    _CountingTensorDataset.calls = 0
    fast = list(DataLoader(ds, batch_size=5, shuffle=True,
                           generator=Generator().manual_seed(1)))
    assert _CountingTensorDataset.calls == 0  # no per-sample __getitem__
    slow = list(DataLoader(ds, batch_size=5, shuffle=True, generator=Generator().manual_seed(1),
                           collate_fn=lambda samples: default_collate(samples)))
    assert _CountingTensorDataset.calls == 23
    assert len(fast) == len(slow) == 5
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert isinstance(xf, torch.Tensor) and xf.device == x.device
        assert xf.shape == xs.shape and xf.dtype == xs.dtype == torch.float32
        np.testing.assert_array_equal(to_host(xf), to_host(xs))
        np.testing.assert_array_equal(to_host(yf), to_host(ys))
        np.testing.assert_array_equal(to_host(xf), to_host(x)[to_host(yf)])


def test_subset_of_tensor_dataset_keeps_the_vectorised_path():
    ds = _CountingTensorDataset(torch.arange(10).float(), torch.arange(10))
    _CountingTensorDataset.calls = 0
    sub = Subset(ds, [9, 7, 5, 3])
    (xb, yb), = list(DataLoader(sub, batch_size=4))
    assert _CountingTensorDataset.calls == 0
    assert to_host(yb).tolist() == [9, 7, 5, 3]
    assert [int(v) for v in sub[1]] == [7, 7]


def test_tensor_dataset_validation():
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="from_numpy"):
        TensorDataset(np.zeros((3, 2)))


# -- loaders over hand-written datasets (lecture 004's debugging steps) -------------------------
class _LectureDataset(Dataset):
    """Lecture 004's ``Dataset``: images scaled and normalised, flattened, with long labels."""

    def __init__(self, X, stats, y=None, train=True):
        self.X, self.y, self.train = X, y, train
        self.mean, self.std = stats

    def __len__(self):
        return len(self.X)

    def __getitem__(self, ix):
        img = torch.from_numpy(self.X[ix] / 255.)
        img = (img - self.mean) / self.std
        img = img.view(-1).float()
        if self.train:
            return img, torch.tensor(self.y[ix]).long()
        return img


def test_fit_one_sample_and_one_batch_shapes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 20)
    one = _LectureDataset(images[:1], (0.47, 0.25), labels[:1])
    img, label = one[0]
    assert list(img.shape) == [3072] and list(label.shape) == []
    imgs, lbls = next(iter(DataLoader(one, shuffle=True, batch_size=3)))
    assert list(imgs.shape) == [1, 3072] and list(lbls.shape) == [1]
    batch = _LectureDataset(images[:16], (0.47, 0.25), labels[:16])
    imgs, lbls = next(iter(DataLoader(batch, shuffle=True, batch_size=16)))
    assert list(imgs.shape) == [16, 3072] and imgs.dtype == torch.float32
    assert sorted(to_host(lbls).tolist()) == sorted(labels[:16].tolist())
    test_only = _LectureDataset(images[:5], (0.47, 0.25), train=False)
    assert list(next(iter(DataLoader(test_only, batch_size=5))).shape) == [5, 3072]


def test_lecture_000_loader_arguments_are_accepted():
    loader = DataLoader(_index_dataset(8), batch_size=4, num_workers=4, shuffle=True,
                        pin_memory=torch.cuda.is_available())
    for _epoch_number in range(2):
        got = [i for _, target in iter(loader) for i in to_host(target).tolist()]
        assert sorted(got) == list(range(8))
    it = iter(loader)
    assert len(it) == 2


def test_no_auto_batching_and_iterable_dataset():
    loader = DataLoader(_index_dataset(3), batch_size=None)
    samples = list(loader)
    assert len(samples) == 3 and list(samples[0][0].shape) == [1]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    assert [to_host(b).tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2],
                                                                                 [3, 4, 5], [6]]
    assert len(DataLoader(Stream(), batch_size=3, drop_last=True)) == 2
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_concat_dataset_and_add():
    a, b = _index_dataset(3), _index_dataset(2)
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [int(both[i][1]) for i in range(5)] == [0, 1, 2, 0, 1]
    assert int(both[-1][1]) == 1
    with pytest.raises(IndexError):
        both[5]


@pytest.mark.parametrize("kwargs, match", [
    (dict(shuffle=True, sampler=[0, 1]), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=0), "batch_size should be a positive integer"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(drop_last="yes"), "drop_last should be a boolean"),
])
def test_loader_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(_index_dataset(4), **kwargs)


def test_loader_attributes_are_frozen_after_init():
    loader = DataLoader(_index_dataset(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.collate_fn = default_collate  # not frozen, as in PyTorch


# -- default_collate ----------------------------------------------------------------------------
def test_default_collate_rules():
    Point = namedtuple("Point", "x y")
    samples = [(np.full((2, 2), i, dtype=np.uint8), i, 0.5 * i, i % 2 == 0, f"s{i}",
                {"a": np.float32(i), "b": [i, -i]}, Point(i, 2 * i)) for i in range(3)]
    batch = default_collate(samples)
    assert isinstance(batch, list) and len(batch) == 7  # tuples collate to a list (PyTorch)
    images, ints, floats, bools, strings, mapping, point = batch
    assert images.dtype == torch.uint8 and list(images.shape) == [3, 2, 2]
    assert to_host(images)[:, 0, 0].tolist() == [0, 1, 2]
    assert ints.dtype == torch.int64 and to_host(ints).tolist() == [0, 1, 2]
    assert floats.dtype == torch.float64 and to_host(floats).tolist() == [0.0, 0.5, 1.0]
    assert bools.dtype == torch.bool and to_host(bools).tolist() == [True, False, True]
    assert strings == ["s0", "s1", "s2"]
    assert mapping["a"].dtype == torch.float32
    assert [to_host(t).tolist() for t in mapping["b"]] == [[0, 1, 2], [0, -1, -2]]
    assert isinstance(point, Point) and to_host(point.y).tolist() == [0, 2, 4]


def test_default_collate_stacks_tensors_and_rejects_ragged(device):
    ts = [torch.full((2,), float(i), device=device) for i in range(3)]
    out = default_collate(ts)
    assert list(out.shape) == [3, 2] and out.device == ts[0].device
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
