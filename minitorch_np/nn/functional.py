"""``minitorch_np.nn.functional`` (imported as ``F``): every layer and loss as a function.

A layer object (``nn.Linear``) owns its parameters and calls one of these functions in its
``forward``; the function takes the parameters as arguments (``F.linear(x, weight, bias)``).
The differentiable building blocks live, with their forward and backward side by side, in
``minitorch_np/_functions/`` (``activation.py``, ``dropout.py``, ``loss.py``, ...) and are
re-exported here by topic. The few functions defined in this file are short compositions of
existing differentiable ops (so autograd derives their gradients of any order).
"""
from __future__ import annotations

from .._creation import full, tensor
from .._dtype import int64
from .._functions.activation import (elu, elu_, gelu, leaky_relu, leaky_relu_, log_softmax,
                                     relu, relu_, sigmoid, softmax, softplus, tanh)
from .._functions.dropout import dropout
from .._functions.elementwise import where
from .._functions.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                               cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss,
                               smooth_l1_loss)
from .._functions.linalg import Linear
from .._functions.operands import device_guard, tensor_arg
from .._functions.shape import cat
from .._tensor import Tensor, _wrap_dim

__all__ = [
    "linear", "embedding", "one_hot", "pad", "normalize",
    "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "sigmoid", "tanh",
    "softplus", "softmax", "log_softmax",
    "dropout",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]


# -- linear and embedding -----------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b for x of shape (*, in_features), W of shape (out_features, in_features).

    Lecture 000 ("Batch processing") derives its backward: ∂L/∂x = ∂L/∂y · W,
    ∂L/∂W = (∂L/∂y)ᵀ · x, ∂L/∂b = Σₙ ∂L/∂yₙ — the matrix products of ``matmul``'s backward.
    """
    x = tensor_arg("linear", input)
    w = tensor_arg("linear", weight, "weight")
    xs, ws = x._data.shape, w._data.shape
    if len(ws) not in (1, 2):
        raise RuntimeError(f"linear: weight must be 1-D or 2-D, got shape {list(ws)}")
    if not xs or xs[-1] != ws[-1]:
        raise RuntimeError(f"linear: input of shape {list(xs)} cannot be multiplied with "
                           f"weight of shape {list(ws)} (expected the last dimension of "
                           f"input to be in_features = {ws[-1]})")
    b = None if bias is None else tensor_arg("linear", bias, "bias")
    if (len(ws) == 2 and x._data.dtype == w._data.dtype and x._device is w._device
            and (b is None or (b._data.shape == ws[:1]
                               and b._data.dtype == x._data.dtype and b._device is x._device))):
        return Linear.apply(x, w, b)  # the usual case, as one node
    # anything else (a 1-D weight, a broadcast bias, mixed dtypes or devices) is composed,
    # so that matmul and add check it and raise their errors
    out = x @ (w.mT if w.ndim == 2 else w)
    if b is not None:
        if b._data.dtype != out._data.dtype:
            raise RuntimeError(f"linear: expected the bias to have the input's dtype, got a "
                               f"{b.dtype} bias for a {out.dtype} input")
        out = out + b
    return out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` picked by the integer indices in `input`: ``weight[input]``.

    The gradient of a row is the sum of the gradients of every position that used it
    (accumulated, not overwritten, for repeated indices). The row at `padding_idx` gets no
    gradient; with `max_norm`, the used rows are first rescaled in place to norms ≤ max_norm;
    `scale_grad_by_freq` divides each row's gradient by its count in the batch.
    """
    idx = tensor_arg("embedding", input)
    w = tensor_arg("embedding", weight, "weight")
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected indices of an integer dtype (Long or Int), "
                           f"got {idx.dtype}")
    if w.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got shape {list(w.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by "
                                  "minitorch_np; use sparse=False (dense gradients)")
    if idx._device is not w._device:
        raise RuntimeError(f"embedding: indices on {idx._device} but weight on {w._device}")
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings ({n}), "
                             f"got {padding_idx}")
        padding_idx %= n
    raw = idx._data
    with device_guard(w):
        out_of_range = bool(((raw < 0) | (raw >= n)).any()) if raw.size else False
    if out_of_range:
        raise IndexError(f"embedding: index out of range in self (indices must be in [0, {n}))")
    if max_norm is not None:
        _renorm_rows(w, idx, float(max_norm), float(norm_type))
    out = w[idx]
    if not out.requires_grad:
        return out
    if padding_idx is not None:
        # forward unchanged, but positions holding padding_idx send no gradient to the weight
        used = (idx != padding_idx).unsqueeze(-1)
        out = where(used, out, out.detach())
    if scale_grad_by_freq:
        xp = w._device.backend.xp
        with device_guard(w):
            counts = xp.bincount(raw.reshape(-1), minlength=n)
            scale = (1.0 / counts[raw]).astype(w._data.dtype)
        scale = Tensor._make(scale, w._device).unsqueeze(-1)
        frozen = out.detach()
        out = frozen + (out - frozen) * scale  # the same values; gradients scaled by 1/count
    return out


def _renorm_rows(weight: Tensor, idx: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, outside autograd) the rows used by `idx` whose norm exceeds max_norm."""
    from .._grad_mode import no_grad
    xp = weight._device.backend.xp
    with device_guard(weight):
        rows = Tensor._make(xp.unique(idx._data.reshape(-1)), weight._device)
    with no_grad():
        w = weight.data
        selected = w[rows]
        norms = selected.norm(norm_type, 1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] = selected * scale


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape (*, num_classes) with a 1 at each index of `tensor`.

    ``num_classes=-1`` means one more than the largest index.
    """
    t = tensor_arg("one_hot", tensor, "tensor")
    if t._data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor, got {t.dtype}")
    xp = t._device.backend.xp
    raw = t._data
    with device_guard(t):  # array work on the tensor's own GPU
        if raw.size and bool((raw < 0).any()):
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if raw.size == 0 and num_classes <= 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor.")
        if num_classes == -1:
            num_classes = int(raw.max()) + 1
        elif raw.size and bool((raw >= num_classes).any()):
            raise RuntimeError("one_hot: Class values must be smaller than num_classes.")
        out = (xp.expand_dims(raw, -1) == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out, t._device)


def pad(input: Tensor, pad: tuple[int, ...] | list[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions: ``pad = (left, right)`` for the last one,
    then ``(top, bottom)`` for the one before, and so on.

    ``mode='constant'`` fills with `value` (0 by default; negative pads crop);
    ``'reflect'`` mirrors without repeating the edge, ``'replicate'`` repeats the edge,
    ``'circular'`` wraps around. All are differentiable (the constant border gets no gradient).
    """
    x = tensor_arg("pad", input)
    pad = tuple(pad)
    for i, p in enumerate(pad):  # a float would be truncated silently
        if not hasattr(p, "__index__") or isinstance(p, bool):
            raise TypeError(f"pad: pad must be a tuple of ints, but found element of type "
                            f"{type(p).__name__} at position {i}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 × the number of "
                         f"dimensions ({x.ndim}), got {len(pad)}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    for i in range(len(pad) // 2):
        dim = x.ndim - 1 - i
        lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
        if mode == "constant":
            x = _pad_constant(x, dim, lo, hi, 0.0 if value is None else value)
        else:
            x = x.index_select(dim, tensor(_pad_indices(mode, x.shape[dim], lo, hi),
                                           dtype=int64, device=x.device))
    return x


def _pad_constant(x: Tensor, dim: int, lo: int, hi: int, value) -> Tensor:
    size = x.shape[dim]
    if lo < 0 or hi < 0:  # negative padding crops
        x = x.narrow(dim, max(-lo, 0), size - max(-lo, 0) - max(-hi, 0))
    parts = []
    for n in (lo, None, hi):
        if n is None:
            parts.append(x)
        elif n > 0:
            shape = list(x.shape)
            shape[dim] = n
            parts.append(full(shape, value, dtype=x.dtype, device=x.device))
    return cat(parts, dim) if len(parts) > 1 else x


def _pad_indices(mode: str, n: int, lo: int, hi: int) -> list[int]:
    """Source index of each output position j ∈ [-lo, n + hi) along one padded dimension."""
    if mode == "reflect" and (lo >= n or hi >= n):
        raise ValueError(f"pad: padding size ({lo}, {hi}) should be less than the "
                         f"corresponding input dimension ({n}) for 'reflect' mode")
    if mode == "circular":  # a negative pad crops first; the rest wraps around what is left
        start, stop = max(-lo, 0), n - max(-hi, 0)
        if max(lo, 0) > stop - start or max(hi, 0) > stop - start:
            raise ValueError(f"pad: padding ({lo}, {hi}) must not exceed the dimension size "
                             f"({stop - start} after cropping) for 'circular' mode")
        return [start + j % (stop - start) for j in range(-max(lo, 0), stop - start + max(hi, 0))]
    out = []
    for j in range(-lo, n + hi):
        if mode == "reflect":
            out.append(-j if j < 0 else 2 * (n - 1) - j if j >= n else j)
        else:
            out.append(min(max(j, 0), n - 1))
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(‖x‖ₚ, eps) along `dim`: unit vectors (eps avoids dividing by zero)."""
    x = tensor_arg("normalize", input)
    d = _wrap_dim("normalize", dim, x.ndim)
    return x / x.norm(p, d, keepdim=True).clamp(min=eps)


# -- convolution, pooling, normalisation (conv.py, pooling.py, normalization.py) ------------
# im2col (unfold) and col2im (fold) are public: conv2d is unfold + one matrix product.
from .._functions.conv import conv1d, conv2d, fold, unfold  # noqa: E402
from .._functions.normalization import batch_norm, layer_norm  # noqa: E402
from .._functions.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d,  # noqa: E402
                                  avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)

__all__ += [
    "conv1d", "conv2d", "unfold", "fold",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "batch_norm", "layer_norm",
]
