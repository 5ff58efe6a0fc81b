"""``autograd.grad`` (including gradients of gradients), ``backward(inputs=...)``, tensor
hooks and ``detect_anomaly``.

Higher derivatives are checked against closed forms: d²/dx² x³ = 6x, d²/dx² sin x = −sin x,
d³/dx³ x⁴ = 24x, and the Hessian of the quadratic form xᵀAx, which is A + Aᵀ.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np.autograd import Function

XS = [0.5, -1.0, 2.0]


def leaf(values, device, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, device=device, requires_grad=True)


# ---- autograd.grad --------------------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_dot_grad_alone(device):
    x = leaf(XS, device)
    w = leaf([1.0, 2.0, 3.0], device)
    h = x * w
    h.retain_grad()
    gx, gw = torch.autograd.grad((h * h).sum(), (x, w))
    xs, ws = np.array(XS), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(to_host(gx), 2 * xs * ws * ws)
    np.testing.assert_allclose(to_host(gw), 2 * xs * xs * ws)
    assert x.grad is None and w.grad is None and h.grad is None
    assert not gx.requires_grad  # no create_graph: plain values


def test_grad_of_a_single_tensor_returns_a_tuple(device):
    x = leaf(XS, device)
    result = torch.autograd.grad((x * 2.0).sum(), x)
    assert isinstance(result, tuple) and len(result) == 1
    np.testing.assert_allclose(to_host(result[0]), [2.0, 2.0, 2.0])


def test_grad_with_grad_outputs(device):
    x = leaf(XS, device)
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, device=device)
    g, = torch.autograd.grad(x * x, x, grad_outputs=v)
    np.testing.assert_allclose(to_host(g), 2 * np.array(XS) * [1.0, -2.0, 0.5])


def test_grad_of_many_elements_without_grad_outputs_raises(device):
    x = leaf(XS, device)
    with pytest.raises(RuntimeError, match="scalar"):
        torch.autograd.grad(x * x, x)


def test_grad_frees_the_graph_unless_retained(device):
    x = leaf(XS, device)
    y = (x * x).sum()
    torch.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        torch.autograd.grad(y, x)
    y = (x * x).sum()
    g1, = torch.autograd.grad(y, x, retain_graph=True)
    g2, = torch.autograd.grad(y, x)
    np.testing.assert_allclose(to_host(g1), to_host(g2))


def test_grad_with_respect_to_an_intermediate(device):
    x = leaf(XS, device)
    h = x.exp()
    y = (h * h).sum()
    gh, = torch.autograd.grad(y, h)   # dy/dh = 2h
    np.testing.assert_allclose(to_host(gh), 2 * np.exp(XS), rtol=1e-12)
    assert x.grad is None


def test_grad_with_respect_to_an_intermediate_and_a_leaf(device):
    x = leaf(XS, device)
    h = x * 3.0
    gh, gx = torch.autograd.grad((h * h).sum(), (h, x))
    np.testing.assert_allclose(to_host(gh), 6 * np.array(XS))
    np.testing.assert_allclose(to_host(gx), 18 * np.array(XS))


def test_grad_with_respect_to_one_output_of_a_multi_output_node(device):
    x = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    a, b = x.split(1)
    y = (a * 2.0 + b * b).sum()
    gb, = torch.autograd.grad(y, b)
    np.testing.assert_allclose(to_host(gb), [[6.0, 8.0]])


def test_allow_unused(device):
    x = leaf(XS, device)
    unused = leaf([1.0], device)
    with pytest.raises(RuntimeError, match="allow_unused"):
        torch.autograd.grad((x * 2.0).sum(), (x, unused))
    gx, gu = torch.autograd.grad((x * 2.0).sum(), (x, unused), allow_unused=True)
    np.testing.assert_allclose(to_host(gx), [2.0, 2.0, 2.0])
    assert gu is None


def test_grad_input_that_does_not_require_grad_raises(device):
    x = leaf(XS, device)
    c = torch.tensor(XS, dtype=torch.float64, device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad((x * c).sum(), c)


def test_backward_with_inputs_accumulates_only_into_them(device):
    x = leaf(XS, device)
    w = leaf([1.0, 2.0, 3.0], device)
    (x * w).sum().backward(inputs=[w])
    np.testing.assert_allclose(to_host(w.grad), XS)
    assert x.grad is None


# ---- gradients of gradients (create_graph=True) ---------------------------------------------
def test_grad_runs_only_the_part_of_the_graph_leading_to_the_inputs(device):
    # as PyTorch: a branch that only leads elsewhere is not run — its hooks stay silent, its
    # saved tensors stay for a later backward — and a requested intermediate's own node does
    # not run unless something below it is requested too
    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = torch.tensor([3.0, 4.0], device=device, requires_grad=True)
    fired = []
    w.register_hook(lambda g: fired.append("w"))
    a = w.exp().sum()
    y = a + (x.exp() * w).sum()
    gx, = torch.autograd.grad(y, x)
    np.testing.assert_allclose(to_host(gx), np.exp([1.0, 2.0]) * [3.0, 4.0], rtol=1e-6)
    assert fired == []
    a.backward()  # w.exp()'s saved tensors were not freed by the grad above
    np.testing.assert_allclose(to_host(w.grad), np.exp([3.0, 4.0]), rtol=1e-6)
    assert fired == ["w"]
    h = x * w
    z = (h * 3).sum()
    gh, = torch.autograd.grad(z, h)
    np.testing.assert_array_equal(to_host(gh), [3.0, 3.0])
    gx, = torch.autograd.grad((h * 3).sum(), x)  # h's node (x * w) had not run: not freed
    np.testing.assert_array_equal(to_host(gx), [9.0, 12.0])
    x.grad = None
    (x * w + w.exp()).sum().backward(inputs=[x])  # also backward(inputs=...)
    assert fired == ["w"] and w.grad is not None and to_host(x.grad).tolist() == [3.0, 4.0]


def test_second_derivative_of_a_cube(device):
    x = leaf(XS, device)
    g, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(to_host(g), 3 * np.array(XS) ** 2, rtol=1e-12)
    gg, = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_host(gg), 6 * np.array(XS), rtol=1e-12)


def test_second_derivative_of_sin(device):
    x = leaf(XS, device)
    g, = torch.autograd.grad(x.sin().sum(), x, create_graph=True)
    np.testing.assert_allclose(to_host(g), np.cos(XS), rtol=1e-12)
    gg, = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_host(gg), -np.sin(XS), rtol=1e-12)


def test_third_derivative_of_x_to_the_fourth(device):
    x = leaf(XS, device)
    g1, = torch.autograd.grad((x ** 4).sum(), x, create_graph=True)
    g2, = torch.autograd.grad(g1.sum(), x, create_graph=True)
    g3, = torch.autograd.grad(g2.sum(), x)
    xs = np.array(XS)
    np.testing.assert_allclose(to_host(g2), 12 * xs ** 2, rtol=1e-12)
    np.testing.assert_allclose(to_host(g3), 24 * xs, rtol=1e-12)


def test_hessian_vector_product_of_a_quadratic_form(device):
    # f(x) = xᵀ A x: ∇f = (A + Aᵀ) x, and the Hessian-vector product H v = (A + Aᵀ) v
    rng = np.random.default_rng(1)
    a_np, x_np, v_np = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    A = torch.tensor(a_np, device=device)
    x = leaf(x_np, device)
    v = torch.tensor(v_np, device=device)
    f = x @ A @ x
    g, = torch.autograd.grad(f, x, create_graph=True)
    np.testing.assert_allclose(to_host(g), (a_np + a_np.T) @ x_np, rtol=1e-12)
    hv, = torch.autograd.grad(g, x, grad_outputs=v)
    np.testing.assert_allclose(to_host(hv), (a_np + a_np.T) @ v_np, rtol=1e-12)
    # the same through a scalar: d/dx (∇f · v)
    g, = torch.autograd.grad(x @ A @ x, x, create_graph=True)
    hv2, = torch.autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(to_host(hv2), (a_np + a_np.T) @ v_np, rtol=1e-12)


def test_backward_with_create_graph_makes_grad_differentiable(device):
    x = leaf(XS, device)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gg, = torch.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(to_host(gg), 6 * np.array(XS), rtol=1e-12)


def test_mixed_second_derivative(device):
    # f = x²·y: ∂²f/∂x∂y = 2x
    x = leaf([1.5], device)
    y = leaf([-2.0], device)
    gx, = torch.autograd.grad((x * x * y).sum(), x, create_graph=True)
    gxy, = torch.autograd.grad(gx.sum(), y)
    np.testing.assert_allclose(to_host(gxy), [3.0])


# ---- hooks ----------------------------------------------------------------------------------
def test_hook_on_a_leaf_sees_and_replaces_the_gradient(device):
    x = leaf(XS, device)
    seen = []

    def double(g):
        seen.append(to_host(g))
        return g * 2.0

    handle = x.register_hook(double)
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * np.array(XS))
    np.testing.assert_allclose(to_host(x.grad), 4 * np.array(XS))
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(to_host(x.grad), 2 * np.array(XS))


def test_hook_on_an_intermediate_changes_what_flows_on(device):
    x = leaf(XS, device)
    h = x * x
    handle = h.register_hook(lambda g: g * 0.0 + 1.0)  # pretend dL/dh = 1
    (h * 5.0).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 2 * np.array(XS))   # 1 · dh/dx
    handle.remove()
    x.grad = None
    h = x * x
    (h * 5.0).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 10 * np.array(XS))


def test_removed_hook_on_an_intermediate_is_not_called(device):
    x = leaf(XS, device)
    h = x * x
    calls = []
    handle = h.register_hook(lambda g: calls.append(1))
    handle.remove()
    (h * 5.0).sum().backward()
    assert calls == []
    np.testing.assert_allclose(to_host(x.grad), 10 * np.array(XS))


def _hooked_square(x, device, hook):
    """y = 5·h with h = x², a hook on h, and no reference to h left: as in a forward method."""
    h = x * x
    handle = h.register_hook(hook)
    return (h * 5.0).sum(), handle


def test_hook_on_an_intermediate_fires_after_the_tensor_is_gone(device):
    # PyTorch keeps a tensor's hooks on its grad_fn: they fire though the Python object of
    # the tensor was dropped before backward (dL/dx = 2 · 5 · 2x)
    x = leaf(XS, device)
    y, _ = _hooked_square(x, device, lambda g: g * 2.0)
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), 20 * np.array(XS))
    x.grad = None
    y, _ = _hooked_square(x, device, lambda g: g * 2.0)
    g, = torch.autograd.grad(y, x)  # the general walk too
    np.testing.assert_allclose(to_host(g), 20 * np.array(XS))


def test_removing_the_hook_of_a_dropped_intermediate(device):
    x = leaf(XS, device)
    y, handle = _hooked_square(x, device, lambda g: g * 2.0)
    handle.remove()
    y.backward()
    np.testing.assert_allclose(to_host(x.grad), 10 * np.array(XS))


def test_hook_returning_none_keeps_the_gradient(device):
    x = leaf(XS, device)
    x.register_hook(lambda g: None)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [3.0, 3.0, 3.0])


def test_hooks_run_once_per_backward_with_the_summed_gradient(device):
    x = leaf(XS, device)
    leaf_calls, mid_calls = [], []
    x.register_hook(lambda g: leaf_calls.append(to_host(g)))
    h = x * 1.0
    h.register_hook(lambda g: mid_calls.append(to_host(g)))
    (x * 2.0 + x * 3.0 + h + h * 4.0).sum().backward()
    assert len(leaf_calls) == 1 and len(mid_calls) == 1
    np.testing.assert_allclose(mid_calls[0], [5.0, 5.0, 5.0])
    np.testing.assert_allclose(leaf_calls[0], [10.0, 10.0, 10.0])


def test_several_hooks_run_in_order_of_registration(device):
    x = leaf([1.0], device)
    x.register_hook(lambda g: g + 1.0)
    x.register_hook(lambda g: g * 10.0)
    (x * 2.0).sum().backward()
    assert x.grad.item() == 30.0  # (2 + 1) · 10, not 2 · 10 + 1


def test_a_handle_removes_its_own_registration(device):
    # one function registered twice: each handle takes out its own (PyTorch's handle ids)
    x = leaf([1.0], device)

    def double(g):
        return g * 2.0
    x.register_hook(double)
    x.register_hook(lambda g: g + 1.0)
    second = x.register_hook(double)
    second.remove()
    second.remove()  # twice: nothing more happens
    (x * 1.0).sum().backward()
    assert x.grad.item() == 3.0  # 1 · 2 + 1, the first `double` still there
    with x.register_hook(lambda g: g * 0.0):  # a context manager, as PyTorch's
        pass
    x.grad = None
    (x * 1.0).sum().backward()
    assert x.grad.item() == 3.0


@pytest.mark.parametrize("bad, error, match", [
    (lambda g: g.expand(3, 3), RuntimeError, "hook 'bad' has changed the size of value"),
    (lambda g: g.float(), RuntimeError, "hook 'bad' has changed the type of value"),
    (lambda g: 3.0, TypeError, "expected Tensor, but hook 'bad' returned 'float'")])
def test_a_hook_must_return_a_gradient_like_the_one_it_got(device, bad, error, match):
    # a broadcastable shape would otherwise be summed silently, a dtype cast silently
    x = leaf(XS, device)
    y = x * 2.0

    def bad_hook(g):
        return bad(g)
    bad_hook.__name__ = "bad"
    y.register_hook(bad_hook)
    with pytest.raises(error, match=match):
        y.sum().backward()


def test_retained_grad_of_an_intermediate_is_after_its_hooks(device):
    x = leaf(XS, device)
    h = x * 1.0
    h.retain_grad()
    h.register_hook(lambda g: g * 3.0)
    h.sum().backward()
    np.testing.assert_allclose(to_host(h.grad), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(to_host(x.grad), [3.0, 3.0, 3.0])


def test_hooks_run_under_autograd_grad(device):
    x = leaf(XS, device)
    x.register_hook(lambda g: g * 2.0)
    g, = torch.autograd.grad((x * 3.0).sum(), x)
    np.testing.assert_allclose(to_host(g), [6.0, 6.0, 6.0])
    assert x.grad is None


def test_hook_on_a_tensor_without_grad_raises(device):
    c = torch.tensor(XS, device=device)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        c.register_hook(lambda g: g)


# ---- detect_anomaly -------------------------------------------------------------------------
class NaNBackward(Function):
    """Identity forward, a backward that produces NaN."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


def test_detect_anomaly_names_the_node_that_produced_nan(device):
    x = leaf(XS, device)
    with torch.autograd.detect_anomaly():
        y = (NaNBackward.apply(x * 2.0) * 3.0).sum()
        with pytest.raises(RuntimeError, match="NaNBackwardBackward0") as info:
            y.backward()
    # the message shows where forward ran, so the user finds the op in their code
    assert "test_detect_anomaly_names_the_node_that_produced_nan" in str(info.value)
    assert x.grad is None


def test_without_detect_anomaly_nan_flows_silently(device):
    x = leaf(XS, device)
    (NaNBackward.apply(x) * 3.0).sum().backward()
    assert np.isnan(to_host(x.grad)).all()


def test_detect_anomaly_without_nan_checks(device):
    assert not torch.is_anomaly_enabled()
    with torch.autograd.detect_anomaly(check_nan=False):
        assert torch.is_anomaly_enabled() and not torch.is_anomaly_check_nan_enabled()
        y = leaf([0.0], device)
        (y.sqrt() * 0.0).sum().backward()  # 0 · ∞ = nan flows on, as asked
        assert np.isnan(to_host(y.grad)).all()
    assert not torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()


def test_detect_anomaly_is_restored_on_exit(device):
    from minitorch_np.autograd import anomaly
    assert not anomaly.is_enabled()
    with torch.autograd.detect_anomaly():
        assert anomaly.is_enabled()
    assert not anomaly.is_enabled()


def test_reading_grad_of_a_non_leaf_warns_as_pytorch(device):
    import warnings
    x = leaf(XS, device)
    y = x * 2.0
    y.sum().backward(retain_graph=True)
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    y.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a retained or leaf .grad is read silently
        assert y.grad is not None and x.grad is not None


def test_unused_inputs_named_materialized_or_refused(device):
    x, z = leaf(XS, device), leaf(XS, device)
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="Tensor at index 1 appears to not have been used"):
        torch.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = torch.autograd.grad(y, [x, z], materialize_grads=True, retain_graph=True)
    assert to_host(gz).tolist() == [0.0] * 3 and gz.dtype == z.dtype
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        torch.autograd.grad(y, [x, z], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be"):
        y.backward(inputs=[])
