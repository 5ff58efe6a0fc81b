"""Shared fixtures: every device-aware test runs on each available device.

``cpu`` is NumPy; ``fakegpu`` is NumPy behind a wrapper that behaves like CuPy's separate
device (no implicit conversion to host arrays, no mixing with other devices), so device bugs
show up without a GPU; ``cuda`` joins when CuPy sees a GPU.
"""
from __future__ import annotations

import pytest

import minitorch_np as torch
from minitorch_np.backends import get_backend

# The fake GPU runs as its *second* device in strict mode: every array operation must happen
# with that device current (CuPy's rule), so a forgotten device context fails here too.
DEVICES = ["cpu", "fakegpu:1"] + (["cuda"] if torch.cuda.is_available() else [])
get_backend("fakegpu").strict_current_device = True


@pytest.fixture(params=DEVICES)
def device(request):
    """The device a test runs on (a string, as a user would write it)."""
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, and leaves the default dtype alone."""
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    yield
    torch.set_default_dtype(default)

