"""Forward values of every op in the table against its NumPy reference, on every device.

Also two invariants: the output has the input's dtype (float32 in, float32 out: NumPy 2
would quietly promote float32 arrays meeting float64 constants) and lives on the input's
device. The reference runs in float64 on the same (rounded) inputs, so a float32 result is
compared with float32 accuracy and a float64 result with float64 accuracy.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import to_host
from op_table import op_cases

import minitorch_np as torch

TOLERANCES = {torch.float32: {"rtol": 1e-5, "atol": 1e-6},
              torch.float64: {"rtol": 1e-10, "atol": 1e-12}}


def as_list(out) -> list:
    return list(out) if isinstance(out, tuple | list) else [out]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info, case", op_cases())
def test_forward_matches_numpy(info, case, dtype, device):
    hosts = [h.astype(dtype.numpy) for h in info.sample(case)]
    inputs = [torch.tensor(h, device=device) for h in hosts]

    outs = as_list(info.op(*inputs, **case.kwargs))
    expected = as_list(info.ref(*[h.astype(np.float64) for h in hosts], **case.kwargs))

    assert len(outs) == len(expected)
    for out, ref in zip(outs, expected):
        ref = np.asarray(ref)
        assert isinstance(out, torch.Tensor)
        assert out.device == inputs[0].device, f"{info.name}: output left {device}"
        assert tuple(out.shape) == ref.shape, f"{info.name}: {tuple(out.shape)} != {ref.shape}"
        if ref.dtype.kind == "f":
            want = np.dtype(info.out_dtype) if info.out_dtype else dtype.numpy
            assert out.dtype.numpy == want, f"{info.name}: {dtype} in, {out.dtype} out"
            np.testing.assert_allclose(to_host(out), ref, **TOLERANCES[torch.float32 if
                                       want == np.float32 else torch.float64])
        else:  # indices (int64) and comparisons (bool)
            assert out.dtype.numpy == ref.dtype, f"{info.name}: {out.dtype}, expected {ref.dtype}"
            np.testing.assert_array_equal(to_host(out), ref)


def test_negative_slice_step_is_refused(device):
    """PyTorch has no negative strides: x[::-1] is an error, not a reversed view."""
    x = torch.arange(4.0, device=device)
    with pytest.raises(ValueError, match="step"):
        x[::-1]


def test_view_of_a_transposed_tensor_is_refused(device):
    x = torch.zeros(2, 3, device=device).t()
    with pytest.raises(RuntimeError, match="view"):
        x.view(6)
    assert tuple(x.reshape(6).shape) == (6,)  # reshape copies instead


@pytest.mark.parametrize("info, case", op_cases(lambda info: info.differentiable))
def test_forward_records_graph_only_when_asked(info, case, device):
    """With requires_grad the float outputs get a grad_fn; under no_grad none do."""
    hosts = info.sample(case)
    inputs = [torch.tensor(h, device=device, requires_grad=True) for h in hosts]
    for out in as_list(info.op(*inputs, **case.kwargs)):
        if out.dtype.is_floating_point:
            assert out.requires_grad
    with torch.no_grad():
        for out in as_list(info.op(*inputs, **case.kwargs)):
            if not any(out is x for x in inputs):  # a no-op (x.to(x.dtype)) returns x itself
                assert not out.requires_grad and out.grad_fn is None



def _in_a_fresh_interpreter(lines: list[str]) -> subprocess.CompletedProcess:
    """Run `lines` as a user runs them, warnings shown: pytest imports the package inside its
    own warnings.catch_warnings(), which drops the filter minitorch_np installs on import."""
    run = subprocess.run([sys.executable, "-W", "default", "-c", "\n".join(lines)],
                         capture_output=True, text=True, timeout=120,
                         cwd=str(Path(__file__).parent.parent))
    assert run.returncode == 0, run.stderr
    return run


def test_special_values_give_inf_and_nan_without_numpy_warnings():
    run = _in_a_fresh_interpreter([
        "import numpy as np, minitorch_np as torch",
        "for d in ('cpu', 'fakegpu:1'):",
        "    zero = torch.zeros(1, device=d)",
        "    infs = torch.tensor([float('inf'), -float('inf')], device=d)",
        "    d1 = torch.tensor([0.0, 1.0], device=d)  # (inf, 0): their product is nan",
        "    values = [zero.log(), (zero + 1) / zero, (zero - 1).sqrt(), (zero + 1000).exp(),",
        "              zero / zero, infs.sum(), infs.mean(), (infs.abs() * (1 - d1)).prod(),",
        "              torch.nn.functional.layer_norm(infs, (2,)).sum()]",
        "    print([v.cpu().item() for v in values])",
        "np.log(np.zeros(1))  # the user's own NumPy call still warns",
    ])
    assert run.stdout.splitlines() == ["[-inf, inf, nan, inf, nan, nan, nan, nan, nan]"] * 2
    warned = [line for line in run.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 1 and warned[0].startswith("<string>:10: RuntimeWarning: divide by zero")


def test_float_floor_division_is_pythons(device):
    # a // b is not floor(a / b): 1.0 / 0.1 rounds up to 10.0, but 0.1 is a little more than
    # one tenth, so 1.0 // 0.1 is 9.0 — in Python, NumPy and PyTorch
    a = torch.tensor([1.0, 0.7, 3.0, -7.5], dtype=torch.float64, device=device)
    expected = [v // 0.1 for v in (1.0, 0.7, 3.0, -7.5)]
    assert to_host(a // 0.1).tolist() == expected == [9.0, 6.0, 29.0, -75.0]
    trunc = [float(int(v / 0.1)) for v in (1.0, 0.7, 3.0, -7.5)]  # 0.7 / 0.1 = 6.99…9
    assert to_host(torch.div(a, 0.1, rounding_mode="trunc")).tolist() == trunc
    assert to_host(a[3:] // float("inf")).tolist() == [-1.0]


def test_the_mean_and_variance_of_nothing_are_nan_without_a_warning():
    # PyTorch: nan, silently. NumPy's own mean warns "invalid value encountered in divide"
    # from its module, which minitorch_np's filter does not cover (found by the drawn-graph
    # parity test with empty shapes)
    run = _in_a_fresh_interpreter([
        "import minitorch_np as torch",
        "for d in ('cpu', 'fakegpu:1'):",
        "    e = torch.zeros(0, 3, dtype=torch.float64, device=d, requires_grad=True)",
        "    results = [e.mean(), e.mean(dim=0), e.var(), e.std(dim=0), e.mean(dim=1)]",
        "    sum(r.sum() for r in results).backward()",
        "    print([r.detach().cpu().numpy().tolist() for r in results], list(e.grad.shape))",
    ])
    nan3 = "[nan, nan, nan]"
    assert run.stdout.splitlines() == [f"[nan, {nan3}, nan, {nan3}, []] [0, 3]"] * 2
    assert run.stderr == ""


def test_flatten_beside_an_empty_dimension(device):
    # the merged size is written out: reshape(-1, 0) of nothing is ambiguous (found by
    # tests/parity/test_parity_shapes.py)
    x = torch.zeros(0, 0, 2, device=device)
    assert list(x.flatten(0, 0).shape) == [0, 0, 2]
    assert list(x.flatten(1).shape) == [0, 0]
    assert list(x.flatten().shape) == [0]
    assert list(torch.zeros(3, 0, device=device).flatten(0, 0).shape) == [3, 0]


def test_reductions_of_0d_and_empty_tensors_as_pytorch(device):
    t = torch.tensor(2.5, device=device)
    for op in (lambda: t.max(0), lambda: t.min(-1), lambda: t.median(0)):
        values, indices = op()
        assert values.item() == 2.5 and indices.item() == 0 and values.shape == ()
    assert t.prod(0).item() == 2.5
    for op in (lambda: t.argmax(0, keepdim=True), lambda: t.argmin(-1, keepdim=True),
               lambda: t.max(0, keepdim=True)[1], lambda: t.sum(0, keepdim=True)):
        assert op().shape == ()  # a 0-d tensor's dim 0 keeps no dimension to keep
    with pytest.raises(IndexError, match="argmax: dimension out of range"):
        t.argmax(1)
    e = torch.zeros(0, 3, device=device)
    values, indices = e.max(dim=1)
    assert list(values.shape) == [0] and list(indices.shape) == [0]
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        e.max(dim=0)
    assert list(e.softmax(0).shape) == [0, 3] and list(e.log_softmax(0).shape) == [0, 3]
    assert to_host(e.logsumexp(0)).tolist() == [-np.inf] * 3  # log of an empty sum
    assert np.isnan(e.median().item())
    assert [list(c.shape) for c in torch.zeros(0, device=device).chunk(3)] == [[0]] * 3
