"""``describe(dataset)``: the data exploration of lecture 004 (*Training Neural Networks*).

Before training, look at the data: number of samples, classes and their distribution, image
shape (channels, resolution), data type, min/max, and per-channel mean/std (the numbers that
go into ``transforms.Normalize``). For CIFAR-10's training set the lecture lists::

    Train/Test samples: 50000/10000        Image shape: 32 x 32 x 3 (RGB)
    Data type: uint8 (0-255)               Balanced: 5000 samples per class
    mean [0.49139968, 0.48215841, 0.44653091], std [0.24703223, 0.24348513, 0.26158784]

The statistics are those of the stored images, before any transform, computed vectorised over
the dataset's arrays when it has them (``.data``, a ``TensorDataset``'s first tensor, through
``Subset``); otherwise by reading every sample. Means and standard deviations of uint8 images
are given on the [0, 1] scale (÷255, what ``ToTensor`` produces), and on the stored scale as
``raw_mean`` / ``raw_std``; the std is the population one (``ddof=0``) over all pixels of all
images, per channel.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..utils.data import ConcatDataset, Subset, TensorDataset
from ..utils.data.split import dataset_targets

__all__ = ["describe"]

_CHUNK = 2048  # images per step of the running sums (bounded memory)


def _images_of(dataset) -> tuple[np.ndarray, str]:
    """All images as one host array and its layout: 'hwc' (datasets' NumPy images: (N, H, W) or
    (N, H, W, C)) or 'chw' (tensors: (N, C, H, W), (N, H, W) or (N, D))."""
    if isinstance(dataset, Subset):
        images, layout = _images_of(dataset.dataset)
        return images[dataset._index_array], layout
    if isinstance(dataset, ConcatDataset):
        parts = [_images_of(d) for d in dataset.datasets]
        return np.concatenate([p[0] for p in parts]), parts[0][1]
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0].detach().cpu().numpy(), "chw"
    data = getattr(dataset, "_images", None)
    if isinstance(data, np.ndarray):
        return data, "hwc"
    data = getattr(dataset, "data", None)
    if isinstance(data, Tensor):
        return data.detach().cpu().numpy(), "hwc"
    if isinstance(data, np.ndarray):
        return data, "hwc"
    samples = [dataset[i] for i in range(len(dataset))]
    images = [s[0] if isinstance(s, tuple | list) else s for s in samples]
    if isinstance(images[0], Tensor):
        return np.stack([im.detach().cpu().numpy() for im in images]), "chw"
    return np.stack([np.asarray(im) for im in images]), "hwc"


def _channel_axis(images: np.ndarray, layout: str) -> int | None:
    """The channel axis of a batch of images: last for HWC colour images, 1 for CHW tensors;
    None (one channel) for grey (N, H, W) and flat (N, D) data."""
    if images.ndim == 4:
        return 3 if layout == "hwc" else 1
    return None


def _channel_stats(images: np.ndarray, axis: int | None):
    """Per-channel mean and population std, exact for integer images (int64 running sums of the
    values and their squares), two-pass in float64 for float images; in chunks of images."""
    if axis is None:
        images = images.reshape(len(images), -1, 1)
    else:
        images = np.moveaxis(images, axis, -1).reshape(len(images), -1, images.shape[axis])
    channels = images.shape[-1]
    count = images.shape[0] * images.shape[1]
    if images.dtype.kind in "iub":
        s1 = np.zeros(channels, dtype=np.int64)
        s2 = np.zeros(channels, dtype=np.int64)
        for start in range(0, len(images), _CHUNK):
            chunk = images[start:start + _CHUNK].astype(np.int64)
            s1 += chunk.sum(axis=(0, 1))
            s2 += (chunk * chunk).sum(axis=(0, 1))
        mean = s1 / count
        var = (s2 - s1.astype(np.float64) * s1 / count) / count  # both terms exact up to 2**53
        return mean, np.sqrt(np.maximum(var, 0.0))
    s1 = np.zeros(channels, dtype=np.float64)
    for start in range(0, len(images), _CHUNK):
        s1 += images[start:start + _CHUNK].sum(axis=(0, 1), dtype=np.float64)
    mean = s1 / count
    s2 = np.zeros(channels, dtype=np.float64)
    for start in range(0, len(images), _CHUNK):
        d = images[start:start + _CHUNK].astype(np.float64) - mean
        s2 += (d * d).sum(axis=(0, 1))
    return mean, np.sqrt(s2 / count)


def describe(dataset, *, verbose: bool = True) -> dict:
    """Print (unless ``verbose=False``) and return the statistics of an image-classification
    dataset.

    Returns a dict with ``name``, ``num_samples``, ``shape`` (of one image), ``layout``,
    ``dtype``, ``min``, ``max``, ``mean`` / ``std`` (per channel, on the [0, 1] scale for uint8
    images), ``raw_mean`` / ``raw_std`` (per channel, stored scale), ``classes`` (names or None),
    ``num_classes`` and ``class_counts`` (label → count).

    Example (lecture 004)::

        >>> stats = describe(datasets.CIFAR10('data', train=True))
        >>> transforms.Normalize(stats['mean'], stats['std'])
    """
    n = len(dataset)
    if n == 0:
        raise ValueError("describe: the dataset is empty")
    images, layout = _images_of(dataset)
    axis = _channel_axis(images, layout)
    raw_mean, raw_std = _channel_stats(images, axis)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    try:
        labels = dataset_targets(dataset)
    except (ValueError, TypeError):
        labels = None
    classes = _classes_of(dataset)
    counts = None
    if labels is not None:
        values, occurrences = np.unique(labels, return_counts=True)
        counts = {v.item(): int(c) for v, c in zip(values, occurrences)}
    stats = {
        "name": type(_root_dataset(dataset)).__name__,
        "num_samples": n,
        "shape": tuple(images.shape[1:]),
        "layout": {4: layout.upper(), 3: "HW"}.get(images.ndim, "flat"),
        "dtype": str(images.dtype),
        "min": images.min().item(),
        "max": images.max().item(),
        "mean": [float(m) for m in raw_mean / scale],
        "std": [float(s) for s in raw_std / scale],
        "raw_mean": [float(m) for m in raw_mean],
        "raw_std": [float(s) for s in raw_std],
        "classes": classes,
        "num_classes": len(counts) if counts is not None else None,
        "class_counts": counts,
    }
    if verbose:
        print(_table(stats))
    return stats


def _root_dataset(dataset):
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return dataset


def _classes_of(dataset) -> list[str] | None:
    root = _root_dataset(dataset)
    if isinstance(root, ConcatDataset):
        root = root.datasets[0]
    classes = getattr(root, "classes", None)
    return list(classes) if classes else None


def _table(stats: dict) -> str:
    def numbers(values):
        return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"

    rows = [("samples", str(stats["num_samples"])),
            ("image shape", " x ".join(map(str, stats["shape"])) + f" ({stats['layout']})"),
            ("dtype", stats["dtype"]),
            ("min / max", f"{stats['min']} / {stats['max']}"),
            ("mean" + (" (0-1)" if stats["dtype"] == "uint8" else ""), numbers(stats["mean"])),
            ("std" + (" (0-1)" if stats["dtype"] == "uint8" else ""), numbers(stats["std"]))]
    if stats["dtype"] == "uint8":
        rows += [("mean (0-255)", numbers(stats["raw_mean"])),
                 ("std (0-255)", numbers(stats["raw_std"]))]
    width = max(len(r[0]) for r in rows)
    lines = [f"Dataset {stats['name']}"] + [f"  {k:<{width}}  {v}" for k, v in rows]
    counts = stats["class_counts"]
    if counts is not None:
        classes = stats["classes"]
        lines.append(f"  classes ({stats['num_classes']}):")
        for label, c in counts.items():
            name = classes[label] if classes and isinstance(label, int) and \
                0 <= label < len(classes) else ""
            share = 100 * c / stats["num_samples"]
            lines.append(f"    {label!s:>4} {name:<14} {c:>7}  ({share:.1f}%)")
    return "\n".join(lines)
