"""Convolution: ``F.unfold``/``F.fold`` (im2col/col2im), ``F.conv2d``/``F.conv1d`` and the
``nn.Conv2d``/``nn.Conv1d`` layers — against naive loop references written here, with
gradient checks over stride, padding, dilation, groups and bias."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.autograd import gradcheck, gradgradcheck
from minitorch_np.nn import functional as F


@pytest.fixture(autouse=True, params=["batch-last columns", "per-sample columns"])
def columns_layout(request, monkeypatch):
    """Every test of this file runs with both layouts of Conv2d's columns (chosen by the
    size of the output maps, so small test shapes would otherwise see only batch-last)."""
    from minitorch_np._functions import conv as conv_functions
    threshold = 10 ** 9 if request.param == "batch-last columns" else 1
    monkeypatch.setattr(conv_functions, "PER_SAMPLE_MIN_POSITIONS", threshold)
    return request.param


# -- naive references (loops over every output element) -------------------------------------
def pair(v):
    return tuple(v) if isinstance(v, tuple | list) else (v, v)


def ref_conv2d(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, p, q] = b[o] + Σ_{c,i,j} w[o, c, i, j] · x_pad[n, g·Cg + c, p·s + i·d, q·s + j·d]
    (g = o's group, Cg = channels per group)."""
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n, cin, h, wd = x.shape
    cout, cg, kh, kw = w.shape
    xp = np.zeros((n, cin, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, cout, oh, ow))
    per_group = cout // groups
    for s in range(n):
        for o in range(cout):
            g = o // per_group
            for p in range(oh):
                for q in range(ow):
                    total = 0.0 if b is None else b[o]
                    for c in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                total += (w[o, c, i, j]
                                          * xp[s, g * cg + c, p * sh + i * dh, q * sw + j * dw])
                    y[s, o, p, q] = total
    return y


def ref_unfold(x, kernel, dilation=1, padding=0, stride=1):
    """PyTorch's layout: column l = block at output position l; rows (c, i, j) row-major."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = pair(kernel), pair(dilation), pair(padding), \
        pair(stride)
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((n, c * kh * kw, oh * ow))
    for p in range(oh):
        for q in range(ow):
            rows = slice(p * sh, p * sh + dh * (kh - 1) + 1, dh)
            block = xp[:, :, rows, q * sw:q * sw + dw * (kw - 1) + 1:dw]
            cols[:, :, p * ow + q] = block.reshape(n, -1)
    return cols


def t64(a, device, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=grad)


# -- unfold / fold ------------------------------------------------------------------------------
def test_unfold_docstring_example(device):
    x = torch.arange(16.0, device=device).reshape(1, 1, 4, 4)
    cols = F.unfold(x, kernel_size=2, stride=2)
    np.testing.assert_array_equal(to_host(cols)[0], [[0, 2, 8, 10], [1, 3, 9, 11],
                                                     [4, 6, 12, 14], [5, 7, 13, 15]])


UNFOLD_CASES = [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(2, 1)),
                dict(kernel_size=3, padding=1), dict(kernel_size=2, dilation=2, padding=(1, 2)),
                dict(kernel_size=(3, 1), stride=2, dilation=(1, 3), padding=(0, 1))]


@pytest.mark.parametrize("kw", UNFOLD_CASES)
def test_unfold_matches_reference(kw, device):
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 7))
    cols = F.unfold(t64(x, device), **kw)
    np.testing.assert_array_equal(to_host(cols), ref_unfold(x, kw["kernel_size"],
                                                            kw.get("dilation", 1),
                                                            kw.get("padding", 0),
                                                            kw.get("stride", 1)))
    assert cols.is_contiguous()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(3, 7), w=st.integers(3, 7),
       k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       p=st.tuples(st.integers(0, 2), st.integers(0, 2)), seed=st.integers(0, 2 ** 16))
def test_fold_is_the_adjoint_of_unfold(n, c, h, w, k, s, d, p, seed):
    """⟨unfold x, y⟩ = ⟨x, fold y⟩ for every geometry (fold is col2im, unfold's transpose)."""
    if any(h_ + 2 * p_ < d_ * (k_ - 1) + 1 for h_, p_, d_, k_ in zip((h, w), p, d, k)):
        return  # the kernel does not fit
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    cols = F.unfold(t64(x, "cpu"), k, d, p, s)
    y = rng.standard_normal(tuple(cols.shape))
    back = F.fold(t64(y, "cpu"), (h, w), k, d, p, s)
    lhs = float((to_host(cols) * y).sum())
    rhs = float((x * to_host(back)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_fold_of_unfold_counts_the_blocks_covering_each_pixel(device):
    """fold(unfold(1)) = how many 2×2 windows (stride 1) contain each pixel of a 3×4 image."""
    ones = torch.ones(1, 1, 3, 4, dtype=torch.float64, device=device)
    counts = F.fold(F.unfold(ones, 2), (3, 4), 2)
    np.testing.assert_array_equal(to_host(counts)[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2],
                                                          [1, 2, 2, 1]])


def test_fold_sums_overlapping_columns_like_the_reference(device):
    """C=2, kernel 2×3, a 4×5 image padded to 4×7: 3×5 blocks, each added back in place."""
    rng = np.random.default_rng(2)
    cols = rng.standard_normal((2, 2 * 2 * 3, 3 * 5))
    out = F.fold(t64(cols, device), (4, 5), (2, 3), padding=(0, 1))
    ref = np.zeros((2, 2, 4, 7))  # the padded image, cropped at the end
    blocks = cols.reshape(2, 2, 2, 3, 3, 5)  # n, c, i, j, p, q
    for i in range(2):
        for j in range(3):
            ref[:, :, i:i + 3, j:j + 5] += blocks[:, :, i, j]
    np.testing.assert_allclose(to_host(out), ref[:, :, :, 1:6], rtol=1e-12)


@pytest.mark.parametrize("kw", UNFOLD_CASES[1:4])
def test_unfold_and_fold_gradients(kw, device):
    x = t64(np.random.default_rng(3).standard_normal((1, 2, 5, 6)), device, grad=True)
    assert gradcheck(lambda t: F.unfold(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.unfold(t, **kw), (x,))
    cols = F.unfold(x.detach(), **kw)
    y = t64(np.random.default_rng(4).standard_normal(tuple(cols.shape)), device, grad=True)
    assert gradcheck(lambda t: F.fold(t, (5, 6), **kw), (y,))
    assert gradgradcheck(lambda t: F.fold(t, (5, 6), **kw), (y,))


def test_unfold_unbatched_and_errors():
    x = torch.randn(2, 4, 4)
    assert tuple(F.unfold(x, 3).shape) == (2 * 9, 4)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.unfold(x, 5)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(torch.randn(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(torch.randn(1, 5, 4), (3, 3), 2)


# -- conv2d against the loop reference --------------------------------------------------------
CONV_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(dilation=2, padding=2),
    dict(groups=2),
    dict(stride=2, padding=1, dilation=(1, 2), groups=2, bias=False),
    dict(groups=4, bias=False),
]


def conv_inputs(case, device, grad=False, cin=4, cout=4, k=(3, 2), size=(5, 6), seed=0):
    rng = np.random.default_rng(seed)
    groups = case.get("groups", 1)
    x = rng.standard_normal((2, cin) + size)
    w = rng.standard_normal((cout, cin // groups) + k)
    b = rng.standard_normal(cout) if case.get("bias", True) else None
    kwargs = {key: v for key, v in case.items() if key != "bias"}
    tensors = [t64(x, device, grad), t64(w, device, grad),
               None if b is None else t64(b, device, grad)]
    return (x, w, b), tensors, kwargs


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_matches_loop_reference(case, device):
    (x, w, b), (xt, wt, bt), kwargs = conv_inputs(case, device)
    y = F.conv2d(xt, wt, bt, **kwargs)
    np.testing.assert_allclose(to_host(y), ref_conv2d(x, w, b, **kwargs), rtol=1e-12,
                               atol=1e-12)
    assert y.is_contiguous()


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_gradcheck(case, device):
    _, tensors, kwargs = conv_inputs(case, device, grad=True, cout=2 * case.get("groups", 1),
                                     size=(4, 5))
    inputs = [t for t in tensors if t is not None]
    has_bias = tensors[2] is not None

    def f(x, w, *b):
        return F.conv2d(x, w, b[0] if has_bias else None, **kwargs)
    assert gradcheck(f, inputs)


@pytest.mark.parametrize("case", [CONV_CASES[3], CONV_CASES[6]], ids=str)
def test_conv2d_double_backward(case, device):
    """create_graph=True runs conv's backward with differentiable ops (unfold/fold/matmul)."""
    _, tensors, kwargs = conv_inputs(case, device, grad=True, cin=2, cout=2,
                                     k=(2, 2), size=(4, 4))
    inputs = [t for t in tensors if t is not None]
    has_bias = tensors[2] is not None

    def f(x, w, *b):
        return F.conv2d(x, w, b[0] if has_bias else None, **kwargs)
    assert gradgradcheck(f, inputs)


@pytest.mark.parametrize("samples_per_chunk", [1, 2])
def test_conv2d_in_chunks_of_the_batch(samples_per_chunk, device, monkeypatch):
    """With a small column budget the batch goes through im2col + GEMM in chunks (the last
    one shorter): the same outputs and gradients as the reference and as one chunk."""
    from minitorch_np._functions import conv as conv_functions
    case = dict(stride=(2, 1), padding=1, groups=2)
    (x, w, b), (xt, wt, bt), kwargs = conv_inputs(case, device, grad=True, size=(5, 6))
    x = np.concatenate([x, x[:1] * 0.5])  # a batch of 3
    xt = t64(x, device, grad=True)
    g = np.random.default_rng(9).standard_normal((3, 4, 3, 7))  # out 3×7
    whole = F.conv2d(xt, wt, bt, **kwargs)
    grads = torch.autograd.grad(whole, (xt, wt, bt), t64(g, device))
    bytes_per_sample = (4 * 3 * 2) * (3 * 7) * 8  # rows C·kh·kw, columns L, float64
    monkeypatch.setattr(conv_functions, "COLUMNS_BUDGET", {})
    monkeypatch.setattr(conv_functions, "COLUMNS_BUDGET_DEFAULT",
                        samples_per_chunk * bytes_per_sample)
    chunks = conv_functions._chunks(3, bytes_per_sample, "cpu")
    assert len(chunks) == -(-3 // samples_per_chunk) and chunks[-1][1] == 3
    chunked = F.conv2d(xt, wt, bt, **kwargs)
    np.testing.assert_allclose(to_host(chunked), ref_conv2d(x, w, b, **kwargs), rtol=1e-12,
                               atol=1e-12)
    for ours, full in zip(torch.autograd.grad(chunked, (xt, wt, bt), t64(g, device)), grads):
        np.testing.assert_allclose(to_host(ours), to_host(full), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *t: F.conv2d(*t, **kwargs), (xt, wt, bt))


def _conv_and_grads(x, w, b, g, **kwargs):
    """(y, ∂L/∂x, ∂L/∂w, ∂L/∂b) of conv2d on the CPU, as NumPy arrays."""
    xt, wt, bt = (t64(a, "cpu", True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, **kwargs)
    return [to_host(t) for t in (y, *torch.autograd.grad(y, (xt, wt, bt), t64(g, "cpu")))]


def test_conv2d_workspace_never_holds_a_result():
    """On the CPU a chunk's columns, product and padded image are views of buffers kept
    between calls: what a convolution returns must not be one of them, so a later (larger)
    convolution, which reuses and grows the buffers, leaves earlier results unchanged; the
    same convolution again does not grow them."""
    from minitorch_np._functions import conv as conv_functions
    rng = np.random.default_rng(3)
    small = [rng.standard_normal(s) for s in ((2, 3, 5, 6), (4, 3, 3, 2), (4,), (2, 4, 5, 7))]
    large = [rng.standard_normal(s) for s in ((3, 5, 9, 8), (6, 5, 3, 3), (6,), (3, 6, 9, 8))]
    first = _conv_and_grads(*small, padding=1)
    kept = [a.copy() for a in first]
    second = _conv_and_grads(*large, padding=1)
    held = conv_functions.workspace_bytes()
    assert held > 0
    for now, then in zip(first, kept):
        np.testing.assert_array_equal(now, then)
    again = _conv_and_grads(*large, padding=1)
    assert conv_functions.workspace_bytes() == held
    for a, b in zip(second, again):
        np.testing.assert_array_equal(a, b)
    x, w, b, _ = large
    np.testing.assert_allclose(second[0], ref_conv2d(x, w, b, padding=1), rtol=1e-12,
                               atol=1e-12)


def test_conv2d_workspace_limit(monkeypatch):
    """Arrays above WORKSPACE_LIMIT are new each time (the buffers stay empty), with the same
    results as through the buffers."""
    from minitorch_np._functions import conv as conv_functions
    rng = np.random.default_rng(4)
    args = [rng.standard_normal(s) for s in ((2, 3, 6, 5), (4, 3, 2, 3), (4,), (2, 4, 3, 2))]
    through_buffers = _conv_and_grads(*args, stride=2)
    monkeypatch.setattr(conv_functions, "_buffers", threading.local())
    monkeypatch.setattr(conv_functions, "WORKSPACE_LIMIT", 0)
    fresh = _conv_and_grads(*args, stride=2)
    assert conv_functions.workspace_bytes() == 0
    for a, b in zip(fresh, through_buffers):
        np.testing.assert_array_equal(a, b)


def test_conv2d_workspace_per_thread():
    """Each thread has its own buffers: convolutions of different shapes running at once in
    two threads (NumPy's copies release the GIL) give the results they give alone."""
    rng = np.random.default_rng(5)
    jobs = [[rng.standard_normal(s) for s in ((4, 3, 12, 11), (5, 3, 3, 3), (5,),
                                              (4, 5, 12, 11))],
            [rng.standard_normal(s) for s in ((6, 2, 9, 13), (3, 2, 3, 3), (3,),
                                              (6, 3, 9, 13))]]
    alone = [_conv_and_grads(*job, padding=1) for job in jobs]
    results, errors = [[], []], []

    def run(i):
        try:
            for _ in range(15):
                results[i].append(_conv_and_grads(*jobs[i], padding=1))
        except Exception as e:  # reported by the main thread
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(2):
        assert len(results[i]) == 15
        for got in results[i]:
            for a, b in zip(got, alone[i]):
                np.testing.assert_array_equal(a, b)


def test_conv2d_backward_closed_form(device):
    """A 1×1 convolution is a Linear over channels: ∂L/∂W = Σ_positions g xᵀ, ∂L/∂x = Wᵀ g."""
    rng = np.random.default_rng(5)
    x, w, g = rng.standard_normal((2, 3, 2, 2)), rng.standard_normal((4, 3, 1, 1)), \
        rng.standard_normal((2, 4, 2, 2))
    xt, wt = t64(x, device, True), t64(w, device, True)
    F.conv2d(xt, wt).backward(t64(g, device))
    np.testing.assert_allclose(to_host(wt.grad)[:, :, 0, 0], np.einsum("nohw,nchw->oc", g, x))
    np.testing.assert_allclose(to_host(xt.grad), np.einsum("oc,nohw->nchw", w[:, :, 0, 0], g))


@pytest.mark.parametrize("k", [3, 4, (2, 5)])
def test_conv2d_same_and_valid_padding(k, device):
    (x, w, b), (xt, wt, bt), _ = conv_inputs({}, device, k=pair(k), size=(6, 7))
    y = F.conv2d(xt, wt, bt, padding="same")
    assert tuple(y.shape[2:]) == (6, 7)
    # 'same' pads (k-1)//2 before and the rest after: pad by hand, then a valid convolution
    kh, kw = pair(k)
    xpad = np.pad(x, ((0, 0), (0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)))
    np.testing.assert_allclose(to_host(y), ref_conv2d(xpad, w, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_host(F.conv2d(xt, wt, bt, padding="valid")),
                               ref_conv2d(x, w, b), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(xt, wt, bt, stride=2, padding="same")


def test_conv2d_float32_stays_float32(device):
    x = torch.randn(2, 3, 5, 5, device=device, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, device=device, requires_grad=True)
    b = torch.randn(4, device=device, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == torch.float32


def test_conv2d_argument_errors():
    x, w = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 2, 5, 5\] to have 3 channels"):
        F.conv2d(torch.randn(2, 2, 5, 5), w)
    with pytest.raises(RuntimeError, match="4-D weight"):
        F.conv2d(x, torch.randn(4, 3, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(x.double(), w)
    with pytest.raises(RuntimeError, match=r"bias of shape \(4,\)"):
        F.conv2d(x, w, torch.randn(3))
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        F.conv2d(x, w, groups=0)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(torch.randn(1, 3, 2, 2), w)


def test_conv1d_matches_reference_and_gradcheck(device):
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), \
        rng.standard_normal(6)
    y = F.conv1d(t64(x, device), t64(w, device), t64(b, device), stride=2, padding=1,
                 dilation=2, groups=2)
    ref = ref_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(to_host(y), ref, rtol=1e-12, atol=1e-12)
    inputs = [t64(a, device, True) for a in (x[:1, :, :6], w, b)]
    assert gradcheck(lambda *t: F.conv1d(*t, stride=2, padding=1, dilation=2, groups=2),
                     inputs)


# -- the layers ---------------------------------------------------------------------------------
def test_conv2d_layer_shapes_names_and_repr():
    conv = nn.Conv2d(1, 32, kernel_size=5)  # the lecture's first layer
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert tuple(conv.weight.shape) == (32, 1, 5, 5) and tuple(conv.bias.shape) == (32,)
    assert tuple(conv(torch.randn(100, 1, 28, 28)).shape) == (100, 32, 24, 24)
    assert repr(conv) == "Conv2d(1, 32, kernel_size=(5, 5), stride=(1, 1))"
    conv = nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False,
                     padding_mode="reflect")
    assert tuple(conv.weight.shape) == (8, 2, 3, 3) and conv.bias is None
    assert repr(conv) == ("Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                          "dilation=(2, 2), groups=2, bias=False, padding_mode=reflect)")


def test_conv_initialisation_bounds():
    """kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in) for the weight, and the bias
    the same bound; fan_in = in_channels/groups · kh · kw."""
    conv = nn.Conv2d(8, 64, (3, 5), groups=2)
    bound = 1 / math.sqrt(4 * 3 * 5)
    w, b = to_host(conv.weight), to_host(conv.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # 3840 uniform draws fill the interval
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_conv2d_layer_padding_modes(device):
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate").to(device).double()
    x = t64(np.random.default_rng(7).standard_normal((1, 2, 4, 5)), device)
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), conv.weight, conv.bias)
    np.testing.assert_allclose(to_host(conv(x)), to_host(expected), rtol=1e-12)
    same = nn.Conv2d(2, 3, 4, padding="same", padding_mode="circular").double()
    assert tuple(same(x.cpu()).shape) == (1, 3, 4, 5)


def test_conv_layers_accept_unbatched_input(device):
    conv = nn.Conv2d(3, 4, 3).to(device)
    x = torch.randn(3, 6, 6, device=device)
    np.testing.assert_allclose(to_host(conv(x)), to_host(conv(x.unsqueeze(0)))[0], rtol=1e-6)
    conv1 = nn.Conv1d(3, 4, 3).to(device)
    assert tuple(conv1(torch.randn(3, 10, device=device)).shape) == (4, 8)


def test_conv1d_layer(device):
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).to(device).double()
    assert tuple(conv.weight.shape) == (6, 2, 3)
    x = t64(np.random.default_rng(8).standard_normal((2, 4, 9)), device)
    ref = ref_conv2d(to_host(x)[:, :, None], to_host(conv.weight)[:, :, None],
                     to_host(conv.bias), (1, 2), (0, 1), 1, 2)[:, :, 0]
    np.testing.assert_allclose(to_host(conv(x)), ref, rtol=1e-12, atol=1e-12)
    assert repr(conv) == "Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), groups=2)"


def test_conv_layer_errors_name_the_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"Conv2d: expected input with 3 channels \(shape "
                                         r"\(N, 3, H, W\) or \(3, H, W\)\), got \(8, 4, 32, 32\)"):
        nn.Conv2d(3, 16, 3)(torch.randn(8, 4, 32, 32))
    with pytest.raises(RuntimeError, match=r"Conv2d: expected a 4-D input .* got 2-D"):
        nn.Conv2d(3, 16, 3)(torch.randn(8, 3))
    with pytest.raises(RuntimeError, match=r"Conv1d: expected input with 2 channels"):
        nn.Conv1d(2, 4, 3)(torch.randn(5, 3, 7))
    with pytest.raises(ValueError, match="in_channels .* divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels .* divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="invalid padding string"):
        nn.Conv2d(3, 6, 3, padding="full")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")


def test_conv_layer_trains_on_both_devices(device):
    """A few SGD steps on a fixed batch lower the loss (the gradients point downhill)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1, groups=1).to(device)
    x = torch.randn(4, 2, 5, 5, device=device)
    target = torch.randn(4, 3, 5, 5, device=device)
    losses = []
    for _ in range(5):
        conv.zero_grad()
        loss = ((conv(x) - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in conv.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_bad_geometry_at_call_time_is_a_runtime_error_as_in_pytorch():
    x, w = torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2)
    for call, what in [(lambda: F.conv2d(x, w, padding=-1), "padding must be >= 0"),
                       (lambda: F.conv2d(x, w, dilation=0), "dilation must be >= 1"),
                       (lambda: F.max_pool2d(x, 2, stride=0), "stride must be >= 1")]:
        with pytest.raises(RuntimeError, match=what):
            call()
