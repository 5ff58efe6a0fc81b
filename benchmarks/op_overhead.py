"""The fixed cost of one operation: tiny tensors, so that the arithmetic costs nothing.

On 4×4 float32 tensors an add is 16 additions, a few nanoseconds; everything else that one
``a + b`` costs is the framework: checking the arguments, promoting dtypes, finding the
device, wrapping the result in a Tensor and, when an input requires grad, recording a graph
node. That fixed cost is what makes small models, per-sample loops (see batch_vs_loop.py) and
optimizer steps over many small parameters slow.

Measured, in microseconds per call:

* one op (``a + b``, ``a * b``, ``a @ b``, ``a.exp()``, ``a.sum()``) with and without
  ``requires_grad`` on the inputs;
* forward + backward of a chain of 20 ops (add, sub, mul, a scalar mul, exp, tanh, sum),
  the ``.grad`` of both inputs reset each time as ``zero_grad(set_to_none=True)`` does;

for minitorch_np, for raw NumPy (the same arithmetic on ndarrays; for the chain, a forward and
backward written by hand, the least a framework could do) and for PyTorch when installed.
The issue's target: "a tiny op costs at most 2× PyTorch's per-op time measured in the same
run".

Run from the repository root: ``python benchmarks/op_overhead.py`` (``--help`` for options).
"""
from __future__ import annotations

import argparse
import datetime
import statistics
import sys

import numpy as np
from _common import (
    OtherLoad,
    blas_env_tag,
    command_line,
    environment,
    interleaved_samples,
    markdown_table,
    optional_import,
    paired_ratio,
    steady_malloc,
    write_results,
)

import minitorch_np

N = 4
TARGET = 2.0  # minitorch_np's per-op time at most 2× PyTorch's
OPS = {  # name → what it does to (a, b), for tensors of any of the three libraries
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a @ b": lambda a, b: a @ b,
    "a.exp()": lambda a, b: a.exp(),
    "a.sum()": lambda a, b: a.sum(),
}
NUMPY_OPS = {"a.exp()": lambda a, b: np.exp(a), "a.sum()": lambda a, b: a.sum()}


# ---------------------------------------------------------------------------------------------
# The 20-op chain
# ---------------------------------------------------------------------------------------------
CHAIN_OPS = 20


def chain(a, b):
    """20 ops on tensors (minitorch_np's or PyTorch's): tanh keeps every exp's input small."""
    h = a * b
    h = h + a
    h = h.tanh()
    h = h * b
    h = h.exp()
    h = h - a
    h = h.tanh()
    h = h * h
    h = h + b
    h = h.tanh()
    h = h.exp()
    h = h * a
    h = h - b
    h = h.tanh()
    h = h * 0.5
    h = h.exp()
    h = h + a
    h = h * b
    h = h.tanh()
    return h.sum()


def tensor_chain_step(a, b):
    """Forward and backward through `chain`, as a training step would (grads set to None)."""
    a.grad = None
    b.grad = None
    chain(a, b).backward()


def numpy_chain_step(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`chain` and its gradient written by hand on ndarrays: no graph, no checks, no wrappers.

    Backward walks the forward lines upwards; ``g`` is dloss/dh for the current h, ``ga`` and
    ``gb`` collect dloss/da and dloss/db (tanh' = 1 − tanh², exp' = exp).
    """
    h1 = a * b
    h2 = h1 + a
    h3 = np.tanh(h2)
    h4 = h3 * b
    h5 = np.exp(h4)
    h6 = h5 - a
    h7 = np.tanh(h6)
    h8 = h7 * h7
    h9 = h8 + b
    h10 = np.tanh(h9)
    h11 = np.exp(h10)
    h12 = h11 * a
    h13 = h12 - b
    h14 = np.tanh(h13)
    h15 = h14 * 0.5
    h16 = np.exp(h15)
    h17 = h16 + a
    h18 = h17 * b
    h19 = np.tanh(h18)
    h19.sum()

    g = 1 - h19 * h19          # d/dh18 (the sum's gradient is ones)
    gb = g * h17
    g = g * b                  # d/dh17
    ga = g.copy()
    g = g * h16 * 0.5          # d/dh14, through exp and the scalar mul
    g = g * (1 - h14 * h14)    # d/dh13
    gb -= g
    ga += g * h11
    g = g * a * h11            # d/dh10, through the mul by a and exp
    g = g * (1 - h10 * h10)    # d/dh9
    gb += g
    g = g * 2 * h7             # d/dh7
    g = g * (1 - h7 * h7)      # d/dh6
    ga -= g
    g = g * h5                 # d/dh4
    gb += g * h3
    g = g * b * (1 - h3 * h3)  # d/dh2
    ga += g + g * b
    gb += g * a
    return ga, gb


def check_chain(a_np, b_np, impls: dict) -> None:
    """The three implementations compute the same gradients (else the timing means nothing)."""
    ga, gb = numpy_chain_step(a_np, b_np)
    for name, (a, b) in impls.items():
        tensor_chain_step(a, b)
        for got, want, which in ((a.grad, ga, "a"), (b.grad, gb, "b")):
            got = np.asarray(got.detach().cpu().numpy(), dtype=np.float64)
            if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
                raise AssertionError(f"{name}: the chain's gradient for {which} differs from "
                                     f"the hand-written NumPy one:\n{got}\nvs\n{want}")


# ---------------------------------------------------------------------------------------------
def measure(torch, repeat: int, min_time: float) -> dict:
    """Seconds per call of every (case, implementation), once per repeat, all taking turns;
    a case's minitorch_np and PyTorch loops run back to back (see `paired_ratio`)."""
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((N, N), dtype=np.float32)
    b_np = rng.standard_normal((N, N), dtype=np.float32)

    def tensors(lib, requires_grad):
        return (lib.tensor(a_np, requires_grad=requires_grad),
                lib.tensor(b_np, requires_grad=requires_grad))

    libs = {"minitorch_np": minitorch_np} | ({"PyTorch": torch} if torch is not None else {})
    fns = {}
    for op, f in OPS.items():
        g = NUMPY_OPS.get(op, f)
        fns[(op, False, "raw NumPy")] = lambda g=g: g(a_np, b_np)
        for requires_grad in (False, True):
            for lib_name, lib in libs.items():
                a, b = tensors(lib, requires_grad)
                fns[(op, requires_grad, lib_name)] = lambda f=f, a=a, b=b: f(a, b)

    chain_inputs = {lib_name: tensors(lib, True) for lib_name, lib in libs.items()}
    check_chain(a_np, b_np, chain_inputs)
    fns[("chain", True, "raw NumPy")] = lambda: numpy_chain_step(a_np, b_np)
    for lib_name, (a, b) in chain_inputs.items():
        fns[("chain", True, lib_name)] = lambda a=a, b=b: tensor_chain_step(a, b)
    return interleaved_samples(fns, repeat=repeat, min_time=min_time)


def rows_of(samples: dict) -> list[dict]:
    """One row per (op, requires_grad): the median seconds per call of each library (or None)
    and minitorch_np's paired ratio to PyTorch."""
    rows = []
    for op in [*OPS, "chain"]:
        for requires_grad in ((True,) if op == "chain" else (False, True)):
            row = {"op": op, "requires_grad": requires_grad}
            for lib in ("minitorch_np", "PyTorch"):
                ts = samples.get((op, requires_grad, lib))
                row[lib] = None if ts is None else statistics.median(ts)
            # NumPy has no requires_grad: its one number stands beside both rows of an op
            row["raw NumPy"] = statistics.median(samples[(op, op == "chain", "raw NumPy")])
            row["ratio"] = None if row["PyTorch"] is None else paired_ratio(
                samples[(op, requires_grad, "minitorch_np")], samples[(op, requires_grad,
                                                                        "PyTorch")])
            rows.append(row)
    return rows


def summary(rows: list[dict], has_torch: bool) -> str:
    def us(t):
        return "—" if t is None else f"{t * 1e6:.2f}"

    def ratio(x, y):
        return "—" if x is None or y is None else f"{x / y:.1f}×"

    table = markdown_table(
        ["op (4×4 float32)", "requires_grad", "raw NumPy µs", "minitorch_np µs", "PyTorch µs",
         "minitorch_np / PyTorch", "minitorch_np / NumPy"],
        [[("forward + backward of the 20-op chain" if r["op"] == "chain" else f"`{r['op']}`"),
          str(r["requires_grad"]), us(r["raw NumPy"]), us(r["minitorch_np"]), us(r["PyTorch"]),
          "—" if r["ratio"] is None else f"{r['ratio']:.1f}×",
          ratio(r["minitorch_np"], r["raw NumPy"])]
         for r in rows])
    chain_row = rows[-1]
    per_op = ", ".join(f"{lib} {chain_row[lib] / CHAIN_OPS * 1e6:.1f} µs"
                       for lib in ("raw NumPy", "minitorch_np", "PyTorch") if chain_row[lib])
    parts = [table, f"The chain per op (forward + backward, ÷ {CHAIN_OPS}): {per_op}."]
    if has_torch:
        single = [r for r in rows if r["op"] != "chain"]
        worst = max(single, key=lambda r: r["ratio"])
        w = worst["ratio"]
        over = sum(r["ratio"] > TARGET for r in single)
        parts.append(
            "Target (issue): a tiny op costs at most 2× PyTorch's per-op time measured in the "
            f"same run: {'met' if over == 0 else 'NOT met'} — {len(single) - over} of "
            f"{len(single)} single-op rows within 2×, the worst `{worst['op']}` with "
            f"requires_grad={worst['requires_grad']} at {w:.1f}×.")
    else:
        parts.append("Target (issue): at most 2× PyTorch's per-op time — not checked, PyTorch "
                     "is not installed.")
    return "\n\n".join(parts)


def section(body: str, note: str | None, tag: str, repeat: int, min_time: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"## Per-op overhead ({tag})",
             (f"`{command_line()}`, {when}. Each time is the median of {repeat} repeats of "
              f"a loop of calls lasting at least {min_time * 1e3:.0f} ms, all cases taking "
              "turns; it includes ~0.05 µs of Python's own call of a lambda. The ratio to "
              "PyTorch is the median of the repeats' ratios, each of a minitorch_np loop and "
              "the PyTorch loop run right after it (paired: a change of the machine's speed "
              "between repeats cancels)."),
             body]
    if note:
        parts.append(f"Note: {note}")
    parts.append("Environment:\n\n" + environment())
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=11,
                        help="repeats per case, the median is kept (default %(default)s)")
    parser.add_argument("--min-time", type=float, default=0.05,
                        help="seconds each repeat's loop of calls lasts at least "
                             "(default %(default)s)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--tag", help="added to the RESULTS.md section's name, to keep this run "
                                      "beside another of the same settings")
    parser.add_argument("--note", help="a sentence added to the RESULTS.md section")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.min_time <= 0:
        parser.error("--repeat must be at least 1 and --min-time positive")
    steady_malloc()

    torch = None if args.no_torch else optional_import("torch")
    if torch is not None:
        torch.tensor([1.0]).exp()  # load its libraries before the environment report
    np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)
    print(environment(), end="\n\n", flush=True)

    load = OtherLoad()
    times = measure(torch, args.repeat, args.min_time)
    body = summary(rows_of(times), torch is not None) + "\n\n" + load.sentence()
    print(body)
    if not args.no_write:
        tag = blas_env_tag() + (f", {args.tag}" if args.tag else "")
        write_results(f"op_overhead, {tag}",
                      section(body, args.note, tag, args.repeat, args.min_time))
        print("\n(section written to benchmarks/RESULTS.md)")


if __name__ == "__main__":
    sys.exit(main())
