"""The fake GPU: NumPy behind a wrapper that behaves like CuPy's separate device (``'fakegpu'``).

There is no GPU on the machines that run the test-suite, yet most device bugs (a host array
mixed into a device computation, a tensor left on the wrong device, a silent ``np.asarray`` of
device memory) only show up on one. ``FakeArray`` wraps a NumPy array the way ``cupy.ndarray``
wraps GPU memory: it is not an ``np.ndarray``, refuses implicit conversion to one, refuses to be
mixed with host arrays or with arrays of the other fake device, and turns every result (even a
reduction's scalar) into a device array. The arithmetic itself is NumPy's, reached through
NumPy's ``__array_ufunc__``/``__array_function__`` protocols, so the numbers match the CPU.
There are two fake devices, ``fakegpu:0`` and ``fakegpu:1``.

Results land on the device of their inputs. CuPy puts them on the *current* device instead;
``FakeGpuBackend.strict_current_device = True`` makes every operation check that its arrays are
on the current device, which catches ops run outside ``device_context``.
"""
from __future__ import annotations

import threading

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from .base import Backend
from .numpy_backend import NumpyBackend

DEVICE_COUNT = 2

_local = threading.local()  # .dev: the current device index; .stack: saved ones (per thread)
_strict = False             # see FakeGpuBackend.strict_current_device


def _current() -> int:
    return getattr(_local, "dev", 0)


def _host_error(x) -> TypeError:
    return TypeError(f"Unsupported type {type(x)}: a host (NumPy) array was mixed with a fakegpu "
                     "array; move it to the device first (xp.asarray or backend.from_numpy)")


def _device_error(a: int, b: int) -> ValueError:
    return ValueError(f"arrays on different devices: fakegpu:{a} and fakegpu:{b}")


def _check_current(dev: int) -> None:
    cur = _current()
    if dev != cur:
        raise ValueError(f"array on fakegpu:{dev} used while the current device is fakegpu:{cur} "
                         "(CuPy would put the result on the current device)")


class _Defer(TypeError):
    """An operand of another array library: the protocols answer NotImplemented."""


_PLAIN = frozenset({int, float, complex, bool, type(None), str, bytes, slice, type(Ellipsis)})


def _unwrap(x, dev):
    """`x` with FakeArrays replaced by their NumPy arrays, through tuples, lists and dicts.

    Host arrays are refused; FakeArrays must live on `dev` (None: any device).
    """
    t = type(x)
    if t is FakeArray:
        if dev is not None and x._dev != dev:
            raise _device_error(dev, x._dev)
        return x._a
    if t in _PLAIN or isinstance(x, np.generic):
        return x
    if isinstance(x, np.ndarray):
        raise _host_error(x)
    if t is tuple or t is list:
        return t([_unwrap(v, dev) for v in x])
    if t is dict:
        return {k: _unwrap(v, dev) for k, v in x.items()}
    if getattr(t, "__array_ufunc__", None) is not None or hasattr(t, "__array_function__"):
        raise _Defer(f"unsupported operand {t.__name__} for a fakegpu array")
    return x


_new = object.__new__


def _make(a: np.ndarray, dev: int) -> FakeArray:
    f = _new(FakeArray)
    f._a, f._dev = a, dev
    return f


def _wrap(r, dev):
    """Results back onto the device: arrays and NumPy scalars (as 0-d arrays), element-wise."""
    if isinstance(r, np.ndarray):
        return _make(r, dev)
    if isinstance(r, np.generic):
        return _make(np.asarray(r), dev)  # CuPy's reductions return 0-d arrays, not scalars
    t = type(r)
    if t is tuple or t is list:
        return t([_wrap(v, dev) for v in r])
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # e.g. np.linalg.eigh's EighResult
        return t(*(_wrap(v, dev) for v in r))
    return r


_TRANSFERS = frozenset({"item", "tolist"})  # copies to the host: CuPy switches device itself


def _call(self, name, args, kwargs):
    """``self._a.<name>(*args, **kwargs)`` with device arguments and results."""
    dev = self._dev
    if _strict and name not in _TRANSFERS:
        _check_current(dev)
    if args:
        args = _unwrap(args, dev)
    out = None
    if kwargs:
        out = kwargs.get("out")
        kwargs = _unwrap(kwargs, dev)
    r = getattr(self._a, name)(*args, **kwargs)
    if r is self._a:       # astype(copy=False) and friends give the array itself back
        return self
    if type(out) is FakeArray and r is out._a:
        return out
    return _wrap(r, dev)


class FakeDevice:
    """What ``FakeArray.device`` returns, like ``cupy.cuda.Device``: ``.id``, and a context."""

    __slots__ = ("id",)

    def __init__(self, index: int):
        self.id = index

    def __enter__(self):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(_current())
        _local.dev = self.id
        return self

    def __exit__(self, *exc):
        _local.dev = _local.stack.pop()

    def __eq__(self, other):
        return isinstance(other, FakeDevice) and other.id == self.id

    def __hash__(self):
        return hash(("fakegpu", self.id))

    def __repr__(self):
        return f"<FakeDevice {self.id}>"


_DEVICES = tuple(FakeDevice(i) for i in range(DEVICE_COUNT))


class _Flags:
    """``cupy.ndarray.flags``: only these three (cupy/_core/flags.pyx), no ``writeable``."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags):
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous
        self.owndata = flags.owndata

    def __getitem__(self, name):
        if name not in ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA"):
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, name.lower())


class FakeArray(NDArrayOperatorsMixin):
    """A NumPy array on a fake device; behaves like ``cupy.ndarray`` (see the module docstring)."""

    __slots__ = ("_a", "_dev")
    __array_priority__ = 100  # as cupy.ndarray
    __hash__ = None

    def __init__(self, array: np.ndarray, dev: int = 0):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"FakeArray wraps an np.ndarray, got {type(array).__name__}")
        self._a, self._dev = array, int(dev)

    # ---- NumPy's protocols -----------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        dev = self._dev
        if _strict:
            _check_current(dev)
        try:
            args = []
            for x in inputs:  # the common case, flat FakeArrays and scalars, without recursion
                t = type(x)
                if t is FakeArray:
                    if x._dev != dev:
                        raise _device_error(dev, x._dev)
                    args.append(x._a)
                elif t is float or t is int:
                    args.append(x)
                else:
                    args.append(_unwrap(x, dev))
            out = None
            if kwargs:
                out = kwargs.get("out")  # NumPy always passes `out` as a tuple
                kwargs = _unwrap(kwargs, dev)
        except _Defer:
            return NotImplemented
        if method == "__call__":
            r = ufunc(*args, **kwargs)
        else:
            r = getattr(ufunc, method)(*args, **kwargs)
        if out is None:
            return _wrap(r, dev)
        if len(out) == 1:
            return out[0]
        return tuple(_wrap(v, dev) if o is None else o for o, v in zip(out, r))

    def __array_function__(self, func, types, args, kwargs):
        for t in types:
            if t is not FakeArray and not issubclass(t, np.ndarray):
                return NotImplemented
        dev = self._dev
        if _strict:
            _check_current(dev)
        try:
            args = _unwrap(args, dev)
            out = kwargs.get("out")
            kw = _unwrap(kwargs, dev) if kwargs else kwargs
        except _Defer:
            return NotImplemented
        r = func(*args, **kw)
        if type(out) is FakeArray and r is out._a:
            return out
        return _wrap(r, dev)

    # ---- host transfer and device ----------------------------------------------------------
    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        """A host copy (``cupy.ndarray.get``); into `out` when given."""
        if out is None:
            return self._a.copy(order=order)
        np.copyto(out, self._a)
        return out

    @property
    def device(self) -> FakeDevice:
        return _DEVICES[self._dev]

    # ---- attributes ------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: _make(self._a.T, self._dev))
    mT = property(lambda self: _make(self._a.mT, self._dev))
    real = property(lambda self: _make(self._a.real, self._dev))
    imag = property(lambda self: _make(self._a.imag, self._dev))
    base = property(lambda self: _wrap(self._a.base, self._dev))

    def __getattr__(self, name):
        # only reached for names the class does not define: forward other ndarray methods
        if name[:1] == "_" or name in ("flat", "ctypes", "data"):
            raise AttributeError(f"'FakeArray' object has no attribute {name!r} "
                                 "(device memory: use .get() for a host copy)")
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(self, name, args, kwargs)
        return _wrap(attr, self._dev)

    # ---- Python protocols ------------------------------------------------------------------
    def __getitem__(self, key):
        t = type(key)
        r = self._a[key if t is int or t is slice else _unwrap(key, self._dev)]
        return _make(r, self._dev) if type(r) is np.ndarray else _wrap(r, self._dev)

    def __setitem__(self, key, value):
        dev = self._dev
        if _strict:
            _check_current(dev)
        t = type(key)
        self._a[key if t is int or t is slice else _unwrap(key, dev)] = _unwrap(value, dev)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        dev = self._dev
        return (_wrap(row, dev) for row in self._a)

    def __contains__(self, value):
        return _unwrap(value, self._dev) in self._a

    # Python scalars: exactly NumPy's rules and errors (CuPy converts through .get() too)
    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __format__(self, spec):
        return self._a.__format__(spec)

    def __repr__(self):
        return f"fakegpu:{self._dev} {self._a!r}"

    def __str__(self):
        return str(self._a)

    def __copy__(self):
        return _make(self._a.copy(), self._dev)

    def __deepcopy__(self, memo):
        return _make(self._a.copy(), self._dev)

    def __reduce__(self):
        return _make, (self._a.copy(), self._dev)


def _forwarding_method(name):
    def method(self, *args, **kwargs):
        return _call(self, name, args, kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``numpy.ndarray.{name}`` on the device."
    return method


# defined on the class so the common calls skip __getattr__
for _name in ("astype", "reshape", "transpose", "swapaxes", "sum", "prod", "mean", "max", "min",
              "argmax", "argmin", "all", "any", "copy", "fill", "ravel", "flatten", "squeeze",
              "clip", "cumsum", "cumprod", "view", "repeat", "take", "nonzero", "dot", "item",
              "tolist", "std", "var", "sort", "argsort", "round", "conj", "diagonal", "trace",
              "searchsorted"):
    setattr(FakeArray, _name, _forwarding_method(_name))
del _name


class FakeNamespace:
    """The ``xp`` module of the fake device, like ``cupy`` for ``numpy``.

    Creation functions without array input make FakeArrays on the current device; everything
    else is NumPy's own function, which reaches FakeArrays through the dispatch protocols.
    """

    ndarray = FakeArray

    def __getattr__(self, name):
        if name == "random":
            raise AttributeError("the fakegpu xp has no `random`: draw through the backend's "
                                 "random_* methods (one generator per backend)")
        value = getattr(np, name)
        self.__dict__[name] = value  # cached: later lookups do not reach __getattr__
        return value

    @staticmethod
    def asnumpy(a, stream=None, order="C", out=None) -> np.ndarray:
        """A host copy of `a` (``cupy.asnumpy``); host input is passed through ``np.asarray``."""
        if type(a) is FakeArray:
            return a.get(order=order, out=out)
        return np.asarray(_unwrap(a, None), order=order)

    @staticmethod
    def array(obj, dtype=None, copy=True, order="K", ndmin=0):
        """A copy on the current device; host data is copied over (like ``cupy.array``)."""
        if type(obj) is FakeArray and not copy:
            return FakeNamespace.asarray(obj, dtype, order)
        src = obj if isinstance(obj, np.ndarray) else _unwrap(obj, None)  # host->device: explicit
        a = np.array(src, dtype=dtype, copy=True, order=order, ndmin=ndmin)
        return _make(a, _current())

    @staticmethod
    def asarray(a, dtype=None, order=None, *, copy=None):
        """A FakeArray itself (cast if `dtype` differs); anything else copied to the current
        device."""
        if type(a) is FakeArray:
            if copy:
                return _make(a._a.astype(a._a.dtype if dtype is None else dtype,
                                         order=order or "K"), a._dev)
            r = a._a.astype(dtype, order=order or "K", copy=False) if dtype is not None else a._a
            return a if r is a._a else _make(r, a._dev)
        return FakeNamespace.array(a, dtype=dtype, order=order or "K")

    asanyarray = asarray

    @staticmethod
    def ascontiguousarray(a, dtype=None):
        if type(a) is FakeArray:
            r = np.ascontiguousarray(a._a, dtype=dtype)
            return a if r is a._a else _make(r, a._dev)
        return FakeNamespace.array(a, dtype=dtype, order="C", ndmin=1)


def _creator(np_func):
    """`np_func` making its arrays on the current device (host results are fresh, or copied)."""
    copy = np_func in (np.frombuffer, np.fromiter)  # views of host memory otherwise

    def create(*args, **kwargs):
        dev = _current()
        if kwargs:
            kwargs.pop("like", None)
            kwargs = _unwrap(kwargs, dev)
        r = np_func(*_unwrap(args, dev), **kwargs)
        return _make(r.copy(), dev) if copy else _wrap(r, dev)
    create.__name__ = create.__qualname__ = np_func.__name__
    create.__doc__ = f"``numpy.{np_func.__name__}`` on the current fakegpu device."
    return staticmethod(create)


for _f in (np.zeros, np.ones, np.empty, np.full, np.arange, np.linspace, np.logspace,
           np.geomspace, np.eye, np.identity, np.tri, np.frombuffer, np.fromiter, np.indices,
           np.tril_indices, np.triu_indices, np.diag_indices):
    setattr(FakeNamespace, _f.__name__, _creator(_f))
del _f


class FakeGpuBackend(Backend):
    """Two fake GPUs made of NumPy memory behind ``FakeArray``; random numbers match the CPU's."""

    name = "fakegpu"
    xp = FakeNamespace()  # a plain attribute, as on NumpyBackend: ops read it once per call

    def __init__(self):
        self._host = NumpyBackend()  # its own generator, drawn exactly as the CPU backend draws

    def device_count(self) -> int:
        return DEVICE_COUNT

    @property
    def strict_current_device(self) -> bool:
        """Refuse operations on arrays that are not on the current device (CuPy's rule)."""
        return _strict

    @strict_current_device.setter
    def strict_current_device(self, value: bool) -> None:
        global _strict
        _strict = bool(value)

    def _index(self, index) -> int:
        if index is None:
            return _current()
        index = int(index)
        if not 0 <= index < DEVICE_COUNT:
            raise RuntimeError(f"fakegpu:{index} does not exist: {DEVICE_COUNT} fake devices")
        return index

    def owner(self, array):
        # FakeArray.base makes a new wrapper on each access: follow the NumPy arrays inside
        a = array._a
        while getattr(a, "base", None) is not None:
            a = a.base
        return a

    def current_device(self) -> int:
        return _current()

    def device_context(self, index: int):
        return _DEVICES[self._index(index)]

    def is_writable(self, array) -> bool:
        # CuPy has no read-only arrays; this fake stores NumPy's, which may be (broadcasts)
        return array._a.flags.writeable

    def is_array(self, obj) -> bool:
        return type(obj) is FakeArray

    def from_numpy(self, array, index=None):
        """A copy of host `array` on ``fakegpu:index``: device memory is never shared."""
        return _make(np.array(array, copy=True), self._index(index))

    def to_numpy(self, array) -> np.ndarray:
        if type(array) is not FakeArray:
            raise TypeError(f"to_numpy: expected a fakegpu array, got {type(array).__name__}")
        return array._a.copy()

    def device_index(self, array) -> int:
        return array._dev

    def manual_seed(self, seed: int) -> None:
        self._host.manual_seed(seed)

    def random_normal(self, shape, dtype, index=None):
        dev = self._index(index)  # before drawing: a bad index must not use up numbers
        return _wrap(self._host.random_normal(shape, dtype), dev)

    def random_uniform(self, shape, dtype, index=None):
        dev = self._index(index)  # before drawing: a bad index must not use up numbers
        return _wrap(self._host.random_uniform(shape, dtype), dev)

    def random_integers(self, low, high, shape, index=None):
        dev = self._index(index)  # before drawing: a bad index must not use up numbers
        return _wrap(self._host.random_integers(low, high, shape), dev)

    def random_permutation(self, n, index=None):
        dev = self._index(index)  # before drawing: a bad index must not use up numbers
        return _wrap(self._host.random_permutation(n), dev)

    def blas_info(self) -> str:
        return f"fakegpu: NumPy {np.__version__} behind a CuPy-like wrapper (no real GPU)"
