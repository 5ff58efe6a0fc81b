"""Convolution by im2col: minitorch_np against PyTorch's CPU convolution and plain NumPy.

What is timed (forward + backward, median of interleaved runs):

* the lecture's MNIST network (lecture 000, "Full example"), its two convolutions on a batch
  of 100: conv1 1→32, 5×5 on 28×28 inputs, and conv2 32→64, 5×5 on 8×8 inputs (the max-pooled
  conv1 output); conv1's input is the data (no gradient), conv2's needs one;
* a ResNet basic block (conv 3×3, BN, ReLU, conv 3×3, BN, + identity, ReLU; lecture 000,
  "Residual networks") in training mode on a batch of 64 with 64 channels, at 8×8 and 16×16;

for three implementations: minitorch_np (``nn.Conv2d``, ``models.BasicBlock``), PyTorch on the
CPU (its oneDNN/MKL kernels), and a plain NumPy im2col written here (sliding windows copied to
columns, one GEMM, col2im with ``+=``; forward and backward by hand, no framework). A fourth
row runs minitorch_np with an unlimited column budget: one im2col and one GEMM for the whole
batch instead of cache-sized chunks (``COLUMNS_BUDGET`` in ``_functions/conv.py``), which
shows what the chunks buy in time and in memory. The issue's targets: forward + backward
within 2× of PyTorch's time, and the peak memory of a training step within 1.5× of PyTorch's.

Peak memory is measured per training step (zero_grad, forward, loss, backward, SGD step) in
a fresh process per implementation: the increase of the resident set size over its value
before the step (the high-water mark reset through /proc/self/clear_refs, Linux), after two
warm-up steps, with glibc's mmap threshold fixed (MALLOC_MMAP_THRESHOLD_) so that every large
array is returned to the system when freed, for NumPy and PyTorch alike.

Run from the repository root: ``python benchmarks/conv.py`` (``--help`` for options).
"""
from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import re
import statistics
import subprocess
import sys

import numpy as np
from _common import (
    blas_env_tag,
    command_line,
    environment,
    interleaved_runs,
    markdown_table,
    optional_import,
    paired_ratio,
    rounds,
    steady_malloc,
    write_results,
)
from numpy.lib.stride_tricks import sliding_window_view

TIME_TARGET, MEMORY_TARGET = 2.0, 1.5
ONE_GEMM = "minitorch_np, whole-batch columns"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------------------------
# Plain NumPy: im2col with sliding windows, one GEMM, col2im with +=, backward by hand
# ---------------------------------------------------------------------------------------------
def np_conv_forward(x, w, b, pad):
    """Returns y and what backward needs (the columns are kept, the usual NumPy way)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))      # N, C, oh, ow, kh, kw
    oh, ow = windows.shape[2:4]
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)  # copy
    y = (w.reshape(o, -1) @ cols).reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    y = y + b.reshape(1, o, 1, 1) if b is not None else np.ascontiguousarray(y)
    return y, (x.shape, w, cols, pad)


def np_conv_backward(g, cache, need_dx=True):
    (n, c, h, wd), w, cols, pad = cache
    o, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)
    dw = (g2 @ cols.T).reshape(w.shape)
    db = g2.sum(axis=1)
    if not need_dx:
        return None, dw, db
    dcols = (w.reshape(o, -1).T @ g2).reshape(c, kh, kw, n, oh, ow)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + oh, j:j + ow] += dcols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, db


def np_bn_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    invstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    return xhat * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1), (xhat, invstd, gamma)


def np_bn_backward(g, cache):
    xhat, invstd, gamma = cache
    m = g.size // g.shape[1]
    sum_g = g.sum(axis=(0, 2, 3), keepdims=True)
    sum_gx = (g * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dx = gamma.reshape(1, -1, 1, 1) * invstd / m * (m * g - sum_g - xhat * sum_gx)
    return dx, sum_gx.ravel(), sum_g.ravel()


def numpy_conv_case(shape, out_ch, k, pad, need_dx):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = (rng.standard_normal((out_ch, shape[1], k, k), dtype=np.float32) * 0.1)
    b = np.zeros(out_ch, np.float32)
    y, _ = np_conv_forward(x, w, b, pad)
    g = rng.standard_normal(y.shape, dtype=np.float32)

    def step():
        _, cache = np_conv_forward(x, w, b, pad)
        np_conv_backward(g, cache, need_dx)
    return step


def numpy_block_case(n, c, size):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w1, w2 = (rng.standard_normal((c, c, 3, 3), dtype=np.float32) * 0.05 for _ in range(2))
    g1, g2 = np.ones(c, np.float32), np.ones(c, np.float32)
    b1, b2 = np.zeros(c, np.float32), np.zeros(c, np.float32)
    grad = rng.standard_normal(x.shape, dtype=np.float32)

    def step():
        h1, c1 = np_conv_forward(x, w1, None, 1)
        h2, n1 = np_bn_forward(h1, g1, b1)
        a = np.maximum(h2, 0)
        h3, c2 = np_conv_forward(a, w2, None, 1)
        h4, n2 = np_bn_forward(h3, g2, b2)
        s = h4 + x
        y = np.maximum(s, 0)
        gs = grad * (y > 0)
        gh4 = gs
        gh3, _, _ = np_bn_backward(gh4, n2)
        ga, _, _ = np_conv_backward(gh3, c2)
        gh2 = ga * (a > 0)
        gh1, _, _ = np_bn_backward(gh2, n1)
        gx, _, _ = np_conv_backward(gh1, c1)
        return gx + gs
    return step


# ---------------------------------------------------------------------------------------------
# minitorch_np and PyTorch: the same layers through each library's nn
# ---------------------------------------------------------------------------------------------
def framework_conv_case(lib, shape, out_ch, k, pad, need_dx):
    lib.manual_seed(0)
    conv = lib.nn.Conv2d(shape[1], out_ch, k, padding=pad)
    x = lib.randn(*shape).requires_grad_(need_dx)
    g = lib.randn(*conv(x).shape)

    def step():
        conv(x).backward(g)
    return step


def framework_block_case(lib, block, n, c, size):
    lib.manual_seed(0)
    x = lib.randn(n, c, size, size).requires_grad_()
    g = lib.randn(n, c, size, size)

    def step():
        block(x).backward(g)
    return step


def torch_block(torch, c):
    """He et al.'s basic block (identity shortcut) with PyTorch's layers."""
    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(c)
            self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(c)

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(out)) + x)
    return Block()


CASES = [
    # name, kind, arguments
    ("lecture net conv1: 100×1×28×28 → 32, 5×5", "conv", ((100, 1, 28, 28), 32, 5, 0, False)),
    ("lecture net conv2: 100×32×8×8 → 64, 5×5", "conv", ((100, 32, 8, 8), 64, 5, 0, True)),
    ("ResNet basic block: 64×64×8×8", "block", (64, 64, 8)),
    ("ResNet basic block: 64×64×16×16", "block", (64, 64, 16)),
]


def whole_batch_columns(step):
    """`step` with minitorch_np's column budget lifted: one im2col + GEMM per convolution."""
    from minitorch_np._functions import conv

    def run():
        saved = conv.COLUMNS_BUDGET
        conv.COLUMNS_BUDGET = {"cpu": 1 << 62}
        try:
            step()
        finally:
            conv.COLUMNS_BUDGET = saved
    return run


def implementations(kind, args, torch):
    import minitorch_np
    from minitorch_np import models
    if kind == "conv":
        impls = {"minitorch_np": framework_conv_case(minitorch_np, *args),
                 ONE_GEMM: whole_batch_columns(framework_conv_case(minitorch_np, *args)),
                 "NumPy im2col": numpy_conv_case(*args)}
        theirs = framework_conv_case(torch, *args) if torch is not None else None
    else:
        n, c, size = args
        impls = {"minitorch_np": framework_block_case(minitorch_np, models.BasicBlock(c, c),
                                                      n, c, size),
                 ONE_GEMM: whole_batch_columns(framework_block_case(
                     minitorch_np, models.BasicBlock(c, c), n, c, size)),
                 "NumPy im2col": numpy_block_case(n, c, size)}
        theirs = (framework_block_case(torch, torch_block(torch, c), n, c, size)
                  if torch is not None else None)
    return impls, theirs


def timing(torch, runs: int, max_seconds: float, single_thread: bool) -> list[dict]:
    """The NumPy-based implementations take turns run by run (in an order that rotates from
    run to run). With one thread each, PyTorch takes its turn in each run too, and the ratio
    is the median of the runs' ratios.
    With several threads PyTorch cannot take turns run by run (both libraries' idle threads
    busy-wait and would steal each other's cores): it is timed in rounds, `ROUND_RUNS` runs
    of the NumPy-based implementations, then as many of PyTorch (`_common.rounds`)."""
    rows = []
    for name, kind, args in CASES:
        impls, theirs = implementations(kind, args, torch)
        if theirs is None:
            times, ratio = interleaved_runs(impls, runs, max_seconds=max_seconds), None
        elif single_thread:  # PyTorch takes turns with the others
            impls = {**impls, "PyTorch": theirs}
            times = interleaved_runs(impls, runs, max_seconds=max_seconds)
            ratio = paired_ratio(times["minitorch_np"], times["PyTorch"])
        else:
            times, ratios = rounds(impls, theirs, runs, ROUND_RUNS, max_seconds)
            ratio = ratios["minitorch_np"]
        medians = {k: (statistics.median(ts), len(ts)) for k, ts in times.items()}
        rows.append({"case": name, **medians, "ratio": ratio})
        print(f"{name}: " + ", ".join(f"{k} {v[0] * 1e3:.2f} ms" for k, v in medians.items()),
              flush=True)
    return rows


ROUND_RUNS = 3  # runs of each implementation per round, when PyTorch is timed apart


# ---------------------------------------------------------------------------------------------
# Peak memory of a training step, one fresh process per (implementation, network)
# ---------------------------------------------------------------------------------------------
MEMORY_CASES = {
    "lecture ConvNet, batch 100 (MNIST 28×28)": ("convnet", 100),
    "ResNet basic block, batch 64, 64×16×16": ("block", 64),
    "ResNet-20, batch 64 (CIFAR 32×32)": ("resnet20", 64),
}


def _status(key: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        return int(re.search(rf"{key}:\s+(\d+) kB", f.read()).group(1)) * 1024


def memory_child(impl: str, network: str, batch: int) -> dict:
    """Runs in a fresh process: the peak extra resident memory of one training step."""
    if impl == "PyTorch":
        import torch as lib
        lib.set_num_threads(int(os.environ.get("BENCH_THREADS", lib.get_num_threads())))
    else:
        import minitorch_np as lib
        if impl == ONE_GEMM:
            from minitorch_np._functions import conv
            conv.COLUMNS_BUDGET = {"cpu": 1 << 62}
    lib.manual_seed(0)
    if network == "convnet":
        net = _lecture_net(lib)
        x, classes = lib.randn(batch, 1, 28, 28), 10
    elif network == "block":
        net = (torch_block(lib, 64) if impl == "PyTorch"
               else __import__("minitorch_np.models", fromlist=["x"]).BasicBlock(64, 64))
        net = lib.nn.Sequential(net, lib.nn.AdaptiveAvgPool2d(1), lib.nn.Flatten(),
                                lib.nn.Linear(64, 10))
        x, classes = lib.randn(batch, 64, 16, 16), 10
    else:
        net = (_torch_resnet20(lib) if impl == "PyTorch"
               else __import__("minitorch_np.models", fromlist=["x"]).ResNet(20))
        x, classes = lib.randn(batch, 3, 32, 32), 10
    target = lib.randint(0, classes, (batch,))
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    criterion = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = criterion(net(x), target)
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    gc.collect()
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark VmHWM to the current RSS
    step()
    peak = _status("VmHWM") - before
    if impl != "PyTorch":  # minitorch_np's convolution buffers, kept from the steps before
        from minitorch_np._functions import conv
        peak += conv.workspace_bytes()
    saved = sum(p.numel() for p in net.parameters()) * 4
    return {"peak": peak, "params": saved}


def _lecture_net(lib):
    F = lib.nn.functional

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 32, kernel_size=5)
            self.conv2 = lib.nn.Conv2d(32, 64, kernel_size=5)
            self.fc1 = lib.nn.Linear(256, 200)
            self.fc2 = lib.nn.Linear(200, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3))
            x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2))
            x = x.view(-1, 256)
            x = F.relu(self.fc1(x))
            return self.fc2(x)
    return Net()


def _torch_resnet20(torch):
    """ResNet-20 with shortcut A, in PyTorch (as minitorch_np.models.ResNet)."""
    F = torch.nn.functional

    class Block(torch.nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(cout)
            self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(cout)
            self.stride, self.extra = stride, cout - cin

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            s = x[:, :, ::self.stride, ::self.stride]
            if self.extra:
                s = F.pad(s, (0, 0, 0, 0, 0, self.extra))
            return F.relu(out + s)

    class ResNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(16)
            blocks = []
            for cin, cout, stride in ((16, 16, 1), (16, 32, 2), (32, 64, 2)):
                blocks += [Block(cin, cout, stride), Block(cout, cout, 1), Block(cout, cout, 1)]
            self.blocks = torch.nn.Sequential(*blocks)
            self.fc = torch.nn.Linear(64, 10)

        def forward(self, x):
            x = self.blocks(F.relu(self.bn1(self.conv1(x))))
            return self.fc(x.mean((2, 3)))
    return ResNet()


def memory(torch, threads: int | None) -> list[dict]:
    rows = []
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if threads:
        env.update(BENCH_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads))
    impls = ["minitorch_np", ONE_GEMM] + (["PyTorch"] if torch is not None else [])
    for label, (network, batch) in MEMORY_CASES.items():
        row = {"case": label}
        for impl in impls:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child",
                                  impl, network, str(batch)], env=env, capture_output=True,
                                 text=True, check=True)
            row[impl] = json.loads(out.stdout.strip().splitlines()[-1])["peak"]
        rows.append(row)
        print(f"{label}: " + ", ".join(f"{k} {row[k] / 2 ** 20:.1f} MiB" for k in impls),
              flush=True)
    return rows


# ---------------------------------------------------------------------------------------------
def summary(time_rows, memory_rows, runs_note) -> str:
    parts = []
    if time_rows:
        names = [n for n in ("minitorch_np", ONE_GEMM, "NumPy im2col", "PyTorch")
                 if n in time_rows[0]]
        has_torch = "PyTorch" in names
        table = markdown_table(
            ["forward + backward"] + [f"{n} ms" for n in names]
            + (["minitorch_np / PyTorch"] if has_torch else [])
            + ["minitorch_np / NumPy", "runs"],
            [[r["case"]] + [f"{r[n][0] * 1e3:.2f}" for n in names]
             + ([f"{r['ratio']:.2f}×"] if has_torch else [])
             + [f"{r['minitorch_np'][0] / r['NumPy im2col'][0]:.2f}×",
                ", ".join(str(r[n][1]) for n in names)] for r in time_rows])
        parts.append(table)
        if has_torch:
            lines = [f"- {r['case']}: {r['ratio']:.2f}× — "
                     + ("met" if r["ratio"] <= TIME_TARGET else "NOT met") for r in time_rows]
            parts.append(f"Target (issue): forward + backward within {TIME_TARGET:g}× of "
                         "PyTorch CPU's time.\n" + "\n".join(lines))
        parts.append(runs_note)
    if memory_rows:
        names = [n for n in ("minitorch_np", ONE_GEMM, "PyTorch") if n in memory_rows[0]]
        has_torch = "PyTorch" in names
        table = markdown_table(
            ["peak extra memory of a training step"] + [f"{n} MiB" for n in names]
            + (["minitorch_np / PyTorch"] if has_torch else []),
            [[r["case"]] + [f"{r[n] / 2 ** 20:.1f}" for n in names]
             + ([f"{r['minitorch_np'] / r['PyTorch']:.2f}×"] if has_torch else [])
             for r in memory_rows])
        parts.append(table)
        if has_torch:
            lines = [f"- {r['case']}: {r['minitorch_np'] / r['PyTorch']:.2f}× — "
                     + ("met" if r["minitorch_np"] <= MEMORY_TARGET * r["PyTorch"]
                        else "NOT met") for r in memory_rows]
            parts.append(f"Target (issue): peak memory of a training step within "
                         f"{MEMORY_TARGET:g}× of PyTorch's.\n" + "\n".join(lines))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per timing (median)")
    parser.add_argument("--max-seconds", type=float, default=10.0,
                        help="stop a timing after this long once it has 5 runs")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit OpenBLAS's and PyTorch's threads (default: their own)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-time", action="store_true", help="skip the timings")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--note", help="a sentence added to the RESULTS.md section")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        impl, network, batch = args.memory_child
        print(json.dumps(memory_child(impl, network, int(batch))))
        return  # (with the C library's own malloc settings: a user's peak memory)
    steady_malloc()

    torch = None if args.no_torch else optional_import("torch")
    limiter = None
    if args.threads:
        threadpoolctl = optional_import("threadpoolctl")
        if threadpoolctl is not None:
            limiter = threadpoolctl.threadpool_limits(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    single = args.threads == 1
    time_rows = [] if args.no_time else timing(torch, args.runs, args.max_seconds, single)
    memory_rows = [] if args.no_memory else memory(torch, args.threads)
    env = environment()  # while the thread limit holds: the BLAS lines show it
    if limiter is not None:
        limiter.unregister()
    threads = f"{args.threads} thread(s) for each library" if args.threads else \
        "each library's default number of threads"
    order = ("all took turns run by run, in an order rotating from run to run, and "
             "minitorch_np / PyTorch is the median of each run's ratio (paired: a change of "
             "the machine's speed between runs cancels)" if single else
             f"minitorch_np and the NumPy im2col took turns run by run and PyTorch was timed "
             f"apart, in rounds of {ROUND_RUNS} runs each; minitorch_np / PyTorch is the "
             "median over rounds of each round's ratio of medians (see `timing`)")
    note = (f"Medians of the runs in the last column (float32; {threads}); {order}. "
            f"1-minute load average before the run: {load:.2f} (this machine is shared).")
    body = summary(time_rows, memory_rows, note)
    print("\n" + body + "\n\n" + env)
    if not args.no_write:
        header = (f"## Convolution: im2col + one GEMM ({blas_env_tag()})\n\n"
                  f"`{command_line()}`, {started}.")
        extra = f"\n\nNote: {args.note}" if args.note else ""
        write_results(f"conv{'' if not args.threads else f', {args.threads} thread(s)'}, "
                      f"{blas_env_tag()}",
                      f"{header}\n\n{body}{extra}\n\nEnvironment:\n\n{env}")
        print("\n(section written to benchmarks/RESULTS.md)")


if __name__ == "__main__":
    main()
