"""Losses: forward against NumPy references written from the formulas in PyTorch's
documentation, every reduction, gradcheck/gradgradcheck in float64, numerical stability,
argument validation — on every test device."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
import minitorch_np.nn.functional as F
from minitorch_np import nn
from minitorch_np.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t64(a, device, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device,
                        requires_grad=requires_grad)


def reduce_np(losses, reduction, denominator=None):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / (losses.size if denominator is None else denominator)


def log_softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ce_index_np(x, y, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Per-element losses and the mean's denominator, from PyTorch's documented formulas."""
    logp = np.moveaxis(log_softmax_np(x, 1), 1, -1)  # (N, d..., C)
    c = x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight)
    keep = y != ignore_index
    safe = np.where(keep, y, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    nll = -w[safe] * picked * keep
    smooth = -(logp * w).sum(-1) * keep
    losses = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    return losses, (w[safe] * keep).sum()


# -- cross entropy and NLL ----------------------------------------------------------------
CE_CASES = [
    dict(shape=(5, 4)),
    dict(shape=(5, 4), weight=[0.2, 1.0, 3.0, 0.5]),
    dict(shape=(6, 3), ignore_index=1),
    dict(shape=(6, 3), weight=[1.0, 2.0, 0.5], ignore_index=0, label_smoothing=0.2),
    dict(shape=(4, 3), label_smoothing=0.1),
    dict(shape=(2, 3, 4, 2), weight=[0.5, 1.0, 2.0], ignore_index=2),  # (N, C, d1, d2)
    dict(shape=(2, 3, 5), label_smoothing=0.3),
]


def _ce_inputs(case, device, requires_grad=False):
    shape = case["shape"]
    x = RNG.standard_normal(shape) * 2
    target_shape = shape[:1] + shape[2:]
    y = RNG.integers(0, shape[1], target_shape)
    return x, y, t64(x, device, requires_grad), torch.tensor(y, device=device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CE_CASES, ids=str)
def test_cross_entropy_forward(device, case, reduction):
    x, y, xt, yt = _ce_inputs(case, device)
    weight = case.get("weight")
    kwargs = {k: v for k, v in case.items() if k in ("ignore_index", "label_smoothing")}
    wt = None if weight is None else t64(weight, device)
    out = F.cross_entropy(xt, yt, weight=wt, reduction=reduction, **kwargs)
    losses, denominator = ce_index_np(x, y, weight, **kwargs)
    np.testing.assert_allclose(to_host(out), reduce_np(losses, reduction, denominator),
                               rtol=1e-10, atol=1e-12)
    module = nn.CrossEntropyLoss(weight=wt, reduction=reduction, **kwargs)
    np.testing.assert_allclose(to_host(module(xt, yt)), to_host(out))


@pytest.mark.parametrize("case", CE_CASES, ids=str)
def test_cross_entropy_gradcheck(device, case):
    _, _, xt, yt = _ce_inputs(case, device, requires_grad=True)
    weight = case.get("weight")
    wt = None if weight is None else t64(weight, device)
    kwargs = {k: v for k, v in case.items() if k in ("ignore_index", "label_smoothing")}
    for reduction in ("mean", "none"):
        def f(x, reduction=reduction):
            return F.cross_entropy(x, yt, weight=wt, reduction=reduction, **kwargs)
        assert gradcheck(f, (xt,))
    assert gradgradcheck(lambda x: F.cross_entropy(x, yt, weight=wt, **kwargs), (xt,))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_cross_entropy_equals_the_composition(device, reduction):
    """The common case runs as one CrossEntropy node: the same values, gradients and second
    derivatives as log_softmax → nll_loss (the general path), to rounding."""
    x, y, xt, yt = _ce_inputs({"shape": (7, 5)}, device, requires_grad=True)
    fused = F.cross_entropy(xt, yt, reduction=reduction)
    assert type(fused.grad_fn).__name__ == "CrossEntropyBackward0"
    composed = F.nll_loss(F.log_softmax(xt, 1), yt, reduction=reduction)
    assert type(composed.grad_fn).__name__ != "CrossEntropyBackward0"
    np.testing.assert_allclose(to_host(fused), to_host(composed), rtol=1e-13)
    (g1,) = torch.autograd.grad(fused, xt, create_graph=True)
    (g2,) = torch.autograd.grad(composed, xt, create_graph=True)
    np.testing.assert_allclose(to_host(g1), to_host(g2), rtol=1e-12, atol=1e-15)
    # closed form: (softmax(x) - onehot(y)) / N for 'mean'
    p = np.exp(log_softmax_np(x, 1))
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(to_host(g1), (p - onehot) / (7 if reduction == "mean" else 1),
                               rtol=1e-12, atol=1e-15)
    v = t64(RNG.standard_normal((7, 5)), device)
    (h1,) = torch.autograd.grad((g1 * v).sum(), xt)
    (h2,) = torch.autograd.grad((g2 * v).sum(), xt)
    np.testing.assert_allclose(to_host(h1), to_host(h2), rtol=1e-11, atol=1e-14)
    assert gradcheck(lambda x: F.cross_entropy(x, yt, reduction=reduction), (xt,))
    assert gradgradcheck(lambda x: F.cross_entropy(x, yt, reduction=reduction), (xt,))


def test_fused_cross_entropy_refuses_a_target_changed_in_place(device):
    _, _, xt, yt = _ce_inputs({"shape": (4, 3)}, device, requires_grad=True)
    loss = F.cross_entropy(xt, yt)
    assert type(loss.grad_fn).__name__ == "CrossEntropyBackward0"
    yt.add_(1)  # (the values do not matter: backward refuses before reading them)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_cross_entropy_checks_targets_before_the_fused_path(device):
    xt = t64(RNG.standard_normal((3, 4)), device, True)
    for bad in ([0, 4, 1], [0, -1, 1]):
        with pytest.raises(IndexError, match="out of bounds"):
            F.cross_entropy(xt, torch.tensor(bad, device=device))
    # an ignore_index that is a class, present in the targets: the general path leaves it out
    out = F.cross_entropy(xt, torch.tensor([0, 2, 1], device=device), ignore_index=2)
    assert type(out.grad_fn).__name__ != "CrossEntropyBackward0"
    ref = -log_softmax_np(to_host(xt), 1)[[0, 2], [0, 1]].mean()
    np.testing.assert_allclose(to_host(out), ref, rtol=1e-12)


def test_cross_entropy_probability_targets(device):
    x = RNG.standard_normal((4, 3))
    p = RNG.dirichlet(np.ones(3), size=4)
    w = np.array([0.5, 2.0, 1.0])
    eps = 0.2
    xt, pt = t64(x, device, True), t64(p, device, True)
    out = F.cross_entropy(xt, pt, weight=t64(w, device), label_smoothing=eps)
    smoothed = p * (1 - eps) + eps / 3
    ref = (-(log_softmax_np(x, 1) * smoothed * w).sum(1)).mean()  # 'mean' divides by N
    np.testing.assert_allclose(to_host(out), ref, rtol=1e-12)
    # differentiable in both the logits and the target probabilities
    assert gradcheck(lambda x, p: F.cross_entropy(x, p, reduction="sum"), (xt, pt))
    assert gradgradcheck(lambda x, p: F.cross_entropy(x, p), (xt, pt))
    # one sample: input (C,), target (C,)
    one = F.cross_entropy(xt[0], pt[0], reduction="none")
    assert one.shape == () and float(one) == pytest.approx(-(log_softmax_np(x, 1)[0] * p[0]).sum())


def test_cross_entropy_unbatched_index_target(device):
    x = RNG.standard_normal(5)
    out = F.cross_entropy(t64(x, device), torch.tensor(3, device=device), reduction="none")
    assert out.shape == ()
    assert float(out) == pytest.approx(-log_softmax_np(x[None], 1)[0, 3])


def test_cross_entropy_equals_nll_of_log_softmax(device):
    _, _, xt, yt = _ce_inputs({"shape": (6, 4)}, device, True)
    w = t64([1.0, 2.0, 3.0, 4.0], device)
    a = F.cross_entropy(xt, yt, weight=w, ignore_index=2)
    b = nn.NLLLoss(weight=w, ignore_index=2)(nn.LogSoftmax(dim=1)(xt), yt)
    np.testing.assert_allclose(to_host(a), to_host(b), rtol=1e-14)
    assert gradcheck(lambda lp: F.nll_loss(lp, yt, weight=w, reduction="sum"), (xt,))


def test_cross_entropy_is_stable_for_huge_logits(device):
    """Logits of ±1e4: log-sum-exp after the max shift, never exp(1e4)."""
    x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], device=device, requires_grad=True)
    y = torch.tensor([1, 2], device=device)
    loss = F.cross_entropy(x, y)
    loss.backward()
    assert float(loss) == pytest.approx(1e4)  # (2e4 + 0) / 2
    assert np.isfinite(to_host(x.grad)).all()
    np.testing.assert_allclose(to_host(x.grad), [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]])
    assert loss.dtype == torch.float32


def test_all_ignored_targets_give_nan_mean(device):
    x = torch.randn(3, 2, device=device)
    y = torch.tensor([-100, -100, -100], device=device)
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(F.cross_entropy(x, y)))
    assert float(F.cross_entropy(x, y, reduction="sum")) == 0.0


def test_classification_argument_errors(device):
    x = torch.randn(3, 4, device=device)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, torch.tensor([0, 4, 1], device=device))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(x, torch.tensor([0, -1, 1], device=device))
    with pytest.raises(ValueError, match="batch_size"):
        F.cross_entropy(x, torch.tensor([0, 1], device=device))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, torch.tensor([0, 1, 2], device=device),
                        weight=torch.ones(3, device=device))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, torch.tensor([0, 1, 2], device=device), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="probability targets"):
        F.cross_entropy(x, torch.rand(3, 5, device=device))
    with pytest.raises(RuntimeError, match="integer"):
        F.nll_loss(x, torch.rand(3, device=device))


# -- regression ---------------------------------------------------------------------------
def _smooth_l1_np(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta) if beta else a


def _huber_np(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


REGRESSION = {
    "mse": (F.mse_loss, nn.MSELoss, {}, lambda d: d * d),
    "l1": (F.l1_loss, nn.L1Loss, {}, np.abs),
    "smooth_l1": (F.smooth_l1_loss, nn.SmoothL1Loss, {"beta": 0.5},
                  lambda d: _smooth_l1_np(d, 0.5)),
    "smooth_l1_beta0": (F.smooth_l1_loss, nn.SmoothL1Loss, {"beta": 0.0},
                        lambda d: _smooth_l1_np(d, 0.0)),
    "huber": (F.huber_loss, nn.HuberLoss, {"delta": 0.7}, lambda d: _huber_np(d, 0.7)),
}


def _regression_data(device, requires_grad=True):
    x = RNG.standard_normal((3, 4))
    y = RNG.standard_normal((3, 4))
    # keep |x - y| away from the kinks (0 and beta/delta), where the derivative jumps
    d = x - y
    for kink in (0.0, 0.5, 0.7):
        for sign in (1, -1):
            near = np.abs(d - sign * kink) < 0.05
            y[near] -= 0.2 * sign
    return x, y, t64(x, device, requires_grad), t64(y, device, requires_grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_losses(device, name, reduction):
    fn, module, kwargs, ref = REGRESSION[name]
    x, y, xt, yt = _regression_data(device)
    out = fn(xt, yt, reduction=reduction, **kwargs)
    np.testing.assert_allclose(to_host(out), reduce_np(ref(x - y), reduction), rtol=1e-12)
    np.testing.assert_allclose(to_host(module(reduction=reduction, **kwargs)(xt, yt)),
                               to_host(out))
    # gradients in both input and target (PyTorch differentiates both)
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction, **kwargs), (xt, yt))
    assert gradgradcheck(lambda a, b: fn(a, b, reduction=reduction, **kwargs), (xt, yt))


@pytest.mark.parametrize("fn, mean_by_weight", [(F.mse_loss, True), (F.l1_loss, True),
                                                (F.huber_loss, False)])
def test_regression_weight(device, fn, mean_by_weight):
    x, _, xt, yt = _regression_data(device)
    w = RNG.uniform(0.1, 2.0, x.shape)
    wt = t64(w, device)
    per = to_host(fn(xt, yt, reduction="none"))
    out = fn(xt, yt, weight=wt)
    expected = (per * w).sum() / (w.sum() if mean_by_weight else w.size)
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="same size"):
        fn(xt, yt, weight=t64(w[0], device))


def test_regression_broadcast_warns(device):
    x = torch.randn(3, 4, device=device)
    with pytest.warns(UserWarning, match="different to the input size"):
        out = F.mse_loss(x, torch.zeros(4, device=device), reduction="none")
    assert out.shape == (3, 4)
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)


def test_legacy_reduction_flags(device):
    x, y, xt, yt = _regression_data(device, requires_grad=False)
    with pytest.warns(UserWarning, match="deprecated"):
        out = F.mse_loss(xt, yt, size_average=False)
    assert float(out) == pytest.approx(((x - y) ** 2).sum())
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"


# -- binary classification ----------------------------------------------------------------
def _bce_np(p, y):
    return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(device, reduction):
    p = RNG.uniform(0.05, 0.95, (4, 3))
    y = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2.0, (3,))
    pt, yt = t64(p, device, True), t64(y, device, True)
    out = F.binary_cross_entropy(pt, yt, weight=t64(w, device), reduction=reduction)
    np.testing.assert_allclose(to_host(out), reduce_np(_bce_np(p, y) * w, reduction),
                               rtol=1e-12)
    module = nn.BCELoss(weight=t64(w, device), reduction=reduction)
    np.testing.assert_allclose(to_host(module(pt, yt)), to_host(out))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), (pt, yt))
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b), (pt, yt))


def test_binary_cross_entropy_at_zero_and_one(device):
    """log 0 is clamped to -100 (PyTorch's choice), so certain predictions stay finite."""
    p = torch.tensor([0.0, 1.0, 0.0, 1.0], device=device, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0], device=device)
    out = F.binary_cross_entropy(p, y, reduction="none")
    assert to_host(out).tolist() == [0.0, 0.0, 100.0, 100.0]
    out.sum().backward()
    assert np.isfinite(to_host(p.grad)).all()
    for bad_input, bad_target, name in [(1.5, 1.0, "input"), (math.nan, 1.0, "input"),
                                        (0.5, 2.0, "target"), (0.5, math.nan, "target")]:
        # nan too: a diverged model must not show a normal-looking loss of 100
        with pytest.raises(RuntimeError, match=f"all elements of {name} should be between 0"):
            F.binary_cross_entropy(torch.tensor([bad_input], device=device),
                                   torch.tensor([bad_target], device=device))
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy(torch.rand(3, device=device), torch.rand(1, 3, device=device))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits(device, reduction):
    x = RNG.standard_normal((4, 3)) * 3
    y = RNG.uniform(0, 1, (4, 3))
    pw = np.array([0.5, 2.0, 3.0])
    w = RNG.uniform(0.5, 2.0, (4, 1))
    xt, yt = t64(x, device, True), t64(y, device, True)
    out = F.binary_cross_entropy_with_logits(xt, yt, weight=t64(w, device), reduction=reduction,
                                             pos_weight=t64(pw, device))
    s = 1 / (1 + np.exp(-x))
    ref = -w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(to_host(out), reduce_np(ref, reduction), rtol=1e-10)
    module = nn.BCEWithLogitsLoss(weight=t64(w, device), pos_weight=t64(pw, device),
                                  reduction=reduction)
    np.testing.assert_allclose(to_host(module(xt, yt)), to_host(out))
    def f(a, b):
        return F.binary_cross_entropy_with_logits(
            a, b, pos_weight=t64(pw, device), reduction=reduction)
    assert gradcheck(f, (xt, yt))
    assert gradgradcheck(f, (xt, yt))
    # without weights it is BCE of the sigmoid
    plain = F.binary_cross_entropy_with_logits(xt, yt, reduction=reduction)
    np.testing.assert_allclose(to_host(plain), to_host(
        F.binary_cross_entropy(torch.sigmoid(xt), yt, reduction=reduction)), rtol=1e-10)


def test_bce_with_logits_is_stable_and_exact_at_zero(device):
    x = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0], device=device, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.3], device=device)
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(to_host(out), [0.0, 0.0, 1e4, 1e4, math.log(2)], rtol=1e-6)
    out.sum().backward()
    # ∂ℓ/∂x = σ(x) - y, also exactly at x = 0 (where a composition of relu and |x| is not)
    np.testing.assert_allclose(to_host(x.grad), [0.0, 0.0, 1.0, -1.0, 0.2], atol=1e-7)


# -- modules ------------------------------------------------------------------------------
def test_loss_weights_are_buffers_that_move(device):
    crit = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))
    assert list(crit.state_dict()) == ["weight"]
    assert [n for n, _ in crit.named_buffers()] == ["weight"]
    assert list(crit.parameters()) == []
    crit.to(device)  # the lecture's criterion.cuda()
    x = torch.randn(3, 2, device=device)
    y = torch.tensor([0, 1, 1], device=device)
    assert crit(x, y).device == x.device
    bce = nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert repr(crit) == "CrossEntropyLoss()"


def test_loss_dtype_stays_float32(device):
    x = torch.randn(4, 3, device=device, requires_grad=True)
    y = torch.tensor([0, 2, 1, 1], device=device)
    for loss in (F.cross_entropy(x, y), F.nll_loss(F.log_softmax(x, 1), y),
                 F.cross_entropy(x, y, label_smoothing=0.1),
                 F.mse_loss(x, torch.zeros(4, 3, device=device)),
                 F.smooth_l1_loss(x, torch.zeros(4, 3, device=device)),
                 F.binary_cross_entropy_with_logits(x, torch.ones(4, 3, device=device)),
                 F.binary_cross_entropy(torch.sigmoid(x), torch.ones(4, 3, device=device))):
        assert loss.dtype == torch.float32 and loss.device == x.device
        loss.backward()
        assert x.grad.dtype == torch.float32


def test_bce_weight_must_broadcast_to_the_input(device):
    x = torch.rand(3, device=device)
    y = torch.rand(3, device=device)
    for loss in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(RuntimeError, match=r"weight of shape \[2, 3\] doesn't broadcast"):
            loss(x, y, weight=torch.rand(2, 3, device=device))
        assert loss(x[None].expand(2, 3), y[None].expand(2, 3),
                    weight=torch.rand(3, device=device)).shape == ()
