"""The lines of lecture 000 (F. Fleuret, "Going deeper"; ../shared/seeds/000_*.txt) that need
only the Tensor, run as written after ``import minitorch_np as torch`` (sizes made small)."""
# ruff: noqa: PIE808, UP032 - the listings are kept as the lecture writes them
from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

import minitorch_np as torch


def to_host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device (conftest's helper; not imported
    from there because ``conftest`` names several modules once subpackages have their own)."""
    return t.detach().cpu().numpy()


# -- "Batch processing": the batch-vs-loop listing ---------------------------------------------
def test_batch_product_equals_the_per_sample_loop(device):
    x = torch.empty(25, 10, device=torch.device(device)).normal_()
    w = torch.empty(15, 10, device=torch.device(device)).normal_()
    y = x.mm(w.t())
    batch = y.clone()
    for k in range(0, y.size(0)): y[k] = w.mv(x[k])
    assert y.shape == (25, 15) and y.device == x.device
    np.testing.assert_allclose(to_host(y), to_host(batch), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_host(batch), to_host(x).astype(np.float64) @
                               to_host(w).astype(np.float64).T, rtol=1e-4, atol=1e-4)


def test_the_loop_s_shortcuts_behave_as_the_general_ops(device):
    # x[k], w.mv(v) and y[k] = row skip the Function machinery when nothing is recorded: the
    # results, views, version counters and errors must be those of the general path
    dev = torch.device(device)
    x = torch.arange(6.0, device=dev).reshape(2, 3)
    row = x[-1]
    assert row._base is x._base and to_host(row).tolist() == [3.0, 4.0, 5.0]
    x.add_(1)  # an in-place change of x is seen by its row view and counted for both
    assert row._version == x._version == 1 and to_host(row).tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(IndexError, match=r"index 2 is out of bounds.*shape \[2, 3\]"):
        x[2]
    w = torch.ones(3, 3, device=dev)
    assert to_host(w.mv(row)).tolist() == [15.0, 15.0, 15.0]
    with pytest.raises(RuntimeError, match=r"mv: expected a 2-D matrix and a 1-D vector"):
        w.mv(x)
    with pytest.raises(RuntimeError, match=r"shapes \[3, 3\] and \[4\] cannot be multiplied"):
        w.mv(torch.ones(4, device=dev))
    with pytest.raises(RuntimeError, match="same dtype"):
        w.mv(torch.ones(3, dtype=torch.float64, device=dev))
    y = torch.zeros(2, 3, device=dev)
    y[1] = w.mv(row)
    assert y._version == 1 and to_host(y).tolist() == [[0.0] * 3, [15.0] * 3]
    with pytest.raises(ValueError, match=r"index_put: .*shape \[2, 3\], value of shape \[4\]"):
        y[0] = torch.ones(4, device=dev)
    assert y._version == 1  # nothing written, nothing counted
    # with an input that requires grad, the same lines record the graph
    wg = torch.ones(3, 3, device=dev, requires_grad=True)
    out = wg.mv(x[0])
    assert out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_allclose(to_host(wg.grad), np.tile([1.0, 2.0, 3.0], (3, 1)))


def test_empty_normal_shapes(device):
    x = torch.empty(250, 100, device=torch.device(device)).normal_()
    assert x.shape == (250, 100) and x.dtype is torch.float32
    assert x.device.type == torch.device(device).type
    v = to_host(x).astype(np.float64)
    assert abs(v.mean()) < 5 / math.sqrt(v.size) and abs(v.std() - 1) < 5 / math.sqrt(2 * v.size)


def test_is_cuda_short_circuits_synchronize(device):
    y = torch.zeros(2, device=device)
    assert (y.is_cuda and torch.cuda.synchronize()) is (False if device != "cuda" else None)
    assert ((y.is_cuda and "GPU") or "CPU") == ("GPU" if device == "cuda" else "CPU")


def _timing(x, w, nb=3):
    """The lecture's `timing` function, line for line (the print turned into a return)."""
    t = torch.zeros(nb)

    for u in range(0, t.size(0)):
        t0 = time.perf_counter()
        y = x.mm(w.t())
        y.is_cuda and torch.cuda.synchronize()
        t[u] = time.perf_counter() - t0
    tb = t.median().item()

    for u in range(0, t.size(0)):
        t0 = time.perf_counter()
        for k in range(0, y.size(0)): y[k] = w.mv(x[k])
        y.is_cuda and torch.cuda.synchronize()
        t[u] = time.perf_counter() - t0
    t1 = t.median().item()

    return '{:s} batch vs. loop speed ratio {:.01f}'.format(
        (y.is_cuda and 'GPU') or 'CPU', t1 / tb)


def test_the_timing_listing_runs(device):
    x = torch.empty(25, 10, device=device).normal_()
    w = torch.empty(15, 10, device=device).normal_()
    line = _timing(x, w)
    kind = "GPU" if device == "cuda" else "CPU"
    assert re.fullmatch(kind + r" batch vs\. loop speed ratio \d+\.\d", line), line


def test_storing_timings_into_a_zeros_tensor():
    t = torch.zeros(5)
    for u in range(0, t.size(0)):
        t0 = time.perf_counter()
        t[u] = time.perf_counter() - t0 + u
    assert t.dtype is torch.float32
    assert to_host(t).tolist() == pytest.approx([0, 1, 2, 3, 4], abs=1e-2)
    assert '{:.01f}'.format(t.max().item() / 2.0) == "2.0"


# -- mini-batches with narrow ------------------------------------------------------------------
def test_narrow_is_a_view_of_a_slice(device):
    x = torch.arange(20.0, device=device).reshape(10, 2)
    b, n = 4, 3
    part = x.narrow(0, b, n)
    assert part.shape == (3, 2)
    np.testing.assert_array_equal(to_host(part), to_host(x[b:b + n]))
    part.zero_()  # a view, as in PyTorch: the data is shared
    assert to_host(x[b:b + n]).sum() == 0 and to_host(x).sum() > 0


def test_mini_batch_loop_visits_every_sample_once(device):
    train_input = torch.arange(12.0, device=device).reshape(12, 1)
    train_target = torch.arange(12, device=device)
    mini_batch_size, seen = 4, []
    for b in range(0, train_input.size(0), mini_batch_size):
        inputs = train_input.narrow(0, b, mini_batch_size)
        targets = train_target.narrow(0, b, mini_batch_size)
        assert inputs.size(0) == targets.size(0) == mini_batch_size
        seen += to_host(targets).tolist()
    assert seen == list(range(12))


def test_narrow_past_the_end_raises(device):
    with pytest.raises((RuntimeError, IndexError, ValueError)):
        torch.zeros(5, 2, device=device).narrow(0, 3, 4)


# -- the ad hoc SGD step: p.detach().sub_(eta * p.grad) ----------------------------------------
def test_ad_hoc_sgd_update_through_detach(device):
    p = torch.tensor([1.0, -2.0, 0.5], device=device, requires_grad=True)
    eta = 0.1
    (p * p).sum().backward()          # grad = 2p
    p.detach().sub_(eta * p.grad)     # the lecture's update
    np.testing.assert_allclose(to_host(p), [0.8, -1.6, 0.4], rtol=1e-6)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    p.grad = None
    (p * p).sum().backward()  # the updated leaf keeps working in a new graph
    np.testing.assert_allclose(to_host(p.grad), [1.6, -3.2, 0.8], rtol=1e-6)


def test_freezing_with_the_requires_grad_setter(device):
    p = torch.ones(2, device=device, requires_grad=True)
    q = True
    p.requires_grad = not q
    assert not p.requires_grad
    p.requires_grad = not False
    assert p.requires_grad


# -- the MNIST listing's data preparation ------------------------------------------------------
def test_mnist_style_preparation(device):
    raw = torch.randint(0, 256, (8, 784), device=device).to(torch.uint8)  # like train_data
    train_input = raw.view(-1, 1, 28, 28).float()
    assert train_input.shape == (8, 1, 28, 28) and train_input.dtype is torch.float32
    mu, std = train_input.mean(), train_input.std()
    assert train_input.sub_(mu).div_(std) is train_input
    v = to_host(train_input).astype(np.float64)
    assert abs(v.mean()) < 1e-5 and abs(v.std(ddof=1) - 1) < 1e-5
    assert train_input.size(0) == 8  # nb_train_samples = train_input.size(0)


def test_flatten_with_view_size_minus_one(device):
    x = torch.zeros(6, 64, 2, 2, device=device)
    assert x.view(x.size(0), -1).shape == (6, 256)
    assert x.view(-1, 256).shape == (6, 256)


def test_loss_item_accumulates_into_a_python_float(device):
    acc_loss = 0.0
    for v in (0.5, 0.25):
        loss = (torch.tensor([v, v], device=device) ** 2).mean()
        acc_loss += loss.item()
    assert type(acc_loss) is float and acc_loss == pytest.approx(0.3125)


def test_winner_take_all_error_count(device):
    output = torch.randn(20, 10, device=device)
    target = torch.randint(0, 10, (20,), device=device)
    wta = torch.max(output, 1)[1].view(-1)
    nb_test_errors, nb_test_samples = 0, 0
    for i in range(target.size(0)):
        nb_test_samples += 1
        if wta[i] != target[i]: nb_test_errors += 1
    expected = int((to_host(output).argmax(1) != to_host(target)).sum())
    assert (nb_test_errors, nb_test_samples) == (expected, 20)
    line = 'test_error {:.02f}% ({:d}/{:d})'.format(100 * nb_test_errors / nb_test_samples,
                                                    nb_test_errors, nb_test_samples)
    assert line.endswith(f"({expected}/20)")


# -- the dropout and batch-norm examples' inputs -----------------------------------------------
def test_dropout_example_input(device):
    x = torch.full((3, 6), 1.0, device=device).requires_grad_()
    assert x.requires_grad and x.is_leaf and x.dtype is torch.float32
    np.testing.assert_array_equal(to_host(x), np.ones((3, 6)))


def test_batchnorm_example_data_statistics(device):
    x = torch.empty(1000, 3, device=device).normal_()
    x = x * torch.tensor([2., 5., 10.], device=device) + torch.tensor([-10., 25., 3.],
                                                                      device=device)
    assert x.shape == (1000, 3) and x.dtype is torch.float32
    sd = np.array([2.0, 5.0, 10.0])
    mean, std = to_host(x.mean(0)), to_host(x.std(0))
    assert mean.shape == (3,) and std.shape == (3,)
    # 5 standard errors: se(mean) = σ/√n, se(std) ≈ σ/√(2(n-1)) for normal data
    assert np.all(np.abs(mean - [-10.0, 25.0, 3.0]) < 5 * sd / math.sqrt(1000))
    assert np.all(np.abs(std - sd) < 5 * sd / math.sqrt(2 * 999))
    np.testing.assert_allclose(std, to_host(x).astype(np.float64).std(0, ddof=1), rtol=1e-4)


def test_batchnorm_example_parameters_from_the_legacy_constructor():
    bias, weight = torch.Tensor([2, 4, 8]), torch.Tensor([1, 2, 3])
    assert bias.dtype is weight.dtype is torch.float32
    assert bias.tolist() == [2.0, 4.0, 8.0] and weight.tolist() == [1.0, 2.0, 3.0]
