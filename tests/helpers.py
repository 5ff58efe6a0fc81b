"""Small helpers shared by the test files (import with ``from helpers import to_host``)."""
from __future__ import annotations

import numpy as np


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device."""
    return t.detach().cpu().numpy()
