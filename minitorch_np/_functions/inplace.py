"""In-place operations (``add_``, ``mul_``, ``x[i] = v``, ...).

Outside the graph (``no_grad``, or nothing requires grad) they write straight into the
tensor's memory. When the graph is recorded, the tensor's old value is kept as a snapshot
that takes its place in the graph, the out-of-place op is recorded on it, and the result is
written into the tensor's memory, which then points to the new node. Either way the version
counter is bumped, so a node that saved the old value refuses to use the new one.

As in PyTorch, a leaf that requires grad cannot be changed in place while recording.
In-place changes through a *view* of a tensor that is part of a recorded graph are refused
(PyTorch rewrites the base's graph there; we keep the engine simple and say so).
"""
from __future__ import annotations

from .._dtype import from_numpy_dtype, result_type
from .._grad_mode import _state as _grad_state
from .._grad_mode import no_grad
from .._tensor import Tensor
from . import elementwise as E
from .indexing import _normalize_key, index_put
from .operands import as_operand, cast_to, device_guard


def _records(op: str, t: Tensor, others) -> bool:
    """Whether this in-place op must be recorded; refuses the cases PyTorch refuses."""
    if not _grad_state.enabled:
        return False
    base = t._base
    if base is not None and base.grad_fn is not None and t._counter.value != t._view_version:
        # the base joined a graph (or changed in it) after this view was made: PyTorch
        # would rebuild the view's grad_fn and record this op; unrecorded, it would change
        # the base's values behind its graph
        raise RuntimeError(f"{op}: this tensor is a view of a tensor that was modified in "
                           "place after the view was made; minitorch_np does not rebuild a "
                           "view's graph, so this change would escape it. Take the view again "
                           "after the in-place operation, or use torch.no_grad().")
    involved = t._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
    if not involved:
        return False
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if t._base is not None:
        raise RuntimeError(f"{op}: in-place operation on a view of another tensor while the "
                           "graph is recorded is not supported by minitorch_np; use the "
                           "out-of-place form (or torch.no_grad() for updates)")
    return True


def _check_result_dtype(op: str, t: Tensor, result_dtype) -> None:
    """PyTorch's casting rule for in-place results: narrowing within a category is fine
    (a float64 result into a float32 tensor), moving down one is not (a float into an int
    tensor, an int into a bool one)."""
    target = from_numpy_dtype(t._data.dtype)
    if result_dtype._category > target._category:
        raise RuntimeError(f"{op}: result type {result_dtype} can't be cast to the desired "
                           f"output type {target}")


def _write(op: str, t: Tensor, array) -> None:
    try:
        with device_guard(t):
            t._data[...] = array
    except ValueError as e:
        raise RuntimeError(f"{op}: cannot write in place into a tensor of shape "
                           f"{list(t.shape)}: {e}") from None
    t._version_counter.value += 1


def apply_inplace(op: str, t: Tensor, fn, *others) -> Tensor:
    """``t ← fn(t, *others)`` in place; `fn` is the out-of-place op."""
    if _records(op, t, others):
        with device_guard(t):  # (t's old value; no gradient for it if t had none: a node
            # then saves only what the others' gradients need, as PyTorch's does)
            snapshot = Tensor._make(t._data.copy(), t._device, t._requires_grad, t.grad_fn,
                                    t._output_nr)
        result = fn(snapshot, *others)
        _check_result_dtype(op, t, from_numpy_dtype(result._data.dtype))
        result = cast_to(result, from_numpy_dtype(t._data.dtype))
        if result._data.shape != t._data.shape:
            raise RuntimeError(f"{op}: output with shape {list(t.shape)} doesn't match the "
                               f"broadcast shape {list(result.shape)}")
        _write(op, t, result._data)
        t.grad_fn, t._output_nr, t._requires_grad = result.grad_fn, result._output_nr, True
        return t
    with no_grad():
        result = fn(t, *others)
    _check_result_dtype(op, t, from_numpy_dtype(result._data.dtype))
    if result._data.shape != t._data.shape:
        raise RuntimeError(f"{op}: output with shape {list(t.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    _write(op, t, result._data)
    return t


def _direct(op: str, t: Tensor, operands) -> bool:
    """Can `op` write straight into t's memory in one pass? Yes when nothing is recorded and
    every operand is a number or a tensor of t's device and dtype (else the general path
    promotes, checks and reports)."""
    if _grad_state.enabled and _records(op, t, operands):  # (an optimizer runs in no_grad)
        return False
    floating = t._data.dtype.kind == "f"
    for o in operands:
        if isinstance(o, Tensor):
            if o._device is not t._device or o._data.dtype != t._data.dtype:
                return False
        elif not (isinstance(o, (int, float)) and (floating or isinstance(o, int))):
            return False
    return True


def _raw(o):
    return o._data if isinstance(o, Tensor) else o


def _ufunc_into(op: str, t: Tensor, ufunc: str, operand, alpha=1) -> Tensor:
    """``t ← ufunc(t, alpha · operand)`` with the ufunc writing its output into t's memory."""
    try:
        if t._device.index:
            with device_guard(t):
                _apply_ufunc(t, ufunc, operand, alpha)
        else:  # (the guard is a no-op off device 0, and an optimizer step calls this a lot)
            _apply_ufunc(t, ufunc, operand, alpha)
    except ValueError as e:
        shape = list(operand.shape) if hasattr(operand, "shape") else []
        raise RuntimeError(f"{op}: cannot update a tensor of shape {list(t.shape)} in place "
                           f"with an operand of shape {shape}: {e}") from None
    (t._counter or t._version_counter).value += 1  # (the property makes one when missing)
    return t


def _apply_ufunc(t: Tensor, ufunc: str, operand, alpha) -> None:
    if alpha != 1:
        operand = operand * alpha
    getattr(t._device.backend.xp, ufunc)(t._data, operand, out=t._data)


def add_(self, other, *, alpha=1):
    """``self += alpha · other``."""
    if _direct("add_", self, (other, alpha)):
        return _ufunc_into("add_", self, "add", _raw(other), _raw(alpha))
    return apply_inplace("add_", self, lambda t, o: E.add(t, o, alpha=alpha), other)


def _foreach_add_(self, other, *, alpha=1) -> None:
    """``t += alpha · o`` for each pair of the lists `self` and `other` (PyTorch's
    ``torch._foreach_add_``, the one call its optimizers make for a whole parameter group).

    Each pair is `add_`'s direct path without its per-call checks, when it may take it: no
    graph recorded, a tensor of t's device, dtype and shape, a number `alpha`. Any other pair
    goes through ``t.add_(o, alpha=alpha)``, which checks, promotes and reports.
    """
    tensors, others = list(self), list(other)
    if len(tensors) != len(others):
        raise RuntimeError(f"_foreach_add_: expected two lists of the same length, got "
                           f"{len(tensors)} and {len(others)}")
    direct = (not _grad_state.enabled and isinstance(alpha, (int, float))
              and not isinstance(alpha, bool))
    for t, o in zip(tensors, others):
        if not isinstance(t, Tensor):
            raise TypeError(f"_foreach_add_: expected a list of Tensors, got "
                            f"{type(t).__name__}")
        a = t._data
        if (not direct or not isinstance(o, Tensor) or o._device is not t._device
                or t._device.index or o._data.dtype != a.dtype or o._data.shape != a.shape):
            t.add_(o, alpha=alpha)
            continue
        a += o._data * alpha if alpha != 1 else o._data
        (t._counter or t._version_counter).value += 1


def sub_(self, other, *, alpha=1):
    """``self -= alpha · other``."""
    E.refuse_bool_subtraction(self, other)
    if _direct("sub_", self, (other, alpha)):
        return _ufunc_into("sub_", self, "subtract", _raw(other), _raw(alpha))
    return apply_inplace("sub_", self, lambda t, o: E.sub(t, o, alpha=alpha), other)


def mul_(self, other):
    """``self *= other``."""
    if _direct("mul_", self, (other,)):
        return _ufunc_into("mul_", self, "multiply", _raw(other))
    return apply_inplace("mul_", self, E.mul, other)


def div_(self, other, *, rounding_mode=None):
    """``self /= other``."""
    if rounding_mode is None and self._data.dtype.kind == "f" and _direct("div_", self, (other,)):
        return _ufunc_into("div_", self, "true_divide", _raw(other))
    return apply_inplace("div_", self, lambda t, o: E.div(t, o, rounding_mode=rounding_mode),
                         other)


def pow_(self, exponent):
    return apply_inplace("pow_", self, E.pow, exponent)


def _augmented(name: str, fn, symbol: str):
    """The in-place form of a binary op, for the augmented assignment ``self <symbol>= other``."""
    def op(self, other):
        return apply_inplace(name, self, fn, other)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``self {symbol}= other``."
    return op


floor_divide_ = _augmented("floor_divide_", E.floor_divide, "//")
remainder_ = _augmented("remainder_", E.remainder, "%")
bitwise_and_ = _augmented("bitwise_and_", E.bitwise_and, "&")
bitwise_or_ = _augmented("bitwise_or_", E.bitwise_or, "|")
bitwise_xor_ = _augmented("bitwise_xor_", E.bitwise_xor, "^")


def neg_(self):
    return apply_inplace("neg_", self, E.neg)


def sqrt_(self):
    return apply_inplace("sqrt_", self, E.sqrt)


def exp_(self):
    return apply_inplace("exp_", self, E.exp)


def abs_(self):
    return apply_inplace("abs_", self, E.abs)


def relu_(self):
    return apply_inplace("relu_", self, E.relu)


def clamp_(self, min=None, max=None):  # noqa: A002
    return apply_inplace("clamp_", self, lambda t: E.clamp(t, min, max))


def addcmul_(self, tensor1, tensor2, *, value=1):
    """``self += value · tensor1 · tensor2``."""
    if _direct("addcmul_", self, (tensor1, tensor2, value)):
        with device_guard(self):
            term = _raw(tensor1) * _raw(tensor2)
            if value != 1:
                term *= _raw(value)
        return _ufunc_into("addcmul_", self, "add", term)
    return apply_inplace("addcmul_", self, lambda t, a, b: t + value * a * b, tensor1, tensor2)


def addcdiv_(self, tensor1, tensor2, *, value=1):
    """``self += value · tensor1 / tensor2``."""
    if _direct("addcdiv_", self, (tensor1, tensor2, value)):
        with device_guard(self):
            term = _raw(tensor1) / _raw(tensor2)
            if value != 1:
                term *= _raw(value)
        return _ufunc_into("addcdiv_", self, "add", term)
    return apply_inplace("addcdiv_", self, lambda t, a, b: t + value * a / b, tensor1, tensor2)


def lerp_(self, end, weight):
    """``self += weight · (end - self)``, computed from the nearer end as PyTorch does
    (``end - (1 - weight) · (end - self)`` for weight ≥ 0.5)."""
    if isinstance(weight, Tensor):
        return apply_inplace("lerp_", self, lambda t, e, w: t + w * (e - t), end, weight)
    if weight >= 0.5:
        return apply_inplace("lerp_", self, lambda t, e: e - (e - t) * (1 - weight), end)
    if _direct("lerp_", self, (end, weight)):
        return _ufunc_into("lerp_", self, "add", _lerp_step(self, end, weight))
    return apply_inplace("lerp_", self, lambda t, e: t + weight * (e - t), end)


def _lerp_step(t: Tensor, end: Tensor, weight: float):
    with device_guard(t):
        step = _raw(end) - t._data
        step *= weight
        return step


def masked_fill_(self, mask, value):
    return apply_inplace("masked_fill_", self, lambda t, m: E.where(m, value, t), mask)


def zero_(self):
    return fill_(self, 0)


def _everywhere(t: Tensor) -> Tensor:
    backend = t._device.backend
    with backend.device_context(t._device.index or 0):  # GPU arrays are made on the current one
        return Tensor._make(backend.xp.ones(t._data.shape, dtype=bool), t._device)


def fill_(self, value):
    """Set every element to `value` (a number or a one-element tensor)."""
    value = as_operand("fill_", value)
    if isinstance(value, Tensor) and value.numel() != 1:
        raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor "
                           f"with {value.ndim} dimensions")
    if isinstance(value, Tensor):
        return apply_inplace("fill_", self,
                             lambda t, v: E.where(_everywhere(t), v.reshape(()), t), value)
    if _records("fill_", self, ()):
        return apply_inplace("fill_", self, lambda t: E.where(_everywhere(t), value, t))
    _check_result_dtype("fill_", self, result_type(self, value))
    _write("fill_", self, value)
    return self


def copy_(self, src, non_blocking: bool = False):
    """Copy `src` (broadcast, cast, moved across devices) into this tensor's memory."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")

    def copy(t, s):
        return E.where(_everywhere(t), s.to(t._device).to(dtype=t.dtype), t)
    return apply_inplace("copy_", self, copy, src)


def setitem(self, key, value):
    """``self[key] = value``: recorded when the graph is, like every in-place op."""
    if (type(key) is int and type(value) is Tensor and value._device is self._device
            and value._data.dtype == self._data.dtype
            and not (self._requires_grad or value._requires_grad)):
        # the lecture's y[k] = w.mv(x[k]): nothing to record, convert or promote
        try:
            if self._device.index:
                with device_guard(self):
                    self._data[key] = value._data
            else:
                self._data[key] = value._data
        except (ValueError, IndexError) as e:
            raise type(e)(f"index_put: {e} (tensor of shape {list(self.shape)}, value of "
                          f"shape {list(value.shape)})") from None
        (self._counter or self._version_counter).value += 1  # (the property makes one)
        return
    value = as_operand("index_put", value)
    if isinstance(value, Tensor) and value._device is not self._device:
        raise RuntimeError(f"index_put: value on {value._device} cannot be written into a "
                           f"tensor on {self._device}")
    # Writing 1.5 into an int tensor would store 1: refuse, as tensor(1.5, dtype=int64) does
    # (truncate on purpose with value.long()).
    if self._data.dtype.kind != "f" and result_type(value).is_floating_point:
        raise RuntimeError(f"index_put: cannot write a floating point value into a tensor of "
                           f"dtype {self.dtype} without truncating it; convert it first "
                           f"(e.g. value.long())")
    if _records("index_put_", self, (value,)):
        apply_inplace("index_put_", self, lambda t, v: index_put(t, key, v), value)
        return
    raw_key, _ = _normalize_key(self, key)
    if isinstance(value, Tensor):
        v_dtype = from_numpy_dtype(value._data.dtype)
        if v_dtype is not from_numpy_dtype(self._data.dtype):
            value = value.to(dtype=self.dtype)
        raw = value._data
    else:
        raw = value
    try:
        with device_guard(self):
            self._data[raw_key] = raw
    except (ValueError, IndexError) as e:
        raise type(e)(f"index_put: {e} (tensor of shape {list(self.shape)}, value of shape "
                      f"{list(value.shape) if isinstance(value, Tensor) else '()'})") from None
    self._version_counter.value += 1


def _floating_only(op: str, t: Tensor) -> None:
    if t._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point tensor, got {t.dtype} "
                        f"(random samples would be truncated)")


def _scaled(sample, scale: float, shift: float):
    """``sample · scale + shift`` in the sample's own memory (it is a fresh array): two more
    temporaries of the tensor's size would be made and freed otherwise."""
    if scale != 1:
        sample *= scale
    if shift != 0:
        sample += shift
    return sample


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with samples of N(mean, std²)."""
    _floating_only("normal_", self)
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    _records("normal_", self, ())
    backend = self._device.backend
    sample = backend.random_normal(self._data.shape, self._data.dtype, self._device.index)
    with no_grad(), device_guard(self):
        _write("normal_", self, _scaled(sample, std, mean))
    return self


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with samples of U[a, b)."""
    _floating_only("uniform_", self)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    _records("uniform_", self, ())
    backend = self._device.backend
    sample = backend.random_uniform(self._data.shape, self._data.dtype, self._device.index)
    with device_guard(self):
        _write("uniform_", self, _scaled(sample, b - a, a))
    return self

