"""MNIST and Fashion-MNIST from their IDX files.

The IDX format (Y. LeCun's MNIST page) is a big-endian header and the raw values:

=========  =========================================================================
bytes      meaning
=========  =========================================================================
0-1        zero
2          element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
           0x0E float64
3          number of dimensions d
4..4+4d    each dimension's size, a big-endian uint32
then       prod(sizes) elements, big-endian, row-major
=========  =========================================================================

MNIST's images file is ``00 00 08 03 | N | 28 | 28`` then ``N·784`` bytes (magic number 2051),
its labels file ``00 00 08 01 | N`` then ``N`` bytes (magic number 2049). ``read_idx`` checks
the magic, the type code, the dimensions and the file's exact size, and reads gzipped files
(``.gz``) directly.

Files are looked up in torchvision's layout: ``root/MNIST/raw/train-images-idx3-ubyte`` (or
``.gz``), ``root/FashionMNIST/raw/...``.
"""
from __future__ import annotations

import gzip
import os
import warnings
import zlib

import numpy as np

from .._creation import from_numpy
from .download import check_integrity, download_from_mirrors
from .vision import VisionDataset

__all__ = ["read_idx", "MNIST", "FashionMNIST"]

_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file `path` (gzipped when its name ends in ``.gz``), in
    native byte order. Raises ``RuntimeError`` naming the file for anything malformed."""
    path = os.fspath(path)
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise RuntimeError(f"cannot read IDX file {path}: {error}") from error
    if len(raw) < 4:
        raise RuntimeError(f"{path} is not an IDX file: only {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file: its magic number starts with "
                           f"{raw[0]:#04x} {raw[1]:#04x}, expected 0x00 0x00")
    dtype = _IDX_TYPES.get(raw[2])
    if dtype is None:
        raise RuntimeError(f"{path}: unknown IDX element type code {raw[2]:#04x} (expected one of "
                           f"{', '.join(f'{c:#04x}' for c in _IDX_TYPES)})")
    ndim = raw[3]
    if ndim == 0:
        raise RuntimeError(f"{path}: IDX header has 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header ({len(raw)} bytes, the header of a "
                           f"{ndim}-d array takes {header})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise RuntimeError(f"{path}: file size {len(raw)} bytes does not match its IDX header "
                           f"(shape {shape} of {dtype.newbyteorder('=')} needs {expected} bytes): "
                           f"the file is truncated or corrupted")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


class TensorViews:
    """torchvision's MNIST-family attributes: ``data`` (uint8 ``(N, H, W)``) and ``targets``
    (int64 ``(N,)``) as CPU tensors sharing memory with the stored arrays (assigning to them
    replaces the arrays), and the legacy names ``train_data``, ``train_labels``, ... ."""

    @property
    def data(self):
        return from_numpy(self._images)

    @data.setter
    def data(self, value) -> None:
        self._set_images(value, f"{type(self).__name__}.data")

    @property
    def targets(self):
        return from_numpy(self._labels)

    @targets.setter
    def targets(self, value) -> None:
        self._set_labels(value, f"{type(self).__name__}.targets")

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets


class MNIST(TensorViews, VisionDataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images, 28×28, grey).

    Args:
        root: the directory holding ``MNIST/raw/`` (torchvision's layout).
        train: the training set (``train-*``) or the test set (``t10k-*``).
        transform: applied to each image, a uint8 ``(28, 28)`` array.
        target_transform: applied to each label, an int.
        download: fetch the four ``.gz`` files from ``mirrors`` (checked against their official
            MD5) if they are not there yet.

    ``data`` (uint8, ``(N, 28, 28)``) and ``targets`` (int64, ``(N,)``) are CPU tensors, as in
    torchvision (lecture 000: ``train_set.train_data.view(-1, 1, 28, 28).float()``).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images_path = self._find(f"{prefix}-images-idx3-ubyte")
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise RuntimeError(f"{images_path}: expected uint8 images of shape (N, H, W), got "
                               f"{images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise RuntimeError(f"{labels_path}: expected uint8 labels of shape (N,), got "
                               f"{labels.dtype} {labels.shape}")
        if len(images) != len(labels):
            raise RuntimeError(f"{images_path} holds {len(images)} images but {labels_path} "
                               f"holds {len(labels)} labels")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise RuntimeError(f"{labels_path}: label {int(labels.max())} out of range for "
                               f"{len(self.classes)} classes")
        self._images, self._labels = images, labels.astype(np.int64)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, name: str) -> str:
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        raise RuntimeError(f"Dataset not found: {type(self).__name__} expects "
                           f"{os.path.join(self.raw_folder, name)}[.gz]. You can use "
                           f"download=True to download it")

    def _check_exists(self) -> bool:
        def present(name: str) -> bool:
            return any(os.path.isfile(os.path.join(self.raw_folder, name + ext))
                       for ext in ("", ".gz"))
        return all(present(f.removesuffix(".gz")) for f, _ in self.resources)

    def download(self) -> None:
        """Fetch the missing files into ``raw_folder`` (kept gzipped; ``read_idx`` reads them)."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if not check_integrity(os.path.join(self.raw_folder, filename), md5):
                download_from_mirrors(filename, self.mirrors, self.raw_folder, md5)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same format and layout as ``MNIST`` (``root/FashionMNIST/
    raw/``), 28×28 grey images of ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
