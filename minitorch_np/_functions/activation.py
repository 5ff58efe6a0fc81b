"""Activation functions for ``nn``: ReLU, LeakyReLU, ELU, GELU, Softplus, and ``erf``.

Each is a `Function` whose forward works on arrays and whose backward is written with
Tensor operations, so every activation supports ``create_graph=True`` (double backward).
``sigmoid``, ``tanh``, ``relu``, ``softmax`` and ``log_softmax`` are core ops
(``elementwise.py``, ``reduction.py``); the functions here add PyTorch's ``nn.functional``
options (``inplace``, the legacy implicit softmax dim).

The error function has no NumPy or CuPy (main namespace) implementation, so ``erf`` is
computed here from elementwise operations only — see `_erf_array`.
"""
from __future__ import annotations

import math
import warnings

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from . import elementwise as E
from . import reduction as R
from .inplace import apply_inplace
from .operands import floating, tensor_arg

__all__ = ["erf", "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu",
           "softplus", "sigmoid", "tanh", "softmax", "log_softmax"]


# -- the error function -------------------------------------------------------------------
# erfc(z) = t · exp(-z² + Σ'ₖ cₖ Tₖ(2t - 1)) for z ≥ 0, with t = 2 / (2 + z): the Chebyshev
# series (Σ' halves c₀) of the smooth function g(t) = ln(erfc(z) / t) + z² on t ∈ (0, 1]. The
# coefficients were computed with mpmath at 50 digits (Chebyshev interpolation of g at 80
# nodes; the script is in docs/nn.md); |cₖ| < 3e-17 beyond the 28 kept. It is the form
# Numerical Recipes (3rd ed., §6.2.2) uses. Relative error of erf against mpmath over
# [-7, 7]: < 5e-16 in float64 (< 2e-7 absolute in float32); erfc's relative error grows as
# z²·2⁻⁵² from rounding in -z² (1.6e-13 at z = 26, where erfc ≈ 1e-296).
_ERFC_CHEB = (
    -1.3026537197817094, 0.6419697923564902, 0.019476473204185836, -0.009561514786808632,
    -0.0009465953444820369, 0.00036683949785276145, 4.252332480690777e-05,
    -2.0278578112534242e-05, -1.6242900046470256e-06, 1.3036558355805232e-06,
    1.5626441722066142e-08, -8.523809591492654e-08, 6.5290544390988515e-09,
    5.059343495551469e-09, -9.91364156493033e-10, -2.273651222931836e-10,
    9.646791102015527e-11, 2.3940380830391146e-12, -6.886027526497553e-12,
    8.944879273090725e-13, 3.130921399342958e-13, -1.1270822361367252e-13,
    3.810905255189232e-16, 7.106097613609237e-15, -1.5230282014571043e-15,
    -9.457494571291233e-17, 1.210237189224279e-16, -2.816663087747177e-17,
)
# erf(x) = (2/√π) Σₙ (-1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)): near 0, where 1 - erfc(x) would lose the
# relative accuracy of tiny values. For |x| < 1/2 the 13 terms leave a remainder < 1e-17.
_ERF_TAYLOR = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13))
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erfc_array(xp, z):
    """erfc(z) for z ≥ 0 (Chebyshev series above, evaluated by Clenshaw's recurrence)."""
    t = 2.0 / (2.0 + z)
    y2 = 4.0 * t - 2.0  # 2·(2t - 1): the factor 2 of the recurrence folded in
    d = dd = 0.0
    for c in _ERFC_CHEB[:0:-1]:
        d, dd = y2 * d - dd + c, d
    return t * xp.exp(-z * z + 0.5 * (_ERFC_CHEB[0] + y2 * d) - dd)


def _erf_array(xp, x):
    """erf(x), elementwise, in x's dtype: the Taylor series for |x| < 1/2, 1 - erfc(|x|)
    (with erf's sign) elsewhere. Both branches are evaluated everywhere and one is picked."""
    z = xp.abs(x)
    s = xp.minimum(z, 0.5)  # the series only ever sees its own range (no overflow)
    s2 = s * s
    p = 0.0
    for c in _ERF_TAYLOR[::-1]:
        p = p * s2 + c
    small = _TWO_OVER_SQRT_PI * s * p
    large = 1.0 - _erfc_array(xp, z)
    return (xp.sign(x) * xp.where(z < 0.5, small, large)).astype(x.dtype, copy=False)


class Erf(ArrayFunction):
    """y = erf(x) = (2/√π) ∫₀ˣ e^(-t²) dt;  dy/dx = (2/√π) e^(-x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (_TWO_OVER_SQRT_PI * E.exp(-(x * x)))


def _normal_cdf_array(xp, x):
    """Φ(x) = ½ erfc(-x/√2), the standard normal CDF. For x < 0 it is ½ erfc(|x|/√2)
    directly, which keeps its relative accuracy in the tail; ½(1 + erf(x/√2)) would cancel
    (erf ≈ -1) and lose every digit below the rounding of 1 (6e-8 in float32)."""
    tail = 0.5 * _erfc_array(xp, xp.abs(x) * _SQRT_HALF)
    return xp.where(x < 0, tail, 1.0 - tail).astype(x.dtype, copy=False)


class NormalCdf(ArrayFunction):
    """y = Φ(x);  dy/dx = φ(x) = e^(-x²/2)/√(2π)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _normal_cdf_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (_INV_SQRT_2PI * E.exp(-0.5 * (x * x)))


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise (accurate to a few ulps, see `_erf_array`)."""
    return Erf.apply(floating("erf", tensor_arg("erf", input)))


# -- activations --------------------------------------------------------------------------
class LeakyRelu(ArrayFunction):
    """y = x for x > 0, else slope·x;  dy/dx = 1 or slope (slope at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return ctx.xp.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return E.where(x > 0, g, g * ctx.slope), None


class Elu(ArrayFunction):
    """y = x for x > 0, else α(eˣ - 1);  dy/dx = 1, or αeˣ (computed from x: y + α would lose
    every digit of αeˣ to cancellation once eˣ is below float32's resolution of 1)."""

    @staticmethod
    def forward(ctx, x, alpha):
        xp = ctx.xp
        ctx.alpha = alpha
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))  # min: no overflow warning
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return E.where(x > 0, g, g * (x.clamp(max=0).exp() * ctx.alpha)), None


_TANH_K = math.sqrt(2.0 / math.pi)
_TANH_C = 0.044715


class Gelu(ArrayFunction):
    """y = x·Φ(x), Φ the standard normal CDF: Φ(x) = ½(1 + erf(x/√2)) = ½ erfc(-x/√2);
    dy/dx = Φ(x) + x·φ(x), with φ(x) = e^(-x²/2)/√(2π).

    ``approximate='tanh'``: y = ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³);
    dy/dx = ½(1 + tanh u) + ½x(1 - tanh² u)·√(2/π)(1 + 3·0.044715x²).
    """

    @staticmethod
    def forward(ctx, x, approximate):
        xp = ctx.xp
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            return 0.5 * x * (1.0 + xp.tanh(_TANH_K * (x + _TANH_C * x * x * x)))
        return x * _normal_cdf_array(xp, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            x2 = x * x
            t = E.tanh(_TANH_K * (x + _TANH_C * x2 * x))
            slope = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _TANH_K * (1.0 + 3 * _TANH_C * x2)
        else:
            slope = NormalCdf.apply(x) + x * (_INV_SQRT_2PI * E.exp(-0.5 * (x * x)))
        return g * slope, None


class Softplus(ArrayFunction):
    """y = (1/β) ln(1 + e^(βx)), computed as (max(βx, 0) + ln(1 + e^(-|βx|)))/β, which never
    overflows; y = x where βx > threshold.  dy/dx = σ(βx) (1 beyond the threshold)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.xp
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        z = x * beta if beta != 1 else x
        y = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        if beta != 1:
            y = y / beta
        if threshold is not None:
            y = xp.where(z > threshold, x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        z = x * ctx.beta if ctx.beta != 1 else x
        grad = g * E.sigmoid(z)
        if ctx.threshold is not None:
            grad = E.where(z > ctx.threshold, g, grad)
        return grad, None, None


# -- the functions users call -------------------------------------------------------------
def _float_input(op: str, input) -> Tensor:
    x = tensor_arg(op, input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {x.dtype}")
    return x


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise; ``inplace=True`` overwrites `input`."""
    if inplace:
        return relu_(input)
    return E.relu(input)


def relu_(input: Tensor) -> Tensor:
    return apply_inplace("relu_", tensor_arg("relu_", input), E.relu)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return LeakyRelu.apply(_float_input("leaky_relu", input), float(negative_slope))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    x = _float_input("leaky_relu_", input)
    return apply_inplace("leaky_relu_", x, lambda t: LeakyRelu.apply(t, float(negative_slope)))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(eˣ - 1) otherwise."""
    if inplace:
        return elu_(input, alpha)
    return Elu.apply(_float_input("elu", input), float(alpha))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    x = _float_input("elu_", input)
    return apply_inplace("elu_", x, lambda t: Elu.apply(t, float(alpha)))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (exact, via erf) or its tanh approximation (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_float_input("gelu", input), approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) ln(1 + e^(βx)), a smooth ReLU; linear where βx > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    return Softplus.apply(_float_input("softplus", input), float(beta), float(threshold))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e⁻ˣ), elementwise."""
    return E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return E.tanh(input)


def _implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's deprecated choice when no dim is given: 0 for 0-, 1- and 3-D inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along `dim`."""
    x = tensor_arg("softmax", input)
    if dim is None:
        dim = _implicit_dim("softmax", x.ndim)
    return R.softmax(x, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """xᵢ - log Σⱼ exp(xⱼ) along `dim`, computed stably."""
    x = tensor_arg("log_softmax", input)
    if dim is None:
        dim = _implicit_dim("log_softmax", x.ndim)
    return R.log_softmax(x, dim, dtype=dtype)
