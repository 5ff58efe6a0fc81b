"""`RemovableHandle`: what registering a hook returns (PyTorch's ``torch.utils.hooks``).

Hooks live in a dict keyed by the handle's id, in registration order, so ``remove()`` takes
out exactly the registration it was returned for — also when one function is registered
twice.
"""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """``handle.remove()`` unregisters the hook; as a context manager, at the block's end."""

    _ids = itertools.count()

    def __init__(self, *hooks_dicts: dict):
        self.id = next(RemovableHandle._ids)
        self._dicts = hooks_dicts

    def remove(self) -> None:
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
