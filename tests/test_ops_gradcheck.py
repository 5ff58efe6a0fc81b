"""Gradients of every differentiable op in the table, on every device.

``gradcheck`` compares the backward pass with central differences in float64 (projected on a
random upstream gradient, so errors that cancel in a plain sum are seen); ``gradgradcheck``
does the same for the gradient itself, built with ``create_graph=True``. Where central
differences cannot answer (casts to float32, and the conventions PyTorch picks at kinks and
ties, where no derivative exists) the gradient is compared with a closed form.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host
from op_table import OPS_BY_NAME, op_cases

import minitorch_np as torch
from minitorch_np.autograd import gradcheck, gradgradcheck


def float64_inputs(info, case, device) -> list:
    return [torch.tensor(h, dtype=torch.float64, device=device, requires_grad=True)
            for h in info.sample(case)]


@pytest.mark.parametrize("info, case", op_cases(lambda i: i.differentiable and i.numeric_grad))
def test_gradcheck(info, case, device):
    inputs = float64_inputs(info, case, device)
    assert gradcheck(lambda *xs: info.op(*xs, **case.kwargs), inputs)


@pytest.mark.parametrize("info, case", op_cases(lambda i: i.differentiable and i.numeric_grad
                                                and i.double_backward))
def test_gradgradcheck(info, case, device):
    inputs = float64_inputs(info, case, device)
    assert gradgradcheck(lambda *xs: info.op(*xs, **case.kwargs), inputs)


def test_gradcheck_can_fail(device):
    """The harness sees a wrong backward (here: d sin = sin instead of cos)."""
    class WrongSin(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x.sin()

    x = torch.tensor([0.3, 1.2, -0.7], dtype=torch.float64, device=device, requires_grad=True)
    with pytest.raises(torch.autograd.GradcheckError, match="input 0"):
        gradcheck(WrongSin.apply, (x,))


# -- casts: the gradient is cast back to the input's dtype -----------------------------------
@pytest.mark.parametrize("src, dst", [(torch.float32, torch.float64),
                                      (torch.float64, torch.float32)], ids=["up", "down"])
def test_cast_gradient_is_cast_back(src, dst, device):
    x = torch.tensor([[0.5, -1.25], [2.0, 3.5]], dtype=src, device=device, requires_grad=True)
    v = np.array([[1.5, -2.0], [0.25, 4.0]])
    y = x.to(dst)
    assert y.dtype == dst and y.grad_fn is not None
    (y * torch.tensor(v, dtype=dst, device=device)).sum().backward()
    assert x.grad.dtype == src and x.grad.device == x.device
    np.testing.assert_array_equal(to_host(x.grad), v.astype(src.numpy))


def test_cast_round_trip_double_backward(device):
    """x ↦ (x.float().double())² keeps a graph through both casts: d²/dx² = 2."""
    x = torch.tensor([0.5, -1.5], dtype=torch.float64, device=device, requires_grad=True)
    y = (x.float().double() ** 2).sum()
    g, = torch.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(to_host(g), [1.0, -3.0])
    gg, = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_host(gg), [2.0, 2.0])


# -- repeated indices accumulate -------------------------------------------------------------
def test_repeated_index_gradient_accumulates(device):
    x = torch.zeros(3, 2, device=device, requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    np.testing.assert_array_equal(to_host(x.grad), [[3, 3], [0, 0], [1, 1]])


def test_gather_repeated_index_gradient_accumulates(device):
    x = torch.zeros(2, 3, device=device, requires_grad=True)
    index = torch.tensor([[0, 0, 0, 2], [1, 1, 2, 1]], device=device)
    x.gather(1, index).sum().backward()
    np.testing.assert_array_equal(to_host(x.grad), [[3, 0, 1], [0, 3, 1]])


# -- PyTorch's choices where the derivative does not exist -----------------------------------
def _grad(fn, values, device):
    x = torch.tensor(values, dtype=torch.float64, device=device, requires_grad=True)
    fn(x).sum().backward()
    return to_host(x.grad)


KINKS = [
    ("relu at 0", lambda x: x.relu(), [0.0, 1.0], [0.0, 1.0]),
    ("abs at 0", lambda x: x.abs(), [0.0, -1.0], [0.0, -1.0]),
    ("clamp at its bounds", lambda x: x.clamp(0.0, 1.0), [0.0, 0.5, 1.0, 2.0], [1, 1, 1, 0]),
    ("max ties share", lambda x: x.max(), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    ("min ties share", lambda x: x.min(), [2.0, 1.0, 1.0], [0.0, 0.5, 0.5]),
    ("amax ties share", lambda x: x.amax(1), [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]],
     [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]),
    ("max(dim) ties: the index returned", lambda x: x.max(1).values, [[1.0, 3.0, 3.0]],
     [[0.0, 1.0, 0.0]]),
    ("maximum ties share", lambda x: x.maximum(torch.tensor(3.0, dtype=torch.float64,
                                                            device=x.device)),
     [1.0, 3.0, 4.0], [0.0, 0.5, 1.0]),
    ("inf-norm ties share", lambda x: x.norm(math.inf), [1.0, -3.0, 3.0], [0.0, -0.5, 0.5]),
    ("2-norm at 0", lambda x: x.norm(), [0.0, 0.0], [0.0, 0.0]),
    ("3-norm at 0", lambda x: x.norm(3), [0.0, 0.0], [0.0, 0.0]),
    ("1-norm at 0", lambda x: x.norm(1), [0.0, 1.0], [0.0, 1.0]),
    ("std of equal values", lambda x: x.std(), [1.0, 1.0], [0.0, 0.0]),
    ("x ** 0 at 0", lambda x: x ** 0.0, [0.0], [0.0]),
    ("x ** 2 at 0", lambda x: x ** 2.0, [0.0], [0.0]),
]


@pytest.mark.parametrize("name, fn, values, expected", KINKS, ids=[k[0] for k in KINKS])
def test_gradient_convention_at_kinks(name, fn, values, expected, device):
    np.testing.assert_allclose(_grad(fn, values, device), expected, atol=1e-15)


def test_pow_gradient_at_zero_base(device):
    """d(aᵇ)/db = aᵇ·ln a is taken as 0 where a = 0 (PyTorch's choice), not nan."""
    a = torch.tensor([0.0, 2.0], dtype=torch.float64, device=device, requires_grad=True)
    b = torch.tensor([2.0, 0.5], dtype=torch.float64, device=device, requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_allclose(to_host(a.grad), [0.0, 0.5 * 2.0 ** -0.5])
    np.testing.assert_allclose(to_host(b.grad), [0.0, math.sqrt(2.0) * math.log(2.0)])


def test_pow_gradients_at_zero_exponent_and_at_a_number_base(device):
    """As PyTorch: d(aᵇ)/da = 0 where b = 0 (even at a = 0, where b·aᵇ⁻¹ is 0·∞); for a number
    base c, d(cˣ)/dx = cˣ·ln c, 0 for c = 0 and nan for c < 0 (not a Python math error)."""
    def grad(f, values):
        x = torch.tensor(values, dtype=torch.float64, device=device, requires_grad=True)
        f(x).sum().backward()
        return to_host(x.grad)
    zero = torch.zeros(2, dtype=torch.float64, device=device)
    np.testing.assert_array_equal(grad(lambda x: x ** zero, [0.0, 1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(grad(lambda x: 0.0 ** x, [0.5, 2.0]), [0.0, 0.0])
    assert np.isnan(grad(lambda x: (-2.0) ** x, [0.5, 2.0])).all()
    np.testing.assert_allclose(grad(lambda x: 3.0 ** x, [0.5, 2.0]),
                               [3 ** 0.5 * math.log(3), 9 * math.log(3)], rtol=1e-15)


def test_norms_of_order_zero_minus_infinity_and_negative(device):
    """PyTorch's values and gradients: p = 0 counts non-zeros, -inf is min |x|, p < 0 is
    (Σ|x|ᵖ)^(1/p), 0 (gradient 0) where an entry is 0."""
    rows = [[3.0, 0.5, -4.0], [1.0, 2.0, 0.0]]
    x = torch.tensor(rows, dtype=torch.float64, device=device, requires_grad=True)
    assert to_host(x.norm(0, dim=1)).tolist() == [3.0, 2.0]
    assert to_host(x.norm(-math.inf, dim=1)).tolist() == [0.5, 0.0]
    y = x.norm(-1, dim=1)
    np.testing.assert_allclose(to_host(y), [1 / (1 / 3 + 2 + 1 / 4), 0.0], rtol=1e-12)
    y.sum().backward()
    assert np.isfinite(to_host(x.grad)).all() and to_host(x.grad)[1].tolist() == [0.0] * 3
    away = torch.tensor([[3.0, 0.5, -4.0], [1.0, 2.0, 1.5]], dtype=torch.float64, device=device,
                        requires_grad=True)
    assert gradcheck(lambda t: t.norm(-1.5, dim=1), (away,))
    assert gradgradcheck(lambda t: t.norm(-1.5), (away,))
    assert gradcheck(lambda t: t.norm(-math.inf, dim=0), (away,))
    assert x.norm(2, dtype=torch.float32).dtype == torch.float32


def test_median_ties_share_the_gradient_and_nan_is_the_median(device):
    """As PyTorch: median() spreads its gradient over the elements equal to it; a NaN is the
    median (of all elements, or of its row with dim) and takes the gradient."""
    x = torch.tensor([1.0, 2.0, 2.0, 3.0], dtype=torch.float64, device=device, requires_grad=True)
    x.median().backward()
    assert to_host(x.grad).tolist() == [0.0, 0.5, 0.5, 0.0]
    x = torch.tensor([3.0, math.nan, 1.0], dtype=torch.float64, device=device, requires_grad=True)
    m = x.median()
    m.backward()
    assert math.isnan(m.item()) and to_host(x.grad).tolist() == [0.0, 1.0, 0.0]
    rows = torch.tensor([[3.0, math.nan, 1.0], [1.0, 2.0, 3.0]], device=device)
    values, indices = rows.median(dim=1)
    assert math.isnan(to_host(values)[0]) and to_host(indices).tolist() == [1, 1]


def test_max_of_all_elements_gives_a_nan_result_gradient_to_the_nans(device):
    """PyTorch's convention: max()/min() share the gradient among the NaNs; amax() is NaN."""
    for op in (lambda t: t.max(), lambda t: t.min()):
        x = torch.tensor([math.nan, 1.0, math.nan], device=device, requires_grad=True)
        op(x).backward()
        assert to_host(x.grad).tolist() == [0.5, 0.0, 0.5]
    x = torch.tensor([math.nan, 1.0], device=device, requires_grad=True)
    x.amax().backward()
    assert np.isnan(to_host(x.grad)).all()


def test_relu_passes_the_gradient_of_a_nan(device):
    """PyTorch's ReLU backward zeroes where x ≤ 0 only: a NaN input passes its gradient."""
    x = torch.tensor([math.nan, 1.0, -1.0, 0.0], device=device, requires_grad=True)
    x.relu().sum().backward()
    assert to_host(x.grad).tolist() == [1.0, 1.0, 0.0, 0.0]


def test_relu_slope_read_off_its_output(device):
    """Backward masks with the output (y ≠ 0), as PyTorch: -0.0 and tiny inputs are right,
    and the output changed in place before backward is refused (PyTorch's error too)."""
    x = torch.tensor([-0.0, 1e-30, -1e-30, 2.0], device=device, requires_grad=True)
    (x.relu() * torch.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    assert to_host(x.grad).tolist() == [0.0, 2.0, 0.0, 4.0]
    y = torch.relu(x)
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_prod_with_zeros_refuses_double_backward(device):
    """Its first derivative is computed as a constant there: create_graph says so loudly."""
    info = OPS_BY_NAME["prod_with_zeros"]
    x = torch.tensor([1.5, 0.0, 2.0], dtype=torch.float64, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="prod"):
        torch.autograd.grad(info.op(x), x, create_graph=True)
