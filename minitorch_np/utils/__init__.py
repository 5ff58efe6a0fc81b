"""Utilities built on the public tensor API: ``utils.data`` (datasets, samplers, DataLoader)
and ``utils.hooks`` (the handle that registering a hook returns)."""
from . import data, hooks

__all__ = ["data", "hooks"]
