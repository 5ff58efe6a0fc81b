"""Parity with PyTorch: the op table's expressions run in both libraries on the same inputs.

The table's ops are written with tensor methods, operators and ``ns(x).<function>``, so the
same code runs on PyTorch tensors. Outputs and the gradients of a random upstream gradient
must agree to float64 accuracy. Skipped when PyTorch is not installed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import to_host
from op_table import op_cases

import minitorch_np as mt

torch_ref = pytest.importorskip("torch")


def _as_list(out) -> list:
    return list(out) if isinstance(out, tuple | list) else [out]


def _host(t) -> np.ndarray:
    if isinstance(t, mt.Tensor):
        return to_host(t)
    return t.detach().cpu().numpy()


def _tolerance(dtype_name: str) -> dict:
    if dtype_name == "float32":
        return {"rtol": 1e-6, "atol": 1e-7}
    return {"rtol": 1e-12, "atol": 1e-13}


@pytest.mark.parametrize("info, case", op_cases(lambda i: i.parity))
def test_op_matches_pytorch(info, case, device):
    hosts = info.sample(case)
    ours = [mt.tensor(h, dtype=mt.float64, device=device, requires_grad=info.differentiable)
            for h in hosts]
    theirs = [torch_ref.tensor(h, dtype=torch_ref.float64, requires_grad=info.differentiable)
              for h in hosts]

    out_ours = _as_list(info.op(*ours, **case.kwargs))
    out_theirs = _as_list(info.op(*theirs, **case.kwargs))
    assert len(out_ours) == len(out_theirs)
    rng = np.random.default_rng(0)
    upstream = []
    for a, b in zip(out_ours, out_theirs):
        name = str(b.dtype).removeprefix("torch.")
        assert a.dtype.name == name, f"{info.name}: {a.dtype} vs PyTorch's {b.dtype}"
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_host(a), _host(b), **_tolerance(name))
        if b.requires_grad:
            v = rng.standard_normal(tuple(b.shape)).astype(name)
            upstream.append((a, b, v))

    if not info.differentiable or not upstream:
        return
    mt.autograd.backward([a for a, _, _ in upstream],
                         [mt.tensor(v, device=device) for _, _, v in upstream])
    torch_ref.autograd.backward([b for _, b, _ in upstream],
                                [torch_ref.tensor(v) for _, _, v in upstream])
    for i, (x, y) in enumerate(zip(ours, theirs)):
        gx = np.zeros(x.shape) if x.grad is None else _host(x.grad)
        gy = np.zeros(tuple(y.shape)) if y.grad is None else _host(y.grad)
        np.testing.assert_allclose(gx, gy, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{info.name}: gradient of input {i}")


# -- repr -------------------------------------------------------------------------------
REPRS = [
    ("requires_grad", lambda lib: lib.tensor([[1.0, 2.0]], requires_grad=True)),
    ("four decimals", lambda lib: lib.tensor([1.5, 2.25])),
    ("negative and aligned", lambda lib: lib.tensor([-1.5, 0.0, 12.25])),
    ("int", lambda lib: lib.tensor([1, 2, 3])),
    ("bool", lambda lib: lib.tensor([True, False])),
    ("scientific", lambda lib: lib.tensor([1e-5, 1.0, 1e5])),
    ("0-d", lambda lib: lib.tensor(3.5)),
    ("0-d int", lambda lib: lib.tensor(7)),
    ("float64", lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64)),
    ("matrix", lambda lib: lib.arange(12.0).reshape(3, 4) / 4),
    ("empty", lambda lib: lib.zeros(0)),
    ("empty 2-d", lambda lib: lib.zeros(2, 0)),
    ("nan and inf", lambda lib: lib.tensor([math.nan, math.inf, -math.inf, 1.5])),
    ("grad_fn", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2),
    ("summarized", lambda lib: lib.arange(2000.0).reshape(2, 1000)),
]


@pytest.mark.parametrize("make", [r[1] for r in REPRS], ids=[r[0] for r in REPRS])
def test_repr_matches_pytorch(make):
    expected = repr(make(torch_ref)).replace("torch.", "minitorch_np.")
    assert repr(make(mt)) == expected
