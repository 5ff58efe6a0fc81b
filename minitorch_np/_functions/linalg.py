"""Matrix products: ``matmul`` and its special cases ``mm``, ``mv``, ``bmm``, ``dot``.

For a fully connected layer on a batch of row vectors (lecture 000, "Batch processing")
``y = x wᵀ``, and backward is again two matrix products:

    ∂L/∂x = ∂L/∂y · w        ∂L/∂w = (∂L/∂y)ᵀ · x

In general, for ``y = a @ b`` with any batch dimensions: ``∂L/∂a = g @ bᵀ`` and
``∂L/∂b = aᵀ @ g`` (transposing the last two dims); batch dimensions that were broadcast are
summed back by the engine. One-dimensional operands are treated as a row (left) or a column
(right), and the added dimension is removed again from their gradient.
"""
from __future__ import annotations

import math

from .._grad_mode import _state as _grad_state
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .operands import broadcast_shapes, tensor_arg


class Matmul(ArrayFunction):
    """y = a @ b (NumPy/PyTorch matmul semantics, batch dimensions broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.ndims = (a.ndim, b.ndim)
        # b a transposed view (as w.t() in x @ w.t()): see backward
        ctx.b_transposed = need_b and b.ndim == 2 and b.strides[0] < b.strides[1]
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors  # each saved only if the other's gradient needs it
        a_ndim, b_ndim = ctx.ndims
        if b_ndim == 1:  # first: for vector @ vector, g is 0-d and takes (1,) then (1, 1)
            g = g.unsqueeze(-1)
        if a_ndim == 1:
            g = g.unsqueeze(-2)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            b2 = b.unsqueeze(-1) if b_ndim == 1 else b    # a column (n, 1)
            ga = g @ b2.mT
            if a_ndim == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            a2 = a.unsqueeze(0) if a_ndim == 1 else a     # a row (1, n)
            if ctx.b_transposed:
                # b is a transposed view (as w.t() in x @ w.t()): compute the gradient in w's
                # layout, (gᵀ a)ᵀ, so that w.grad is contiguous without a transposing copy
                gb = (g.mT @ a2).mT
            else:
                gb = a2.mT @ g
            if b_ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


class Linear(ArrayFunction):
    """y = x Wᵀ + b on a batch of rows x (*, in), W (out, in), b (out,) or None: one node.

    The fully connected layer of lecture 000 ("Batch processing"), whose backward is again
    two matrix products and a sum over the batch:

        ∂L/∂x = g W        ∂L/∂W = gᵀ x        ∂L/∂b = Σₙ gₙ

    (the batch dimensions of x and g flattened into one). The same as ``x @ W.t() + b``,
    but one node instead of three, and ∂L/∂W comes out contiguous in W's own layout.
    """

    _array_backward = True  # the same methods on arrays and Tensors: .T, @, reshape, sum

    @staticmethod
    def forward(ctx, x, w, b):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        y = ctx.xp.matmul(x, w.T)
        if b is not None:
            y += b  # y is new; b has y's dtype and its last dimension (checked by linear)
        return y

    @staticmethod
    def backward(ctx, g):
        # (arrays in a plain backward: half this node's cost in a small MLP's step was the
        # bookkeeping of Tensor ops that nothing records)
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = g @ w if need_x else None
        gw = gb = None
        if need_w or need_b:
            if g.ndim != 2:  # the batch dimensions flattened into one
                n = math.prod(g.shape[:-1])  # (not -1: sizes may be 0, as in Linear(0, k))
                g = g.reshape(n, g.shape[-1])
                x = x.reshape(n, x.shape[-1]) if need_w else None
            if need_w:
                gw = g.T @ x
            if need_b:
                gb = g.sum(0)
        return gx, gw, gb


def matmul(input, other):
    """The matrix product with broadcast batch dimensions; 1-D operands are vectors."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        a, b = input, other
    else:
        a, b = tensor_arg("matmul", input), tensor_arg("matmul", other, "other")
    if a._device is not b._device:
        raise RuntimeError(f"matmul: expected all tensors to be on the same device, but found "
                           f"at least two devices, {a._device} and {b._device}")
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got "
                           f"{len(sa)}D and {len(sb)}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got "
                           f"{a.dtype} for input and {b.dtype} for other")
    n, m = sa[-1], (sb[-2] if len(sb) > 1 else sb[0])
    if n != m:
        raise RuntimeError(f"matmul: shapes {list(sa)} and {list(sb)} cannot be "
                           f"multiplied ({n} columns vs {m} rows)")
    if len(sa) > 2 and len(sb) > 2 and sa[:-2] != sb[:-2]:
        broadcast_shapes("matmul (batch dimensions)", sa[:-2], sb[:-2])
    if (a._requires_grad or b._requires_grad) and _grad_state.enabled or a._device.index:
        return Matmul.apply(a, b)
    # nothing to record: the product alone, without a node (a third of a small product's
    # time went to the Function's bookkeeping; see mv)
    return Tensor._make(a._device.backend.xp.matmul(a._data, b._data), a._device)


def mm(input, mat2):
    """Matrix × matrix (both 2-D)."""
    a, b = tensor_arg("mm", input), tensor_arg("mm", mat2, "mat2")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {list(a.shape)} and "
                           f"{list(b.shape)}")
    return matmul(a, b)


def mv(input, vec):
    """Matrix × vector."""
    if isinstance(input, Tensor) and isinstance(vec, Tensor) and input._device is vec._device \
            and not (input._requires_grad or vec._requires_grad or input._device.index):
        # the lecture's loop: nothing to record, so when all checks hold skip the Function
        # (as few Python objects touched as can be: see getitem)
        a, v = input._data, vec._data
        if a.ndim == 2 and v.ndim == 1 and a.dtype == v.dtype:
            try:  # (NumPy checks the sizes; a mismatch goes on to the general path's error)
                return Tensor._make(a @ v, input._device)
            except ValueError:
                pass
    a, v = tensor_arg("mv", input), tensor_arg("mv", vec, "vec")
    if a._data.ndim != 2 or v._data.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D matrix and a 1-D vector, got shapes "
                           f"{list(a.shape)} and {list(v.shape)}")
    return matmul(a, v)


def bmm(input, mat2):
    """Batch of matrices × batch of matrices (both 3-D, same batch size)."""
    a, b = tensor_arg("bmm", input), tensor_arg("bmm", mat2, "mat2")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with the same batch size, got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    return matmul(a, b)


def dot(input, other):
    """The inner product of two 1-D tensors of the same length."""
    a, b = tensor_arg("dot", input), tensor_arg("dot", other, "other")
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"dot: expected two 1-D tensors of the same length, got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    return matmul(a, b)


def outer(input, vec2):
    a, b = tensor_arg("outer", input), tensor_arg("outer", vec2, "vec2")
    return a.reshape(-1, 1) * b.reshape(1, -1)


_ = Tensor
