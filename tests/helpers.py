"""Small helpers shared by the test files (import with ``from helpers import to_host``)."""
from __future__ import annotations

import numpy as np


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device."""
    return t.detach().cpu().numpy()


def cube_function(lib):
    """A user's ``Function`` in library `lib` (minitorch_np or PyTorch, whose API it shares):
    y = t³, its backward written with Tensor ops (so it can be differentiated again)."""
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t * t

        @staticmethod
        def backward(ctx, g):
            t, = ctx.saved_tensors
            return 3 * t * t * g
    return Cube
