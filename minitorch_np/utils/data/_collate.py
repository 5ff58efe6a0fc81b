"""``default_collate``: a list of samples → one mini-batch; ``default_convert`` for one sample.

The rules are PyTorch's:

====================================  ==============================================
each sample is                        the batch is
====================================  ==============================================
a Tensor of shape S                   ``stack`` → a Tensor of shape (B, *S)
a NumPy array of shape S              stacked → a Tensor of shape (B, *S), same dtype
a NumPy scalar                        a Tensor of its dtype, shape (B,)
a Python int (bool) / float           an int64 (bool) / float64 Tensor, shape (B,)
a str or bytes                        the list of them
a dict                                a dict of collated values, key by key
a tuple / list of fields              a list of collated fields (a namedtuple stays one)
====================================  ==============================================

Python floats become float64, as in PyTorch (targets of a regression often want ``.float()``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..._creation import as_tensor, tensor
from ..._dtype import float64
from ..._functions.shape import stack
from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NOT_NUMBERS = "SUaO"  # NumPy dtype kinds that cannot become tensors: strings, objects


def _err(found) -> TypeError:
    return TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                     f"or lists; found {found}")


def default_collate(batch):
    """Stack a list of samples into a batch, field by field (see the module's table)."""
    if not isinstance(batch, Sequence) or isinstance(batch, str | bytes):
        raise TypeError(f"default_collate: expected a list of samples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty list of samples")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _NOT_NUMBERS:
            raise _err(elem.dtype)
        shapes = {b.shape for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, but "
                               f"got shapes {sorted(shapes)} in one batch")
        return as_tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in _NOT_NUMBERS:
            raise _err(elem.dtype)
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):  # bool included: a list of bools becomes a bool tensor
        return tensor(batch)
    if isinstance(elem, str | bytes):
        return list(batch)
    if isinstance(elem, Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:  # a Mapping that cannot be built from a dict
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal "
                               "size")
        fields = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # a list, as in PyTorch
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise _err(type(elem))


def default_convert(data):
    """One sample to tensors without batching (``DataLoader(batch_size=None)``): NumPy arrays
    and scalars become tensors; containers are converted element by element."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in _NOT_NUMBERS else as_tensor(data)
    if isinstance(data, np.generic):
        return data if data.dtype.kind in _NOT_NUMBERS else as_tensor(data)
    if isinstance(data, Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
