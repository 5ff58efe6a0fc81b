"""Elementwise operations: arithmetic, math functions, comparisons.

Each differentiable op is a `Function` whose forward works on arrays and whose backward
works on Tensors. Broadcasting needs no care here: the engine sums each gradient back to
its input's shape. Lecture 000 ("Going deeper") derives the backward of a fully connected
layer from exactly these pieces.
"""
from __future__ import annotations

import math

from .._creation import ones_like, tensor
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .operands import as_operand, binary, device_guard, floating, tensor_arg


# -- arithmetic ---------------------------------------------------------------------------
class Add(ArrayFunction):
    """y = a + b;  ∂y/∂a = ∂y/∂b = 1."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(ArrayFunction):
    """y = a - b;  ∂y/∂a = 1, ∂y/∂b = -1."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None


class Mul(ArrayFunction):
    """y = a·b;  ∂y/∂a = b, ∂y/∂b = a."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        # only what backward uses (as PyTorch): b for a's gradient, a for b's
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(ArrayFunction):
    """y = a / b;  ∂y/∂a = 1/b, ∂y/∂b = -a/b²."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Remainder(ArrayFunction):
    """y = a mod b = a − b·⌊a/b⌋ (Python's: the sign of b);  ∂y/∂a = 1, ∂y/∂b = −⌊a/b⌋
    (⌊a/b⌋ is piecewise constant, so it is a constant for higher derivatives too)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        return ctx.xp.mod(a, b)

    @staticmethod
    def backward(ctx, g):
        ga = g if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            a, b = ctx.saved_tensors
            a, b = (v.detach() if isinstance(v, Tensor) else v for v in (a, b))
            gb = -g * floor_divide(a, b)
        return ga, gb


class Neg(ArrayFunction):
    """y = -x."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(ArrayFunction):
    """y = aᵇ;  ∂y/∂a = b·aᵇ⁻¹ (0 where b = 0, also at a = 0), ∂y/∂b = aᵇ·ln a (0 where
    a = 0; nan for a negative base, whose powers are real only at integer b), as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if getattr(b, "dtype", None) is not None and b.dtype.kind == "i" and bool((b < 0).any()):
            # NumPy refuses integers to negative integer powers; PyTorch truncates 1/aⁿ
            # toward zero: ±1 for a = ±1, else 0
            odd = b % 2 == 1
            y = xp.where(b >= 0, a ** xp.maximum(b, 0),
                         xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)))
            y = y.astype(xp.result_type(a, b), copy=False)
        else:
            y = a ** b
        # y only for the exponent's gradient (as PyTorch: x ** 2 keeps x, so a later
        # in-place change of its output leaves the gradient computable)
        ctx.save_for_backward(a, b, y if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor):  # b·a^(b−1) would be 0·∞ = nan at a = b = 0
                ga = where(b == 0, 0.0, g * b * a ** (b - 1))
            else:
                ga = g * b * a ** (b - 1) if b != 0 else g * 0
        if ctx.needs_input_grad[1]:
            if isinstance(a, Tensor):
                safe = where(a == 0, 1.0, a)  # ln 0 would poison the zero-base entries
                gb = where(a == 0, 0.0, g * y * log(safe))
            else:
                gb = g * y * (math.log(a) if a > 0 else 0.0 if a == 0 else math.nan)
        return ga, gb


class Maximum(ArrayFunction):
    """y = max(a, b); the gradient goes to the larger input, half to each on ties."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(((a > b) + 0.5 * (a == b)).astype(a.dtype))
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        share_a, = ctx.saved_tensors
        return g * share_a, g * (1 - share_a)


class Minimum(ArrayFunction):
    """y = min(a, b); the gradient goes to the smaller input, half to each on ties."""

    _array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(((a < b) + 0.5 * (a == b)).astype(a.dtype))
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        share_a, = ctx.saved_tensors
        return g * share_a, g * (1 - share_a)


class Where(ArrayFunction):
    """y = a where cond else b; the gradient is routed the same way."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        zero = 0.0
        ga = where(cond, g, zero) if ctx.needs_input_grad[1] else None
        gb = where(cond, zero, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


# -- math functions -----------------------------------------------------------------------
class Exp(ArrayFunction):
    """y = eˣ;  dy/dx = y."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Log(ArrayFunction):
    """y = ln x;  dy/dx = 1/x."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Sqrt(ArrayFunction):
    """y = √x;  dy/dx = 1/(2y)."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g / (2 * y)


class Abs(ArrayFunction):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch)."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(ctx.xp.sign(x))
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        s, = ctx.saved_tensors
        return g * s


class Sin(ArrayFunction):
    """y = sin x;  dy/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cos(x)


class Cos(ArrayFunction):
    """y = cos x;  dy/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * sin(x)


class Tanh(ArrayFunction):
    """y = tanh x;  dy/dx = 1 - y²."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y * y)


class Sigmoid(ArrayFunction):
    """y = 1/(1 + e⁻ˣ), computed without overflow;  dy/dx = y(1 - y)."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        e = xp.exp(-xp.abs(x))  # never overflows; then pick the stable form per sign
        y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * (1 - y)


class Relu(ArrayFunction):
    """y = max(x, 0);  dy/dx = 0 where x ≤ 0, else 1 (also at NaN, as PyTorch).

    Backward reads the slope off the output, as PyTorch does: y is 0 exactly where x ≤ 0
    and positive or NaN elsewhere, so the mask is ``y != 0`` — one pass, as in the lecture's
    hand-written backward, where a mask made in forward would take two (``~(x <= 0)``) and be
    kept alive in the meantime. Changing y in place before backward is then refused.
    """

    _array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        if isinstance(g, Tensor):  # Masked records the product as one node (the mask: constant)
            return Masked.apply(g, y._data != 0)
        return g * (y != 0)


class Masked(ArrayFunction):
    """y = g · m for a bool mask m that is a constant (ReLU's backward);  ∂y/∂g = m.

    One node and one pass: ``g * m`` with Tensor ops would first cast m to g's dtype (a node
    and a copy), and ``where(m, g, 0)`` is 4× slower than the product.
    """

    @staticmethod
    def forward(ctx, g, mask):
        ctx.mask = mask
        return g * mask  # the array library promotes the bool mask inside the product

    @staticmethod
    def backward(ctx, gg):
        return Masked.apply(gg, Tensor._make(ctx.mask, gg._device)), None


class Clamp(ArrayFunction):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo ≤ x ≤ hi, else 0."""

    _array_backward = True

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        inside = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside)
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        inside, = ctx.saved_tensors
        return g * inside, None, None


# -- the functions users call -------------------------------------------------------------
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = as_operand("add", other)
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    a, b = binary("add", input, other)
    return Add.apply(a, b)


def refuse_bool_subtraction(input, other) -> None:
    """PyTorch refuses ``-`` with a bool tensor (1 - mask is usually meant as ~mask), and with
    a Python bool, which it takes as a bool tensor (``x - True``)."""
    bools = [isinstance(x, bool) or isinstance(x, Tensor) and x._data.dtype.kind == "b"
             for x in (input, other)]
    if not any(bools):
        return
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    refuse_bool_subtraction(input, other)
    if alpha != 1:
        other = as_operand("sub", other)
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    a, b = binary("sub", input, other)
    return Sub.apply(a, b)


def mul(input, other):
    a, b = binary("mul", input, other)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float dtype); ``rounding_mode`` 'trunc' or
    'floor' rounds the quotient (not differentiable)."""
    a, b = binary("div", input, other)
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', "
                             f"got {rounding_mode!r}")
        return _rounded_div(a, b, rounding_mode)
    if (a._data.dtype if isinstance(a, Tensor) else b._data.dtype).kind != "f":
        # integers divide as floats, each converted from its own value, as in PyTorch: not
        # from the promoted integer type, where an int8 -1 beside a uint8 tensor (or a
        # Python -1 beside it) would have wrapped around to 255
        a, b = binary("div", _to_float(as_operand("div", input)),
                      _to_float(as_operand("div", other)))
    return Div.apply(a, b)


def _to_float(x):
    return floating("div", x) if isinstance(x, Tensor) else float(x)


def _refuse_integer_division_by_zero(op: str, t: Tensor, divisor) -> None:
    """Integer division by zero has no answer: NumPy would return 0 (or garbage) with a
    warning; PyTorch raises, and so do we."""
    if t._data.dtype.kind in "iub" and bool((divisor == 0).any() if hasattr(divisor, "any")
                                            else divisor == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError: integer division by zero ({t.dtype} "
                           f"operands; divide floating point tensors to get inf or nan)")


def _refuse_bool_result(op: str, kernel: str, t: Tensor) -> None:
    """PyTorch has no bool kernel for rounded division and remainder: a bool result (both
    operands bool) is refused, with its message."""
    if t._data.dtype.kind == "b":
        raise NotImplementedError(f"{op}: \"{kernel}\" not implemented for 'Bool' (as in "
                                  "PyTorch; convert an operand to an integer dtype)")


def _rounded_div(a, b, mode):
    t = a if isinstance(a, Tensor) else b
    _refuse_bool_result("div", f"div_{mode}_cpu", t)
    xp = t._device.backend.xp
    ra = a._data if isinstance(a, Tensor) else a
    rb = b._data if isinstance(b, Tensor) else b
    with device_guard(t):
        _refuse_integer_division_by_zero("div", t, rb)
        if t._data.dtype.kind == "f":
            # floor: Python's a // b, which is not floor(a / b) when a / b rounds up to an
            # integer (1.0 // 0.1 is 9: 0.1 is a little more than one tenth)
            q = xp.trunc(ra / rb) if mode == "trunc" else xp.floor_divide(ra, rb)
        else:
            q = xp.floor_divide(ra, rb) if mode == "floor" else \
                xp.trunc(ra / rb).astype(t._data.dtype)
        return Tensor._make(q.astype(t._data.dtype, copy=False), t._device)


def true_divide(input, other):
    return div(input, other)


def neg(input):
    x = tensor_arg("neg", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError("neg: negation, the `-` operator, on a bool tensor is not supported; "
                           "to invert a mask use the `~` or `logical_not()` operator instead")
    return Neg.apply(x)


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    """``input ** exponent``; either may be a scalar."""
    a, b = binary("pow", input, exponent)
    if isinstance(a, Tensor) and a._data.dtype.kind == "b" and type(b) is bool:
        # a bool tensor to a bool number: x ** True is x, x ** False is all True (PyTorch's
        # scalar-exponent special cases; it has no bool kernel otherwise)
        return a.clone() if b else ones_like(a)
    if all(isinstance(x, bool) or isinstance(x, Tensor) and x._data.dtype.kind == "b"
           for x in (a, b)):
        raise NotImplementedError("\"pow\" not implemented for 'Bool' (convert one operand, "
                                  "e.g. x.long() or x.float())")
    e = as_operand("pow", exponent)  # the number as given (binary wraps -1 into uint8 255)
    if isinstance(a, Tensor) and a._data.dtype.kind in "iub" and type(e) is int and e < 0:
        raise RuntimeError("pow: integers to negative integer powers are not allowed")
    return Pow.apply(a, b)


def maximum(input, other):
    a, b = binary("maximum", tensor_arg("maximum", input), tensor_arg("maximum", other, "other"))
    return Maximum.apply(a, b)


def minimum(input, other):
    a, b = binary("minimum", tensor_arg("minimum", input), tensor_arg("minimum", other, "other"))
    return Minimum.apply(a, b)


def where(condition, input, other):
    """Elements of `input` where `condition` holds, else of `other` (scalars allowed)."""
    cond = tensor_arg("where", condition, "condition")
    if cond._data.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # where(mask, 1.0, 0.0): two numbers, typed as PyTorch types them (1.0 → float32)
        input = tensor(as_operand("where", input), device=cond.device)
    a, b = binary("where", input, other)
    for x in (a, b):
        if isinstance(x, Tensor) and x._device is not cond._device:
            raise RuntimeError(f"where: expected all tensors to be on the same device, but "
                               f"found at least two devices, {cond._device} and {x._device}")
    return Where.apply(cond, a, b)


def _unary(cls, name):
    def op(input):
        if isinstance(input, Tensor) and input._data.dtype.kind == "f":  # nothing to convert
            return cls.apply(input)
        return cls.apply(floating(name, tensor_arg(name, input)))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = cls.__doc__
    return op


exp = _unary(Exp, "exp")
log = _unary(Log, "log")
sqrt = _unary(Sqrt, "sqrt")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")


def abs(input):  # noqa: A001 - PyTorch's name
    """|x|, elementwise."""
    x = tensor_arg("abs", input)
    if x._data.dtype.kind == "b":
        raise NotImplementedError("abs: not implemented for bool tensors (a mask is its own "
                                  "absolute value)")
    return Abs.apply(x)


def relu(input):
    """max(x, 0), elementwise."""
    x = tensor_arg("relu", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError("relu: Boolean inputs not supported for relu (as in PyTorch)")
    return Relu.apply(x)


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    """Limit every element to [min, max] (either bound may be None)."""
    x = tensor_arg("clamp", input)
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min) if isinstance(min, Tensor) else clamp(out, min=min)
        if max is not None:
            out = minimum(out, max) if isinstance(max, Tensor) else clamp(out, max=max)
        return out
    if x._data.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
        x = floating("clamp", x)
    elif x._data.dtype.kind == "b" and any(type(v) is int for v in (min, max)):
        x = x.long()  # a bool tensor clamped by numbers: int64, as PyTorch
    return Clamp.apply(x, min, max)


clip = clamp


def square(input):
    """x², elementwise (a bool or integer tensor gives int64, as PyTorch's ``pow(x, 2)``)."""
    x = tensor_arg("square", input)
    return mul(x, x) if x._data.dtype.kind == "f" else pow(x, 2)


def rsqrt(input):
    return div(1.0, sqrt(input))


# -- comparisons and logic: no gradient ---------------------------------------------------
def _compare(name, ufunc):
    def op(input, other):
        a, b = binary(name, input, other)
        t = a if isinstance(a, Tensor) else b
        xp = t._device.backend.xp
        ra = a._data if isinstance(a, Tensor) else a
        rb = b._data if isinstance(b, Tensor) else b
        with device_guard(t):
            return Tensor._make(getattr(xp, ufunc)(ra, rb), t._device)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}``, a bool tensor (no gradient)."
    return op


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")
logical_and = _compare("logical_and", "logical_and")
logical_or = _compare("logical_or", "logical_or")
logical_xor = _compare("logical_xor", "logical_xor")
bitwise_and = _compare("bitwise_and", "bitwise_and")
bitwise_or = _compare("bitwise_or", "bitwise_or")
bitwise_xor = _compare("bitwise_xor", "bitwise_xor")


def _predicate(name, ufunc):
    def op(input):
        x = tensor_arg(name, input)
        with device_guard(x):
            return Tensor._make(getattr(x._device.backend.xp, ufunc)(x._data), x._device)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (no gradient)."
    return op


logical_not = _predicate("logical_not", "logical_not")
isnan = _predicate("isnan", "isnan")
isinf = _predicate("isinf", "isinf")
isfinite = _predicate("isfinite", "isfinite")


def sign(input):
    """-1, 0 or 1 by the sign of each element (no gradient); as PyTorch, NaN gives 0 and a
    bool tensor is its own sign."""
    x = tensor_arg("sign", input)
    xp = x._device.backend.xp
    with device_guard(x):
        a = x._data
        if a.dtype.kind == "b":
            return Tensor._make(a.copy(), x._device)
        out = xp.sign(a)
        if a.dtype.kind == "f":
            out = xp.where(xp.isnan(a), 0, out).astype(a.dtype, copy=False)
        return Tensor._make(out, x._device)


def bitwise_not(input):
    x = tensor_arg("bitwise_not", input)
    xp = x._device.backend.xp
    f = xp.logical_not if x._data.dtype.kind == "b" else xp.invert
    with device_guard(x):
        return Tensor._make(f(x._data), x._device)


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python's ``a % b`` (the sign of the divisor)."""
    a, b = binary("remainder", input, other)
    t = a if isinstance(a, Tensor) else b
    _refuse_bool_result("remainder", "remainder_cpu", t)
    with device_guard(t):
        _refuse_integer_division_by_zero("remainder", t, b._data if isinstance(b, Tensor) else b)
    return Remainder.apply(a, b)
