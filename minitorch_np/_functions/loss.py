"""Loss functions, with PyTorch's arguments and semantics (``weight``, ``ignore_index``,
``reduction``, ``label_smoothing``, ``pos_weight``).

Every loss first computes one value per element (or per sample), ℓₙ, then reduces:
``'none'`` returns the ℓₙ, ``'sum'`` their sum, ``'mean'`` their average — except for the
class-weighted losses, whose mean is a *weighted* average (see `nll_loss`).

Most losses are compositions of differentiable ops (``log_softmax``, ``gather``, ...), so
their gradients of any order come from autograd. Two numerical points decide the forms used:

* cross entropy is computed from logits as ``log_softmax`` (x - max - log Σ exp(x - max)),
  never as ``log(softmax(x))``, which gives -inf (and NaN gradients) for large logits;
* binary cross entropy with logits uses ``(1 - y)·x + softplus(-x)`` with a softplus that
  never overflows, instead of ``log(sigmoid(x))``.
"""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from . import elementwise as E
from . import reduction as R
from .activation import Softplus
from .operands import broadcast_shapes, device_guard, tensor_arg

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits"]

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce) -> str:
    """PyTorch's translation of the deprecated ``size_average``/``reduce`` flags."""
    warnings.warn("size_average and reduce args will be deprecated, please use reduction="
                  "'mean', 'sum' or 'none' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction(op: str, reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected "
                         "'none', 'mean' or 'sum'")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _float_input(op: str, x, name: str = "input") -> Tensor:
    x = tensor_arg(op, x, name)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point {name}, got {x.dtype}")
    return x


def _same_device(op: str, a: Tensor, b: Tensor, name: str) -> None:
    if b._device is not a._device:
        raise RuntimeError(f"{op}: expected {name} on {a._device} (where input is), but it is "
                           f"on {b._device}")


def _elementwise_weight(op: str, x: Tensor, weight) -> Tensor:
    """A per-element loss weight: on x's device, broadcasting *to* x's shape (never growing
    the loss beyond it, as PyTorch refuses too)."""
    weight = tensor_arg(op, weight, "weight")
    _same_device(op, x, weight, "weight")
    if broadcast_shapes(op, x._data.shape, weight._data.shape) != x._data.shape:
        raise RuntimeError(f"{op}: weight of shape {list(weight.shape)} doesn't broadcast to "
                           f"the input's shape {list(x.shape)}")
    return weight


def _warn_size(op: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{op}: Using a target size ({list(target.shape)}) that is different to "
                      f"the input size ({list(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


# -- classification: negative log-likelihood and cross entropy ---------------------------
def _class_weight_view(weight: Tensor, ndim: int) -> Tensor:
    """Per-class weights shaped (1, C, 1, ...) to broadcast against an (N, C, d₁, ...) input."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _check_weight(op: str, weight, n_classes: int, input: Tensor) -> Tensor | None:
    if weight is None:
        return None
    weight = tensor_arg(op, weight, "weight")
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    _same_device(op, input, weight, "weight")
    return weight


def _nll_terms(op: str, logp: Tensor, target: Tensor, weight: Tensor | None,
               ignore_index: int):
    """The per-element losses -w[yₙ]·logp[n, yₙ] (shape of target) and their weights w[yₙ]
    (0 where yₙ = ignore_index), for a batched (N, C, d₁, ...) input."""
    n_classes = logp.shape[1]
    xp = logp._device.backend.xp
    t = target._data
    with device_guard(logp):  # array work outside Function.apply: on the tensors' GPU
        ignored = t == ignore_index
        safe = xp.where(ignored, 0, t)  # any valid class: its term is multiplied by 0 below
        if safe.size and bool(((safe < 0) | (safe >= n_classes)).any()):
            bad = t[~ignored & ((t < 0) | (t >= n_classes))]
            raise IndexError(f"{op}: Target {int(bad.reshape(-1)[0])} is out of bounds "
                             f"(expected class indices in [0, {n_classes}) or "
                             f"ignore_index={ignore_index})")
        keep = ~ignored
        if weight is None:
            w = keep.astype(logp._data.dtype)
        else:
            w = weight._data.astype(logp._data.dtype)[safe] * keep
        index = xp.expand_dims(safe, 1)
    w = Tensor._make(w, logp._device)
    index = Tensor._make(index, logp._device)
    picked = logp.gather(1, index).squeeze(1)
    return -(picked * w), w, keep


def _weighted_mean(losses: Tensor, weights: Tensor) -> Tensor:
    """Σ ℓₙ / Σ w[yₙ]. When every target is ignored the weights sum to 0: the loss is then
    0/0 = nan and its gradient 0, as PyTorch's (whose backward writes nothing for ignored
    targets), where ∂(Σℓ / 0) would give 0·∞ = nan."""
    total = weights.sum()
    if total.item() == 0:
        return losses.sum() * 0.0 + float("nan")
    return losses.sum() / total


def _check_class_target(op: str, input: Tensor, target: Tensor) -> None:
    expected = tuple(input.shape[:1]) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(f"{op}: Expected input batch_size ({input.shape[0]}) to match "
                             f"target batch_size ({target.shape[0]}).")
        raise ValueError(f"{op}: expected target of shape {list(expected)} for input of shape "
                         f"{list(input.shape)} (classes in dim 1), got {list(target.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of class-index targets, given log-probabilities.

    For input (N, C) (or (N, C, d₁, ...), or (C,) for one sample) and targets yₙ ∈ [0, C):

        ℓₙ = -w[yₙ] · input[n, yₙ]    (0 where yₙ = ignore_index)

    ``'mean'`` divides Σℓₙ by Σ w[yₙ] over the non-ignored targets (not by N), so that class
    weights rescale the classes relative to each other, not the loss as a whole.
    """
    op = "nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = _float_input(op, input)
    tgt = tensor_arg(op, target, "target")
    _same_device(op, x, tgt, "target")
    if tgt._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of an integer dtype (class indices), got "
                           f"{tgt.dtype}")
    unbatched = x.ndim == 1
    if unbatched:
        x, tgt = x.unsqueeze(0), tgt.unsqueeze(0)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected input with 1 or more dimensions, got {x.ndim}")
    _check_class_target(op, x, tgt)
    w = _check_weight(op, weight, x.shape[1], x)
    losses, weights, _ = _nll_terms(op, x, tgt, w, ignore_index)
    if reduction == "none":
        return losses.squeeze(0) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    return _weighted_mean(losses, weights)


class CrossEntropy(ArrayFunction):
    """ℓ = (1/N) Σₙ -log softmax(xₙ)_{yₙ} for logits x (N, C) and class indices y: the
    classifier loss of the lectures as one node ('mean'; 'sum' leaves out the 1/N).

        ∂ℓ/∂x = (softmax(x) - onehot(y)) / N

    Forward keeps softmax(x), which it computes on the way to the loss, for the usual
    backward; with ``create_graph`` backward recomputes it with a differentiable op, so
    gradients of gradients work. `cross_entropy` uses it when no class weight, ignored
    target or label smoothing is in play; it is the composition log_softmax → gather →
    mean, checked against it in tests.
    """

    _array_backward = True  # arrays when nothing is recorded (a branch of its own, below)

    @staticmethod
    def forward(ctx, x, target, reduction):
        xp = ctx.xp
        shifted = x - x.max(axis=1, keepdims=True)
        exps = xp.exp(shifted)
        norm = exps.sum(axis=1, keepdims=True)
        losses = xp.log(norm[:, 0]) - shifted[xp.arange(x.shape[0]), target]
        exps /= norm                                                     # softmax(x)
        ctx.reduction = reduction
        # (x for double backward; a target changed in place since is then refused)
        ctx.save_for_backward(x, target, exps)
        total = losses.sum()
        return total / x.shape[0] if reduction == "mean" else total

    @staticmethod
    def backward(ctx, g):
        x, target, probs = ctx.saved_tensors
        xp, n = ctx.xp, x.shape[0]
        if ctx._on_arrays:  # the usual backward: on the arrays, with the kept softmax
            scale = g / n if ctx.reduction == "mean" else g
            dx = probs * scale                                           # softmax(x) · s
            dx[xp.arange(n), target] -= scale                            # − onehot(y) · s
            return dx, None, None
        # create_graph: with Tensor ops, so that the gradient can be differentiated again
        rows = xp.arange(n)
        onehot = xp.zeros(x._data.shape, dtype=x._data.dtype)
        onehot[rows, target._data] = 1
        dx = (R.softmax(x, 1) - Tensor._make(onehot, x._device)) * g
        return (dx / n if ctx.reduction == "mean" else dx), None, None


def _fused_cross_entropy(x: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                         label_smoothing: float) -> bool:
    """Whether `CrossEntropy` computes this call: (N, C) logits, in-range class indices,
    no class weight, no label smoothing, ignore_index not a class, and a reduced loss."""
    t = target._data
    if not (x.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iu" and weight is None
            and label_smoothing == 0 and reduction != "none" and t.shape[0] == x.shape[0]
            and t.shape[0] > 0 and not 0 <= ignore_index < x.shape[1]):
        return False
    with device_guard(x):  # (the general path reports out-of-range targets)
        return bool(t.min() >= 0) and bool(t.max() < x.shape[1])


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and targets: ``nll_loss(log_softmax(input, 1), target)``.

    `input` holds unnormalised scores (logits) with the classes in dim 1: (N, C),
    (N, C, d₁, ...) or (C,). `target` is either

    * class indices (an integer tensor of shape (N,), (N, d₁, ...) or ()): see `nll_loss`
      for ``weight``, ``ignore_index`` and the weighted mean; or
    * class probabilities (a float tensor shaped like `input`):
      ℓₙ = -Σ_c w_c · yₙ,c · log softmax(xₙ)_c, and ``'mean'`` divides by N (× d₁ ...).

    ``label_smoothing`` ε mixes the target with the uniform distribution over the C classes:
    (1 - ε)·target + ε/C. For class indices this is
    ℓₙ = (1 - ε)·nllₙ + (ε/C)·Σ_c -w_c·log softmax(xₙ)_c, both parts averaged with the same
    denominator as `nll_loss`.
    """
    op = "cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = _float_input(op, input)
    tgt = tensor_arg(op, target, "target")
    _same_device(op, x, tgt, "target")
    if not isinstance(label_smoothing, int | float) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: "
                         f"{label_smoothing}")
    if x.ndim == 0:
        raise ValueError(f"{op}: expected input with 1 or more dimensions (classes), got a "
                         "0-d tensor")
    if _fused_cross_entropy(x, tgt, weight, ignore_index, reduction, label_smoothing):
        return CrossEntropy.apply(x, tgt, reduction)
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim]
    w = _check_weight(op, weight, n_classes, x)
    logp = R.log_softmax(x, class_dim)

    if tgt._data.dtype.kind == "f":  # class probabilities
        if tuple(tgt.shape) != tuple(x.shape):
            raise RuntimeError(f"{op}: expected probability targets of the input's shape "
                               f"{list(x.shape)}, got {list(tgt.shape)}")
        if label_smoothing > 0:
            tgt = tgt * (1.0 - label_smoothing) + label_smoothing / n_classes
        if w is not None:
            tgt = tgt * (w if x.ndim == 1 else _class_weight_view(w, x.ndim))
        losses = -(logp * tgt).sum(class_dim)
        return _reduce(losses, reduction)

    if tgt._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of an integer dtype (class indices) or a "
                           f"floating dtype (class probabilities), got {tgt.dtype}")
    unbatched = x.ndim == 1
    if unbatched:
        logp, tgt = logp.unsqueeze(0), tgt.unsqueeze(0)
    _check_class_target(op, logp, tgt)
    losses, weights, keep = _nll_terms(op, logp, tgt, w, ignore_index)
    if label_smoothing > 0:
        # the uniform part: -Σ_c w_c·log pₙ,c, zero for ignored targets
        scaled = logp if w is None else logp * _class_weight_view(w, logp.ndim)
        with device_guard(logp):
            keep_t = Tensor._make(keep.astype(logp._data.dtype), logp._device)
        smooth = -scaled.sum(1) * keep_t
        losses = losses * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)
    if reduction == "none":
        return losses.squeeze(0) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    return _weighted_mean(losses, weights)


# -- regression ---------------------------------------------------------------------------
def _regression_args(op: str, input, target):
    x = _float_input(op, input)
    y = tensor_arg(op, target, "target")
    _same_device(op, x, y, "target")
    _warn_size(op, x, y)
    return x, y


def _weighted(op: str, loss: Tensor, weight, input: Tensor, reduction: str,
              mean_by_weight: bool) -> Tensor:
    """PyTorch's per-element `weight` of mse/l1 (mean: Σ wℓ / Σ w) and huber (mean of wℓ)."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = tensor_arg(op, weight, "weight")
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size (weight "
                         f"{list(weight.shape)}, input {list(input.shape)}).")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """ℓₙ = (xₙ - yₙ)²: the mean squared error (with ``'mean'``)."""
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    x, y = _regression_args("mse_loss", input, target)
    d = x - y
    return _weighted("mse_loss", d * d, weight, x, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """ℓₙ = |xₙ - yₙ|: the mean absolute error (with ``'mean'``)."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    x, y = _regression_args("l1_loss", input, target)
    return _weighted("l1_loss", (x - y).abs(), weight, x, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """ℓₙ = ½dₙ²/β where |dₙ| < β, else |dₙ| - ½β (dₙ = xₙ - yₙ): quadratic near zero,
    linear (robust to outliers) beyond β; β = 0 is the L1 loss."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _regression_args("smooth_l1_loss", input, target)
    d = x - y
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(E.where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """ℓₙ = ½dₙ² where |dₙ| < δ, else δ(|dₙ| - ½δ): δ × smooth_l1 with β = δ."""
    reduction = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _regression_args("huber_loss", input, target)
    d = x - y
    a = d.abs()
    loss = E.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _weighted("huber_loss", loss, weight, x, reduction, False)


# -- binary classification ----------------------------------------------------------------
class BinaryCrossEntropy(ArrayFunction):
    """ℓ = -(y·log x + (1 - y)·log(1 - x)), each log clamped to ≥ -100 (as PyTorch, so that
    x = 0 or 1 gives a finite loss);
    ∂ℓ/∂x = (x - y) / max(x(1 - x), 1e-12),  ∂ℓ/∂y = log(1 - x) - log x (clamped logs)."""

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        ctx.save_for_backward(x, y)
        log_x = _clamped_log(xp, x)
        log_1mx = _clamped_log(xp, 1.0 - x)
        return -(y * log_x + (1.0 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / (x * (1.0 - x)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gy = g * (_clamped_log_t(1.0 - x) - _clamped_log_t(x))
        return gx, gy


def _clamped_log_t(v: Tensor) -> Tensor:
    """max(log v, -100) with Tensor ops (differentiable), never evaluating log 0."""
    positive = v > 0
    return E.where(positive, E.where(positive, v, 1.0).log().clamp(min=-100.0), -100.0)


def _clamped_log(xp, v):
    """max(log v, -100) without evaluating log 0 (which would warn)."""
    positive = v > 0
    return xp.where(positive, xp.maximum(xp.log(xp.where(positive, v, 1.0)), -100.0), -100.0) \
        .astype(v.dtype, copy=False)


def _binary_args(op: str, input, target, message: str):
    x = _float_input(op, input)
    y = _float_input(op, target, "target")
    _same_device(op, x, y, "target")
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(message.format(list(y.shape), list(x.shape)))
    if y._data.dtype != x._data.dtype:
        y = y.to(dtype=x.dtype)
    return x, y


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """ℓₙ = -wₙ(yₙ log xₙ + (1 - yₙ) log(1 - xₙ)) for probabilities xₙ ∈ [0, 1]."""
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _binary_args(op, input, target, "Using a target size ({}) that is different to the "
                        "input size ({}) is deprecated. Please ensure they have the same size.")
    for name, t in (("input", x), ("target", y)):
        a = t._data
        with device_guard(t):  # written so that nan counts as outside (a diverged model)
            outside = bool((~((a >= 0) & (a <= 1))).any()) if a.size else False
        if outside:
            raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(x, y)
    if weight is not None:
        loss = loss * _elementwise_weight(op, x, weight)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of σ(x) against y, computed from the logits x:

        ℓₙ = wₙ[(1 - yₙ)·xₙ + (1 + (p - 1)·yₙ)·softplus(-xₙ)]

    which equals -wₙ[p·yₙ log σ(xₙ) + (1 - yₙ) log(1 - σ(xₙ))], where p = ``pos_weight``
    (per class, broadcast along the last dim) weighs the positive examples. softplus(-x) =
    max(-x, 0) + log(1 + e^(-|x|)) never overflows, so logits of ±1e4 give finite losses.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _binary_args(op, input, target, "Target size ({}) must be the same as input size "
                        "({})")
    softplus_neg = Softplus.apply(-x, 1.0, None)
    if pos_weight is not None:
        pw = tensor_arg(op, pos_weight, "pos_weight")
        _same_device(op, x, pw, "pos_weight")
        loss = (1.0 - y) * x + (1.0 + (pw - 1.0) * y) * softplus_neg
    else:
        loss = (1.0 - y) * x + softplus_neg
    if weight is not None:
        loss = loss * _elementwise_weight(op, x, weight)
    return _reduce(loss, reduction)
