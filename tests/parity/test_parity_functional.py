"""Parity with PyTorch for ``nn.functional`` with drawn arguments: activations (values on
their kinks and thresholds on purpose), ``pad`` in every mode, ``normalize``, ``one_hot``,
adaptive average pooling, ``embedding`` (``padding_idx``, ``max_norm``). Outputs, gradients
of a random upstream gradient in float64, and refusals where PyTorch refuses. Skipped when
PyTorch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minitorch_np as mt
from minitorch_np.nn import functional as F

torch_ref = pytest.importorskip("torch")
TF = torch_ref.nn.functional

REFUSALS = (RuntimeError, IndexError, ValueError, TypeError, NotImplementedError)
KINKS = [-20.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 20.0]  # thresholds and kinks
# other values: not so small that a power of them underflows (|x|³ of 1e-200 is 0, and
# the two libraries' roundings of 0/0 differ)
OTHERS = st.floats(-5, 5).filter(lambda v: abs(v) > 1e-3)
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _compare(fn_ours, fn_theirs, arrays, device, seed, grads=True):
    """Run both on the same float64 arrays; compare results, then the gradients of a random
    upstream gradient; or both refuse."""
    theirs_in = [torch_ref.tensor(a, requires_grad=grads) for a in arrays]
    ours_in = [mt.tensor(a, device=device, requires_grad=grads) for a in arrays]
    try:
        theirs = fn_theirs(*theirs_in)
    except REFUSALS:
        with pytest.raises(REFUSALS):
            fn_ours(*ours_in)
        return
    ours = fn_ours(*ours_in)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(to_host(ours), theirs.detach().numpy(), rtol=1e-12, atol=1e-12,
                               equal_nan=True)
    if not grads or not theirs.requires_grad:
        return
    upstream = np.random.default_rng(seed).standard_normal(tuple(theirs.shape))
    (theirs * torch_ref.tensor(upstream)).sum().backward()
    (ours * mt.tensor(upstream, device=device)).sum().backward()
    for o, t in zip(ours_in, theirs_in):
        expected = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        got = to_host(o.grad) if o.grad is not None else np.zeros(tuple(o.shape))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def _kink_array(data, max_dims=3):
    shape = tuple(data.draw(st.lists(st.integers(0, 4), max_size=max_dims), label="shape"))
    values = data.draw(st.lists(st.sampled_from(KINKS) | OTHERS,
                                min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=np.float64).reshape(shape)


# -- activations ------------------------------------------------------------------------------
def _activation(data):
    name = data.draw(st.sampled_from(["relu", "sigmoid", "tanh", "elu", "gelu", "leaky_relu",
                                      "softplus"]), label="activation")
    kwargs = {}
    if name == "elu":
        kwargs = {"alpha": data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.5]))}
    elif name == "gelu":
        kwargs = {"approximate": data.draw(st.sampled_from(["none", "tanh"]))}
    elif name == "leaky_relu":
        kwargs = {"negative_slope": data.draw(st.sampled_from([0.0, 0.01, 0.2, 1.5]))}
    elif name == "softplus":  # threshold 1 and beta 1 or 0.5 put the kinks on the switch
        kwargs = {"beta": data.draw(st.sampled_from([0.5, 1.0, 2.0])),
                  "threshold": data.draw(st.sampled_from([1.0, 2.0, 20.0]))}
    return name, kwargs


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_activation_matches(data, seed, device):
    name, kwargs = _activation(data)
    x = _kink_array(data)
    _compare(lambda a: getattr(F, name)(a, **kwargs), lambda a: getattr(TF, name)(a, **kwargs),
             [x], device, seed)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_softmax_matches(data, seed, device):
    x = _kink_array(data)
    dim = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1), label="dim")
    log = data.draw(st.booleans(), label="log")
    ours, theirs = (F.log_softmax, TF.log_softmax) if log else (F.softmax, TF.softmax)
    _compare(lambda a: ours(a, dim), lambda a: theirs(a, dim), [x], device, seed)


# -- pad ---------------------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_pad_matches(data, seed, device):
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]),
                     label="mode")
    spatial = data.draw(st.integers(1, 3), label="spatial dims")
    batched = data.draw(st.booleans(), label="batched")
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1 + batched + spatial,
                                     max_size=1 + batched + spatial)))
    n_pads = data.draw(st.integers(1, spatial), label="padded dims") if mode == "constant" \
        else spatial
    low = -2 if mode in ("constant", "circular") else 0  # (negative pads crop)
    pads = tuple(data.draw(st.lists(st.integers(low, 3), min_size=2 * n_pads,
                                    max_size=2 * n_pads), label="pads"))
    value = data.draw(st.sampled_from([0.0, -1.5]), label="value") if mode == "constant" \
        else None
    if mode == "circular":  # padding more than what cropping leaves: minitorch_np refuses,
        # saying so; PyTorch 2.13 reads uninitialised memory where nothing is left
        # (F.pad(ones(1, 1), (1, -1), mode="circular") gave -9.9e-17), refuses with an
        # internal memory-overlap error elsewhere, and lets it pass when another dimension
        # is empty
        for size, (lo, hi) in zip(reversed(shape), zip(pads[::2], pads[1::2])):
            assume(max(lo, hi, 0) <= size + min(lo, 0) + min(hi, 0))
    x = np.random.default_rng(seed).standard_normal(shape)
    kwargs = {"mode": mode} if value is None else {"mode": mode, "value": value}
    _compare(lambda a: F.pad(a, pads, **kwargs), lambda a: TF.pad(a, pads, **kwargs), [x],
             device, seed)


# -- normalize, one_hot ------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_normalize_matches(data, seed, device):
    x = _kink_array(data)
    if data.draw(st.booleans(), label="a zero row"):
        x = x * (np.arange(x.size).reshape(x.shape) % 3 != 0)
    p = data.draw(st.sampled_from([1.0, 2.0, 3.0, float("inf")]), label="p")
    dim = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1), label="dim")
    eps = data.draw(st.sampled_from([1e-12, 0.5]), label="eps")
    _compare(lambda a: F.normalize(a, p, dim, eps), lambda a: TF.normalize(a, p, dim, eps),
             [x], device, seed)


@SETTINGS
@given(data=st.data())
def test_drawn_one_hot_matches(data, device):
    shape = tuple(data.draw(st.lists(st.integers(0, 3), max_size=3), label="shape"))
    labels = np.array(data.draw(st.lists(st.integers(-1, 5), min_size=int(np.prod(shape)),
                                         max_size=int(np.prod(shape)))),
                      dtype=np.int64).reshape(shape)
    classes = data.draw(st.sampled_from([-1, 0, 3, 6]), label="num_classes")
    try:
        theirs = TF.one_hot(torch_ref.tensor(labels), classes)
    except REFUSALS:
        with pytest.raises(REFUSALS):
            F.one_hot(mt.tensor(labels, device=device), classes)
        return
    ours = F.one_hot(mt.tensor(labels, device=device), classes)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(to_host(ours), theirs.numpy())


# -- adaptive average pooling ------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_adaptive_avg_pool_matches(data, seed, device):
    two_d = data.draw(st.booleans(), label="2-D")
    batched = data.draw(st.booleans(), label="batched")
    sizes = data.draw(st.lists(st.integers(1, 9), min_size=1 + two_d, max_size=1 + two_d))
    shape = (2, 3)[1 - batched:] + tuple(sizes)
    outs = data.draw(st.lists(st.integers(1, 10) | st.none(), min_size=1 + two_d,
                              max_size=1 + two_d), label="output size")
    out = tuple(outs) if two_d else outs[0]
    x = np.random.default_rng(seed).standard_normal(shape)
    name = "adaptive_avg_pool2d" if two_d else "adaptive_avg_pool1d"
    _compare(lambda a: getattr(F, name)(a, out), lambda a: getattr(TF, name)(a, out), [x],
             device, seed)


# -- embedding -------------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_drawn_embedding_matches(data, seed, device):
    """Lookups (repeated indices too), padding_idx (negative too) and max_norm, which renorms
    the looked-up rows of the weight in place before the lookup."""
    rng = np.random.default_rng(seed)
    n, d = data.draw(st.integers(1, 6), label="rows"), data.draw(st.integers(1, 4), label="d")
    weight = rng.standard_normal((n, d)) * 2
    idx_shape = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2), label="index shape"))
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(idx_shape)),
                                      max_size=int(np.prod(idx_shape)))),
                   dtype=np.int64).reshape(idx_shape)
    padding_idx = data.draw(st.none() | st.integers(-n, n - 1), label="padding_idx")
    max_norm = data.draw(st.none() | st.sampled_from([0.5, 1.0, 3.0]), label="max_norm")
    norm_type = data.draw(st.sampled_from([1.0, 2.0]), label="norm_type")
    kwargs = {"padding_idx": padding_idx, "max_norm": max_norm, "norm_type": norm_type}
    theirs_w = torch_ref.tensor(weight, requires_grad=True)
    ours_w = mt.tensor(weight, device=device, requires_grad=True)
    theirs = TF.embedding(torch_ref.tensor(idx), theirs_w, **kwargs)
    ours = F.embedding(mt.tensor(idx, device=device), ours_w, **kwargs)
    np.testing.assert_allclose(to_host(ours), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_host(ours_w.detach()), theirs_w.detach().numpy(),
                               rtol=1e-12, atol=1e-12, err_msg="the weight after max_norm")
    upstream = rng.standard_normal(tuple(theirs.shape))
    (theirs * torch_ref.tensor(upstream)).sum().backward()
    (ours * mt.tensor(upstream, device=device)).sum().backward()
    np.testing.assert_allclose(to_host(ours_w.grad), theirs_w.grad.numpy(), rtol=1e-12,
                               atol=1e-12)
