"""`Tensor`: a backend array plus what autograd needs to know about it.

A tensor holds

* ``_data``: the array (NumPy on the CPU, CuPy on CUDA, a wrapper on the fake GPU);
* ``_device``: the `device` whose backend owns the array;
* ``grad_fn`` and ``_output_nr``: the graph node that made it (None for a leaf);
* ``_requires_grad``, ``grad``: whether gradients flow to it and, for leaves, where they land;
* ``_version_counter``: bumped by every in-place change, shared with views, so that a node
  whose saved tensor was modified can refuse to compute a wrong gradient.

The math is not written here: each operation is a function in ``minitorch_np/_functions``
(forward and backward side by side) and is attached to the class at the bottom of this
file, so ``x.exp()`` and ``minitorch_np.exp(x)`` are the same function.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._hooks import RemovableHandle
from .backends import device as Device
from .backends import device_guard

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self) -> str:
        return f"minitorch_np.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # slicing, joining and repeating a Size give a Size, as PyTorch's
    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(other + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


class _VersionCounter:
    """How many times a tensor's memory was changed in place; shared by views of it."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` is PyTorch's legacy constructor (always the default float dtype);
    ``Tensor(2, 3)`` makes an uninitialised 2×3 tensor. Prefer ``minitorch_np.tensor``.
    """

    __slots__ = ("_data", "_device", "_requires_grad", "_grad", "grad_fn", "_output_nr",
                 "_counter", "_base", "_view_version", "_hooks", "_retains_grad",
                 "__weakref__")

    # ``ndarray + tensor`` must reach Tensor.__radd__, not NumPy's elementwise loop
    __array_ufunc__ = None

    def __init__(self, *args, device=None):
        from ._creation import _host_array
        dev = _concrete(Device(device or "cpu"))
        default = get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], int | np.integer):
            data = args[0]
            if isinstance(data, Tensor):
                host = data._device.backend.to_numpy(data._data)
            else:
                host = _host_array(data, default, "Tensor")
            host = host.astype(default.numpy, copy=False)
        else:
            shape = tuple(int(s) for s in args) if args else (0,)  # Tensor() is empty
            host = np.empty(shape, default.numpy)
        array = dev.backend.from_numpy(host, dev.index)
        _init(self, array, dev, False, None, 0)

    @staticmethod
    def _make(data, device, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap a backend array in a new Tensor without copying (the internal constructor).

        A static method: every op calls it, and a class method would make a bound method
        each time (~800 instructions, a quarter of the call). Subclasses use `_make_as`.
        """
        # NumPy reductions and 0-d ufuncs return scalars (the identity test first: a failed
        # isinstance costs four times a successful one, and most data are ndarrays)
        if data.__class__ is not _ndarray and isinstance(data, np.generic):
            data = np.asarray(data)
        t = _new(Tensor)
        t._data = data  # (the assignments of _init, inlined: this runs once per op)
        t._device = device
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._counter = None  # made when first asked for: most tensors never are
        t._base = None
        t._hooks = None
        t._retains_grad = False
        return t

    @classmethod
    def _make_as(cls, data, device, requires_grad=False):
        """`_make` for a subclass of Tensor (a Parameter, a Buffer)."""
        t = _new(cls)
        _init(t, data, device, requires_grad, None, 0)
        return t

    @property
    def _version_counter(self) -> _VersionCounter:
        """The in-place version counter (shared by views: assigning one shares it)."""
        counter = self._counter
        if counter is None:
            counter = self._counter = _VersionCounter()
        return counter

    @_version_counter.setter
    def _version_counter(self, counter: _VersionCounter) -> None:
        self._counter = counter
        # a view remembers the version it was made at (see Function.apply's stale-view check)
        self._view_version = counter.value

    def _edge(self):
        """Where a gradient for this tensor goes: its node and output slot, or itself."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        return (self, 0)

    # -- attributes ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dtype.dtype:
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> Device:
        return self._device

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Make this leaf record operations (only floating tensors can)."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_: expected a bool, got {type(requires_grad).__name__}")
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use "
                                   "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only Tensors of floating point dtype can require "
                               f"gradients, got {self.dtype}")
        self._requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient of a leaf (None until a backward reaches it)."""
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{tuple(value.shape)} for a tensor of size {tuple(self.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype} "
                                   f"for a tensor of type {self.dtype}")
            if value._device is not self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"{value._device} for a tensor on {self._device}")
        self._grad = value

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, detached from the graph (changes are not tracked)."""
        return Tensor._make(self._data, self._device)

    @data.setter
    def data(self, value: Tensor) -> None:
        # As PyTorch's ``t.data = other``: any shape, dtype or device; the tensor object stays
        # the same, which is how Module.to() moves parameters an optimizer already holds.
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        self._data, self._device = value._data, value._device

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def is_contiguous_array(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension `dim`."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim("size", dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # -- leaving the tensor world -------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be "
                               "converted to Scalar")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The CPU array behind this tensor (shared memory). GPU tensors need ``.cpu()`` first."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._device.backend.to_numpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               "ambiguous")
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        # As PyTorch, a 0-d tensor formats as its number (f"{loss}" is "0.25", not the repr).
        # A format spec also formats any one-element tensor (the lectures' f'{t:.4f}', API.md;
        # PyTorch takes one for 0-d tensors only); with more elements it is an error.
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: "
                            f"only one-element tensors format as numbers, this one has shape "
                            f"{list(self._data.shape)}")
        return repr(self)

    def __repr__(self) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __hash__ = object.__hash__

    def __reduce__(self):
        raise TypeError("minitorch_np tensors are not pickled; use minitorch_np.save")

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        with device_guard(self._device):
            t = type(self)._make_as(self._data.copy(), self._device, self._requires_grad)
            if self._grad is not None:
                t._grad = Tensor._make(self._grad._data.copy(), self._device)
        memo[id(self)] = t
        return t

    # -- autograd -----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        `gradient` is the upstream gradient (needed unless the tensor has one element).
        """
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self._watch()

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        if self.grad_fn is not None:
            self._watch()
        return handle

    def _watch(self) -> None:
        """Tell this tensor's node to run its hooks and fill its ``.grad`` (``retain_grad``).

        The node keeps the hooks themselves (the tensor's own dict, so a later hook or a
        handle's ``remove()`` is seen), as PyTorch keeps them on ``grad_fn``: they fire even
        when the tensor object is gone by backward time. The tensor is kept weakly, only to
        receive ``.grad``."""
        node = self.grad_fn
        if node._watch is None:
            node._watch = {}
        node._watch[self._output_nr] = (self._hooks, weakref.ref(self))

    def detach(self) -> Tensor:
        """A tensor sharing memory (and the version counter) that is outside the graph.

        It shares the counter, so an in-place change through it is still seen by the nodes
        that saved this tensor; but it is no *view* in the graph's sense (``_base`` is None):
        it holds values, not a place in a graph that could go stale.
        """
        t = Tensor._make(self._data, self._device)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:  # its base's graph would still describe it
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- devices and dtypes --------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``;
        returns ``self`` when nothing changes (unless ``copy``); differentiable."""
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = device or a._device, dtype or a.dtype
            elif isinstance(a, _dtype.dtype | type):  # to(float) too: float64, as in PyTorch
                dtype = a
            elif isinstance(a, str | Device):
                device = a
            else:
                raise TypeError(f"to: unexpected argument {a!r}; expected a device, a dtype "
                                "or a tensor")
        from ._functions import shape as _shape
        out = self
        if device is not None:
            dev = _concrete(Device(device))
            if dev is not self._device:
                out = _shape.to_device(out, dev)
        if dtype is not None:
            dt = to_dtype(dtype, "to")
            if dt.numpy != out._data.dtype:
                out = _shape.cast(out, dt)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype=None):
        if dtype is None:
            return f"minitorch_np.{self.dtype.name}"
        return self.to(dtype=dtype)

    def float(self) -> Tensor:
        return self.to(dtype=_dtype.float32)

    def double(self) -> Tensor:
        return self.to(dtype=_dtype.float64)

    def half(self) -> Tensor:
        return self.to(dtype=_dtype.float16)

    def long(self) -> Tensor:
        return self.to(dtype=_dtype.int64)

    def int(self) -> Tensor:
        return self.to(dtype=_dtype.int32)

    def bool(self) -> Tensor:
        return self.to(dtype=_dtype.bool)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    # -- new tensors like this one ------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self._device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self._device,
                     requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self._device,
                    requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self._device,
                    requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self._device,
                     requires_grad=requires_grad)


_new = object.__new__  # (globals: Tensor._make looks them up once per op)
_ndarray = np.ndarray


def _init(t: Tensor, data, device, requires_grad, grad_fn, output_nr) -> None:
    t._data = data
    t._device = device
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._counter = None
    t._base = None
    t._hooks = None
    t._retains_grad = False


def _concrete(dev: Device) -> Device:
    """'cuda' means the current GPU, index 0 here; tensors always carry a full device."""
    if dev.type != "cpu" and dev.index is None:
        return Device(dev.type, 0)
    return dev


def _wrap_dim(op: str, dim, ndim: int) -> int:
    """A dimension index in [-ndim, ndim) turned non-negative, or a clear IndexError."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n



# The operations: one function each in minitorch_np/_functions, attached as methods here.
from ._functions import methods as _methods  # noqa: E402

_methods.attach(Tensor)

from .autograd import backward as _backward  # noqa: E402
