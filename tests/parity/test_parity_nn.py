"""Parity with PyTorch for nn: the same architecture gives the same parameter names, order
and shapes, the same repr and state-dict keys; with weights copied in, layers and losses give
the same outputs and gradients; initialisers use the same distributions. Skipped when
PyTorch is not installed."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as mt
import minitorch_np.nn.functional as F
from minitorch_np import nn

pt = pytest.importorskip("torch")
ptF = pt.nn.functional
ptnn = pt.nn

RNG = np.random.default_rng(0)


def both(array, requires_grad=False, device="cpu"):
    """The same float64 values as a minitorch_np tensor and a PyTorch tensor."""
    array = np.asarray(array)
    a = mt.tensor(array, device=device)
    b = pt.tensor(array)
    if requires_grad:
        a.requires_grad_()
        b.requires_grad_()
    return a, b


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(to_host(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


def copy_weights(ours: nn.Module, theirs) -> None:
    """Load PyTorch's weights into our module through our load_state_dict (names must match)."""
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


# -- the same architecture, the same names ------------------------------------------------
def _mlp(lib):
    return lib.nn.Sequential(
        lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Dropout(0.3),
        lib.nn.Sequential(OrderedDict(fc=lib.nn.Linear(8, 8, bias=False), act=lib.nn.GELU())),
        lib.nn.ModuleList([lib.nn.Linear(8, 8), lib.nn.Tanh()]),
        lib.nn.ModuleDict({"head": lib.nn.Linear(8, 3), "emb": lib.nn.Embedding(5, 2, 0)}),
        lib.nn.Flatten(), lib.nn.LeakyReLU(0.2), lib.nn.ELU(), lib.nn.Softmax(dim=1),
        lib.nn.LogSoftmax(dim=-1), lib.nn.Sigmoid(), lib.nn.Identity(),
        lib.nn.Softplus(beta=2.0), lib.nn.GELU("tanh"), lib.nn.Unflatten(1, (2, 4)),
    )


def test_same_names_order_shapes_repr_and_state_dict_keys():
    ours, theirs = _mlp(mt), _mlp(pt)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours) == repr(theirs)
    for kind in ("CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss",
                 "HuberLoss", "BCELoss", "BCEWithLogitsLoss"):
        assert repr(getattr(nn, kind)()) == repr(getattr(ptnn, kind)())
    w = [1.0, 2.0]
    assert list(nn.CrossEntropyLoss(weight=mt.tensor(w)).state_dict()) == \
        list(ptnn.CrossEntropyLoss(weight=pt.tensor(w)).state_dict())
    emb_o = nn.Embedding(7, 3, padding_idx=2, max_norm=1.5, norm_type=1.0,
                         scale_grad_by_freq=True)
    emb_t = ptnn.Embedding(7, 3, padding_idx=2, max_norm=1.5, norm_type=1.0,
                           scale_grad_by_freq=True)
    assert repr(emb_o) == repr(emb_t)


def test_load_state_dict_errors_match_pytorch():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))

    ours, theirs = make(mt), make(pt)
    sd_t = theirs.state_dict()
    del sd_t["1.bias"]
    sd_t["1.extra"] = pt.zeros(1)
    sd_t["9.weight"] = pt.zeros(1)
    sd_t["0.weight"] = pt.zeros(3, 5)
    sd_o = OrderedDict((k, mt.tensor(v.numpy())) for k, v in sd_t.items())
    with pytest.raises(RuntimeError) as e_t:
        theirs.load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as e_o:
        ours.load_state_dict(sd_o)
    # same sections, same key order; shapes print as lists here, torch.Size there
    def norm(s):
        return s.replace("torch.Size(", "").replace("minitorch_np.Size(", "")
    lines_t = [norm(line) for line in str(e_t.value).split("\n")]
    lines_o = [norm(line).replace("[3, 5])", "[3, 5]") for line in str(e_o.value).split("\n")]
    assert lines_o[:3] == lines_t[:3]
    assert "size mismatch for 0.weight" in lines_o[3] and "size mismatch for 0.weight" in lines_t[3]
    r_o = ours.load_state_dict({k: v for k, v in sd_o.items() if k != "0.weight"}, strict=False)
    r_t = theirs.load_state_dict({k: v for k, v in sd_t.items() if k != "0.weight"},
                                 strict=False)
    assert (r_o.missing_keys, r_o.unexpected_keys) == (r_t.missing_keys, r_t.unexpected_keys)


# -- layers: copy weights, compare outputs and gradients ----------------------------------
def test_mlp_outputs_and_gradients_match(device):
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.ReLU(), lib.nn.Linear(7, 6),
                                 lib.nn.GELU(), lib.nn.Linear(6, 4), lib.nn.LeakyReLU(0.1),
                                 lib.nn.Linear(4, 4), lib.nn.ELU(0.5), lib.nn.Linear(4, 3),
                                 lib.nn.GELU("tanh"), lib.nn.Softplus(), lib.nn.Tanh(),
                                 lib.nn.Sigmoid(), lib.nn.LogSoftmax(1))

    theirs = make(pt).double()
    ours = make(mt).double()
    copy_weights(ours, theirs)
    ours.to(device)
    x_o, x_t = both(RNG.standard_normal((6, 5)), requires_grad=True, device=device)
    out_o, out_t = ours(x_o), theirs(x_t)
    close(out_o, out_t)
    g = RNG.standard_normal((6, 3))
    out_o.backward(mt.tensor(g, device=device))
    out_t.backward(pt.tensor(g))
    close(x_o.grad, x_t.grad)
    for (n, p), (m, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == m
        close(p.grad, q.grad)


def test_gelu_float32_accuracy_against_pytorch():
    """Exact GELU in float32, measured against float64 math.erfc: ours is at least as
    accurate as PyTorch's everywhere, and keeps its relative accuracy in the negative tail
    (x·½erfc(-x/√2) instead of x·½(1 + erf(x/√2)), which cancels to 0 or to 1 ulp of 1)."""
    x = np.linspace(-8, 8, 2001).astype(np.float32)
    exact = np.array([0.5 * float(v) * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    ours = to_host(F.gelu(mt.tensor(x))).astype(np.float64)
    theirs = ptF.gelu(pt.tensor(x)).numpy().astype(np.float64)
    assert np.abs(ours - exact).max() <= np.abs(theirs - exact).max()
    np.testing.assert_allclose(ours, exact, rtol=1e-5, atol=0)
    tanh_o = F.gelu(mt.tensor(x), approximate="tanh")
    tanh_t = ptF.gelu(pt.tensor(x), approximate="tanh")
    close(tanh_o, tanh_t, rtol=1e-6, atol=1e-6)


def test_embedding_options_match():
    for kwargs in ({}, {"padding_idx": 1}, {"scale_grad_by_freq": True},
                   {"max_norm": 0.9, "norm_type": 1.5}):
        theirs = ptnn.Embedding(6, 3, **kwargs).double()
        ours = nn.Embedding(6, 3, **kwargs).double()
        copy_weights(ours, theirs)
        idx = RNG.integers(0, 6, (4, 3))
        out_o, out_t = ours(mt.tensor(idx)), theirs(pt.tensor(idx))
        close(out_o, out_t)
        g = RNG.standard_normal((4, 3, 3))
        out_o.backward(mt.tensor(g))
        out_t.backward(pt.tensor(g))
        close(ours.weight.grad, theirs.weight.grad)
        close(ours.weight, theirs.weight)  # max_norm renormalised the same rows in place


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches(mode):
    x_o, x_t = both(RNG.standard_normal((2, 3, 4, 5)), requires_grad=True)
    pads = (1, 2, 2, 0)
    out_o, out_t = F.pad(x_o, pads, mode=mode), ptF.pad(x_t, pads, mode=mode)
    close(out_o, out_t)
    g = RNG.standard_normal(tuple(out_t.shape))
    out_o.backward(mt.tensor(g))
    out_t.backward(pt.tensor(g))
    close(x_o.grad, x_t.grad)
    close(F.pad(x_o, (-1, 2), value=3.5), ptF.pad(x_t, (-1, 2), value=3.5))


def test_softmax_implicit_dim_matches():
    x_o, x_t = both(RNG.standard_normal((2, 3, 4)))
    with pytest.warns(UserWarning):
        out_o = F.softmax(x_o)
    with pytest.warns(UserWarning):
        out_t = ptF.softmax(x_t)
    close(out_o, out_t)


# -- losses -------------------------------------------------------------------------------
def _compare_loss(fn_o, fn_t, inputs, differentiable=(0,), rtol=1e-10, grad_rtol=None):
    ours = [both(a, requires_grad=i in differentiable) for i, a in enumerate(inputs)]
    out_o = fn_o(*[o for o, _ in ours])
    out_t = fn_t(*[t for _, t in ours])
    close(out_o, out_t, rtol=rtol)
    g = RNG.standard_normal(tuple(out_t.shape))
    out_o.backward(mt.tensor(g))
    out_t.backward(pt.tensor(g))
    for i in differentiable:
        close(ours[i][0].grad, ours[i][1].grad, rtol=grad_rtol or rtol)


CE_OPTIONS = [{}, {"weight": [0.3, 1.0, 2.0, 0.7]}, {"ignore_index": 2},
              {"label_smoothing": 0.15}, {"weight": [0.3, 1.0, 2.0, 0.7], "ignore_index": 0,
                                          "label_smoothing": 0.25}]


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(3, 4), (4,)], ids=str)
def test_every_target_ignored_gives_nan_with_zero_gradient(shape, fn):
    x = RNG.standard_normal(shape)
    y = np.zeros(shape[:-1], dtype=np.int64)  # all targets are class 0, the ignored one
    kw = dict(ignore_index=0, weight=None)
    if fn == "cross_entropy":
        kw["label_smoothing"] = 0.2

    def run(lib, functional, x, y):
        inp = x if fn == "cross_entropy" else functional.log_softmax(x, -1)
        return getattr(functional, fn)(inp, y, **kw)

    _compare_loss(lambda x: run(mt, F, x, mt.tensor(y)), lambda x: run(pt, ptF, x, pt.tensor(y)),
                  [x])
    out = run(mt, F, mt.tensor(x), mt.tensor(y))
    assert np.isnan(out.item())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", CE_OPTIONS, ids=str)
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3, 2), (4,)], ids=str)
def test_cross_entropy_and_nll_match(shape, options, reduction):
    # a generator per case: the drawn values must not depend on which tests ran before
    rng = np.random.default_rng([len(shape), len(options), len(reduction)])
    x = rng.standard_normal(shape) * 3
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    y = rng.integers(0, 4, target_shape)
    if len(shape) > 1:
        y.flat[0] = options.get("ignore_index", 0)  # make sure an ignored target occurs
    kw = dict(options)
    w = kw.pop("weight", None)
    smoothing = kw.pop("label_smoothing", 0.0)

    def run(lib, functional, x, y):
        weight = None if w is None else lib.tensor(w, dtype=x.dtype)
        return functional.cross_entropy(x, y, weight=weight, reduction=reduction,
                                        label_smoothing=smoothing, **kw)

    def run_nll(lib, functional, x, y):
        weight = None if w is None else lib.tensor(w, dtype=x.dtype)
        return functional.nll_loss(functional.log_softmax(x, 1 if x.ndim > 1 else 0), y,
                                   weight=weight, reduction=reduction, **kw)

    y_o, y_t = mt.tensor(y), pt.tensor(y)
    _compare_loss(lambda x: run(mt, F, x, y_o), lambda x: run(pt, ptF, x, y_t), [x])
    _compare_loss(lambda x: run_nll(mt, F, x, y_o), lambda x: run_nll(pt, ptF, x, y_t), [x])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 4), c=st.integers(1, 4), extra=st.lists(st.integers(1, 2), max_size=2),
       weighted=st.booleans(), ignore=st.sampled_from([None, 0, 2, -100]),
       smoothing=st.sampled_from([0.0, 0.1, 0.5]), reduction=st.sampled_from(
           ["mean", "sum", "none"]), fused_shape=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_drawn_cross_entropy_matches(n, c, extra, weighted, ignore, smoothing, reduction,
                                     fused_shape, seed):
    # every option at once, batches down to empty and single classes (fused_shape: the plain
    # (N, C) case that minitorch_np computes with one fused node)
    rng = np.random.default_rng(seed)
    shape = (n, c) if fused_shape else (n, c, *extra)
    x = rng.standard_normal(shape) * 3
    y = rng.integers(0, c, shape[:1] + shape[2:])
    w = rng.uniform(0.2, 2.0, c) if weighted else None
    kw = {} if ignore is None else {"ignore_index": ignore}

    def run(lib, functional, x, y):
        weight = None if w is None else lib.tensor(w, dtype=x.dtype)
        return functional.cross_entropy(x, y, weight=weight, reduction=reduction,
                                        label_smoothing=smoothing, **kw)

    y_o, y_t = mt.tensor(y), pt.tensor(y)
    _compare_loss(lambda x: run(mt, F, x, y_o), lambda x: run(pt, ptF, x, y_t), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probability_targets_match(reduction, smoothing):
    x = RNG.standard_normal((3, 4, 2))
    p = RNG.dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)
    w = [0.5, 1.0, 2.0, 1.5]
    _compare_loss(
        lambda x, p: F.cross_entropy(x, p, weight=mt.tensor(w, dtype=mt.float64),
                                     reduction=reduction, label_smoothing=smoothing),
        lambda x, p: ptF.cross_entropy(x, p, weight=pt.tensor(w, dtype=pt.float64),
                                       reduction=reduction, label_smoothing=smoothing),
        [x, p], differentiable=(0, 1))


def test_cross_entropy_huge_logits_match():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=np.float32)
    y = np.array([1, 2])
    x_o, x_t = both(x, requires_grad=True)
    out_o = F.cross_entropy(x_o, mt.tensor(y), label_smoothing=0.1)
    out_t = ptF.cross_entropy(x_t, pt.tensor(y), label_smoothing=0.1)
    close(out_o, out_t, rtol=1e-6)
    out_o.backward()
    out_t.backward()
    close(x_o.grad, x_t.grad, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, kwargs", [("mse_loss", {}), ("l1_loss", {}),
                                          ("smooth_l1_loss", {"beta": 0.4}),
                                          ("smooth_l1_loss", {"beta": 0.0}),
                                          ("huber_loss", {"delta": 0.6})])
def test_regression_losses_match(name, kwargs, reduction):
    x, y = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    _compare_loss(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
                  lambda a, b: getattr(ptF, name)(a, b, reduction=reduction, **kwargs),
                  [x, y], differentiable=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match(name, reduction):
    x, y = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    w = RNG.uniform(0.1, 2.0, (4, 5))
    _compare_loss(lambda a, b, w: getattr(F, name)(a, b, reduction=reduction, weight=w),
                  lambda a, b, w: getattr(ptF, name)(a, b, reduction=reduction, weight=w),
                  [x, y, w], differentiable=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches(reduction):
    p = RNG.uniform(0.01, 0.99, (4, 3))
    p[0, :2] = [0.0, 1.0]  # the clamped logs
    y = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2, (3,))
    def ours(p, y, w):
        return F.binary_cross_entropy(p, y, weight=w, reduction=reduction)

    def theirs(p, y, w):
        return ptF.binary_cross_entropy(p, y, weight=w, reduction=reduction)

    # at p = 0 and 1 the input gradient is (p - y)/1e-12; PyTorch's ε there is 1e-12 rounded
    # to float32 (9.99999996e-13), hence the tolerance of 1e-8 on gradients
    _compare_loss(ours, theirs, [p, y, w], differentiable=(0,), grad_rtol=1e-8)
    # the target gradient: PyTorch returns -logit(p), unclamped (±inf at p = 0, 1); ours is
    # the derivative of the clamped loss, log(1-p) - log(p) each clamped at -100 (finite).
    # They agree inside (0, 1).
    _compare_loss(ours, theirs, [p[1:], y[1:], w], differentiable=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_bce_with_logits_matches(reduction, with_weights):
    x = RNG.standard_normal((4, 3)) * 4
    x[0] = [1e4, -1e4, 0.0]
    y = RNG.uniform(0, 1, (4, 3))
    w = RNG.uniform(0.5, 2, (4, 1))
    pw = RNG.uniform(0.5, 3, (3,))
    if with_weights:
        _compare_loss(
            lambda x, y, w, pw: F.binary_cross_entropy_with_logits(
                x, y, weight=w, pos_weight=pw, reduction=reduction),
            lambda x, y, w, pw: ptF.binary_cross_entropy_with_logits(
                x, y, weight=w, pos_weight=pw, reduction=reduction),
            [x, y, w, pw], differentiable=(0, 1))
    else:
        _compare_loss(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
                      lambda x, y: ptF.binary_cross_entropy_with_logits(x, y,
                                                                        reduction=reduction),
                      [x, y], differentiable=(0, 1))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                             "binary_cross_entropy_with_logits"]),
       shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_drawn_elementwise_losses_match(name, shape, reduction, weighted, seed):
    # shapes down to empty (a mean over nothing is nan in both); a weight of the input's shape
    # or, for BCE, a broadcast pos_weight over the last dimension
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    y = rng.uniform(0, 1, shape)
    extra = {}
    if weighted and name == "binary_cross_entropy_with_logits":
        extra = {"weight": rng.uniform(0.5, 2, shape),
                 "pos_weight": rng.uniform(0.5, 3, shape[-1:] or ())}
    elif weighted and name in ("mse_loss", "l1_loss", "huber_loss"):
        extra = {"weight": rng.uniform(0.1, 2, shape)}
    names = list(extra)

    def call(functional, lib):
        def fn(a, b, *ws):
            return getattr(functional, name)(a, b, reduction=reduction, **dict(zip(names, ws)))
        return fn
    _compare_loss(call(F, mt), call(ptF, pt), [x, y, *extra.values()], differentiable=(0, 1))


# -- init ---------------------------------------------------------------------------------
def test_gains_and_fans_match():
    for nl in ("linear", "conv1d", "conv2d", "sigmoid", "tanh", "relu", "selu"):
        assert nn.init.calculate_gain(nl) == pt.nn.init.calculate_gain(nl)
    for slope in (None, 0.2, math.sqrt(5)):
        assert nn.init.calculate_gain("leaky_relu", slope) == \
            pytest.approx(pt.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)
    for shape in ((3, 4), (8, 3, 5), (16, 4, 3, 3), (2, 3, 2, 2, 2)):
        assert nn.init._calculate_fan_in_and_fan_out(mt.empty(*shape)) == \
            pt.nn.init._calculate_fan_in_and_fan_out(pt.empty(*shape))


@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(300, 200),
                                  lambda lib: lib.nn.Linear(50, 1000)])
def test_default_init_has_pytorchs_distribution(make):
    """Same bounds and same spread as PyTorch's layer of the same shape."""
    pt.manual_seed(0)
    ours, theirs = make(mt), make(pt)
    for (_n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        a, b = to_host(p).astype(np.float64), q.detach().numpy().astype(np.float64)
        bound = 1 / math.sqrt(ours.in_features)
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() == pytest.approx(np.abs(b).max(), rel=0.05)
        assert a.std() == pytest.approx(b.std(), rel=0.1 if p.numel() < 2000 else 0.03)


@pytest.mark.parametrize("fn, kwargs", [("xavier_uniform_", {"gain": 2.0}),
                                        ("xavier_normal_", {}),
                                        ("kaiming_uniform_", {"mode": "fan_out",
                                                              "nonlinearity": "relu"}),
                                        ("kaiming_normal_", {"a": 0.1}),
                                        ("trunc_normal_", {"std": 0.5, "a": -0.6, "b": 0.8})])
def test_initialisers_have_pytorchs_distribution(fn, kwargs):
    # 90 000 samples each: the standard error of the std is ~0.25 % and that of the 1 % and
    # 99 % quantiles ~1.3 % of σ, so 2 % and 10 % of σ are more than 5 standard errors of
    # the difference of two independent estimates
    pt.manual_seed(0)
    a = to_host(getattr(nn.init, fn)(mt.empty(250, 40, 3, 3), **kwargs)).astype(np.float64)
    b = getattr(pt.nn.init, fn)(pt.empty(250, 40, 3, 3), **kwargs).numpy().astype(np.float64)
    assert a.std() == pytest.approx(b.std(), rel=0.02)
    assert a.mean() == pytest.approx(b.mean(), abs=0.03 * b.std())
    assert np.quantile(a, [0.01, 0.5, 0.99]) == pytest.approx(np.quantile(b, [0.01, 0.5, 0.99]),
                                                              abs=0.1 * b.std())


# -- utils --------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches(norm_type):
    grads = [RNG.standard_normal(s) * 3 for s in ((3, 4), (5,), (2, 2))]
    ours = [nn.Parameter(mt.zeros(*g.shape, dtype=mt.float64)) for g in grads]
    theirs = [pt.nn.Parameter(pt.zeros(*g.shape, dtype=pt.float64)) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = mt.tensor(g), pt.tensor(g)
    close(nn.utils.clip_grad_norm_(ours, 1.5, norm_type),
          pt.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type))
    for o, t in zip(ours, theirs):
        close(o.grad, t.grad)
    nn.utils.clip_grad_value_(ours, 0.1)
    pt.nn.utils.clip_grad_value_(theirs, 0.1)
    for o, t in zip(ours, theirs):
        close(o.grad, t.grad)
    close(nn.utils.parameters_to_vector(o.grad for o in ours),
          pt.nn.utils.parameters_to_vector(t.grad for t in theirs))
