"""CIFAR-10 from its "python version" batches, read with a restricted unpickler.

``cifar-10-batches-py/data_batch_1`` ... ``data_batch_5`` and ``test_batch`` are pickled dicts
(Python 2, protocol 2): ``data`` a uint8 array (10000, 3072) — each row the 1024 red, then 1024
green, then 1024 blue values of a 32×32 image —, ``labels`` a list of ints 0-9, ``batch_label``
and ``filenames`` strings; ``batches.meta`` holds ``label_names``.

Unpickling can run arbitrary code: a pickle names functions (``os.system``...) that the loader
imports and calls. ``_RestrictedUnpickler`` resolves only the few NumPy functions that rebuild
an array (``_reconstruct``, ``ndarray``, ``dtype``, ``scalar``, ``_frombuffer``) and latin-1
byte strings (``_codecs.encode``); any other name is refused before anything runs, and object
dtypes are refused too. The result must then be dicts, lists, strings, numbers and numeric
arrays, of the shapes above: loading a file never runs code.
"""
from __future__ import annotations

import codecs
import importlib
import os
import pickle

import numpy as np

from .download import check_integrity, download_from_mirrors, extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "load_pickle"]


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asked for something other than arrays, lists, strings and numbers."""


def _numpy_attr(modules: tuple[str, ...], name: str):
    for module in modules:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise UnsafePickleError(f"this NumPy version has no {name} to rebuild arrays with")


def _safe_dtype(*args, **kwargs) -> np.dtype:
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise UnsafePickleError("refusing an array of Python objects (object dtype) in a pickle")
    return dtype


def _latin1_encode(text, encoding="latin1", errors="strict"):
    """Python 3 pickles bytes at protocol 2 as ``_codecs.encode(str, 'latin1')``."""
    if codecs.lookup(encoding).name != "iso8859-1" or not isinstance(text, str):
        raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1", errors)


_MULTIARRAY = ("numpy._core.multiarray", "numpy.core.multiarray")
_NUMERIC = ("numpy._core.numeric", "numpy.core.numeric")
# (module, name) as written in the pickle -> where to find the safe object, or the object
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): (_MULTIARRAY, "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): (_MULTIARRAY, "_reconstruct"),
    ("numpy.core.multiarray", "scalar"): (_MULTIARRAY, "scalar"),
    ("numpy._core.multiarray", "scalar"): (_MULTIARRAY, "scalar"),
    ("numpy.core.numeric", "_frombuffer"): (_NUMERIC, "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"): (_NUMERIC, "_frombuffer"),
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _safe_dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        target = _ALLOWED.get((module, name))
        if target is None:
            raise UnsafePickleError(
                f"refusing to load '{module}.{name}': only NumPy arrays, lists, strings and "
                f"numbers may appear in a dataset pickle (this file is not an official "
                f"CIFAR-10 batch, or it was tampered with); nothing was executed")
        return _numpy_attr(*target) if isinstance(target, tuple) else target


def _check_plain(obj, path: str, depth: int = 0) -> None:
    """The unpickled object holds only plain data: dicts, lists, tuples, str, bytes, numbers,
    numeric arrays."""
    if depth > 8:
        raise RuntimeError(f"{path}: nested too deeply for a CIFAR-10 batch")
    if isinstance(obj, dict):
        for key, value in obj.items():
            _check_plain(key, path, depth + 1)
            _check_plain(value, path, depth + 1)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _check_plain(value, path, depth + 1)
    elif isinstance(obj, np.ndarray | np.generic):
        if obj.dtype.hasobject:
            raise UnsafePickleError(f"{path}: refusing an array of Python objects")
    elif not isinstance(obj, str | bytes | int | float | bool) and obj is not None:
        raise UnsafePickleError(f"{path}: unexpected {type(obj).__name__} in a dataset pickle")


def load_pickle(path) -> dict:
    """Unpickle a CIFAR batch with the restricted unpickler; keys are returned as str.

    Raises ``UnsafePickleError`` (a ``pickle.UnpicklingError``) for anything but plain data, and
    ``RuntimeError`` naming the file for a truncated or malformed one.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            obj = _RestrictedUnpickler(f, encoding="latin1").load()
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{path}: {error}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            AttributeError, KeyError) as error:
        raise RuntimeError(f"cannot read {path}: {type(error).__name__}: {error} (the file is "
                           f"truncated, corrupted, or not a CIFAR-10 python batch)") from error
    _check_plain(obj, path)
    if not isinstance(obj, dict):
        raise RuntimeError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32×32, in 10 classes.

    Args:
        root: the directory holding ``cifar-10-batches-py/`` (torchvision's layout).
        train: the five training batches, or the test batch.
        transform: applied to each image, a uint8 ``(32, 32, 3)`` array (HWC, RGB).
        target_transform: applied to each label, an int.
        download: fetch ``cifar-10-python.tar.gz`` from ``mirrors`` (checked against its
            official MD5) and extract it, unless the batches are already there.

    As in torchvision, ``data`` is a uint8 array ``(N, 32, 32, 3)`` and ``targets`` a list of
    ints. Lecture 004 explores it: ``datasets.describe(CIFAR10(root))``.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        folder = os.path.join(self.root, self.base_folder)
        files = [name for name, _ in (self.train_list if train else self.test_list)]
        missing = [f for f in files if not os.path.isfile(os.path.join(folder, f))]
        if missing:
            raise RuntimeError(f"Dataset not found: CIFAR10 expects {', '.join(missing)} in "
                               f"{folder}. You can use download=True to download it")
        images, labels = [], []
        for name in files:
            batch_images, batch_labels = self._read_batch(os.path.join(folder, name))
            images.append(batch_images)
            labels.append(batch_labels)
        self._images = np.concatenate(images)
        self._labels = np.concatenate(labels)
        meta_path = os.path.join(folder, self.meta["filename"])
        if os.path.isfile(meta_path):
            names = load_pickle(meta_path).get(self.meta["key"])
            if not isinstance(names, list) or len(names) != 10:
                raise RuntimeError(f"{meta_path}: expected a list of 10 {self.meta['key']}")
            self.classes = [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]

    def _read_batch(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        entry = load_pickle(path)
        data = entry.get("data")
        labels = entry.get("labels", entry.get("fine_labels"))
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            shape = getattr(data, "shape", None)
            raise RuntimeError(f"{path}: expected 'data' to be a uint8 array of shape (N, 3072), "
                               f"got {type(data).__name__} {getattr(data, 'dtype', '')} {shape}")
        try:
            labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        except (TypeError, ValueError):
            raise RuntimeError(f"{path}: expected 'labels' to be a list of ints") from None
        if len(labels) != len(data):
            raise RuntimeError(f"{path}: {len(data)} images but {len(labels)} labels")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise RuntimeError(f"{path}: labels must be in 0..9, found {labels.min()}.."
                               f"{labels.max()}")
        # each row is the red plane, then green, then blue: (N, 3, 32, 32) -> HWC
        images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        return images, labels

    def _check_integrity(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(check_integrity(os.path.join(folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        """Fetch and extract the archive unless every batch is present with its official MD5."""
        if self._check_integrity():
            return
        archive = download_from_mirrors(self.filename, self.mirrors, self.root, self.tgz_md5)
        extract_archive(archive, self.root)

    @property
    def data(self) -> np.ndarray:
        return self._images

    @data.setter
    def data(self, value) -> None:
        self._set_images(value, "CIFAR10.data")

    @property
    def targets(self) -> list[int]:
        return self._labels.tolist()

    @targets.setter
    def targets(self, value) -> None:
        self._set_labels(value, "CIFAR10.targets")

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
