"""In-place operations and autograd: the version counter (docs/autograd.md).

A node that saved a tensor for backward refuses to run once that tensor was changed in
place (it would compute a wrong gradient); an in-place op on a non-leaf is recorded and
gives the gradient of the out-of-place formula; a leaf that requires grad can only be changed
under ``no_grad`` (the SGD update). Views share the version counter of their base.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch

XS = [0.5, -1.0, 2.0]


def leaf(values, device):
    return torch.tensor(values, dtype=torch.float64, device=device, requires_grad=True)


def const(values, device):
    return torch.tensor(values, dtype=torch.float64, device=device)


# ---- the version counter --------------------------------------------------------------------
def test_version_counts_in_place_changes(device):
    t = const(XS, device)
    assert t._version == 0
    t.add_(1.0)
    assert t._version == 1
    t.mul_(2.0)
    assert t._version == 2
    t[0] = 5.0
    assert t._version == 3
    t.zero_()
    t.fill_(1.0)
    t.copy_(const([1.0, 2.0, 3.0], device))
    assert t._version == 6
    t += 1.0
    assert t._version == 7
    _ = t * 2.0 + t.exp()          # out-of-place ops do not count
    assert t._version == 7


def test_views_share_the_version_counter(device):
    x = leaf(XS, device)
    with torch.no_grad():
        x[0].add_(1.0)          # a 0-d view of one element
    assert x._version == 1
    np.testing.assert_array_equal(to_host(x), [1.5, -1.0, 2.0])
    m = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    with torch.no_grad():
        m[0].add_(1.0)          # a row
        m[1, 1].mul_(10.0)      # one element
    assert m._version == 2
    np.testing.assert_array_equal(to_host(m), [[2.0, 3.0], [3.0, 40.0]])
    c = const([[1.0, 2.0], [3.0, 4.0]], device)
    for view in (c[1], c.reshape(4), c.view(4), c.t(), c.transpose(0, 1), c.detach()):
        before = c._version
        view.mul_(1.0)
        assert c._version == before + 1
        assert view._version == c._version


def test_a_copy_has_its_own_counter(device):
    c = const(XS, device)
    d = c.clone()
    d.add_(1.0)
    assert c._version == 0 and d._version == 1


# ---- modifying a tensor a node saved --------------------------------------------------------
@pytest.mark.parametrize("modify", [
    pytest.param(lambda t: t.add_(1.0), id="add_"),
    pytest.param(lambda t: t.mul_(2.0), id="mul_"),
    pytest.param(lambda t: t.__setitem__(0, 7.0), id="setitem"),
    pytest.param(lambda t: t.zero_(), id="zero_"),
])
def test_modifying_a_saved_intermediate_then_backward_raises(device, modify):
    x = leaf(XS, device)
    a = x * 2.0
    y = (a * a).sum()               # Mul saved `a`
    modify(a)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_constant_raises(device):
    x = leaf(XS, device)
    c = const([1.0, 2.0, 3.0], device)
    y = (x * c).sum()               # Mul saved `c` for x's gradient
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_view_made_after_forward_of_a_saved_input_raises(device):
    # the saved tensor had no version counter yet (tensors get one when first changed in
    # place or viewed): the view made later shares the new one, and backward still sees it
    x = leaf(XS, device)
    c = const([1.0, 2.0, 3.0], device)
    y = (x * c).sum()
    view = c[1:]
    view.mul_(3.0)
    assert c._version == 1
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.backward()


def test_modifying_a_saved_output_raises(device):
    x = leaf(XS, device)
    e = x.exp()                     # Exp saves its output
    y = (e * 2.0).sum()
    e.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_tensor_through_a_view_raises(device):
    x = leaf(XS, device)
    c = const([1.0, 2.0, 3.0], device)
    y = (x * c).sum()
    c[1:].mul_(2.0)                 # the view bumps c's counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_tensor_under_no_grad_still_raises(device):
    x = leaf(XS, device)
    a = x * 2.0
    y = (a * a).sum()
    with torch.no_grad():
        a.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_tensor_no_node_saved_is_fine(device):
    # Sum saves nothing, so changing its input afterwards does not matter (as PyTorch)
    x = leaf(XS, device)
    a = x * 2.0
    y = a.sum()
    a.mul_(3.0)
    y.backward()
    np.testing.assert_array_equal(to_host(x.grad), [2.0, 2.0, 2.0])


# ---- leaves that require grad ---------------------------------------------------------------
@pytest.mark.parametrize("modify", [
    pytest.param(lambda t: t.add_(1.0), id="add_"),
    pytest.param(lambda t: t.mul_(2.0), id="mul_"),
    pytest.param(lambda t: t.__setitem__(0, 7.0), id="setitem"),
    pytest.param(lambda t: t.zero_(), id="zero_"),
])
def test_in_place_on_a_leaf_that_requires_grad_raises(device, modify):
    x = leaf(XS, device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        modify(x)
    np.testing.assert_array_equal(to_host(x), XS)      # refused before any change
    assert x._version == 0 and x.is_leaf


def test_sgd_update_under_no_grad(device):
    w = leaf(XS, device)
    (w * w).sum().backward()                            # grad = 2w
    with torch.no_grad():
        w -= 0.25 * w.grad                              # w ← w − 0.25·2w = w/2
    np.testing.assert_allclose(to_host(w), np.array(XS) / 2)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version == 1
    w.grad = None
    (w * 3.0).sum().backward()                          # the updated parameter still trains
    np.testing.assert_array_equal(to_host(w.grad), [3.0, 3.0, 3.0])


def test_in_place_on_a_parameter_view_under_no_grad(device):
    w = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    with torch.no_grad():
        w[0].zero_()
        w[:, 1] = 9.0
    np.testing.assert_array_equal(to_host(w), [[0.0, 9.0], [3.0, 9.0]])
    assert w.is_leaf and w.requires_grad and w._version == 2


# ---- in-place ops on non-leaves are recorded -----------------------------------------------
def test_in_place_chain_on_a_non_leaf_matches_the_out_of_place_formula(device):
    x = leaf(XS, device)
    a = x * 2.0
    a.mul_(x)                   # a = 2x²
    a.add_(x, alpha=3.0)        # a = 2x² + 3x
    a.exp_()                    # a = exp(2x² + 3x)
    assert type(a.grad_fn).__name__ == "ExpBackward0" and a._version == 3
    a.sum().backward()
    xs = np.array(XS)
    expected = np.exp(2 * xs ** 2 + 3 * xs) * (4 * xs + 3)
    np.testing.assert_allclose(to_host(x.grad), expected, rtol=1e-12)
    # and the same computed out of place
    x2 = leaf(XS, device)
    (x2 * 2.0 * x2 + x2 * 3.0).exp().sum().backward()
    np.testing.assert_allclose(to_host(x.grad), to_host(x2.grad), rtol=1e-12)


def test_setitem_on_a_non_leaf(device):
    x = leaf(XS, device)
    w = leaf([4.0], device)
    a = x * 3.0
    a[1] = w[0] * 2.0           # overwrites position 1: x[1] no longer contributes
    (a * a).sum().backward()
    xs = np.array(XS)
    np.testing.assert_allclose(to_host(x.grad), [18 * xs[0], 0.0, 18 * xs[2]])
    np.testing.assert_allclose(to_host(w.grad), [2 * (2 * 4.0) * 2.0])


def test_in_place_with_a_grad_operand_makes_a_constant_require_grad(device):
    x = leaf(XS, device)
    acc = torch.zeros(3, dtype=torch.float64, device=device)
    acc.add_(x * x)
    acc.add_(x)
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 2 * np.array(XS) + 1)


def test_in_place_on_a_tensor_only_needed_as_a_factor_of_constants(device):
    # a·c and a·3 with constants c and 3 need only c and 3 for a's gradient: changing `a`
    # afterwards is harmless (as PyTorch, which saves only what backward uses)
    x = leaf(XS, device)
    c = const([1.0, 2.0, 3.0], device)
    a = x * 2.0
    b = a * c + a * 3.0
    a_sum = a.sum()             # Sum saves nothing either
    a.add_(1.0)
    (b.sum() + a_sum).backward()
    np.testing.assert_allclose(to_host(x.grad), 2 * (np.array([1.0, 2.0, 3.0]) + 3.0) + 2.0)


def test_in_place_through_a_view_of_a_recorded_tensor_is_refused(device):
    # PyTorch rewrites the base's graph (CopySlices); minitorch_np refuses loudly instead of
    # computing a wrong gradient
    x = leaf(XS, device)
    a = x * 2.0
    with pytest.raises(RuntimeError, match="view"):
        a[0].add_(1.0)
    np.testing.assert_array_equal(to_host(a), 2 * np.array(XS))


# -- a view made before an in-place change of its base ----------------------------------------
STALE = "view of a tensor that was modified in place after the view was made"


@pytest.mark.parametrize("change", [
    lambda y: y.mul_(3), lambda y: y.__setitem__(0, 5.0), lambda y: y.add_(1.0)])
@pytest.mark.parametrize("view", [lambda y: y[:2], lambda y: y.view(3), lambda y: y.unsqueeze(0)])
def test_using_a_view_whose_base_changed_in_place_raises(device, change, view):
    # the view shows the new values but its graph is the view of the old base: PyTorch
    # rebuilds the view's grad_fn; here using it with grad mode on is refused, not wrong
    x = leaf(XS, device)
    y = x * 2
    v = view(y)
    change(y)
    with pytest.raises(RuntimeError, match=STALE):
        v.sum()
    with torch.no_grad():  # no graph, nothing stale: the current values
        np.testing.assert_array_equal(to_host(v * 1), to_host(view(y)))


def test_a_view_of_a_constant_base_that_joins_a_graph_raises(device):
    # its gradient would be lost silently: the view had no graph when it was made
    w = leaf([1.5], device)
    x = torch.zeros(3, 2, dtype=torch.float64, device=device)
    row, part = x[0], x[1:]  # x[k]: the loop's shortcut; x[1:]: the general path
    x[0] = w * 2
    for v in (row, part):
        with pytest.raises(RuntimeError, match=STALE):
            v * 1


def test_views_used_before_or_made_after_the_change_are_fine(device):
    x = leaf(XS, device)
    y = x * 2
    z = y[:2] * 2  # used before: its graph is the old values', which is what z computed
    y.mul_(3)
    z.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(to_host(x.grad), [4.0, 4.0, 0.0])
    x.grad = None
    y[:2].sum().backward()  # taken after: y = 6x
    np.testing.assert_array_equal(to_host(x.grad), [6.0, 6.0, 0.0])


def test_a_detached_tensor_is_values_not_a_stale_view(device):
    # detach() shares memory and the version counter, but has no graph to go stale: using it
    # after its source changed in place is fine (PyTorch too), and sees the new values
    x = leaf(XS, device)
    y = x * 2.0
    values = y.detach()
    y.mul_(3.0)
    loss = (values * x).sum()
    loss.backward()
    np.testing.assert_allclose(to_host(x.grad), 6.0 * np.array(XS))
    assert values._version == y._version == 1



def test_nodes_keep_only_what_the_gradients_need_as_pytorch(device):
    """An in-place op on a tensor without grad saves nothing for that tensor's gradient, and
    x ** 2 keeps x, not its output: later in-place changes of those leave backward working
    (both raised "modified by an inplace operation" before, where PyTorch computes)."""
    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = torch.tensor([3.0, 4.0], device=device)
    w.mul_(x)  # d/dx needs w's old value only, not x
    with torch.no_grad():
        x.add_(1.0)
    w.sum().backward()
    assert to_host(x.grad).tolist() == [3.0, 4.0]
    x.grad = None
    y = x ** 2
    y.add_(0.5)
    y.sum().backward()
    assert to_host(x.grad).tolist() == [4.0, 6.0]  # 2x, x being 2 and 3 now


def test_in_place_through_a_view_made_before_its_base_joined_the_graph_is_refused(device):
    """PyTorch rebuilds such a view's graph and records the op; unrecorded here, it would
    change the base's values behind its graph."""
    x = torch.ones(2, 3, device=device, requires_grad=True)
    w = torch.ones(2, 3, device=device) * 2
    v = w.reshape(-1)
    w.mul_(x)
    with pytest.raises(RuntimeError, match="relu_: this tensor is a view .* does not rebuild"):
        v.relu_()
    with torch.no_grad():  # an update outside the graph stays allowed
        v.relu_()
