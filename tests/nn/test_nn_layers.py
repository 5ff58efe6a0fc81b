"""Layers and their functional forms: Linear, Flatten, activations (and erf), Dropout,
Embedding, one_hot, pad, normalize — forward against NumPy/math references, gradcheck and
gradgradcheck in float64, on every test device."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
import minitorch_np.nn.functional as F
from minitorch_np import nn
from minitorch_np._functions.activation import erf
from minitorch_np.autograd import gradcheck, gradgradcheck


def rand64(*shape, device, low=-2.0, high=2.0, seed=0, requires_grad=True):
    rng = np.random.default_rng(seed)
    t = torch.tensor(rng.uniform(low, high, shape), dtype=torch.float64, device=device)
    return t.requires_grad_(requires_grad)


def away_from(values: np.ndarray, points, margin=0.05, seed=1) -> np.ndarray:
    """`values` with entries within `margin` of a kink moved off it (central differences
    cannot see a one-sided derivative)."""
    out = values.copy()
    for p in points:
        near = np.abs(out - p) < margin
        out[near] = p + np.where(out[near] >= p, 1, -1) * (margin + 0.1)
    return out


# -- Linear -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_forward_matches_xwt_plus_b(device, shape):
    m = nn.Linear(3, 4, device=device)
    x = torch.randn(*shape, device=device)
    out = m(x)
    assert out.shape == shape[:-1] + (4,) and out.device == m.weight.device
    assert out.dtype == torch.float32
    ref = to_host(x) @ to_host(m.weight).T + to_host(m.bias)
    np.testing.assert_allclose(to_host(out), ref, rtol=1e-5, atol=1e-6)
    m2 = nn.Linear(3, 4, bias=False, device=device)
    assert m2.bias is None and [n for n, _ in m2.named_parameters()] == ["weight"]
    np.testing.assert_allclose(to_host(m2(x)), to_host(x) @ to_host(m2.weight).T, rtol=1e-5,
                               atol=1e-6)


def test_linear_gradcheck(device):
    m = nn.Linear(3, 2, dtype=torch.float64, device=device)
    x = rand64(4, 3, device=device)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, m.weight, m.bias))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, m.weight, m.bias))
    assert gradcheck(lambda x, w: F.linear(x, w), (rand64(2, 3, 3, device=device), m.weight))


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True)])
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 2, 3)])
def test_linear_node_gradients_by_closed_form(device, shape, needs):
    # one Linear node: ∂L/∂x = g W, ∂L/∂W = gᵀ x, ∂L/∂b = Σ g (batch dims flattened)
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.normal(size=shape), rng.normal(size=(2, 3)), rng.normal(size=2)
    gv = rng.normal(size=shape[:-1] + (2,))
    x, w, b = (torch.tensor(v, device=device, requires_grad=n)
               for v, n in zip((xv, wv, bv), needs))
    y = F.linear(x, w, b)
    assert type(y.grad_fn).__name__ == "LinearBackward0"
    y.backward(torch.tensor(gv, device=device))
    g2, x2 = gv.reshape(-1, 2), xv.reshape(-1, 3)
    for t, n, ref in ((x, needs[0], gv @ wv), (w, needs[1], g2.T @ x2), (b, needs[2], g2.sum(0))):
        if n:
            np.testing.assert_allclose(to_host(t.grad), ref, rtol=1e-12, atol=1e-12)
        else:
            assert t.grad is None


def test_linear_odd_arguments_are_composed_and_checked(device):
    x, w = rand64(4, 3, device=device), rand64(2, 3, device=device)
    b = rand64(1, 2, device=device)          # a broadcast bias: x Wᵀ + b as two ops
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    with pytest.raises(RuntimeError, match=r"\(4, 2\) and \(3,\)"):
        F.linear(x, w, rand64(3, device=device))            # a bias of the wrong size
    with pytest.raises(RuntimeError, match="linear: .*float32 bias.*float64"):
        F.linear(x, w, torch.zeros(2, device=device))       # or dtype: never promoted


def test_linear_with_zero_features_backpropagates(device):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "Initializing zero-element tensors"
        empty_in, empty_out = nn.Linear(0, 3).to(device), nn.Linear(3, 0).to(device)
    empty_in(torch.randn(2, 0, device=device)).sum().backward()
    assert to_host(empty_in.bias.grad).tolist() == [2.0, 2.0, 2.0]  # y = b, twice
    assert list(empty_in.weight.grad.shape) == [3, 0]
    x = torch.randn(2, 3, device=device, requires_grad=True)
    empty_out(x).sum().backward()
    assert to_host(x.grad).tolist() == [[0.0] * 3] * 2


def test_linear_errors():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="in_features = 3"):
        m(torch.zeros(2, 4))
    with pytest.raises(RuntimeError, match="same dtype"):
        m(torch.zeros(2, 3, dtype=torch.float64))
    assert repr(m) == "Linear(in_features=3, out_features=2, bias=True)"


def test_identity_flatten_unflatten(device):
    x = torch.randn(2, 3, 4, 5, device=device)
    assert nn.Identity(54, unused="x")(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    y = nn.Unflatten(1, (3, 20))(nn.Flatten()(x))
    np.testing.assert_array_equal(to_host(y), to_host(x).reshape(2, 3, 20))
    assert repr(nn.Unflatten(1, (3, 20))) == "Unflatten(dim=1, unflattened_size=(3, 20))"
    x64 = rand64(2, 3, 2, device=device)
    assert gradcheck(lambda t: nn.Flatten()(t), (x64,))


# -- erf ----------------------------------------------------------------------------------
def test_erf_accuracy_float64(device):
    xs = np.concatenate([np.linspace(-6, 6, 2401), np.geomspace(1e-300, 0.6, 200),
                         -np.geomspace(1e-12, 6.0, 200), [0.0, 0.5, -0.5, 30.0, -30.0]])
    ref = np.array([math.erf(v) for v in xs])
    got = to_host(erf(torch.tensor(xs, device=device)))
    # math.erf is itself within ~1 ulp; ours within a few ulps, also relatively near 0
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)


def test_erf_float32_and_special_values(device):
    xs = np.linspace(-5, 5, 1001).astype(np.float32)
    got = erf(torch.tensor(xs, device=device))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(to_host(got), [math.erf(float(v)) for v in xs], atol=3e-7)
    special = to_host(erf(torch.tensor([np.inf, -np.inf, np.nan], device=device)))
    assert special[0] == 1.0 and special[1] == -1.0 and np.isnan(special[2])


def test_erf_gradients(device):
    x = rand64(7, device=device, low=-3, high=3)
    assert gradcheck(erf, (x,))
    assert gradgradcheck(erf, (x,))


# -- activations --------------------------------------------------------------------------
def _gelu_ref(x):
    return np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]
                    ).reshape(x.shape)


ACTIVATIONS = {
    # name: (module, functional form, NumPy reference, kinks)
    "relu": (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0), [0.0]),
    "leaky_relu": (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2),
                   lambda x: np.where(x > 0, x, 0.2 * x), [0.0]),
    "elu": (nn.ELU(0.7), lambda x: F.elu(x, 0.7),
            lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0))), [0.0]),
    "gelu": (nn.GELU(), F.gelu, _gelu_ref, []),
    "gelu_tanh": (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3))), []),
    "sigmoid": (nn.Sigmoid(), F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), []),
    "tanh": (nn.Tanh(), F.tanh, np.tanh, []),
    "softplus": (nn.Softplus(2.0, 3.0), lambda x: F.softplus(x, 2.0, 3.0),
                 lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), [1.5]),
    "softmax": (nn.Softmax(dim=1), lambda x: F.softmax(x, dim=1),
                lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), []),
    "log_softmax": (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1),
                    lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)), []),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward(device, name):
    module, fn, ref, _ = ACTIVATIONS[name]
    x = torch.randn(4, 5, device=device) * 3
    out = module(x)
    assert out.dtype == torch.float32 and out.device == x.device and out.shape == x.shape
    np.testing.assert_allclose(to_host(out), ref(to_host(x).astype(np.float64)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(to_host(fn(x)), to_host(out))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck(device, name):
    module, _, _, kinks = ACTIVATIONS[name]
    values = away_from(np.random.default_rng(3).uniform(-3, 3, (3, 4)), kinks)
    x = torch.tensor(values, device=device, requires_grad=True)
    assert gradcheck(module, (x,))
    assert gradgradcheck(module, (x,))


def test_activation_values_at_kinks_follow_pytorch(device):
    x = torch.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    assert to_host(x.grad).tolist() == pytest.approx([0.1, 0.1, 1.0])
    x.grad = None
    F.relu(x).sum().backward()
    assert to_host(x.grad).tolist() == [0.0, 0.0, 1.0]
    x.grad = None
    F.elu(x).sum().backward()
    assert to_host(x.grad).tolist() == pytest.approx([math.exp(-1), 1.0, 1.0])


def test_elu_gradient_keeps_its_digits_far_left(device):
    # αeˣ from x, not y + α: in float32, y + α cancels to 0 by x = -20 (PyTorch: 2.06e-9)
    x = torch.tensor([-10.0, -15.0, -20.0, -30.0], device=device, requires_grad=True)
    F.elu(x, 0.7).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), 0.7 * np.exp([-10.0, -15.0, -20.0, -30.0]),
                               rtol=1e-6)


def test_extreme_inputs_stay_finite(device):
    x = torch.tensor([-1e4, -50.0, 50.0, 1e4], device=device, requires_grad=True)
    for f in (F.gelu, lambda t: F.gelu(t, approximate="tanh"), F.elu, F.softplus,
              lambda t: F.softplus(t, 1.0, 1e9)):
        y = f(x)
        y.sum().backward()
        assert np.isfinite(to_host(y)).all() and np.isfinite(to_host(x.grad)).all()
        x.grad = None
    assert to_host(F.softplus(x, 1.0, 1e9))[-1] == 1e4


@pytest.mark.parametrize("fn, inplace_fn", [(F.relu, lambda t: F.relu(t, inplace=True)),
                                            (lambda t: F.leaky_relu(t, 0.3),
                                             lambda t: F.leaky_relu(t, 0.3, inplace=True)),
                                            (F.elu, lambda t: F.elu(t, inplace=True))])
def test_inplace_activations(device, fn, inplace_fn):
    x = torch.randn(3, 4, device=device)
    expected = to_host(fn(x))
    out = inplace_fn(x)
    assert out is x
    np.testing.assert_array_equal(to_host(x), expected)
    # in a graph: the gradient is that of the out-of-place form
    w = torch.randn(3, 4, device=device, dtype=torch.float64, requires_grad=True)
    g_ref = torch.autograd.grad(fn(w * 2).sum(), w)[0]
    g_in = torch.autograd.grad(inplace_fn(w * 2).sum(), w)[0]
    np.testing.assert_allclose(to_host(g_in), to_host(g_ref))
    assert "inplace=True" in repr(nn.ReLU(inplace=True))


def test_softmax_implicit_dim_warns_like_pytorch():
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = F.softmax(torch.zeros(2, 3))
    np.testing.assert_allclose(to_host(out), np.full((2, 3), 1 / 3), rtol=1e-6)  # dim 1
    with pytest.warns(UserWarning):
        out = nn.LogSoftmax()(torch.zeros(3, 2, 2))
    np.testing.assert_allclose(to_host(out), np.full((3, 2, 2), -math.log(3)), rtol=1e-6)


def test_activation_arguments():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="floating"):
        F.gelu(torch.tensor([1, 2]))
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ELU(inplace=True)) == "ELU(alpha=1.0, inplace=True)"
    assert repr(nn.Softmax(dim=-1)) == "Softmax(dim=-1)"
    assert repr(nn.Sigmoid()) == "Sigmoid()"


# -- Dropout ------------------------------------------------------------------------------
def test_dropout_lecture_example(device):
    """Lecture 000: Dropout(p=0.75) on ones gives only 0s and 4s, and the gradient of
    y.norm(2, 1).sum() is 4/√k on the k survivors of each row (2.3094 for k = 3, 2.8284 for
    k = 2, 4 for k = 1, as printed in the lecture)."""
    x = torch.full((3, 6), 1.0, device=device).requires_grad_()
    y = nn.Dropout(p=0.75)(x)
    values = to_host(y)
    assert set(np.unique(values)) <= {0.0, 4.0}
    y.norm(2, 1).sum().backward()
    kept = values == 4.0
    k = kept.sum(1, keepdims=True)
    expected = np.where(kept, 4.0 / np.sqrt(np.maximum(k, 1)), 0.0)
    np.testing.assert_allclose(to_host(x.grad), expected, rtol=1e-6)
    for k_row, printed in ((3, 2.3094), (2, 2.8284), (1, 4.0)):
        assert 4.0 / math.sqrt(k_row) == pytest.approx(printed, abs=5e-5)


def test_dropout_statistics(device):
    p = 0.3
    x = torch.ones(200, 500, device=device)
    y = to_host(F.dropout(x, p))
    n = y.size
    dropped = (y == 0).mean()
    # Binomial(n, p): 5 standard deviations is a bound a correct sampler never reaches
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)  # inverted: E[y] = x


def test_dropout_modes_and_edge_probabilities(device):
    x = torch.randn(4, 5, device=device, requires_grad=True)
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert not to_host(y).any()
    y.sum().backward()
    assert not to_host(x.grad).any()
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)
    assert y.device == x.device and y.dtype == x.dtype


def test_dropout_gradcheck(device):
    x = rand64(3, 4, device=device)

    def f(t):
        torch.manual_seed(5)  # the same mask at every evaluation
        return F.dropout(t, 0.4)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_dropout_inplace(device):
    x = torch.ones(4, 4, device=device)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and set(np.unique(to_host(x))) <= {0.0, 2.0}


# -- Embedding ----------------------------------------------------------------------------
def test_embedding_lookup_and_accumulated_gradient(device):
    emb = nn.Embedding(6, 3, device=device)
    idx = torch.tensor([[1, 2, 1], [5, 1, 0]], device=device)
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    w = to_host(emb.weight)
    np.testing.assert_array_equal(to_host(out), w[to_host(idx)])
    g = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    out.backward(torch.tensor(g, device=device))
    expected = np.zeros_like(w)
    np.add.at(expected, to_host(idx), g)  # index 1 is used three times: gradients add up
    np.testing.assert_allclose(to_host(emb.weight.grad), expected, rtol=1e-6)


def test_embedding_padding_idx(device):
    emb = nn.Embedding(5, 2, padding_idx=-1, device=device)
    assert emb.padding_idx == 4
    assert not to_host(emb.weight)[4].any()
    with torch.no_grad():
        emb.weight[4] = torch.tensor([7.0, 8.0], device=device)
    idx = torch.tensor([4, 0, 4, 2], device=device)
    out = emb(idx)
    assert to_host(out)[0].tolist() == [7.0, 8.0]  # forward still reads the row
    (out * 3).sum().backward()
    grad = to_host(emb.weight.grad)
    assert grad[4].tolist() == [0.0, 0.0] and grad[0].tolist() == [3.0, 3.0]
    assert repr(emb) == "Embedding(5, 2, padding_idx=4)"


def test_embedding_max_norm_and_grad_scaling(device):
    emb = nn.Embedding(4, 3, max_norm=1.0, device=device)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor([[3.0, 4.0, 0.0], [0.1, 0.0, 0.0], [0.0, 2.0, 0.0],
                                       [5.0, 5.0, 5.0]], device=device))
    out = emb(torch.tensor([0, 1, 0], device=device))
    norms = np.linalg.norm(to_host(emb.weight), axis=1)
    np.testing.assert_allclose(norms[:2], [1.0, 0.1], rtol=1e-5)  # row 0 renormalised in place
    assert norms[3] == pytest.approx(math.sqrt(75), rel=1e-6)  # unused rows untouched
    np.testing.assert_allclose(to_host(out)[0], [0.6, 0.8, 0.0], rtol=1e-5)

    emb = nn.Embedding(3, 2, scale_grad_by_freq=True, device=device)
    idx = torch.tensor([0, 0, 0, 2], device=device)
    out = emb(idx)
    np.testing.assert_array_equal(to_host(out), to_host(emb.weight)[[0, 0, 0, 2]])
    out.sum().backward()
    assert to_host(emb.weight.grad).tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]


def test_embedding_gradcheck(device):
    w = rand64(5, 3, device=device)
    idx = torch.tensor([[0, 4], [4, 1]], device=device)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    # (with padding_idx the gradient is zeroed on purpose: test_embedding_padding_idx)
    assert gradcheck(lambda w: F.embedding(idx, w, padding_idx=2), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


def test_embedding_from_pretrained_and_errors(device):
    table = torch.arange(6, dtype=torch.float32, device=device).reshape(3, 2)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert to_host(emb(torch.tensor([2], device=device))).tolist() == [[4.0, 5.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="out of range"):
        emb(torch.tensor([3], device=device))
    with pytest.raises(RuntimeError, match="integer"):
        emb(torch.tensor([1.0], device=device))
    with pytest.raises(ValueError, match="Padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


# -- one_hot, pad, normalize --------------------------------------------------------------
def test_one_hot(device):
    t = torch.tensor([[0, 2], [1, 2]], device=device)
    out = F.one_hot(t)
    assert out.dtype == torch.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(to_host(out), np.eye(3, dtype=np.int64)[to_host(t)])
    assert F.one_hot(t, 5).shape == (2, 2, 5)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(t, 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(torch.tensor([-1]))
    empty = torch.zeros(0, 2, dtype=torch.int64, device=device)
    assert F.one_hot(empty, 3).shape == (0, 2, 3)
    for classes in (-1, 0):  # nothing to count classes from, and none asked for
        with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
            F.one_hot(empty, classes)


@pytest.mark.parametrize("mode, np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                           ("replicate", "edge"), ("circular", "wrap")])
def test_pad_matches_numpy(device, mode, np_mode):
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    pads = (2, 1, 1, 2)  # last dim (2, 1), then the one before (1, 2)
    out = F.pad(torch.tensor(x, device=device), pads, mode=mode)
    ref = np.pad(x, ((0, 0), (1, 2), (2, 1)), mode=np_mode)
    np.testing.assert_array_equal(to_host(out), ref)
    t = rand64(2, 3, 4, device=device)
    assert gradcheck(lambda t: F.pad(t, pads, mode=mode), (t,))


def test_pad_constant_value_and_cropping(device):
    x = torch.ones(2, 4, device=device)
    out = F.pad(x, (1, -2), value=9.0)
    assert to_host(out).tolist() == [[9.0, 1.0, 1.0]] * 2
    # the channel padding of a ResNet "option A" shortcut
    y = F.pad(torch.ones(1, 2, 1, 1, device=device), (0, 0, 0, 0, 1, 1))
    assert to_host(y).ravel().tolist() == [0.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="less than"):
        F.pad(x, (4, 0), mode="reflect")


def test_pad_circular_crops_before_it_wraps(device):
    # PyTorch's order: a negative pad crops, then the other side wraps around what is left
    x = torch.arange(4.0, device=device).reshape(1, 1, 4)
    cases = {(-1, 2): [1, 2, 3, 1, 2], (2, -1): [1, 2, 0, 1, 2], (-2, -1): [2]}
    for pads, expected in cases.items():
        assert to_host(F.pad(x, pads, mode="circular")).ravel().tolist() == expected
    t = rand64(1, 2, 5, device=device)
    assert gradcheck(lambda t: F.pad(t, (-1, 3), mode="circular"), (t,))
    with pytest.raises(ValueError, match="must not exceed the dimension size"):
        F.pad(x, (-2, 3), mode="circular")
    # cropped to nothing, nothing to wrap: an empty result (the indices were a float array)
    assert tuple(F.pad(x, (0, -4), mode="circular").shape) == (1, 1, 0)


def test_normalize(device):
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]], device=device)
    np.testing.assert_allclose(to_host(F.normalize(x)), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(to_host(F.normalize(x, p=1, dim=0)), [[1.0, 1.0], [0, 0]])
    t = rand64(3, 4, device=device)
    assert gradcheck(lambda t: F.normalize(t, dim=1), (t,))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 5))
def test_linear_any_batch_shape(batch, out_features):
    m = nn.Linear(3, out_features)
    x = torch.randn(*batch, 3)
    out = m(x)
    assert out.shape == tuple(batch) + (out_features,)
    ref = to_host(x) @ to_host(m.weight).T + to_host(m.bias)
    with warnings.catch_warnings():
        np.testing.assert_allclose(to_host(out), ref, rtol=1e-5, atol=1e-6)


def test_pad_refuses_float_amounts():
    with pytest.raises(TypeError, match="pad must be a tuple of ints, .*float at position 0"):
        F.pad(torch.ones(2, 2), (1.5, 1))
