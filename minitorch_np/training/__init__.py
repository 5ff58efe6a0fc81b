"""Training helpers of the seed lectures (ours: PyTorch has no such package)."""
from __future__ import annotations

from .ema import ExponentialMovingAverage

__all__ = ["ExponentialMovingAverage"]
