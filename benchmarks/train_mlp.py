"""Training the lectures' MLP: one epoch's time, and what `minitorch-np train` reaches.

Part 1, speed. One epoch of the MLP of lecture 003 (784-400-256-10, ReLU, cross-entropy),
batch 100, plain SGD lr 0.1, on 60 000 MNIST-shaped samples (the 5000 MNIST5k digits twelve
times over, normalised), in

* minitorch_np, the lecture-004 wrapper: ``Model(net).compile(SGD, CrossEntropyLoss()).fit``
  with a shuffling ``DataLoader`` (which also counts the accuracy of every batch);
* minitorch_np, the plain loop: ``DataLoader`` → ``zero_grad`` → ``loss.backward()`` →
  ``step``;
* the same MLP written by hand in NumPy (forward, the backward formulas of lecture 000, the
  update), the least Python any implementation can do;
* the array calls of a minitorch_np step replayed in plain NumPy (``replayed_case``): the
  same arithmetic as minitorch_np's, none of its Python — what the framework itself costs
  is the difference between this row and the loop's;
* PyTorch on the CPU, its fastest in-memory form (``randperm`` and slicing, not its
  per-sample ``DataLoader``).

Every implementation starts from the same weights, and before timing they are checked to
compute the same thing (one epoch on 1000 samples, in order, gives the same weights). The
BLAS floor is also measured: the eight matrix products of a training step (three forward,
five backward; the input needs no gradient) done alone in NumPy, 600 times.

Issue's targets: minitorch_np at most 1.2× the hand-written NumPy time and at most 1.5×
PyTorch's.

Part 2, accuracy. ``minitorch-np train`` with its defaults (MLP, SGD lr 0.1 momentum 0.9,
cosine schedule, label smoothing 0.1, 20 epochs, batch 100) on MNIST5k's 4000/1000 split, and
``--model convnet``; PyTorch runs the same recipe on the same split for reference. Targets:
at least 94% test accuracy in under two minutes on 2 cores (MLP), at least 97% (ConvNet).

Part 3, profile: where one epoch of ``Model.fit`` spends its time (cProfile, by function).

Run from the repository root: ``python benchmarks/train_mlp.py`` (``--help`` for options).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time

import numpy as np
from _common import (
    OtherLoad,
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

import minitorch_np
import minitorch_np.training
from minitorch_np import nn
from minitorch_np.datasets import MNIST5k
from minitorch_np.training import Model
from minitorch_np.utils.data import DataLoader, TensorDataset

SIZES = (784, 400, 256, 10)
BATCH, LR, N_SAMPLES = 100, 0.1, 60_000
SPEED_TARGETS = {"hand-written NumPy": 1.2, "PyTorch": 1.5}
ACCURACY_TARGETS = {"mlp": (0.94, 120.0), "convnet": (0.97, None)}


# ---------------------------------------------------------------------------------------------
# Data and initial weights, shared by every implementation
# ---------------------------------------------------------------------------------------------
def mnist_shaped(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n normalised 784-pixel images and their labels: MNIST5k repeated."""
    ds = MNIST5k()
    x = (ds.data.numpy().reshape(len(ds), -1).astype(np.float32) / 255.0 - 0.1307) / 0.3081
    y = ds.targets.numpy()
    reps = -(-n // len(ds))
    return np.ascontiguousarray(np.tile(x, (reps, 1))[:n]), np.tile(y, reps)[:n]


def initial_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, W of shape (out, in), initialised as nn.Linear does."""
    minitorch_np.manual_seed(seed)
    layers = [nn.Linear(i, o) for i, o in zip(SIZES[:-1], SIZES[1:])]
    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
            for layer in layers]


def _mlp(weights) -> nn.Sequential:
    net = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 256), nn.ReLU(),
                        nn.Linear(256, 10))
    with minitorch_np.no_grad():
        for layer, (w, b) in zip(net[::2], weights):
            layer.weight.copy_(minitorch_np.from_numpy(w))
            layer.bias.copy_(minitorch_np.from_numpy(b))
    return net


# ---------------------------------------------------------------------------------------------
# The implementations: each returns (one_epoch, final weights as NumPy arrays)
# ---------------------------------------------------------------------------------------------
def minitorch_fit_case(x, y, weights, shuffle=True):
    net = _mlp(weights)
    model = Model(net).compile(minitorch_np.optim.SGD(net.parameters(), lr=LR),
                               nn.CrossEntropyLoss())
    loader = DataLoader(TensorDataset(minitorch_np.from_numpy(x), minitorch_np.from_numpy(y)),
                        batch_size=BATCH, shuffle=shuffle)

    def epoch():
        model.fit(loader, epochs=1, verbose=False, progress=False)

    return epoch, lambda: [p.detach().numpy() for p in net.parameters()]


def minitorch_loop_case(x, y, weights, shuffle=True):
    torch = minitorch_np  # the usual training loop, word for word
    net = _mlp(weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                        batch_size=BATCH, shuffle=shuffle)

    def epoch():
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()

    return epoch, lambda: [p.detach().numpy() for p in net.parameters()]


def numpy_case(x, y, weights, shuffle=True, seed=0):
    """The MLP by hand: h = x Wᵀ + b, ReLU, softmax cross-entropy averaged over the batch,
    and its backward pass: dz = (softmax − onehot) / n, dW = dzᵀ a, db = Σ dz, da = dz W."""
    params = [(w.copy(), b.copy()) for w, b in weights]
    rng = np.random.default_rng(seed)
    lr = np.float32(LR)

    def step(xb, yb):
        n = len(yb)
        acts, pre = [xb], []
        for i, (w, b) in enumerate(params):
            z = acts[-1] @ w.T
            z += b
            if i < len(params) - 1:
                pre.append(z)
                acts.append(np.maximum(z, 0))
        z -= z.max(axis=1, keepdims=True)                # softmax, stably
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(n), yb] -= 1                         # d loss / d logits, times n
        dz = z
        dz /= n
        for i in range(len(params) - 1, -1, -1):
            w, b = params[i]
            dw, db = dz.T @ acts[i], dz.sum(axis=0)
            if i > 0:
                dz = dz @ w
                dz *= pre[i - 1] > 0
            w -= lr * dw
            b -= lr * db

    def epoch():
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            step(x[idx], y[idx])

    return epoch, lambda: [a for wb in params for a in wb]


def replayed_case(x, y, weights, shuffle=True, seed=0):
    """The array calls a minitorch_np training step makes, replayed in plain NumPy with no
    framework around them: the loader's index list made an array and the two gathers,
    ``Linear``'s product and bias, ``ReLU``'s maximum, ``CrossEntropy``'s forward (with the
    target range check of ``F.cross_entropy``) and its backward from the kept softmax,
    ``Linear``'s three products, ``ReLU``'s ``g * (y != 0)``, and ``SGD``'s ``p += g · (-lr)``.
    Beside the hand-written loop it shows what the arithmetic costs and what is left to the
    framework's Python. (Kept in step with the ops by hand: a change of their array calls
    should be mirrored here.)"""
    params = [(w.copy(), b.copy()) for w, b in weights]
    rng = np.random.default_rng(seed)
    alpha = -LR

    def step(xb, t):
        (w1, b1), (w2, b2), (w3, b3) = params
        n = len(t)
        y1 = np.matmul(xb, w1.T)
        y1 += b1
        a1 = np.maximum(y1, 0)
        del y1
        y2 = np.matmul(a1, w2.T)
        y2 += b2
        a2 = np.maximum(y2, 0)
        del y2
        y3 = np.matmul(a2, w3.T)
        y3 += b3
        if not (bool(t.min() >= 0) and bool(t.max() < y3.shape[1])):
            raise IndexError("target out of range")
        shifted = y3 - y3.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        norm = exps.sum(axis=1, keepdims=True)
        losses = np.log(norm[:, 0]) - shifted[np.arange(n), t]
        exps /= norm
        loss = losses.sum() / n
        del shifted, norm, losses, y3
        scale = np.ones_like(loss) / n
        dz = exps * scale
        dz[np.arange(n), t] -= scale
        del exps
        grads = []
        for w, a, h in ((w3, a2, True), (w2, a1, True), (w1, xb, False)):
            g_in = dz @ w if h else None
            grads.append((dz.T @ a, dz.sum(0)))
            if h:
                dz = g_in * (a != 0)
        for (w, b), (gw, gb) in zip(params[::-1], grads):
            w += gw * alpha
            b += gb * alpha

    def epoch():
        order = (rng.permutation(len(x)) if shuffle else np.arange(len(x))).tolist()
        for start in range(0, len(x), BATCH):
            idx = np.asarray(order[start:start + BATCH], dtype=np.int64)
            step(x[idx], y[idx])

    return epoch, lambda: [a for wb in params for a in wb]


def pytorch_case(torch, x, y, weights, shuffle=True):
    net = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(),
                              torch.nn.Linear(400, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 10))
    with torch.no_grad():
        for layer, (w, b) in zip(net[::2], weights):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    criterion = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch():
        order = torch.randperm(len(xt)) if shuffle else torch.arange(len(xt))
        for start in range(0, len(xt), BATCH):
            idx = order[start:start + BATCH]
            optimizer.zero_grad()
            criterion(net(xt[idx]), yt[idx]).backward()
            optimizer.step()

    return epoch, lambda: [p.detach().numpy() for p in net.parameters()]


def matmuls_case(x, weights):
    """The BLAS floor: only the eight matrix products of each step, 600 steps."""
    ws = [w for w, _ in weights]
    acts = [x[:BATCH], np.ones((BATCH, 400), np.float32), np.ones((BATCH, 256), np.float32)]
    grads = [np.ones((BATCH, 400), np.float32), np.ones((BATCH, 256), np.float32),
             np.ones((BATCH, 10), np.float32)]

    def epoch():
        for _ in range(N_SAMPLES // BATCH):
            for a, w in zip(acts, ws):
                a @ w.T                                  # forward
            for i in (2, 1, 0):
                grads[i].T @ acts[i]                     # weight gradients
                if i > 0:
                    grads[i] @ ws[i]                     # input gradients

    return epoch, None


def check_same_computation(torch, weights) -> str:
    """One epoch on 1000 samples in order from the same weights: the same final weights."""
    x, y = mnist_shaped(1000)
    cases = {"minitorch_np Model.fit": minitorch_fit_case(x, y, weights, shuffle=False),
             "minitorch_np loop": minitorch_loop_case(x, y, weights, shuffle=False),
             "hand-written NumPy": numpy_case(x, y, weights, shuffle=False),
             "NumPy, minitorch_np's array calls replayed": replayed_case(x, y, weights,
                                                                        shuffle=False)}
    if torch is not None:
        cases["PyTorch"] = pytorch_case(torch, x, y, weights, shuffle=False)
    finals = {}
    for name, (epoch, result) in cases.items():
        epoch()
        finals[name] = result()
    reference = finals["hand-written NumPy"]
    worst = 0.0
    for name, arrays in finals.items():
        for a, b in zip(arrays, reference):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} differs from the NumPy MLP")
            worst = max(worst, float(np.max(np.abs(a - b))))
    return (f"Checked first: one epoch over 1000 samples, in order, from the same weights, "
            f"gives the same weights in all {len(finals)} implementations (largest difference "
            f"{worst:.1e}).")


def time_epochs(torch, runs: int) -> list[dict]:
    x, y = mnist_shaped(N_SAMPLES)
    weights = initial_weights()
    # hand-written NumPy between the two minitorch_np forms: each is timed right next to it
    numpy_group = {"minitorch_np loop": minitorch_loop_case(x, y, weights)[0],
                   "hand-written NumPy": numpy_case(x, y, weights)[0],
                   "minitorch_np Model.fit": minitorch_fit_case(x, y, weights)[0],
                   "NumPy, minitorch_np's array calls replayed": replayed_case(x, y,
                                                                              weights)[0],
                   "NumPy, the 8 matmuls alone": matmuls_case(x, weights)[0]}
    if torch is None:
        times, against_torch = interleaved_runs(numpy_group, runs, warmup=1), {}
    else:  # NumPy's and PyTorch's thread pools never interleave run by run (README)
        times, against_torch = rounds(numpy_group, pytorch_case(torch, x, y, weights)[0],
                                      runs, ROUND_RUNS)
    rows = []
    for name, ts in times.items():
        if name in numpy_group:
            paired = paired_ratio(ts, times["hand-written NumPy"])
        else:  # PyTorch against the same NumPy, by rounds: the reference for the target
            paired = 1.0 / against_torch["hand-written NumPy"]
        rows.append({"name": name, "seconds": statistics.median(ts), "runs": len(ts),
                     "paired": paired, "torch": 1.0 if name == "PyTorch" else
                     against_torch.get(name)})
    return rows


ROUND_RUNS = 1  # epochs of each implementation per round, when PyTorch is timed apart


def speed_summary(rows: list[dict]) -> str:
    by_name = {r["name"]: r["seconds"] for r in rows}
    paired = {r["name"]: r["paired"] for r in rows}
    against_torch = {r["name"]: r["torch"] for r in rows}
    table = markdown_table(
        ["implementation", "s / epoch", "ms / step", "× hand-written NumPy (paired)",
         "× PyTorch", "runs"],
        [[r["name"], f"{r['seconds']:.2f}", f"{r['seconds'] / (N_SAMPLES // BATCH) * 1e3:.2f}",
          "–" if r["paired"] is None else f"{r['paired']:.2f}",
          "–" if r["torch"] is None else f"{r['torch']:.2f}",
          str(r["runs"])] for r in rows])
    lines = []
    for ours in ("minitorch_np loop", "minitorch_np Model.fit"):
        for other, limit in SPEED_TARGETS.items():
            if other in by_name:
                ratio = paired[ours] if other == "hand-written NumPy" else against_torch[ours]
                lines.append(f"- {ours}: {ratio:.3f}× {other} (target ≤ {limit}×): "
                             f"{'met' if ratio <= limit else 'NOT met'}")
    if "PyTorch" in by_name:
        lines.append(f"- for reference, PyTorch itself: {paired['PyTorch']:.3f}× hand-written "
                     "NumPy (the same 1.2× would be "
                     f"{'met' if paired['PyTorch'] <= 1.2 else 'NOT met'})")
    torch_note = ("× PyTorch is the median over rounds — one epoch of each NumPy-based "
                  "implementation, a pause, one epoch of PyTorch, a pause — of each round's "
                  "ratio (PyTorch's threads and OpenBLAS's must not meet; see "
                  "benchmarks/README.md); PyTorch's own × hand-written NumPy is the inverse "
                  "of NumPy's × PyTorch, by the same rounds." if "PyTorch" in by_name else
                  "PyTorch was not timed (not installed, or `--no-torch`).")
    return (table + "\n\n× hand-written NumPy is the median over runs of each run's ratio "
            "(the two timed back to back, so that a change of the machine's speed between runs "
            f"cancels); {torch_note}\n\nTargets (issue):\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Part 2: accuracy of `minitorch-np train`, and PyTorch on the same recipe
# ---------------------------------------------------------------------------------------------
def run_cli(args: list[str]) -> dict:
    from minitorch_np.cli import main
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["train", "--no-progress", "--no-plot", *args])
    out = buffer.getvalue()
    match = re.search(r"test accuracy (\S+) .*training (\S+) s, total (\S+) s", out)
    if status != 0 or match is None:
        raise RuntimeError(f"minitorch-np train {' '.join(args)} failed:\n{out}")
    return {"acc": float(match.group(1)), "train_s": float(match.group(2)),
            "total_s": float(match.group(3)), "last_line": out.strip().splitlines()[-4]}


def pytorch_recipe(torch, model: str, seed: int, epochs: int = 20) -> dict:
    """`minitorch-np train`'s defaults, in PyTorch, on the same split."""
    torch.manual_seed(seed)

    def prep(ds, flat):
        x = (ds.data.numpy().astype(np.float32) / 255.0 - 0.1307) / 0.3081
        x = x.reshape(len(ds), -1) if flat else x.reshape(len(ds), 1, 28, 28)
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(ds.targets.numpy())

    flat = model == "mlp"
    (xtr, ytr), (xte, yte) = prep(MNIST5k(train=True), flat), prep(MNIST5k(train=False), flat)
    nnt, F = torch.nn, torch.nn.functional
    if flat:
        net = nnt.Sequential(nnt.Linear(784, 400), nnt.ReLU(), nnt.Linear(400, 256), nnt.ReLU(),
                             nnt.Linear(256, 10))
    else:
        class Net(nnt.Module):  # lecture 000's MNIST network, as models.ConvNet
            def __init__(self):
                super().__init__()
                self.conv1 = nnt.Conv2d(1, 32, kernel_size=5)
                self.conv2 = nnt.Conv2d(32, 64, kernel_size=5)
                self.fc1, self.fc2 = nnt.Linear(256, 200), nnt.Linear(200, 10)

            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3))
                x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2))
                return self.fc2(F.relu(self.fc1(x.view(-1, 256))))
        net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nnt.CrossEntropyLoss(label_smoothing=0.1)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss_fn(net(xtr[idx]), ytr[idx]).backward()
            opt.step()
        sched.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        acc = (net(xte).argmax(1) == yte).float().mean().item()
    return {"acc": acc, "train_s": seconds}


def accuracy_part(torch, seeds: int, convnet: bool) -> str:
    rows, verdicts = [], []
    models = ["mlp"] + (["convnet"] if convnet else [])
    for model in models:
        with tempfile.TemporaryDirectory() as out:   # the checkpoints are not kept
            ours = [run_cli(["--model", model, "--seed", str(s), "--out", out])
                    for s in range(seeds if model == "mlp" else 1)]
        for s, r in enumerate(ours):
            rows.append([f"`minitorch-np train --model {model} --seed {s}`", f"{r['acc']:.3f}",
                         f"{r['train_s']:.1f}", f"{r['total_s']:.1f}"])
        low, limit = ACCURACY_TARGETS[model]
        worst = min(r["acc"] for r in ours)
        slowest = max(r["total_s"] for r in ours)
        ok = worst >= low and (limit is None or slowest <= limit)
        verdicts.append(f"- {model}: lowest test accuracy {worst:.3f} (target ≥ {low})"
                        + (f", slowest run {slowest:.0f} s (target < {limit:.0f} s)"
                           if limit else "") + f": {'met' if ok else 'NOT met'}")
        if torch is not None:
            for s in range(seeds if model == "mlp" else 1):
                r = pytorch_recipe(torch, model, s)
                rows.append([f"PyTorch, same recipe, {model}, seed {s}", f"{r['acc']:.3f}",
                             f"{r['train_s']:.1f}", "–"])
    table = markdown_table(["run", "test accuracy (1000 images)", "training s", "total s"], rows)
    return table + "\n\nTargets (issue):\n" + "\n".join(verdicts)


# ---------------------------------------------------------------------------------------------
# Part 3: profile of one epoch of Model.fit
# ---------------------------------------------------------------------------------------------
def phases_part(matmul_seconds: float | None) -> str:
    """One epoch of the loop `Model.fit` runs, each phase of each step timed apart."""
    torch = minitorch_np
    x, y = mnist_shaped(N_SAMPLES)
    net = _mlp(initial_weights())
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    criterion = nn.CrossEntropyLoss()
    metric = minitorch_np.training.Accuracy()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                        batch_size=BATCH, shuffle=True)
    names = ["next batch (DataLoader)", "zero_grad", "forward + loss", "backward",
             "optimizer.step", "loss.item() + accuracy (fit's bookkeeping)"]
    totals = dict.fromkeys(names, 0.0)
    for _epoch in range(2):  # the first is a warm-up
        totals = dict.fromkeys(names, 0.0)
        clock = time.perf_counter
        batches = iter(loader)
        while True:
            t0 = clock()
            try:
                inputs, labels = next(batches)
            except StopIteration:
                break
            t1 = clock()
            optimizer.zero_grad()
            t2 = clock()
            output = net(inputs)
            loss = criterion(output, labels)
            t3 = clock()
            loss.backward()
            t4 = clock()
            optimizer.step()
            t5 = clock()
            loss.item()
            metric.update(output.detach(), labels)
            t6 = clock()
            for name, dt in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                totals[name] += dt
    total = sum(totals.values())
    steps = N_SAMPLES // BATCH
    rows = [[name, f"{seconds / steps * 1e3:.3f}", f"{100 * seconds / total:.0f}%"]
            for name, seconds in totals.items()]
    rows.append(["all", f"{total / steps * 1e3:.3f}", "100%"])
    text = ("One epoch of the loop `Model.fit` runs, its phases timed apart (no profiler; "
            "one run, so noisier than the medians above):\n\n"
            + markdown_table(["phase", "ms / step", "share"], rows))
    if matmul_seconds is not None:
        text += (f"\n\nThe 8 matrix products alone take {matmul_seconds / steps * 1e3:.2f} ms "
                 f"per step in NumPy ({100 * matmul_seconds / total:.0f}% of this step); the "
                 f"rest is the whole-batch array work (bias, ReLU and its mask, softmax, the "
                 f"SGD update: what the replayed row does too) and the framework's fixed "
                 f"cost per op.")
    return text


def profile_part(top: int = 10) -> str:
    x, y = mnist_shaped(N_SAMPLES)
    epoch, _ = minitorch_fit_case(x, y, initial_weights())
    epoch()  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    epoch()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    rows = []
    for (filename, line, func), (_, ncalls, tottime, _, _) in entries:
        where = os.path.relpath(filename, os.getcwd()) if filename.startswith("/") else filename
        rows.append([f"`{func}` ({where}:{line})" if line else f"`{func}`", str(ncalls),
                     f"{tottime:.2f}", f"{100 * tottime / total:.0f}%"])
    table = markdown_table(["function (own time)", "calls", "s", "share"], rows)
    return (f"One epoch of `Model.fit` under cProfile ({total:.2f} s; the profiler slows the "
            f"Python parts, so their shares are upper bounds):\n\n" + table)


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="epochs timed per implementation")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the MLP accuracy runs")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-convnet", action="store_true", help="skip the ConvNet run (~1 min)")
    parser.add_argument("--no-accuracy", action="store_true", help="skip part 2")
    parser.add_argument("--no-profile", action="store_true", help="skip part 3")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--note", help="a sentence added to the RESULTS.md section")
    args = parser.parse_args(argv)
    steady_malloc()

    torch = None if args.no_torch else optional_import("torch")
    load = OtherLoad()
    check = check_same_computation(torch, initial_weights())
    print(check, flush=True)
    rows = time_epochs(torch, args.runs)
    speed = speed_summary(rows)
    print(environment(), end="\n\n")
    print(speed, flush=True)
    parts = [f"### One epoch, 60 000 samples, batch {BATCH}, SGD lr {LR}\n\n{check}\n\n{speed}"]
    if not args.no_accuracy:
        accuracy = accuracy_part(torch, args.seeds, not args.no_convnet)
        print("\n" + accuracy, flush=True)
        parts.append("### `minitorch-np train` on MNIST5k (4000 train / 1000 test)\n\n"
                     + accuracy)
    if not args.no_profile:
        matmuls = next((r["seconds"] for r in rows if r["name"].startswith("NumPy, the 8")),
                       None)
        profile = phases_part(matmuls) + "\n\n" + profile_part()
        print("\n" + profile, flush=True)
        parts.append("### Where the time goes\n\n" + profile)
    parts.append(load.sentence())
    if not args.no_write:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        tag = blas_env_tag()
        body = [f"## Training the lectures' MLP ({tag})", f"`{command_line()}`, {when}. Medians "
                f"of the runs counted in the last column of the first table."] + parts
        if args.note:
            body.append(f"Note: {args.note}")
        body.append("Environment:\n\n" + environment())
        write_results(f"train_mlp, {tag}", "\n\n".join(body))
        print("\n(section written to benchmarks/RESULTS.md)")


if __name__ == "__main__":
    sys.exit(main())
