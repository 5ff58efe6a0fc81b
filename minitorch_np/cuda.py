"""``minitorch_np.cuda``: is a GPU there, how many, and waiting for it."""
from __future__ import annotations

from .backends import get_backend

__all__ = ["is_available", "device_count", "synchronize", "current_device", "manual_seed",
           "manual_seed_all"]


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return get_backend("cuda").is_available()


def device_count() -> int:
    return get_backend("cuda").device_count()


def current_device() -> int:
    return 0


def synchronize(device=None) -> None:
    """Wait until all queued GPU work is done (CuPy runs asynchronously, NumPy does not)."""
    from .backends import device as Device
    if not is_available():
        raise RuntimeError("cuda.synchronize: CUDA is not available")
    index = 0 if device is None else Device(device).index if not isinstance(device, int) \
        else device
    get_backend("cuda").synchronize(index or 0)


def manual_seed(seed: int) -> None:
    if is_available():
        get_backend("cuda").manual_seed(int(seed))


manual_seed_all = manual_seed
