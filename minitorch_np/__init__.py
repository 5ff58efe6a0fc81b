"""minitorch_np: a deep-learning framework written from scratch on NumPy, readable like a
textbook, with PyTorch's names and semantics (``import minitorch_np as torch``).

The layers, bottom-up: ``backends`` (NumPy, CuPy, a fake GPU for tests) → ``Tensor`` →
``autograd`` (Function, engine, gradcheck) → the differentiable ops in ``_functions``.
"""
from __future__ import annotations

from . import _dtype
from ._dtype import (bool, double, dtype, float, float16, float32, float64, get_default_dtype,  # noqa: A004
                     half, int, int8, int16, int32, int64, long, promote_types,
                     set_default_dtype, short, uint8)
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._tensor import Size, Tensor
from .backends import device
from . import autograd  # noqa: E402  (after Tensor: autograd builds on it)
from ._creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                        initial_seed, linspace, manual_seed, ones, ones_like, rand, rand_like,
                        randint, randint_like, randn, randn_like, randperm, seed, tensor, zeros,
                        zeros_like)
from ._functions.elementwise import (abs, add, clamp, clip, cos, div, eq, exp, floor_divide, ge,
                                     gt, isfinite, isinf, isnan, le, log, logical_and,
                                     logical_not, logical_or, logical_xor, lt, maximum, minimum,
                                     mul, ne, neg, pow, relu, remainder, rsqrt, sigmoid, sign,
                                     sin, sqrt, square, sub, tanh, true_divide, where)
from ._functions.indexing import gather, index_select, masked_fill, take_along_dim
from ._functions.inplace import _foreach_add_
from ._functions.linalg import bmm, dot, matmul, mm, mv, outer
from ._functions.reduction import (all, amax, amin, any, argmax, argmin, logsumexp, max, mean,
                                   median, min, norm, prod, softmax, log_softmax, std, sum, var)
from ._functions.shape import (broadcast_to, cat, chunk, clone, concat, concatenate, flatten,
                               movedim, narrow, permute, reshape, split, squeeze, stack,
                               swapaxes, swapdims, t, transpose, unbind, unflatten, unsqueeze)
from ._functions.activation import erf
from . import cuda  # noqa: E402
from ._random_generator import Generator  # noqa: E402
from . import models, nn, optim, training, utils  # noqa: E402  (built on the Tensor API above)
from .autograd import Variable  # noqa: E402
from .autograd.anomaly import is_check_nan_enabled as is_anomaly_check_nan_enabled  # noqa: E402
from .autograd.anomaly import is_enabled as is_anomaly_enabled  # noqa: E402

multiply, subtract, divide, negative = mul, sub, div, neg

__version__ = "0.1.0"


def result_type(tensor1, tensor2):
    """The dtype an op on these two operands produces (PyTorch's promotion rules)."""
    return _dtype.result_type(tensor1, tensor2)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def save(obj, f) -> None:
    """Write tensors (or nested dicts/lists of them and numbers) to `f`, atomically, no pickle."""
    from .serialization import save as _save
    _save(obj, f)


def load(f, map_location=None, weights_only: bool = True):
    """Read what `save` wrote; loading never runs code."""
    from .serialization import load as _load
    return _load(f, map_location=map_location)
