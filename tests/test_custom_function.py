"""User-defined ``autograd.Function``s (PyTorch style: forward receives Tensors), and the
gradient checkers ``gradcheck`` / ``gradgradcheck``, which must pass for a correct backward
and *catch* a wrong one.
"""
from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np.autograd import Function, GradcheckError, gradcheck, gradgradcheck

XS = [0.5, -1.0, 2.0]


def leaf(values, device, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, device=device, requires_grad=True)


class ScaledCube(Function):
    """y = s·x³ for a Python number s;  dy/dx = 3s·x²."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * ctx.scale * x ** 2 * g, None


class WrongCube(Function):
    """y = x³ with a wrong derivative, 2x² instead of 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x ** 2 * g


class MyExp(Function):
    """y = eˣ, saving its *output* for backward;  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class MulAdd(Function):
    """y = a·b + c (c may be a Tensor or a number); backward computes only what is needed."""

    calls: ClassVar[list] = []

    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        MulAdd.calls.append(("forward", tuple(ctx.needs_input_grad)))
        return a * b + c

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        MulAdd.calls.append(("backward", tuple(ctx.needs_input_grad)))
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        gc = g if ctx.needs_input_grad[2] else None
        return ga, gb, gc


class SinCos(Function):
    """(sin x, cos x): two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        x, = ctx.saved_tensors
        return g_sin * x.cos() - g_cos * x.sin()


# ---- Function basics -----------------------------------------------------------------------
def test_apply_forward_and_backward(device):
    x = leaf(XS, device)
    y = ScaledCube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "ScaledCubeBackward0"
    np.testing.assert_allclose(to_host(y), 2 * np.array(XS) ** 3)
    y.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 6 * np.array(XS) ** 2)


def test_forward_receives_tensors_and_runs_without_recording(device):
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["type"] = type(x)
            seen["grad_enabled"] = torch.is_grad_enabled()
            y = x * 2.0
            seen["inner_grad_fn"] = y.grad_fn
            return y

        @staticmethod
        def backward(ctx, g):
            seen["backward_type"] = type(g)
            return g * 2.0

    x = leaf(XS, device)
    y = Probe.apply(x)
    assert seen["type"] is torch.Tensor
    assert seen["grad_enabled"] is False and seen["inner_grad_fn"] is None
    assert type(y.grad_fn).__name__ == "ProbeBackward0"
    y.sum().backward()
    assert seen["backward_type"] is torch.Tensor
    np.testing.assert_allclose(to_host(x.grad), [2.0, 2.0, 2.0])


def test_saved_tensors_give_back_the_inputs(device):
    x = leaf(XS, device)
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, device=device)
    MulAdd.calls.clear()
    y = MulAdd.apply(x, w, 1.0)
    a, b = y.grad_fn.saved_tensors
    np.testing.assert_array_equal(to_host(a), XS)
    np.testing.assert_array_equal(to_host(b), [1.0, 2.0, 3.0])


def test_saving_the_output(device):
    x = leaf(XS, device)
    y = MyExp.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), np.exp(XS), rtol=1e-12)
    assert gradcheck(MyExp.apply, (leaf(XS, device),))
    assert gradgradcheck(MyExp.apply, (leaf(XS, device),))


def test_needs_input_grad(device):
    a = leaf(XS, device)
    b = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, device=device)
    MulAdd.calls.clear()
    MulAdd.apply(a, b, 1.0).sum().backward()
    assert MulAdd.calls == [("forward", (True, False, False)), ("backward", (True, False, False))]
    np.testing.assert_allclose(to_host(a.grad), [1.0, 2.0, 3.0])
    assert b.grad is None


def test_needs_input_grad_is_a_tuple_as_in_pytorch(device):
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, s):
            seen.append(ctx.needs_input_grad)
            return x * s

        @staticmethod
        def backward(ctx, g):
            return g, None

    Probe.apply(leaf(XS, device), 2.0)
    assert seen == [(True, False)]
    with torch.no_grad():  # PyTorch fills it from requires_grad even when nothing is recorded
        out = Probe.apply(leaf(XS, device), 2.0)
    assert seen == [(True, False), (True, False)] and out.grad_fn is None


def test_non_tensor_arguments_get_none(device):
    a = leaf(XS, device)
    c = leaf([1.0, 1.0, 1.0], device)
    y = MulAdd.apply(a, 3.0, c)      # a number in the middle, a tensor after it
    y.sum().backward()
    np.testing.assert_allclose(to_host(a.grad), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(to_host(c.grad), [1.0, 1.0, 1.0])


def test_multiple_outputs(device):
    x = leaf(XS, device)
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn
    np.testing.assert_allclose(to_host(s), np.sin(XS))
    np.testing.assert_allclose(to_host(c), np.cos(XS))
    (s * 2.0 + c * 3.0).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 2 * np.cos(XS) - 3 * np.sin(XS), rtol=1e-12)


def test_multiple_outputs_only_one_used_gets_zeros_for_the_other(device):
    received = []

    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0, x * 3.0

        @staticmethod
        def backward(ctx, g1, g2):
            received.append((to_host(g1), to_host(g2)))
            return g1 * 2.0 + g2 * 3.0

    x = leaf(XS, device)
    _, second = Pair.apply(x)
    second.sum().backward()
    np.testing.assert_array_equal(received[0][0], np.zeros(3))
    np.testing.assert_array_equal(received[0][1], np.ones(3))
    np.testing.assert_allclose(to_host(x.grad), [3.0, 3.0, 3.0])


def test_multiple_outputs_pass_gradcheck(device):
    assert gradcheck(SinCos.apply, (leaf(XS, device),))
    assert gradgradcheck(SinCos.apply, (leaf(XS, device),))


def test_apply_records_nothing_when_no_input_requires_grad(device):
    x = torch.tensor(XS, dtype=torch.float64, device=device)
    y = ScaledCube.apply(x, 2.0)
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_allclose(to_host(y), 2 * np.array(XS) ** 3)


def test_apply_records_nothing_under_no_grad(device):
    x = leaf(XS, device)
    with torch.no_grad():
        y = ScaledCube.apply(x, 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_apply_refuses_tensors_on_two_devices():
    a = torch.tensor([1.0], device="cpu", requires_grad=True)
    b = torch.tensor([1.0], device="fakegpu")
    with pytest.raises(RuntimeError, match="MulAdd.*device"):
        MulAdd.apply(a, b, 0.0)


def test_saved_tensors_are_released_after_backward(device):
    x = leaf(XS, device)
    y = ScaledCube.apply(x, 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_returning_a_non_tensor_raises_naming_the_node(device):
    class ReturnsArray(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return np.ones(3)

    x = leaf(XS, device)
    with pytest.raises(TypeError, match="ReturnsArrayBackward0.*Tensors"):
        ReturnsArray.apply(x).sum().backward()


# ---- gradcheck ------------------------------------------------------------------------------
def test_gradcheck_passes_for_a_correct_function(device):
    x = leaf(XS, device)
    assert gradcheck(lambda t: ScaledCube.apply(t, 2.0), (x,))
    assert gradcheck(MulAdd.apply, (leaf(XS, device), leaf([1.0, 2.0, 3.0], device),
                                    leaf([0.0, 1.0, 0.0], device)))


def _numbers(message: str) -> tuple[float, float]:
    numeric = float(re.search(r"numerical:\s*(\S+)", message).group(1))
    analytic = float(re.search(r"analytical:\s*(\S+)", message).group(1))
    return numeric, analytic


def test_gradcheck_catches_a_wrong_backward(device):
    x = leaf(XS, device)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, (x,))
    message = str(info.value)
    assert "input 0" in message
    assert "(0,)" in message  # the element: the very first one is already wrong
    numeric, analytic = _numbers(message)
    # for an elementwise op both are v·f'(x₀) for the same random v: their ratio is 2x²/3x²
    assert analytic / numeric == pytest.approx(2 / 3, rel=1e-6)
    assert isinstance(info.value, RuntimeError)


def test_gradcheck_names_the_wrong_input_and_element(device):
    class WrongInSecond(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            wrong = g * a
            wrong[..., 1] = wrong[..., 1] * 2.0   # column 1 of b's gradient is wrong
            return g * b, wrong

    a = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    b = leaf([[0.5, -0.5], [1.5, -1.5]], device)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongInSecond.apply, (a, b))
    message = str(info.value)
    assert "input 1" in message and "(0, 1)" in message
    numeric, analytic = _numbers(message)
    assert analytic / numeric == pytest.approx(2.0, rel=1e-6)


def test_gradcheck_without_raising_returns_false(device):
    assert gradcheck(WrongCube.apply, (leaf(XS, device),), raise_exception=False) is False
    assert gradcheck(lambda t: ScaledCube.apply(t, 2.0), (leaf(XS, device),),
                     raise_exception=False) is True


def test_gradcheck_refuses_float32(device):
    x = leaf(XS, device, dtype=torch.float32)
    with pytest.raises((ValueError, TypeError, RuntimeError), match="float64"):
        gradcheck(lambda t: ScaledCube.apply(t, 2.0), (x,))


def test_gradcheck_needs_an_input_that_requires_grad(device):
    x = torch.tensor(XS, dtype=torch.float64, device=device)
    with pytest.raises((ValueError, RuntimeError), match="require"):
        gradcheck(lambda t: ScaledCube.apply(t, 2.0), (x,))


def test_gradcheck_catches_an_error_that_sums_to_zero(device):
    # backward adds +ε to one element and −ε to another: summing the outputs cannot see it,
    # a random upstream gradient does
    class Cancelling(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            offset = torch.tensor([0.1, -0.1, 0.0], dtype=torch.float64, device=g.device)
            return g + offset * g.sum()

    x = leaf(XS, device)
    with pytest.raises(GradcheckError):
        gradcheck(Cancelling.apply, (x,))


def test_gradcheck_leaves_the_inputs_unchanged(device):
    x = leaf(XS, device)
    gradcheck(lambda t: ScaledCube.apply(t, 2.0), (x,))
    np.testing.assert_array_equal(to_host(x), XS)
    assert x.grad is None


# ---- gradgradcheck --------------------------------------------------------------------------
def test_gradgradcheck_passes_for_a_backward_written_with_tensor_ops(device):
    assert gradgradcheck(lambda t: ScaledCube.apply(t, 2.0), (leaf(XS, device),))
    assert gradgradcheck(MulAdd.apply, (leaf(XS, device), leaf([1.0, 2.0, 3.0], device),
                                        leaf([0.0, 1.0, 0.0], device)))


def test_custom_function_double_backward_matches_the_closed_form(device):
    x = leaf(XS, device)
    g, = torch.autograd.grad(ScaledCube.apply(x, 2.0).sum(), x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_host(gg), 12 * np.array(XS))   # d²/dx² 2x³ = 12x


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable(device):
    # first derivative right, but computed from a detached x: its own derivative is lost
    class DetachedCube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x.detach() ** 2 * g

    assert gradcheck(DetachedCube.apply, (leaf(XS, device),))
    with pytest.raises(GradcheckError):
        gradgradcheck(DetachedCube.apply, (leaf(XS, device),))


def test_outputs_keep_the_device_forward_put_them_on():
    # a user's forward may return tensors on another device (PyTorch allows it): the results,
    # their saved copies and their gradients must live there, recorded or not
    class MoveAndDouble(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.to("fakegpu:1") * 2
            ctx.save_for_backward(y)
            return y, x * 3

        @staticmethod
        def backward(ctx, g_moved, g_kept):
            y, = ctx.saved_tensors
            assert y.device == torch.device("fakegpu:1") and g_moved.device == y.device
            return g_moved.to("cpu") * 2 + g_kept * 3

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    moved, kept = MoveAndDouble.apply(x)
    assert moved.device == torch.device("fakegpu:1") and kept.device == torch.device("cpu")
    assert to_host(moved).tolist() == [2.0, 4.0]
    moved.sum().backward()  # kept receives no gradient: zeros on its own device (the CPU)
    assert x.grad.device == torch.device("cpu") and to_host(x.grad).tolist() == [2.0, 2.0]
    with torch.no_grad():
        moved, kept = MoveAndDouble.apply(x)
    assert moved.device == torch.device("fakegpu:1") and moved.grad_fn is None


# -- the rest of PyTorch's ctx API and backward's checks ---------------------------------------
def test_a_forward_may_return_numbers_next_to_tensors(device):
    class Twice(Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * 2, k + 1

        @staticmethod
        def backward(ctx, g, g_number):
            assert g_number is None  # a number gets no gradient
            return g * 2, None

    a = torch.ones(2, device=device, requires_grad=True)
    y, k = Twice.apply(a, 3)
    assert k == 4 and y.requires_grad
    y.sum().backward()
    assert to_host(a.grad).tolist() == [2.0, 2.0]
    with torch.no_grad():
        assert Twice.apply(a, 3)[1] == 4


def test_backward_returning_too_many_or_misplaced_gradients_raises(device):
    a = torch.ones(2, device=device, requires_grad=True)

    class TooMany(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    class ForANumber(Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 1, got 2\)"):
        TooMany.apply(a).sum().backward()
    with pytest.raises(RuntimeError, match="different than None at position 2.*not a Tensor"):
        ForANumber.apply(a, 3.0).sum().backward()


def test_mark_non_differentiable_and_set_materialize_grads(device):
    seen = []

    class SortedWithOrder(Function):
        @staticmethod
        def forward(ctx, x):
            order = torch.tensor([1, 0], device=x.device)
            flipped = x[[1, 0]]
            ctx.mark_non_differentiable(order)
            ctx.set_materialize_grads(False)
            return flipped, order

        @staticmethod
        def backward(ctx, g, g_order):
            seen.append(g_order)
            return g[[1, 0]]

    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    y, order = SortedWithOrder.apply(x)
    assert not order.requires_grad and order.grad_fn is None
    y.sum().backward()
    assert seen == [None] and to_host(x.grad).tolist() == [1.0, 1.0]


def test_once_differentiable(device):
    from minitorch_np.autograd.function import once_differentiable

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            assert not torch.is_grad_enabled()  # a backward on values, not recorded
            return 2 * x * g

    x = torch.tensor([3.0], device=device, requires_grad=True)
    g, = torch.autograd.grad(Square.apply(x), x)
    assert g.item() == 6.0
    # under create_graph its result can be used, but differentiating it again raises
    g, = torch.autograd.grad(Square.apply(x) * x, x, create_graph=True)
    assert g.item() == 27.0 and g.requires_grad
    with pytest.raises(RuntimeError, match="differentiate twice.*once_differentiable"):
        g.backward()
