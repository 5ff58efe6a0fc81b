"""Normalisation: ``batch_norm`` and ``layer_norm``, with a fused, hand-derived backward.

Batch normalization (Ioffe and Szegedy, 2015; lecture 000, "Batch normalization"; lecture
004) normalises each channel with the mean and the variance of the current batch, then
rescales it with learned γ (weight) and β (bias):

    μ = (1/M) Σ x,   σ² = (1/M) Σ (x − μ)²   (biased),   x̂ = (x − μ) / √(σ² + ε),
    y = γ·x̂ + β

where the sums run over the M = N·H·W values of one channel. Layer normalisation is the same
computation over the last dimensions of each sample instead. At test time batch norm uses the
running averages of μ and of the *unbiased* variance σ²·M/(M − 1) collected during training:
a fixed affine map (lecture 000: "a simple component-wise linear transformation").

Because μ and σ depend on every x of the channel, the gradient of one x gets a contribution
from every output. Writing g = ∂L/∂y and h = γ·g = ∂L/∂x̂, docs/batchnorm.md derives

    ∂L/∂x = (1/σ) · (h − mean(h) − x̂ · mean(h·x̂))            (means over the M values)
    ∂L/∂γ = Σ g·x̂,        ∂L/∂β = Σ g

(for batch norm γ is constant over a channel, so h's means are γ·mean(g) and γ·mean(g·x̂):
the two sums that ∂L/∂β and ∂L/∂γ need anyway). `NormalizeAffine` computes this on arrays
from the saved input, μ and 1/σ, reusing its buffers. When the backward itself must be recorded
(``create_graph=True``), it evaluates the same formula with Tensor operations instead,
recomputing μ, σ and x̂ from the input, so gradients of gradients work.
"""
from __future__ import annotations

from .._grad_mode import is_grad_enabled, no_grad
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .operands import tensor_arg
from .reduction import mean_array

__all__ = ["batch_norm", "layer_norm"]


def _sum_of_products(xp, a, b, dims):
    """Σ a·b over `dims` (kept as size-1 dims), in one pass without an a·b temporary."""
    axes = "abcdefghijklmnop"[:a.ndim]
    kept = "".join(ax for i, ax in enumerate(axes) if i not in dims)
    total = xp.einsum(f"{axes},{axes}->{kept}", a, b)
    return total.reshape(tuple(1 if i in dims else n for i, n in enumerate(a.shape)))


def _moments(xp, x, dims):
    """Mean, biased variance and x − mean over `dims` (two passes: numerically stable)."""
    mean = mean_array(xp, x, dims, True)
    centered = x - mean
    count = x.size // mean.size
    var = _sum_of_products(xp, centered, centered, dims) * (1.0 / count)
    return mean, var, centered


class NormalizeAffine(ArrayFunction):
    """y = γ·(x − μ)/√(σ² + ε) + β with μ, σ² over `dims` (batch norm in training, layer norm).

    `weight` and `bias` (or None) come already shaped to broadcast against x. `stats` are
    the (μ, σ², x − μ) arrays when the caller computed them already (x − μ is then used as
    the output's buffer), else None.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps, stats):
        xp = ctx.xp
        ctx.dims, ctx.eps = dims, eps
        if x.size == 0:  # nothing to normalise (as PyTorch: an empty result, zero gradients)
            ctx.save_for_backward(x, weight, None, None)
            return xp.empty_like(x)
        mean, var, y = stats if stats is not None else _moments(xp, x, dims)
        invstd = 1.0 / xp.sqrt(var + eps)
        if weight is not None and _constant_over(weight.shape, dims, x.ndim):
            y *= invstd * weight  # one pass with the per-channel scale γ/σ
        else:
            y *= invstd
            if weight is not None:
                y *= weight
        if bias is not None:
            y += bias
        ctx.save_for_backward(x, weight, mean, invstd)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, invstd = ctx.saved_tensors
        if x._data.size == 0:
            return _zero_gradients(ctx, x, weight)
        if is_grad_enabled():  # create_graph=True: record the backward
            return _backward_graph(ctx, g, x, weight)
        xp, dims = ctx.xp, ctx.dims
        g, x_, w = g._data, x._data, None if weight is None else weight._data
        mean, invstd = mean._data, invstd._data
        centered = x_ - mean
        count = x_.size // mean.size
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if w is None or _constant_over(w.shape, dims, x_.ndim):
            # batch norm: γ is constant within a group, so h = γ·g gives
            # ∂L/∂x = γ/σ · (g − mean(g) − (x − μ)/σ² · mean(g·(x − μ)))
            sum_g = g.sum(axis=dims, keepdims=True)
            sum_gc = _sum_of_products(xp, g, centered, dims)  # σ · Σ g·x̂
            if needs[1]:  # Σ g·x̂ over everything but γ's own dims (the engine sums g·x̂
                gw = _sum_to(sum_gc * invstd, w.shape)  # down when γ is not per group)
                gw = g * (centered * invstd) if gw is None else gw
            if needs[2]:
                gb = _sum_to(sum_g, ctx._input_shape(2))
                gb = g if gb is None else gb
            if needs[0]:
                gx = centered  # its buffer, reused
                gx *= invstd * invstd * (sum_gc * (1.0 / count))
                gx += sum_g * (1.0 / count)
                xp.subtract(g, gx, out=gx)
                gx *= invstd if w is None else invstd * w
        else:  # layer norm: γ varies within the group
            xhat = centered * invstd
            if needs[0]:
                h = g * w
                gx = (h - h.mean(axis=dims, keepdims=True)
                      - xhat * (h * xhat).mean(axis=dims, keepdims=True)) * invstd
            if needs[1]:
                gw = g * xhat  # the engine sums it down to γ's shape
            if needs[2]:
                gb = g
        device = ctx.device
        wrap = lambda a: None if a is None else Tensor._make(a, device)  # noqa: E731
        return wrap(gx), wrap(gw), wrap(gb), None, None, None


def _zero_gradients(ctx, x, weight) -> tuple:
    """The gradients of an empty input's normalisation: zeros (nothing depends on γ or β)."""
    shapes = (x._data.shape, None if weight is None else weight._data.shape,
              ctx._input_shape(2) if ctx.needs_input_grad[2] else None)
    return tuple(Tensor._make(ctx.xp.zeros(shape, dtype=x._data.dtype), ctx.device)
                 if need else None
                 for need, shape in zip(ctx.needs_input_grad[:3], shapes)) + (None, None, None)


def _constant_over(shape, dims, ndim: int) -> bool:
    """Is a parameter of `shape` (broadcast against an ndim-d input) constant along `dims`?"""
    lead = ndim - len(shape)
    return all(d < lead or shape[d - lead] == 1 for d in dims)


def _sum_to(summed, shape):
    """`summed` (reduced over the normalised dims) reshaped to `shape`, or None when the
    parameter varies along other dims too."""
    shape = tuple(shape)
    if (1,) * (summed.ndim - len(shape)) + shape != summed.shape:
        return None
    return summed.reshape(shape)


def _backward_graph(ctx, g: Tensor, x: Tensor, weight: Tensor | None):
    """The same gradients with Tensor operations (recomputing μ, σ, x̂ from x) for
    create_graph=True: every quantity depends on x in the recorded graph."""
    dims = ctx.dims
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    invstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
    xhat = centered * invstd
    h = g if weight is None else g * weight
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = (h - h.mean(dims, keepdim=True)
              - xhat * (h * xhat).mean(dims, keepdim=True)) * invstd
    if ctx.needs_input_grad[1]:
        gw = g * xhat
    if ctx.needs_input_grad[2]:
        gb = g
    return gx, gw, gb, None, None, None


def _param(op: str, name: str, t, size: int, x: Tensor):
    if t is None:
        return None
    t = tensor_arg(op, t, name)
    if t.numel() != size:
        raise RuntimeError(f"{op}: expected {name} with {size} elements (one per channel of "
                           f"input {tuple(x.shape)}), got shape {tuple(t.shape)}")
    if t._device is not x._device:
        raise RuntimeError(f"{op}: {name} is on {t._device} but input is on {x._device}")
    if name in ("weight", "bias") and t._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}: expected {name} of dtype {x.dtype} (the input's), got "
                           f"{t.dtype}")
    return t


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over the channel dimension 1 of (N, C, *) inputs.

    Training (or no running statistics): normalise with the batch's mean and biased variance,
    and, when running statistics are given, update them in place (outside the graph):

        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var  + momentum·σ²·M/(M − 1)   (unbiased)

    Evaluation: y = γ·(x − running_mean)/√(running_var + ε) + β, a fixed affine map.
    """
    x = tensor_arg("batch_norm", input)
    if x.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of shape (N, C, *), got "
                         f"{tuple(x.shape)}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"batch_norm: expected a floating point input, got {x.dtype}")
    c = x.shape[1]
    running_mean = _param("batch_norm", "running_mean", running_mean, c, x)
    running_var = _param("batch_norm", "running_var", running_var, c, x)
    weight = _param("batch_norm", "weight", weight, c, x)
    bias = _param("batch_norm", "bias", bias, c, x)
    shape = (1, c) + (1,) * (x.ndim - 2)  # broadcasts per channel
    dims = (0,) + tuple(range(2, x.ndim))
    count = x.numel() // c if c else 0

    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given in "
                               "evaluation mode (training=False)")
        scale = (running_var + eps).rsqrt()
        if weight is not None:
            scale = scale * weight
        shift = -running_mean * scale
        if bias is not None:
            shift = shift + bias
        return x * scale.reshape(shape) + shift.reshape(shape)

    if count <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input size {tuple(x.shape)}")
    device = x._device
    with device.backend.device_context(device.index or 0):  # arrays of this device only
        mean, var, centered = _moments(device.backend.xp, x._data, dims)
        batch_mean = mean.reshape(c)
        batch_var = var.reshape(c) * (count / (count - 1))  # unbiased, for running_var
    with no_grad():
        m = float(momentum)
        for running, batch in ((running_mean, batch_mean), (running_var, batch_var)):
            if running is not None:
                running.mul_(1.0 - m).add_(Tensor._make(batch, device).to(running.dtype) * m)
    w = None if weight is None else weight.reshape(shape)
    b = None if bias is None else bias.reshape(shape)
    return NormalizeAffine.apply(x, w, b, dims, float(eps), (mean, var, centered))


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation: each sample normalised over its last ``len(normalized_shape)``
    dimensions (mean and biased variance), then y = γ·x̂ + β elementwise (γ, β of shape
    `normalized_shape`). The same in training and evaluation."""
    x = tensor_arg("layer_norm", input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, shape))}], but got input of "
                           f"size {list(x.shape)}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"layer_norm: expected a floating point input, got {x.dtype}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            tensor_arg("layer_norm", t, name)
            if tuple(t.shape) != shape:
                raise RuntimeError(f"layer_norm: expected {name} of shape {shape}, got "
                                   f"{tuple(t.shape)}")
            if t._device is not x._device or t._data.dtype != x._data.dtype:
                raise RuntimeError(f"layer_norm: {name} ({t.dtype}, {t._device}) must have "
                                   f"the input's dtype and device ({x.dtype}, {x._device})")
    dims = tuple(range(x.ndim - k, x.ndim))
    return NormalizeAffine.apply(x, weight, bias, dims, float(eps), None)
