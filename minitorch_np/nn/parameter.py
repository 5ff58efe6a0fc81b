"""`Parameter` and `Buffer`: tensors that a `Module` registers when they are assigned to it.

``self.weight = Parameter(t)`` inside a Module's ``__init__`` puts the tensor into the module's
``_parameters`` registry: it is then listed by ``parameters()``, saved by ``state_dict()``,
moved by ``to()`` and updated by optimizers. A ``Buffer`` is registered the same way into
``_buffers``: part of the module's state (BatchNorm's running mean), but not trained.
"""
from __future__ import annotations

from .._creation import empty
from .._tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: a leaf that requires grad by default.

    ``Parameter(data)`` shares memory (and the version counter) with `data`, as PyTorch's
    does; it is always a leaf, even when `data` was computed.

    >>> w = Parameter(minitorch_np.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a Tensor as data, got {type(data).__name__}")
        p = cls._make_as(data._data, data._device)
        p._version_counter = data._version_counter
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass  # everything happened in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A Tensor that registers itself as a buffer when assigned to a Module attribute.

    ``self.running_mean = Buffer(zeros(3))`` is ``self.register_buffer('running_mean',
    zeros(3))``; ``persistent=False`` keeps it out of ``state_dict()``. The module stores a
    plain Tensor sharing the memory, as PyTorch does.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor as data, got {type(data).__name__}")
        b = cls._make_as(data._data, data._device, data._requires_grad and data.is_leaf)
        b._version_counter = data._version_counter
        b.persistent = persistent
        return b

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True):
        pass

    def _as_tensor(self) -> Tensor:
        """The plain Tensor (same memory) that a module stores for this buffer."""
        t = Tensor._make(self._data, self._device, self._requires_grad)
        t._version_counter = self._version_counter
        return t
