"""Making tensors: ``tensor``, ``zeros``, ``arange``, ``randn``, ... and ``manual_seed``.

Data is first turned into a host NumPy array of the right dtype, then handed to the device's
backend (a copy to the GPU; no copy on the CPU when none is needed). Random numbers come from
the backend of the target device, each with its own generator, all reseeded by ``manual_seed``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _dtype
from ._dtype import get_default_dtype, to_dtype
from ._functions.shape import int_arg, size_args
from ._tensor import Tensor, _concrete
from .backends import _BACKENDS
from .backends import device as Device

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
           "manual_seed", "initial_seed", "seed"]

_initial_seed = 67280421310721  # PyTorch's default seed; fixed, so runs are reproducible


def _device(device) -> Device:
    return _concrete(Device(device if device is not None else "cpu"))


def _infer_dtype(data):
    """The dtype PyTorch infers for nested Python data: bool < int64 < default float."""
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, list | tuple | range):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.generic):  # a NumPy scalar keeps its dtype, as in PyTorch
            kinds.add(_dtype.from_numpy_dtype(x.dtype))
        elif isinstance(x, bool | np.bool_):
            kinds.add(_dtype.bool)
        elif isinstance(x, numbers.Integral):
            kinds.add(_dtype.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(get_default_dtype())
        else:
            raise TypeError(f"tensor: could not infer dtype of {type(x).__name__}")
    result = _dtype.float32 if not kinds else None
    for k in kinds:
        result = k if result is None else _dtype.promote_types(result, k)
    return result


def _host_array(data, dtype, op: str) -> np.ndarray:
    """`data` (nested lists, scalars, arrays, tensors) as a host array of `dtype`."""
    if isinstance(data, Tensor):
        array = data._device.backend.to_numpy(data._data)
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, list | tuple) and any(isinstance(x, Tensor) for x in data):
        # (each element in its own dtype: the checks and the cast below see the values)
        array = np.stack([_host_array(x, None, op) for x in data]) if data else np.zeros(0)
    else:
        try:
            array = np.asarray(data)
        except ValueError:  # NumPy 2 refuses ragged nesting ("inhomogeneous shape")
            raise ValueError(f"{op}: expected a sequence of equal-length sequences of numbers "
                             f"(ragged nested sequences cannot make a tensor)") from None
        except TypeError as e:
            raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}: {e}") from None
        # (NumPy keeps ints too big for int64 and uint64 as Python objects)
        if array.dtype == object and not all(isinstance(v, numbers.Number) for v in array.flat):
            raise ValueError(f"{op}: expected a sequence of equal-length sequences of numbers "
                             f"(ragged nested sequences cannot make a tensor)")
    if dtype is not None:
        if array.dtype.kind == "f" and dtype.numpy.kind in "iub" and array.size:
            if not np.all(np.isfinite(array)) or not np.all(array == np.trunc(array)):
                raise TypeError(f"{op}: refusing to truncate non-integer values to {dtype}")
        if not isinstance(data, Tensor | np.ndarray):  # arrays and tensors wrap, as in PyTorch
            _check_fits(array, dtype, op)
        array = array.astype(dtype.numpy, copy=False)
    else:
        _dtype.from_numpy_dtype(array.dtype)  # raises for unsupported dtypes (object, complex)
    return array


def _check_fits(array: np.ndarray, dtype, op: str) -> None:
    """Refuse numbers an integer `dtype` cannot hold, as PyTorch does with Python numbers
    (NumPy would silently wrap 300 around to 44 in int8).

    An int outside int64 is a ValueError (PyTorch's "Overflow when unpacking long long");
    one outside `dtype` a RuntimeError, except that a negative int may wrap into an unsigned
    dtype (-1 becomes 255 in uint8), as PyTorch allows.
    """
    if dtype.numpy.kind not in "iu" or array.dtype.kind not in "iufO" or not array.size:
        return
    lo, hi = array.min(), array.max()
    if isinstance(lo, np.generic):  # compare as Python numbers: exact for big ints and floats
        lo, hi = lo.item(), hi.item()
    for value in (lo, hi):
        if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
            raise ValueError(f"{op}: Overflow when unpacking long long: the integer {value} "
                             f"does not fit in int64, the widest integer dtype")
    info = np.iinfo(dtype.numpy)
    low = -info.max if info.min == 0 and array.dtype.kind in "iuO" else info.min
    for value in (lo, hi):
        if not low <= value <= info.max:
            raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype} "
                               f"without overflow (it holds {info.min} to {info.max})")


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (Python numbers, nested lists, arrays)."""
    dev = _device(device)
    dt = to_dtype(dtype, "tensor") if dtype is not None else None
    if dt is None and not isinstance(data, np.ndarray | Tensor):
        dt = _infer_dtype(data)
    array = _host_array(data, dt, "tensor")
    if dev.type == "cpu":
        array = np.array(array, copy=True)
    t = Tensor._make(dev.backend.from_numpy(array, dev.index), dev)
    return t.requires_grad_(requires_grad) if requires_grad else t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    dev = _device(device)
    dt = to_dtype(dtype, "as_tensor") if dtype is not None else None
    if dt is None and not isinstance(data, np.ndarray):
        dt = _infer_dtype(data)
    array = _host_array(data, dt, "as_tensor")
    return Tensor._make(dev.backend.from_numpy(array, dev.index), dev)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with `ndarray` (changes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray, Device("cpu"))


def _shape(op: str, size) -> tuple:
    """The shape of ``zeros(2, 3)`` or ``zeros((2, 3))``: ints, or anything with ``__index__``."""
    if not size:
        raise TypeError(f"{op}() missing 1 required positional argument: 'size' "
                        f"(a 0-d tensor is {op}(()))")
    shape = size_args(op, size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: sizes must be non-negative, got {shape}")
    return shape


def _filled(op, size, fill, dtype, device, requires_grad):
    dev = _device(device)
    dt = to_dtype(dtype, op) if dtype is not None else get_default_dtype()
    shape = _shape(op, size)
    xp = dev.backend.xp
    with dev.backend.device_context(dev.index or 0):
        if fill is None:
            array = xp.empty(shape, dtype=dt.numpy)
        else:
            array = xp.full(shape, fill, dtype=dt.numpy)
    t = Tensor._make(array, dev)
    return t.requires_grad_(requires_grad) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled("ones", size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled("empty", size, None, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` (a tuple or list) filled with `fill_value` (its dtype inferred from
    the value)."""
    if not isinstance(size, list | tuple):
        raise TypeError(f"full: size must be a tuple or list of ints, like (2,), not "
                        f"{type(size).__name__}")
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    elif not to_dtype(dtype, "full").is_floating_point:
        if isinstance(fill_value, float) and not fill_value.is_integer():
            raise TypeError(f"full: refusing to truncate the non-integer fill value "
                            f"{fill_value} to {to_dtype(dtype)}")
        fill_value = _as_integer_of("full", fill_value, to_dtype(dtype))
    return _filled("full", (tuple(size),), fill_value, dtype, device, requires_grad)


def _like(name, maker):
    def like(input, *, dtype=None, device=None, requires_grad: bool = False, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return maker(tuple(input.shape), dtype=dtype or input.dtype,
                     device=device or input.device, requires_grad=requires_grad, **kwargs)
    like.__name__ = like.__qualname__ = name
    return like


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def _number(op: str, name: str, value):
    """A Python number from a number or a 0-d tensor (what PyTorch takes as a ``Number``)."""
    if (isinstance(value, Tensor) and value.ndim == 0) or isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, numbers.Real):
        kind = f"a Tensor of shape {list(value.shape)}" if isinstance(value, Tensor) \
            else type(value).__name__
        raise TypeError(f"{op}: argument '{name}' must be a number or a 0-d tensor, not {kind}")
    return value


def arange(start, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from `start` to `end` (excluded) by `step`; int64 unless a bound is a float.

    The bounds may be 0-d tensors: ``arange(tensor(3))`` counts as ``arange(3)``.
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", name, value)
                        for name, value in (("start", start), ("end", end), ("step", step)))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = _dtype.int64 if ints else get_default_dtype()
    dt = _not_bool(to_dtype(dtype, "arange"), "arange")
    if dt.is_floating_point:
        array = np.arange(start, end, step, dtype=np.float64)
    else:
        array = _integer_arange(start, end, step, dt)
    return _from_host(array.astype(dt.numpy), device, requires_grad)


def _as_integer_of(op: str, value, dt):
    """A Python number as a value of the integer `dt`, PyTorch's way: refused where it does not
    fit (`_check_fits`: a negative int wraps into an unsigned dtype, -1 is 255 in uint8, a
    negative float does not), else truncated toward zero."""
    if dt is _dtype.bool or isinstance(value, bool):
        return value
    _check_fits(np.array(value), dt, op)
    return int(np.array(int(value)).astype(dt.numpy))


def _not_bool(dt, op: str):
    if dt is _dtype.bool:  # (a range of bools: PyTorch has no kernel for it either)
        raise RuntimeError(f"{op}: not implemented for {dt}; make the range in an integer "
                           "dtype and compare it (e.g. arange(n) != 0)")
    return dt


def _integer_arange(start, end, step, dt) -> np.ndarray:
    """`arange` into an integer dtype, with PyTorch's casts of float arguments.

    `start` and `step` are truncated toward zero (a step that becomes 0 is refused). int64
    truncates `end` as well; the narrower dtypes take the length from the arguments as given:
    ``arange(0, 6, 1.5)`` is [0, 1, 2, 3, 4, 5] in int64 but [0, 1, 2, 3] in int32.
    """
    int_step = int(step)
    if int_step == 0:
        raise ValueError(f"arange: step must be nonzero, but step={step} truncates to 0 in {dt}")
    if dt is _dtype.int64:
        return np.arange(int(start), int(end), int_step, dtype=np.int64)
    length = math.ceil((end - start) / step)
    return int(start) + int_step * np.arange(length, dtype=np.int64)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` values from `start` to `end`, both included, evenly spaced.

    As PyTorch computes them: the first half as start + i·step, the second half back from the
    end, end − (steps − 1 − i)·step, so that both ends are exact. An integer dtype takes the
    bounds converted first (``linspace(0, 1.5, 4, dtype=int64)`` is [0, 0, 0, 1]).
    """
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    steps = int_arg("linspace", steps, "steps")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    dt = to_dtype(dtype, "linspace") if dtype is not None else get_default_dtype()
    if steps > 1:
        _not_bool(dt, "linspace")
    if dt is _dtype.bool:  # (one step at most, see above)
        start, end = bool(start), bool(end)
    elif not dt.is_floating_point and steps:  # (truncated, as arange's bounds; one step
        start = _as_integer_of("linspace", start, dt)  # is the start alone, end unused)
        end = _as_integer_of("linspace", end, dt) if steps > 1 else start
    if steps < 2:
        values = np.full(steps, start, dtype=np.float64)
    else:
        # PyTorch's kernel rounds each a + step·k once (a fused multiply-add); the product in
        # long double, exact for these k, does the same where the platform has one — it
        # decides which side of an integer a value falls (linspace(-3, 1, 7, dtype=int64)[3]
        # is 0)
        i, step, wide = np.arange(steps), (end - start) / (steps - 1), np.longdouble
        values = np.where(i < steps // 2, wide(start) + wide(step) * i,
                          wide(end) - wide(step) * (steps - 1 - i)).astype(np.float64)
    return _from_host(values.astype(dt.numpy), device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    n = int_arg("eye", n, "n")
    m = n if m is None else int_arg("eye", m, "m")
    dt = to_dtype(dtype, "eye") if dtype is not None else get_default_dtype()
    return _from_host(np.eye(n, m, dtype=dt.numpy), device, requires_grad)


def _from_host(array, device, requires_grad) -> Tensor:
    dev = _device(device)
    t = Tensor._make(dev.backend.from_numpy(array, dev.index), dev)
    return t.requires_grad_(requires_grad) if requires_grad else t


# -- random -------------------------------------------------------------------------------
def _source(dev, generator):
    """Where samples come from: the device's generator, or the user's `Generator`."""
    if generator is None:
        return dev.backend
    from ._random_generator import GeneratorSource
    return GeneratorSource(generator, dev)


def _random(op, size, dtype, device, requires_grad, draw, generator=None):
    dev = _device(device)
    dt = to_dtype(dtype, op) if dtype is not None else get_default_dtype()
    if not dt.is_floating_point:
        raise TypeError(f"{op}: expected a floating dtype, got {dt}")
    array = draw(_source(dev, generator), _shape(op, size), dt.numpy, dev.index)
    t = Tensor._make(array, dev)
    return t.requires_grad_(requires_grad) if requires_grad else t


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of U[0, 1)."""
    return _random("rand", size, dtype, device, requires_grad,
                   lambda b, s, d, i: b.random_uniform(s, d, i), generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1)."""
    return _random("randn", size, dtype, device, requires_grad,
                   lambda b, s, d, i: b.random_normal(s, d, i), generator)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` starts at 0."""
    if size is None:
        if high is None or not isinstance(high, tuple | list):
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint: missing 'high'")
    if low >= high:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    if dtype is not None:
        _randint_bounds(to_dtype(dtype, "randint"), low, high)
    if requires_grad and not to_dtype(dtype or _dtype.int64, "randint").is_floating_point:
        raise RuntimeError("randint: only Tensors of floating point dtype can require "
                           "gradients (pass a floating dtype=)")
    dev = _device(device)
    array = _source(dev, generator).random_integers(int(low), int(high),
                                                   _shape("randint", (size,)), dev.index)
    t = Tensor._make(array, dev)
    if dtype is not None:
        t = t.to(dtype=dtype)
    return t.requires_grad_() if requires_grad else t


def _randint_bounds(dt, low, high) -> None:
    """As PyTorch: `low` and `high` − 1 must be values of an integer (or bool) `dt`."""
    if dt.is_floating_point:
        return
    info = np.iinfo(dt.numpy) if dt is not _dtype.bool else None
    lo, hi = (0, 1) if info is None else (int(info.min), int(info.max))
    for name, value in (("from", low), ("to - 1", high - 1)):
        if not lo <= value <= hi:
            raise RuntimeError(f"randint: {name} = {value} is out of bounds for {dt} (whose "
                               f"values are {lo} … {hi})")


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    n = int_arg("randperm", n, "n")
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    dev = _device(device)
    t = Tensor._make(_source(dev, generator).random_permutation(n, dev.index), dev)
    return t.to(dtype=dtype) if dtype is not None else t


def rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device)


def manual_seed(seed: int):
    """Seed the random generators of every backend (CPU, GPU and the fake GPU)."""
    global _initial_seed
    seed = int(seed)
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"manual_seed: seed must be in [0, 2**64), got {seed}")
    _initial_seed = seed
    for backend in _BACKENDS.values():
        if backend.name == "cuda" and not backend.is_available():
            continue
        backend.manual_seed(seed)


def initial_seed() -> int:
    return _initial_seed


def seed() -> int:
    """Seed every generator from the operating system's entropy and return the seed."""
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    manual_seed(s)
    return s


manual_seed(_initial_seed)
