"""The backward engine: how gradients flow through a graph (docs/autograd.md).

Diamonds and reused tensors (gradients are summed), deep graphs (the walk is iterative, so
10 000 ops do not hit Python's recursion limit), accumulation into ``.grad``, which tensors
get ``.grad``, freeing the graph after backward, upstream gradients, ops with several outputs,
and what a graph looks like from outside (``grad_fn``, ``next_functions``, ``is_leaf``).
Expected values are closed forms of the functions built.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import cube_function, to_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minitorch_np as torch
import minitorch_np.nn.functional as F
from minitorch_np.autograd import Function


def leaf(values, device, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, device=device, requires_grad=True)


# ---- graph shapes ---------------------------------------------------------------------------
def test_diamond_sums_both_paths(device):
    # x → a = x², b = 3x → y = a·b = 3x³, so dy/dx = 9x²
    x = leaf([0.5, -2.0, 3.0], device)
    a = x * x
    b = x * 3.0
    y = (a * b).sum()
    y.backward()
    xs = np.array([0.5, -2.0, 3.0])
    np.testing.assert_allclose(to_host(x.grad), 9 * xs ** 2, rtol=1e-12)


def test_diamond_through_an_intermediate_runs_each_node_once(device):
    # h = exp(x) feeds two branches: y = sin(h) + h², dy/dx = (cos(h) + 2h)·h
    calls = []

    class CountedExp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            calls.append(to_host(g))
            y, = ctx.saved_tensors
            return g * y

    x = leaf([0.1, -0.3], device)
    h = CountedExp.apply(x)
    (h.sin() + h * h).sum().backward()
    hs = np.exp([0.1, -0.3])
    assert len(calls) == 1  # the node waited for both branches and ran once
    np.testing.assert_allclose(calls[0], np.cos(hs) + 2 * hs, rtol=1e-12)
    np.testing.assert_allclose(to_host(x.grad), (np.cos(hs) + 2 * hs) * hs, rtol=1e-12)


def test_tensor_reused_many_times_sums_its_gradients(device):
    x = leaf([1.5, -0.5], device)
    y = x
    for _ in range(50):  # y = x + x + ... (51 terms), plus x used again in a product
        y = y + x
    (y * x).sum().backward()  # d/dx (51 x · x) = 102 x
    np.testing.assert_allclose(to_host(x.grad), 102 * np.array([1.5, -0.5]), rtol=1e-12)


def test_same_tensor_as_both_operands(device):
    x = leaf([2.0, -3.0], device)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 3 * np.array([2.0, -3.0]) ** 2, rtol=1e-12)


def test_broadcast_gradients_are_summed_back_to_the_input_shape(device):
    a = leaf(np.arange(3.0).reshape(3, 1), device)
    b = leaf([1.0, 2.0, 3.0, 4.0], device)
    (a * b).sum().backward()  # (3, 4): a[i] meets every b[j], b[j] every a[i]
    np.testing.assert_allclose(to_host(a.grad), np.full((3, 1), 10.0))
    np.testing.assert_allclose(to_host(b.grad), np.full(4, 3.0))
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)


# ---- deep graphs: no recursion ------------------------------------------------------------
def test_chain_of_10000_multiplications(device):
    x = leaf(1.0, device)
    h = x
    for _ in range(10_000):
        h = h * 1.0001
    h.backward()
    assert x.grad.dtype == torch.float64
    np.testing.assert_allclose(to_host(x.grad), 1.0001 ** 10_000, rtol=1e-9)


def test_chain_of_10000_additions(device):
    x = leaf([0.0, 2.0], device)
    h = x
    for _ in range(10_000):
        h = h + 1
    np.testing.assert_array_equal(to_host(h), [10_000.0, 10_002.0])
    h.sum().backward()
    np.testing.assert_array_equal(to_host(x.grad), [1.0, 1.0])


def test_chain_of_10000_mixed_unary_ops(device):
    # tanh then sin, 5000 times each: the derivative is the product of the local ones
    x = leaf(0.3, device)
    h, local = x, []
    v = 0.3
    for _ in range(5_000):
        h = h.tanh()
        v = np.tanh(v)
        local.append(1 - v * v)
        local.append(np.cos(v))
        h = h.sin()
        v = np.sin(v)
    h.backward()
    np.testing.assert_allclose(to_host(x.grad), np.prod(local), rtol=1e-9)


def test_deep_graph_with_a_lowered_recursion_limit(device):
    import inspect
    import sys
    x = leaf(1.0, device)
    h = x
    for _ in range(2_000):
        h = h * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 100)  # room for the engine, not for the graph
    try:
        h.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == 1.0


# ---- accumulation, and who gets .grad -------------------------------------------------------
def test_two_backward_calls_on_different_graphs_accumulate(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()          # 2x
    (x * 5.0).sum().backward()        # + 5
    np.testing.assert_allclose(to_host(x.grad), [7.0, 9.0])


def test_accumulation_updates_the_existing_grad_in_place(device):
    x = leaf([1.0, 2.0], device)
    (x * 3.0).sum().backward()
    first = x.grad
    (x * 3.0).sum().backward()
    assert x.grad is first  # as PyTorch: `grad += new` outside create_graph
    np.testing.assert_allclose(to_host(first), [6.0, 6.0])


def test_first_gradient_owns_its_memory(device):
    # Add hands the same gradient to both inputs; updating one .grad in place (as gradient
    # clipping does) must not change the other
    a = leaf([1.0, 2.0], device)
    b = leaf([3.0, 4.0], device)
    (a + b).sum().backward()
    a.grad.mul_(10.0)
    np.testing.assert_allclose(to_host(a.grad), [10.0, 10.0])
    np.testing.assert_allclose(to_host(b.grad), [1.0, 1.0])


# A leaf keeps a fresh gradient array as its .grad instead of copying it (engine._adopt),
# but never memory that something else can still reach: each case below updates one
# gradient in place and checks that nothing else changed.
def _independent(mutated, *others_before):
    before = [to_host(t).copy() for t in others_before]
    mutated.add_(100.0)
    return all(np.array_equal(to_host(t), b) for t, b in zip(others_before, before))


def test_adopted_gradient_of_a_transposed_weight_is_contiguous_and_right(device):
    x = leaf(np.arange(6.0).reshape(2, 3), device)
    w = leaf(np.arange(12.0).reshape(4, 3) / 10, device)
    g = np.arange(8.0).reshape(2, 4)
    (x @ w.t()).backward(torch.tensor(g, device=device))
    np.testing.assert_allclose(to_host(w.grad), g.T @ np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(to_host(x.grad), g @ (np.arange(12.0).reshape(4, 3) / 10))
    assert w.grad.is_contiguous()
    assert _independent(w.grad, x.grad)
    (x @ w.t()).backward(torch.tensor(g, device=device))     # accumulates into the adopted
    np.testing.assert_allclose(to_host(w.grad), 100 + 2 * g.T @ np.arange(6.0).reshape(2, 3))


def test_one_gradient_passed_to_two_leaves(device):
    a, b = leaf(np.ones((2, 3)), device), leaf(np.ones((2, 3)), device)
    ((a + b) * 2.0).sum().backward()    # Add hands Mul's fresh array to both
    assert _independent(a.grad, b.grad) and _independent(b.grad, a.grad)
    c, d = leaf(np.ones((2, 3)), device), leaf(np.ones((3, 2)), device)
    ((c + d.t()) * 2.0).sum().backward()    # d's through a transposing view
    assert _independent(c.grad, d.grad) and _independent(d.grad, c.grad)
    # an adopted gradient tensor is a plain one: no view of another, no graph
    for t in (a, b, c, d):
        assert t.grad._base is None and t.grad.grad_fn is None and not t.grad.requires_grad


def test_pieces_of_one_gradient_are_not_shared(device):
    a, b = leaf([1.0, 2.0], device), leaf([3.0], device)
    (torch.cat([a, b]) * 2.0).sum().backward()
    assert _independent(a.grad, b.grad) and _independent(b.grad, a.grad)


def test_the_callers_gradient_is_never_adopted(device):
    x = leaf([1.0, 2.0], device)
    upstream = torch.tensor([5.0, 6.0], dtype=torch.float64, device=device)
    x.clone().backward(upstream)    # Clone passes the caller's array straight through
    assert _independent(x.grad, upstream)
    np.testing.assert_allclose(to_host(upstream), [5.0, 6.0])


def test_a_gradient_a_hook_has_seen_is_not_adopted(device):
    x = leaf([1.0, 2.0], device)
    kept = []
    h = x * 2.0
    h.register_hook(kept.append)    # the hook keeps the gradient of h ...
    h.clone().sum().backward()      # ... which Mul's backward scales into a fresh array
    y = leaf([1.0, 2.0], device)
    y.register_hook(kept.append)    # a leaf's hook keeps exactly what lands in .grad
    (y * 3.0).sum().backward()
    assert _independent(y.grad, kept[1])
    np.testing.assert_allclose(to_host(kept[1]), [3.0, 3.0])


def test_retained_and_leaf_gradients_are_independent(device):
    x = leaf([1.0, 2.0], device)
    h = x.clone()                   # Clone's backward passes h's gradient on to x unchanged
    h.retain_grad()
    (h * 3.0).sum().backward()
    assert _independent(h.grad, x.grad) and _independent(x.grad, h.grad)


def test_a_custom_functions_gradient_is_copied(device):
    stash = {}

    class Keep(Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1.0

        @staticmethod
        def backward(ctx, g):
            stash["g"] = torch.ones_like(g)   # returned, and kept by the Function's author
            return stash["g"]

    x = leaf([1.0, 2.0], device)
    Keep.apply(x).sum().backward()
    assert _independent(x.grad, stash["g"])


def test_grad_lands_only_on_leaves(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2.0
    y = (h * h).sum()
    y.backward()
    assert x.grad is not None
    with pytest.warns(UserWarning, match="not a leaf"):  # PyTorch's warning for non-leaves
        assert h.grad is None and y.grad is None
    assert not h.is_leaf and x.is_leaf


def test_retain_grad_keeps_the_gradient_of_an_intermediate(device):
    x = leaf([1.0, -2.0], device)
    h = x * 3.0
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()            # dL/dh = 2h = 6x
    np.testing.assert_allclose(to_host(h.grad), 6 * np.array([1.0, -2.0]))
    np.testing.assert_allclose(to_host(x.grad), 18 * np.array([1.0, -2.0]))


def test_retain_grad_accumulates_like_a_leaf(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_host(h.grad), 4 * np.array([1.0, 2.0]))


def test_retain_grad_on_a_leaf_is_harmless(device):
    x = leaf([1.0], device)
    x.retain_grad()
    (x * 2.0).sum().backward()
    assert x.grad.item() == 2.0


def test_leaf_without_requires_grad_gets_no_grad(device):
    x = leaf([1.0, 2.0], device)
    c = torch.tensor([3.0, 4.0], dtype=torch.float64, device=device)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(to_host(x.grad), [3.0, 4.0])


# ---- the graph is freed after backward ------------------------------------------------------
def test_second_backward_through_a_freed_graph_raises(device):
    x = leaf([1.0, 2.0], device)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_doubles_grad(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), 2 * 2 * np.array([1.0, 2.0]))


def test_a_graph_that_saves_nothing_can_be_walked_twice(device):
    # Add saves no tensor, so nothing is freed that a second walk would need (as PyTorch)
    x = leaf([1.0, 2.0], device)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), [2.0, 2.0])


# ---- upstream gradients ---------------------------------------------------------------------
def test_backward_on_a_one_element_non_scalar(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum().reshape(1, 1)
    assert y.shape == (1, 1)
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), [2.0, 4.0])


def test_backward_on_many_elements_needs_a_gradient(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()
    assert x.grad is None


def test_backward_with_an_explicit_gradient(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * x
    y.backward(torch.tensor([1.0, 0.5, -1.0], dtype=torch.float64, device=device))
    np.testing.assert_allclose(to_host(x.grad), 2 * np.array([1.0, 2.0, 3.0]) * [1.0, 0.5, -1.0])


@pytest.mark.parametrize("shape", [(2,), (3, 1), (1, 3), ()])
def test_backward_with_a_gradient_of_the_wrong_shape_raises(device, shape):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(torch.ones(shape, dtype=torch.float64, device=device))
    assert x.grad is None


def test_backward_of_a_tensor_that_does_not_require_grad_raises(device):
    x = torch.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_backward_from_two_outputs_of_the_same_node(device):
    # both roots lead to one node, whose edges must be counted once
    x = leaf([1.0, -2.0], device)
    double, cube = TwoOutputs.apply(x)
    ones = torch.ones(2, dtype=torch.float64, device=device)
    torch.autograd.backward([double, cube], [ones, ones * 2.0])
    np.testing.assert_allclose(to_host(x.grad), 2 + 2 * 3 * np.array([1.0, -2.0]) ** 2)


def test_backward_from_the_same_root_twice_sums(device):
    x = leaf([1.0, -2.0], device)
    y = x * 3.0
    ones = torch.ones(2, dtype=torch.float64, device=device)
    torch.autograd.backward([y, y], [ones, ones * 2.0])
    np.testing.assert_allclose(to_host(x.grad), [9.0, 9.0])


def test_backward_from_a_root_that_feeds_another_root(device):
    # roots h and y = h²: h receives its own upstream gradient plus y's contribution
    x = leaf([1.0, -2.0], device)
    h = x * 3.0
    y = h * h
    ones = torch.ones(2, dtype=torch.float64, device=device)
    torch.autograd.backward([y, h], [ones, ones])
    xs = np.array([1.0, -2.0])
    np.testing.assert_allclose(to_host(x.grad), 3 * (2 * 3 * xs + 1))


def test_gradient_dtype_follows_the_output(device):
    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)  # float32
    y = x * 3
    y.backward(torch.ones(2, dtype=torch.float64, device=device))
    assert x.grad.dtype == torch.float32
    np.testing.assert_allclose(to_host(x.grad), [3.0, 3.0])


# ---- ops with several outputs, and outputs without gradient --------------------------------
def test_max_with_dim_sends_the_gradient_through_values_only(device):
    m = leaf([[1.0, 5.0, 2.0], [7.0, 3.0, 4.0]], device)
    values, indices = torch.max(m, dim=1)
    assert values.requires_grad
    assert not indices.requires_grad and indices.grad_fn is None
    (values * torch.tensor([2.0, -1.0], dtype=torch.float64, device=device)).sum().backward()
    np.testing.assert_array_equal(to_host(m.grad), [[0.0, 2.0, 0.0], [-1.0, 0.0, 0.0]])


def test_split_where_only_some_pieces_are_used(device):
    x = leaf(np.arange(6.0), device)
    a, b, c = x.split(2)
    (a * 2.0 + c * c).sum().backward()
    np.testing.assert_array_equal(to_host(x.grad), [2.0, 2.0, 0.0, 0.0, 8.0, 10.0])
    with pytest.warns(UserWarning, match="not a leaf"):
        assert b.grad is None


class TwoOutputs(Function):
    """(x·2, x³): a node with two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2.0, x ** 3

    @staticmethod
    def backward(ctx, g_double, g_cube):
        x, = ctx.saved_tensors
        return g_double * 2.0 + g_cube * 3.0 * x * x


def test_multi_output_node_with_only_one_output_used(device):
    x = leaf([1.0, -2.0], device)
    double, cube = TwoOutputs.apply(x)
    assert double.grad_fn is cube.grad_fn
    cube.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 3 * np.array([1.0, -2.0]) ** 2)
    x.grad = None
    double, cube = TwoOutputs.apply(x)
    double.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [2.0, 2.0])


def test_multi_output_node_with_both_outputs_used_runs_once(device):
    x = leaf([1.0, -2.0], device)
    double, cube = TwoOutputs.apply(x)
    (double + cube).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 2 + 3 * np.array([1.0, -2.0]) ** 2)


class DropFirst(Function):
    """y = a·0 + b: backward returns no gradient for `a`."""

    @staticmethod
    def forward(ctx, a, b):
        return b.clone()

    @staticmethod
    def backward(ctx, g):
        return None, g


def test_a_node_whose_output_receives_no_gradient(device):
    # a = x² feeds DropFirst as `a`, which returns None for it: the Mul node gets nothing,
    # the walk still goes on to x through b, and x's gradient is b's path alone
    x = leaf([1.0, 2.0], device)
    a = x * x
    b = x * 5.0
    DropFirst.apply(a, b).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [5.0, 5.0])


def test_a_leaf_reached_by_no_gradient_keeps_grad_none(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)
    DropFirst.apply(w * 2.0, x).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(to_host(x.grad), [1.0, 1.0])


class BadShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g[:1]


class TooFewGradients(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g


def test_backward_returning_a_wrong_shape_raises_naming_the_node(device):
    x = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    with pytest.raises(RuntimeError, match="BadShapeBackward0.*shape"):
        BadShape.apply(x).sum().backward()


def test_backward_returning_too_few_gradients_raises(device):
    a, b = leaf([1.0], device), leaf([2.0], device)
    with pytest.raises(RuntimeError, match="TooFewGradientsBackward0"):
        TooFewGradients.apply(a, b).sum().backward()


class WrongDtype(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return (g * 2.0).to(torch.float32)  # a float32 gradient for a float64 input


@pytest.mark.parametrize("walk", ["backward", "grad", "create_graph"])
def test_a_gradient_of_another_dtype_is_cast_to_the_inputs(device, walk):
    # the plain walk (backward) casts the array, the general walks (grad, create_graph) the
    # Tensor: the leaf's gradient has the leaf's dtype either way
    x = leaf([1.0, -3.0], device)
    y = (WrongDtype.apply(x) * x).sum()  # dy/dx = 2x + 2x
    if walk == "backward":
        y.backward()
        g = x.grad
    else:
        g, = torch.autograd.grad(y, x, create_graph=walk == "create_graph")
    assert g.dtype == torch.float64
    np.testing.assert_allclose(to_host(g), [4.0, -12.0], rtol=1e-6)


# ---- the graph seen from outside ------------------------------------------------------------
def test_grad_fn_names(device):
    x = leaf([1.0, 2.0], device)
    assert x.grad_fn is None
    assert type((x * 2).grad_fn).__name__ == "MulBackward0"
    assert type((x + 1).grad_fn).__name__ == "AddBackward0"
    assert type(x.exp().grad_fn).__name__ == "ExpBackward0"
    assert type(x.sum().grad_fn).__name__ == "SumBackward0"
    assert type(TwoOutputs.apply(x)[0].grad_fn).__name__ == "TwoOutputsBackward0"
    assert (x * 2).grad_fn.name() == "MulBackward0"


def test_next_functions(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)
    h = w.exp()
    y = x * h
    (first, nr0), (second, nr1) = y.grad_fn.next_functions
    assert type(first).__name__ == "AccumulateGrad" and first.variable is x
    assert second is h.grad_fn and nr0 == 0 and nr1 == 0
    (acc, _), = second.next_functions
    assert acc.variable is w
    # an argument that needs no gradient has no edge
    z = x * 2.0
    assert z.grad_fn.next_functions[1] == (None, 0)
    # output numbers tell which output of a multi-output node an input came from
    double, cube = TwoOutputs.apply(x)
    s = double + cube
    assert [nr for _, nr in s.grad_fn.next_functions] == [0, 1]
    assert all(fn is double.grad_fn for fn, _ in s.grad_fn.next_functions)


def test_is_leaf_and_requires_grad_propagation(device):
    x = leaf([1.0, 2.0], device)
    c = torch.tensor([1.0, 2.0], dtype=torch.float64, device=device)
    assert x.is_leaf and c.is_leaf
    y = x * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = c * c
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    # integer results and comparisons never require grad
    assert not x.argmax().requires_grad
    assert not (x > 1).requires_grad


def test_requires_grad_only_for_floating_leaves(device):
    i = torch.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="floating point"):
        i.requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (leaf([1.0], device) * 2).requires_grad_(False)


def test_detach_stops_gradients_and_shares_memory(device):
    x = leaf([1.0, 2.0], device)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    (x * d).sum().backward()                # d is a constant: the gradient is d = x, not 2x
    np.testing.assert_allclose(to_host(x.grad), [1.0, 2.0])
    d.add_(10.0)                            # shared memory, shared version counter
    np.testing.assert_allclose(to_host(x), [11.0, 12.0])
    assert x._version == 1


def test_detach_of_an_intermediate(device):
    x = leaf([1.0, 2.0], device)
    h = x * 3.0
    y = (h.detach() * x).sum()
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), [3.0, 6.0])


def test_data_shares_memory_without_tracking(device):
    x = leaf([1.0, 2.0], device)
    d = x.data
    assert not d.requires_grad and d.grad_fn is None
    d.mul_(2.0)                             # changes x, but is invisible to autograd
    np.testing.assert_allclose(to_host(x), [2.0, 4.0])
    assert x._version == 0
    y = (x * x).sum()
    x.data.add_(1.0)                        # not tracked: no "modified in place" error
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), [6.0, 10.0])


# Built-in ops with `_array_backward` (and cross_entropy, by its own two formulas) compute
# their plain backward on the arrays and, under create_graph=True, the same formulas with
# Tensor ops: the two must agree.
_TWO_PATH_CASES = {
    "linear 2-D": lambda x, w, b, y: F.linear(x, w, b),
    "linear 3-D input": lambda x, w, b, y: F.linear(x.reshape(2, 2, 5), w, b),
    "linear without bias": lambda x, w, b, y: F.linear(x, w),
    "cross_entropy mean": lambda x, w, b, y: F.cross_entropy(F.linear(x, w, b), y),
    "cross_entropy sum": lambda x, w, b, y: F.cross_entropy(F.linear(x, w, b), y,
                                                            reduction="sum"),
}
# the elementwise ops, on h = x Wᵀ (4, 3) and b (3,): broadcasting included
_ELEMENTWISE_TWO_PATH_CASES = {
    "add": lambda h, b: h + b,
    "sub": lambda h, b: h - b,
    "mul": lambda h, b: h * b,
    "mul by a number": lambda h, b: h * 0.5,
    "div": lambda h, b: h / (b * b + 1),
    "neg": lambda h, b: -h,
    "maximum": lambda h, b: torch.maximum(h, b),
    "minimum": lambda h, b: torch.minimum(h, b),
    "exp": lambda h, b: h.exp(),
    "log": lambda h, b: (h * h + 1).log(),
    "sqrt": lambda h, b: (h * h + 1).sqrt(),
    "abs": lambda h, b: h.abs(),
    "tanh": lambda h, b: h.tanh(),
    "sigmoid": lambda h, b: h.sigmoid(),
    "relu": lambda h, b: h.relu(),
    "clamp": lambda h, b: h.clamp(-0.5, 0.5),
}


def _two_paths(device, dtype, make):
    """The gradients of `make(x, w, b, y)` for x, w, b, by a plain and a recorded backward."""
    rng = np.random.default_rng(3)
    dt = getattr(torch, dtype)
    x, w, b = (torch.tensor(rng.standard_normal(s), dtype=dt, device=device,
                            requires_grad=True) for s in ((4, 5), (3, 5), (3,)))
    y = torch.tensor([0, 2, 1, 2], device=device)
    out = make(x, w, b, y)
    up = torch.tensor(rng.standard_normal(tuple(out.shape)), dtype=dt, device=device)
    plain = torch.autograd.grad(out, (x, w, b), up, retain_graph=True, allow_unused=True)
    recorded = torch.autograd.grad(out, (x, w, b), up, create_graph=True, allow_unused=True)
    return plain, recorded


def _assert_close_gradients(p, r, dtype):
    assert p.dtype == getattr(torch, dtype) and not p.requires_grad
    r = to_host(r.detach())
    # a few roundings apart: relative to the gradient's own scale
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(to_host(p), r, rtol=0, atol=8 * eps * np.abs(r).max())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(_TWO_PATH_CASES))
def test_array_backward_matches_the_recorded_one(device, case, dtype):
    plain, recorded = _two_paths(device, dtype, _TWO_PATH_CASES[case])
    for i, (p, r) in enumerate(zip(plain, recorded)):
        assert (p is None) == (r is None)
        if p is not None:
            # recorded: x's and w's gradients depend on w and x (b's may be a constant, Σ up)
            assert r.requires_grad or i == 2
            _assert_close_gradients(p, r, dtype)


def test_a_retained_graph_serves_a_plain_then_a_recorded_backward(device):
    # the plain backward runs tanh's formula on arrays; the node must hand out Tensors again
    # afterwards, so that a create_graph backward through the same graph records its formula
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, device=device, requires_grad=True)
    y = (x.tanh() * x).sum()
    plain, = torch.autograd.grad(y, x, retain_graph=True)
    recorded, = torch.autograd.grad(y, x, create_graph=True)
    assert not plain.requires_grad and recorded.requires_grad
    np.testing.assert_allclose(to_host(plain), to_host(recorded.detach()), rtol=1e-15)
    second, = torch.autograd.grad(recorded.sum(), x)   # d²y/dx², through the recorded formula
    xs = np.array([0.5, -1.0])
    t = np.tanh(xs)
    np.testing.assert_allclose(to_host(second), 2 * (1 - t * t) - 2 * xs * t * (1 - t * t),
                               rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(_ELEMENTWISE_TWO_PATH_CASES))
def test_elementwise_array_backward_matches_the_recorded_one(device, case, dtype):
    op = _ELEMENTWISE_TWO_PATH_CASES[case]
    plain, recorded = _two_paths(device, dtype, lambda x, w, b, y: op(F.linear(x, w), b))
    for p, r in zip(plain, recorded):
        assert (p is None) == (r is None)
        if p is not None:
            _assert_close_gradients(p, r, dtype)


# ---- the two walks agree (drawn graphs) ---------------------------------------------------
_Cube = cube_function(torch)  # a user's Function: on the plain walk, wrapped and unwrapped


_GRAPH_STEPS = {  # (value a, value b) -> value; values broadcast against each other
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "maximum": lambda a, b: torch.maximum(a, b * 1.01),
    "tanh of a": lambda a, b: a.tanh(),
    "relu": lambda a, b: (a - 0.1).relu(),
    "exp": lambda a, b: (a * 0.1).exp(),
    "sum, keepdim": lambda a, b: a.sum(dim=-1, keepdim=True) * b,
    "cube (a user's Function)": lambda a, b: _Cube.apply(a) + b,
    "split, first half used": lambda a, b: a.reshape(-1)[:2 * (a.numel() // 2)].reshape(
        2, -1).unbind(0)[0].sum() + b if a.numel() >= 2 else a + b,
    "max over the last dim (values, indices)": lambda a, b: a.max(dim=-1, keepdim=True)[0] + b,
    "hooked": lambda a, b: _hooked(a * b),
    "divide": lambda a, b: a / (b * b + 1.0),
    "picked twice (repeated index)": lambda a, b: a.reshape(-1)[[0, 0, -1]].sum() * b,
    "transposed and back": lambda a, b: ((a.mT * 2.0).mT if a.ndim >= 2 else a) + b.sum(),
    "in place on a fresh value": lambda a, b: (a * 1.0).mul_(b) if tuple(
        np.broadcast_shapes(tuple(a.shape), tuple(b.shape))) == tuple(a.shape) else a * b,
    "retained": lambda a, b: _retained(a - b),
    "pow": lambda a, b: (a * a + 1.0) ** 1.5,
}


def _retained(t):
    t.retain_grad()  # fills t.grad on the plain walk, and changes nothing else
    return t


def _hooked(t):
    t.register_hook(lambda g: g * 2.0)  # on every walk: the gradient through t doubles
    return t


def _draw_graph(shapes, program, seed, device):
    rng = np.random.default_rng(seed)
    leaves = [torch.tensor(rng.standard_normal(s), dtype=torch.float64, device=device,
                           requires_grad=True) for s in shapes]
    values = list(leaves)
    for step, i, j in program:  # each step reads two earlier values: reuse and diamonds
        values.append(_GRAPH_STEPS[step](values[i % len(values)], values[j % len(values)]))
    weights = [torch.tensor(rng.standard_normal(tuple(v.shape)), dtype=torch.float64,
                            device=device) for v in values[len(leaves):]]
    loss = sum(((v * w).sum() for v, w in zip(values[len(leaves):], weights)),
               torch.zeros((), dtype=torch.float64, device=device))
    return leaves, loss


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       program=st.lists(st.tuples(st.sampled_from(list(_GRAPH_STEPS)), st.integers(0, 20),
                                  st.integers(0, 20)), min_size=1, max_size=8),
       seed=st.integers(0, 2**32 - 1))
def test_plain_and_general_walks_agree(shapes, program, seed, device):
    # the same drawn graph, built three times: backward() (the plain walk, on arrays),
    # autograd.grad (the general walk), and autograd.grad with create_graph (on Tensors)
    leaves, loss = _draw_graph(shapes.input_shapes, program, seed, device)
    loss.backward()
    plain = [leaf.grad for leaf in leaves]
    leaves, loss = _draw_graph(shapes.input_shapes, program, seed, device)
    general = torch.autograd.grad(loss, leaves, allow_unused=True, materialize_grads=True)
    leaves, loss = _draw_graph(shapes.input_shapes, program, seed, device)
    recorded = torch.autograd.grad(loss, leaves, allow_unused=True, materialize_grads=True,
                                   create_graph=True)
    for p, g, r, leaf in zip(plain, general, recorded, leaves):
        g, r = to_host(g), to_host(r.detach())
        p = np.zeros_like(g) if p is None else to_host(p)  # a leaf the loss does not reach
        assert p.shape == g.shape == tuple(leaf.shape)
        np.testing.assert_allclose(p, g, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(p, r, rtol=1e-12, atol=1e-12)
