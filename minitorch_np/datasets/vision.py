"""The base of the image-classification datasets: images and labels held as host arrays.

Every dataset here keeps its images as one uint8 NumPy array, ``(N, H, W)`` for grey images or
``(N, H, W, C)`` for colour, and its labels as one int64 array. ``dataset[i]`` is
``(image, label)``: the image a copy of one ``(H, W[, C])`` array, the label a Python int, each
passed through ``transform`` / ``target_transform`` when given (torchvision's contract, with a
NumPy array standing where torchvision has a PIL image).
"""
from __future__ import annotations

import os

import numpy as np

from .._creation import as_tensor
from ..utils.data import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """Images and labels in memory, with optional transforms.

    Subclasses fill ``self._images`` (uint8, ``(N, H, W[, C])``) and ``self._labels`` (int64,
    ``(N,)``) and set ``classes``.
    """

    classes: list[str] = []

    def __init__(self, root=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform
        self._images = np.zeros((0, 1, 1), dtype=np.uint8)
        self._labels = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int):
        image = self._images[int(index)].copy()  # a transform may write into it
        target = int(self._labels[int(index)])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _collated_batch(self, indices: np.ndarray):
        """Without transforms, ``default_collate`` of the samples is just the two arrays indexed
        at once: a uint8 batch of images and an int64 batch of labels."""
        if self.transform is not None or self.target_transform is not None:
            return NotImplemented
        return [as_tensor(self._images[indices]), as_tensor(self._labels[indices])]

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _set_images(self, images, op: str) -> None:
        images = _host(images)
        if images.ndim not in (3, 4):
            raise ValueError(f"{op}: expected images of shape (N, H, W) or (N, H, W, C), got "
                             f"{images.shape}")
        self._images = images

    def _set_labels(self, labels, op: str) -> None:
        labels = _host(labels).astype(np.int64, copy=False).reshape(-1)
        self._labels = labels

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines += _indent_block("Transform: ", repr(self.transform))
        if self.target_transform is not None:
            lines += _indent_block("Target transform: ", repr(self.target_transform))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


def _indent_block(head: str, text: str) -> list[str]:
    first, *rest = text.splitlines()
    return [head + first] + [" " * len(head) + line for line in rest]


def _host(values) -> np.ndarray:
    """A host array from a Tensor, an array or a list."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        return values.detach().cpu().numpy()
    return np.asarray(values)
