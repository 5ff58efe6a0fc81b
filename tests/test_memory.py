"""Memory: no graph outlives its use (docs/autograd.md, "Freeing the graph").

The garbage collector is switched off in these tests and never called: every object must be
freed by reference counting alone, which proves the graph holds no reference cycles (a cycle
would keep a whole graph, and its saved arrays, alive until the next collection).
"""
from __future__ import annotations

import contextlib
import gc
import weakref

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np.autograd import BackwardNode


@contextlib.contextmanager
def gc_disabled():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def live_nodes() -> int:
    return sum(1 for o in gc.get_objects() if issubclass(type(o), BackwardNode))


def leaf(values, device):
    return torch.tensor(values, dtype=torch.float64, device=device, requires_grad=True)


def test_no_graph_survives_backward(device):
    with gc_disabled():
        x = leaf([0.5, -1.0, 2.0], device)
        w = leaf([1.0, 2.0, 3.0], device)
        h1 = x * w
        h2 = h1.exp()
        h3 = h2.sin()
        h1.retain_grad()
        out = (h3 * h1 + h2).sum()
        tensors = [weakref.ref(t) for t in (h1, h2, h3)]
        nodes = [weakref.ref(t.grad_fn) for t in (h1, h2, h3, out)]
        del h1, h2, h3
        out.backward()
        assert all(r() is not None for r in nodes)   # the output still holds its graph
        del out
        assert [r() for r in tensors] == [None] * 3
        assert [r() for r in nodes] == [None] * 4
        assert x.grad is not None and w.grad is not None


def test_no_graph_survives_autograd_grad_with_create_graph(device):
    with gc_disabled():
        x = leaf([0.5, -1.0, 2.0], device)
        y = (x.sin() * x).sum()
        g, = torch.autograd.grad(y, x, create_graph=True)
        gg, = torch.autograd.grad(g.sum(), x)
        nodes = [weakref.ref(y.grad_fn), weakref.ref(g.grad_fn)]
        del y, g
        assert [r() for r in nodes] == [None, None]
        assert not gg.requires_grad


def test_hooks_do_not_keep_the_graph_alive(device):
    with gc_disabled():
        x = leaf([1.0, 2.0], device)
        h = x * 3.0
        h.register_hook(lambda g: g * 2.0)
        out = (h * h).sum()
        refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(out.grad_fn)]
        del h
        out.backward()
        del out
        assert [r() for r in refs] == [None] * 3


def test_saved_tensors_are_released_by_backward_while_the_output_lives(device):
    with gc_disabled():
        x = leaf([0.5, -1.0], device)
        a = x.exp()
        saved = weakref.ref(a)
        y = (a * a).sum()          # Mul saves `a`
        del a
        assert saved() is not None
        y.backward()
        assert saved() is None     # released although `y` and its graph still exist
        assert y.grad_fn is not None
        with pytest.raises(RuntimeError, match="retain_graph"):
            y.backward()


def test_retain_graph_keeps_the_saved_tensors(device):
    with gc_disabled():
        x = leaf([0.5, -1.0], device)
        a = x.exp()
        saved = weakref.ref(a)
        y = (a * a).sum()
        del a
        y.backward(retain_graph=True)
        assert saved() is not None
        y.backward()
        assert saved() is None
        np.testing.assert_allclose(to_host(x.grad), 2 * 2 * np.exp([1.0, -2.0]), rtol=1e-12)


def test_graph_keeps_only_what_backward_needs(device):
    # Add and Sum save nothing: the intermediate tensor is not kept by the graph
    with gc_disabled():
        x = leaf([1.0, 2.0], device)
        h = x + 1.0
        ref = weakref.ref(h)
        y = h.sum()
        del h
        assert ref() is None
        y.backward()
        np.testing.assert_array_equal(to_host(x.grad), [1.0, 1.0])


def test_nothing_is_recorded_under_no_grad(device):
    with gc_disabled():
        x = leaf([1.0, 2.0], device)
        before = live_nodes()
        with torch.no_grad():
            results = [x * 2.0, x.exp(), (x @ x), x.sum(), x[0], x.reshape(2, 1)]
        assert live_nodes() == before
        assert all(r.grad_fn is None and not r.requires_grad for r in results)


def test_a_deep_graph_is_freed_without_recursion(device):
    with gc_disabled():
        x = leaf([1.0], device)
        h = x * 1.0
        first = weakref.ref(h.grad_fn)
        for _ in range(10_000):
            h = h * 1.0
        del h                      # frees 10 000 nodes in one chain of deallocations
        assert first() is None


def test_training_loop_does_not_grow_the_number_of_live_nodes(device):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((16, 3)), dtype=torch.float32, device=device)
    target = torch.tensor(rng.standard_normal((16, 1)), dtype=torch.float32, device=device)
    w = torch.zeros(3, 1, device=device, requires_grad=True)
    b = torch.zeros(1, device=device, requires_grad=True)

    def step():
        loss = ((x @ w + b - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(0.1 * w.grad)
            b.sub_(0.1 * b.grad)
        w.grad = None
        b.grad = None
        return loss.item()

    with gc_disabled():
        first_loss = step()
        before = live_nodes()
        losses = [step() for _ in range(5)]
        after = live_nodes()
    assert after == before
    assert w.is_leaf and b.is_leaf and w.requires_grad
    assert losses[-1] < first_loss                     # the updates did train the model
