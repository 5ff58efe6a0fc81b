"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``.

As context managers and as decorators; nothing is recorded while grad mode is off; the mode
is per thread (threads are synchronised with events, never with sleeps).
"""
from __future__ import annotations

import threading
from typing import ClassVar

import pytest

import minitorch_np as torch


def leaf(device):
    return torch.tensor([1.0, 2.0], device=device, requires_grad=True)


def test_grad_is_enabled_by_default():
    assert torch.is_grad_enabled() is True


def test_no_grad_records_nothing(device):
    x = leaf(device)
    with torch.no_grad():
        assert torch.is_grad_enabled() is False
        y = x * 2 + x.exp()
        s = y.sum()
    assert torch.is_grad_enabled() is True
    for t in (y, s):
        assert t.requires_grad is False and t.grad_fn is None and t.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        s.backward()


def test_recording_resumes_after_no_grad(device):
    x = leaf(device)
    with torch.no_grad():
        c = x * 3
    y = (x * c).sum()     # c is a constant now
    assert y.requires_grad
    y.backward()
    assert x.grad.tolist() == [3.0, 6.0]


def test_enable_grad_inside_no_grad(device):
    x = leaf(device)
    with torch.no_grad():
        with torch.enable_grad():
            assert torch.is_grad_enabled()
            y = x * 2
        assert not torch.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad


def test_nested_no_grad_restores_the_outer_mode():
    with torch.no_grad():
        with torch.no_grad():
            pass
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


def test_mode_is_restored_when_the_block_raises():
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError("boom")
    assert torch.is_grad_enabled()


def test_set_grad_enabled_as_a_function():
    try:
        torch.set_grad_enabled(False)
        assert not torch.is_grad_enabled()
        torch.set_grad_enabled(True)
        assert torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


def test_set_grad_enabled_as_a_context_manager(device):
    x = leaf(device)
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
        y = x * 2
    assert torch.is_grad_enabled()
    assert not y.requires_grad
    with torch.no_grad():
        with torch.set_grad_enabled(True):
            z = x * 2
        assert not torch.is_grad_enabled()
    assert z.requires_grad


def test_set_grad_enabled_rejects_non_bools():
    with pytest.raises(TypeError, match="bool"):
        torch.set_grad_enabled(0)
    assert torch.is_grad_enabled()


def test_no_grad_as_a_decorator(device):
    x = leaf(device)

    @torch.no_grad()
    def double(t):
        """Doubles."""
        return t * 2, torch.is_grad_enabled()

    y, mode = double(x)
    assert mode is False and not y.requires_grad
    assert torch.is_grad_enabled()
    assert double.__name__ == "double" and double.__doc__ == "Doubles."


def test_no_grad_as_a_bare_decorator(device):
    # PyTorch 2 accepts `@torch.no_grad` without the parentheses
    x = leaf(device)

    @torch.no_grad
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert torch.is_grad_enabled()


def test_enable_grad_as_a_decorator(device):
    x = leaf(device)

    @torch.enable_grad()
    def double(t):
        return t * 2

    @torch.enable_grad
    def triple(t):
        return t * 3

    with torch.no_grad():
        y, z = double(x), triple(x)
        assert not torch.is_grad_enabled()
    assert y.requires_grad and z.requires_grad


def test_set_grad_enabled_as_a_decorator(device):
    x = leaf(device)

    @torch.set_grad_enabled(False)
    def double(t):
        return t * 2, torch.is_grad_enabled()

    assert torch.is_grad_enabled()  # decorating does not switch the mode
    y, mode = double(x)
    assert mode is False and not y.requires_grad
    assert torch.is_grad_enabled()


def test_decorated_generators_run_each_step_in_the_mode(device):
    # as PyTorch: the body runs without grad at every step, the caller keeps its own mode
    # between steps, send/throw/return pass through
    x = torch.ones(2, device=device, requires_grad=True)

    @torch.no_grad()
    def batches():
        received = yield (x * 2).requires_grad
        yield received, torch.is_grad_enabled()
        return "done"

    gen = batches()
    assert next(gen) is False and torch.is_grad_enabled()
    assert gen.send(5) == (5, False) and (x * 2).requires_grad
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"

    @torch.set_grad_enabled(False)
    def failing():
        try:
            yield 1
        except ValueError:
            yield torch.is_grad_enabled()

    gen = failing()
    next(gen)
    assert gen.throw(ValueError("x")) is False and torch.is_grad_enabled()
    gen.close()


def test_decorated_function_restores_the_mode_when_it_raises():
    @torch.no_grad()
    def fail():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fail()
    assert torch.is_grad_enabled()


def test_a_decorated_function_can_be_called_many_times_and_recursively():
    @torch.no_grad()
    def depth(n):
        assert not torch.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert depth(2) == 2
    assert torch.is_grad_enabled()


# ---- thread-local ---------------------------------------------------------------------------
def _run_in_thread(target):
    errors = []

    def wrapped():
        try:
            target()
        except Exception as e:  # noqa: BLE001 - reported in the main thread
            errors.append(e)

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread, errors


def test_no_grad_in_one_thread_does_not_affect_another(device):
    inside = threading.Event()
    checked = threading.Event()
    seen = {}

    def worker():
        with torch.no_grad():
            inside.set()
            assert checked.wait(timeout=30)
            seen["worker_mode"] = torch.is_grad_enabled()
            seen["worker_requires_grad"] = (leaf(device) * 2).requires_grad

    thread, errors = _run_in_thread(worker)
    try:
        assert inside.wait(timeout=30)
        # the worker is inside no_grad right now; this thread still records
        assert torch.is_grad_enabled()
        y = leaf(device) * 2
        assert y.requires_grad and y.grad_fn is not None
    finally:
        checked.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert seen == {"worker_mode": False, "worker_requires_grad": False}
    assert torch.is_grad_enabled()


def test_a_new_thread_starts_with_grad_enabled_whatever_its_parent(device):
    seen = {}

    def worker():
        seen["mode"] = torch.is_grad_enabled()
        seen["requires_grad"] = (leaf(device) * 2).requires_grad

    with torch.no_grad():
        thread, errors = _run_in_thread(worker)
        thread.join(timeout=30)
        assert not torch.is_grad_enabled()
    assert not errors, errors
    assert seen == {"mode": True, "requires_grad": True}


def test_two_threads_switching_modes_concurrently():
    # both threads enter opposite modes, meet at a barrier, and check their own mode
    barrier = threading.Barrier(2, timeout=30)
    seen = {}

    def worker(name, mode):
        def run():
            with torch.set_grad_enabled(mode):
                barrier.wait()          # both are inside their block now
                seen[name] = torch.is_grad_enabled()
                barrier.wait()          # neither leaves before the other has looked
            seen[name + "_after"] = torch.is_grad_enabled()
        return run

    threads = [_run_in_thread(worker("off", False)), _run_in_thread(worker("on", True))]
    for thread, _ in threads:
        thread.join(timeout=60)
    for _, errors in threads:
        assert not errors, errors
    assert seen == {"off": False, "on": True, "off_after": True, "on_after": True}


# ---- grad mode during backward --------------------------------------------------------------
class _RecordMode(torch.autograd.Function):
    modes: ClassVar[list] = []

    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        _RecordMode.modes.append(torch.is_grad_enabled())
        return g * 2.0


def test_backward_runs_with_grad_mode_equal_to_create_graph(device):
    _RecordMode.modes.clear()
    x = leaf(device)
    _RecordMode.apply(x).sum().backward()
    torch.autograd.grad(_RecordMode.apply(x).sum(), x, create_graph=True)
    y = _RecordMode.apply(x).sum()
    with torch.no_grad():   # create_graph wins over the caller's mode, as in PyTorch
        torch.autograd.grad(y, x, create_graph=True)
        assert not torch.is_grad_enabled()
    assert _RecordMode.modes == [False, True, True]
    assert torch.is_grad_enabled()


def test_backward_inside_no_grad_computes_gradients(device):
    x = leaf(device)
    y = (x * x).sum()
    with torch.no_grad():
        y.backward()
        assert not torch.is_grad_enabled()
    assert x.grad.tolist() == [2.0, 4.0]


def test_mode_is_restored_when_backward_raises(device):
    x = leaf(device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward(create_graph=True)
    assert torch.is_grad_enabled()
    with torch.no_grad():
        with pytest.raises(RuntimeError, match="retain_graph"):
            y.backward()
        assert not torch.is_grad_enabled()
