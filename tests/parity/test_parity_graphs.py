"""Parity with PyTorch on drawn graphs: the engine's semantics, not one op's.

Hypothesis draws a small program — ops reading two earlier values each (so values are
reused and graphs have diamonds), with broadcasting, views, a repeated index, an in-place
change of a fresh value, a multi-output op, a user's ``Function``, hooks on intermediates
(dropped before backward, as in a model's forward) and ``retain_grad``. The same program
runs in minitorch_np and in PyTorch (the API is the same, so one text serves both); the
loss, every leaf's ``.grad`` and every retained intermediate's ``.grad`` must agree to
float64 accuracy — and so must second derivatives, taken through ``create_graph=True``.
Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import cube_function, to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")


_CUBES = {}


def _hooked(t):
    t.register_hook(lambda g: g * 2.0)  # t itself is dropped by the caller: the hook stays
    return t


def _retained(t, retained):
    t.retain_grad()
    retained.append(t)
    return t


def _same_shape(a, b) -> bool:
    return np.broadcast_shapes(tuple(a.shape), tuple(b.shape)) == tuple(a.shape)


STEPS = {  # (library, a, b, retained) -> a new value that broadcasts with the others
    "add": lambda T, a, b, r: a + b,
    "mul": lambda T, a, b, r: a * b,
    "sub": lambda T, a, b, r: a - b,
    "divide": lambda T, a, b, r: a / (b * b + 1.0),
    "maximum": lambda T, a, b, r: T.maximum(a, b * 1.01),
    "tanh": lambda T, a, b, r: a.tanh(),
    "relu": lambda T, a, b, r: (a - 0.1).relu(),
    "exp": lambda T, a, b, r: (a * 0.1).exp(),
    "pow": lambda T, a, b, r: (a * a + 1.0) ** 1.5,
    "sum, keepdim": lambda T, a, b, r: a.sum(dim=-1, keepdim=True) * b if a.ndim else a * b,
    "max over the last dim": lambda T, a, b, r: (a.max(dim=-1, keepdim=True)[0] + b
                                                 if a.ndim else a + b),
    "unbind, first piece": lambda T, a, b, r: (a.unbind(0)[0].sum() * b if a.ndim else a * b),
    "picked twice": lambda T, a, b, r: a.reshape(-1)[[0, 0, -1]].sum() * b,
    "transposed and back": lambda T, a, b, r: ((a.mT * 2.0).mT if a.ndim >= 2 else a) + b,
    "in place on a fresh value": lambda T, a, b, r: ((a * 1.0).mul_(b) if _same_shape(a, b)
                                                     else a * b),
    "cube": lambda T, a, b, r: _CUBES.setdefault(T.__name__, cube_function(T)).apply(a) + b,
    "hooked": lambda T, a, b, r: _hooked(a * b),
    "retained": lambda T, a, b, r: _retained(a - b, r),
    "detached": lambda T, a, b, r: a.detach() * b,
    "matmul with its transpose": lambda T, a, b, r: ((a @ a.mT).sum() * b if a.ndim >= 2
                                                     else a * b),
    "softmax": lambda T, a, b, r: a.softmax(dim=-1) * b if a.ndim else a * b,
    "log_softmax": lambda T, a, b, r: a.log_softmax(dim=-1) + b if a.ndim else a + b,
    "mean": lambda T, a, b, r: a.mean() * b,
    "var": lambda T, a, b, r: a.var() * b if a.numel() > 1 else a * b,
    "clamp": lambda T, a, b, r: a.clamp(-0.5, 0.5) + b,
    "where": lambda T, a, b, r: T.where(a > 0, a, b),
    "abs, sqrt, log": lambda T, a, b, r: (a.abs() + 1.0).sqrt().log() * b,
    "sigmoid": lambda T, a, b, r: a.sigmoid() * b,
    "stacked and summed": lambda T, a, b, r: T.stack([a * 2.0, a], dim=0).sum(0) + b,
    "cat and sliced": lambda T, a, b, r: (T.cat([a, a * 3.0], dim=-1)[..., a.shape[-1]:]
                                          if a.ndim else a * 3.0) + b,
    "expanded": lambda T, a, b, r: (a.unsqueeze(0).expand(2, *a.shape) * 1.5).sum(0) * b,
    "masked_fill": lambda T, a, b, r: a.masked_fill(a < 0, 0.5) * b,
    "norm": lambda T, a, b, r: (a * a + 0.1).norm() * b,
    "gather": lambda T, a, b, r: (a.gather(-1, T.zeros_like(a, dtype=T.int64)) * b
                                  if a.ndim else a * b),
    "amax": lambda T, a, b, r: a.amax() * b,
    "logsumexp": lambda T, a, b, r: a.logsumexp(dim=-1, keepdim=True) + b if a.ndim else a + b,
    "prod": lambda T, a, b, r: (a * 0.5 + 1.0).prod() * b,
}


def _build(T, shapes, program, rng, **tensor_kwargs):
    """The drawn program in library T: its leaves, its loss Σ w·v over the values it made,
    and the values that called retain_grad. Nothing else keeps the intermediates, as after a
    model's forward."""
    leaves = [T.tensor(rng.standard_normal(s), dtype=T.float64, requires_grad=True,
                       **tensor_kwargs) for s in shapes]
    values, retained = list(leaves), []
    for step, i, j in program:
        values.append(STEPS[step](T, values[i % len(values)], values[j % len(values)],
                                  retained))
    loss = T.zeros((), dtype=T.float64, **tensor_kwargs)
    for v in values[len(leaves):]:
        w = T.tensor(rng.standard_normal(tuple(v.shape)), dtype=T.float64, **tensor_kwargs)
        loss = loss + (v * w).sum()
    return leaves, loss, retained


def _run(T, shapes, program, seed, **tensor_kwargs):
    leaves, loss, retained = _build(T, shapes, program, np.random.default_rng(seed),
                                    **tensor_kwargs)
    if loss.requires_grad:
        loss.backward()
    return loss, leaves, retained


def _host(t):
    return to_host(t) if isinstance(t, mt.Tensor) else t.detach().numpy()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0,
                                           max_side=3),
       program=st.lists(st.tuples(st.sampled_from(list(STEPS)), st.integers(0, 20),
                                  st.integers(0, 20)), min_size=1, max_size=8),
       seed=st.integers(0, 2**32 - 1))
def test_drawn_graph_matches_pytorch(shapes, program, seed, device):
    try:
        theirs = _run(torch_ref, shapes.input_shapes, program, seed)
    except (RuntimeError, IndexError, ValueError):  # e.g. a max over an empty dim
        with pytest.raises((RuntimeError, IndexError, ValueError)):
            _run(mt, shapes.input_shapes, program, seed, device=device)
        return
    ours = _run(mt, shapes.input_shapes, program, seed, device=device)
    np.testing.assert_allclose(_host(ours[0]), _host(theirs[0]), rtol=1e-12, atol=1e-12)
    for kind, a, b in (("leaf", ours[1], theirs[1]), ("retained", ours[2], theirs[2])):
        assert len(a) == len(b)
        for k, (x, y) in enumerate(zip(a, b)):
            assert (x.grad is None) == (y.grad is None), f"{kind} {k}: .grad None on one side"
            if x.grad is not None:
                np.testing.assert_allclose(_host(x.grad), _host(y.grad), rtol=1e-12,
                                           atol=1e-12, err_msg=f"{kind} {k}")


def _second_order(T, shapes, program, seed, **tensor_kwargs):
    """d/d(leaves) of Σ v·∂loss/∂(leaves), through create_graph: gradients of gradients."""
    rng = np.random.default_rng(seed)
    leaves, loss, _ = _build(T, shapes, program, rng, **tensor_kwargs)
    if not loss.requires_grad:
        return []
    grads = T.autograd.grad(loss, leaves, create_graph=True, allow_unused=True,
                            materialize_grads=True)
    total = T.zeros((), dtype=T.float64, **tensor_kwargs)
    for g in grads:
        v = T.tensor(rng.standard_normal(tuple(g.shape)), dtype=T.float64, **tensor_kwargs)
        total = total + (g * v).sum()
    if not total.requires_grad:
        return [np.zeros(s) for s in shapes]
    return [_host(h) for h in T.autograd.grad(total, leaves, allow_unused=True,
                                               materialize_grads=True)]


SMOOTH = [s for s in STEPS if s not in ("detached",)]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       program=st.lists(st.tuples(st.sampled_from(SMOOTH), st.integers(0, 20),
                                  st.integers(0, 20)), min_size=1, max_size=6),
       seed=st.integers(0, 2**32 - 1))
def test_drawn_graph_second_derivatives_match_pytorch(shapes, program, seed, device):
    theirs = _second_order(torch_ref, shapes.input_shapes, program, seed)
    ours = _second_order(mt, shapes.input_shapes, program, seed, device=device)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"leaf {k}")
