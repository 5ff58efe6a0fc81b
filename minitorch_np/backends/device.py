"""`device`: where a tensor's memory lives, as in PyTorch (``device('cuda:0')``)."""
from __future__ import annotations


class device:
    """A device type and index: ``'cpu'``, ``'cuda'``/``'cuda:N'`` or the test device ``'fakegpu'``.

    >>> device('cuda:1')
    device(type='cuda', index=1)
    """

    # backend: the backend object that owns arrays on this device (a plain attribute, not a
    # property: it is read by every op)
    __slots__ = ("type", "index", "backend")

    def __new__(cls, type_or_spec, index: int | None = None):
        if isinstance(type_or_spec, device):
            if index is not None:
                raise ValueError("device: index given twice")
            return type_or_spec
        if not isinstance(type_or_spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', "
                            f"got {type(type_or_spec).__name__}")
        kind, _, idx = type_or_spec.partition(":")
        if idx:
            if index is not None:
                raise ValueError(f"device: index given twice in {type_or_spec!r}")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type_or_spec!r}")
            index = int(idx)
        from . import _BACKENDS  # the registry lives beside the backends
        if kind not in _BACKENDS:
            raise RuntimeError(f"device: unknown device type {kind!r}; "
                               f"expected one of {', '.join(_BACKENDS)}")
        if index is not None and index < 0:
            raise ValueError(f"device: index must be >= 0, got {index}")
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        key = (kind, index)
        cached = _CACHE.get(key)
        if cached is None:
            cached = object.__new__(cls)
            cached.type, cached.index = kind, index
            cached.backend = _BACKENDS[kind]
            _CACHE[key] = cached
        return cached

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


_CACHE: dict = {}
