"""Utilities built on the public tensor API: ``utils.data`` (datasets, samplers, DataLoader)."""
from . import data

__all__ = ["data"]
