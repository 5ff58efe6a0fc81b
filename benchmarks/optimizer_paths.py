"""The paths of SGD, momentum, RMSprop and Adam on two 2-D functions (lectures 000 and 002).

What it shows: from one starting point, each optimizer of ``minitorch_np.optim`` minimises

* a badly conditioned quadratic, f(x, y) = ½ (x² + 25 y²): curvature 25 across the valley
  and 1 along it. Plain SGD (η = 0.05, the lecture's) overshoots across the valley and crawls
  along it; momentum (γ = 0.5) accumulates speed along the valley and damps the zigzag,
  while γ = 0.9 at the same η overshoots and makes its own oscillations (lecture 002's
  distill.pub figures); RMSprop and Adam divide each coordinate by its gradient's running
  RMS, so both coordinates move at about the same pace whatever their curvature (a
  diagonal path, no zigzag);
* the Rosenbrock function, f(x, y) = (1 − x)² + 100 (y − x²)²: a curved, flat-bottomed
  valley with its minimum at (1, 1), where the curvature ratio grows to ~2500.

and draws their paths over the contour plot, as the lecture figures do
("Deep Learning #5 – Going deeper", Momentum and moment estimation; "Neural Networks Part
II", SGD + Momentum: poor conditioning). It prints, for each, the number of steps until
``‖w − w*‖ < TOL`` (or ``> MAX_STEPS`` when it never gets there).

The gradients come from minitorch_np's autograd and the updates from its optimizers: this is
the package at work, not a NumPy re-implementation. The step counts are deterministic (no
timing), so they are the same on every machine.

Usage::

    python benchmarks/optimizer_paths.py                 # table + docs/img/optimizer_paths.png
    python benchmarks/optimizer_paths.py --no-plot       # the table only
    python benchmarks/optimizer_paths.py --device fakegpu

matplotlib is optional: without it the table is still printed.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from _common import markdown_table, optional_import, write_results

import minitorch_np as torch
from minitorch_np import optim

TOL = 1e-3
MAX_STEPS = 20_000
DEFAULT_PNG = os.path.join(os.path.dirname(HERE), "docs", "img", "optimizer_paths.png")


def quadratic(x, y):
    return 0.5 * (x * x + 25.0 * y * y)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100.0 * (y - x * x) ** 2


# problem: function, start, minimum, plot window, [(label, optimizer factory)]
# Learning rates: the lectures' where they give one (SGD η = 0.05, Adam η = 0.1 on the
# quadratic, lecture 000); otherwise a rate in the stable range of each method, the same
# for all SGD variants so that only the momentum changes.
PROBLEMS = {
    "quadratic ½(x² + 25y²)": {
        "fn": quadratic, "start": (-4.0, 1.5), "minimum": (0.0, 0.0),
        "window": ((-4.5, 2.5), (-2.2, 2.2)),
        "optimizers": [
            ("SGD η=0.05", lambda p: optim.SGD(p, lr=0.05)),
            ("SGD+momentum γ=0.5", lambda p: optim.SGD(p, lr=0.05, momentum=0.5)),
            ("SGD+momentum γ=0.9", lambda p: optim.SGD(p, lr=0.05, momentum=0.9)),
            ("RMSprop η=0.05", lambda p: optim.RMSprop(p, lr=0.05)),
            ("Adam η=0.1", lambda p: optim.Adam(p, lr=0.1)),
        ]},
    "Rosenbrock (1−x)² + 100(y−x²)²": {
        "fn": rosenbrock, "start": (-1.5, 2.0), "minimum": (1.0, 1.0),
        "window": ((-2, 2), (-1, 3)),
        "optimizers": [
            ("SGD η=1e-3", lambda p: optim.SGD(p, lr=1e-3)),
            ("SGD+momentum γ=0.5", lambda p: optim.SGD(p, lr=1e-3, momentum=0.5)),
            ("SGD+momentum γ=0.9", lambda p: optim.SGD(p, lr=1e-3, momentum=0.9)),
            ("RMSprop η=1e-3", lambda p: optim.RMSprop(p, lr=1e-3)),
            ("Adam η=0.02", lambda p: optim.Adam(p, lr=0.02)),
        ]},
}


def run(fn, start, minimum, make_optimizer, device):
    """The path (a list of (x, y)) until within TOL of the minimum, or MAX_STEPS steps;
    and the number of steps it took (None: not reached)."""
    w = torch.tensor(start, dtype=torch.float64, device=device, requires_grad=True)
    optimizer = make_optimizer([w])
    path = [tuple(start)]
    for step in range(1, MAX_STEPS + 1):
        optimizer.zero_grad()
        fn(w[0], w[1]).backward()
        optimizer.step()
        x, y = w.detach().cpu().tolist()
        path.append((x, y))
        if not (math.isfinite(x) and math.isfinite(y)):
            return path, None  # diverged
        if math.hypot(x - minimum[0], y - minimum[1]) < TOL:
            return path, step
    return path, None


def plot(results, png_path):
    """Top: the paths over the contours. Bottom: the distance to the minimum, step by step."""
    plt = optional_import("matplotlib.pyplot")
    np = optional_import("numpy")
    if plt is None:
        print("matplotlib is not installed: no picture (pip install matplotlib)")
        return
    fig, axes = plt.subplots(2, 2, figsize=(13, 10), height_ratios=[1.15, 1])
    for col, (name, problem) in enumerate(PROBLEMS.items()):
        ax, ax_dist = axes[0, col], axes[1, col]
        (x0, x1), (y0, y1) = problem["window"]
        xs, ys = np.meshgrid(np.linspace(x0, x1, 400), np.linspace(y0, y1, 400))
        zs = problem["fn"](xs, ys)
        levels = np.logspace(math.log10(max(zs.min(), 1e-3)), math.log10(zs.max()), 25)
        ax.contour(xs, ys, zs, levels=levels, colors="0.75", linewidths=0.7)
        for (label, steps, path), color in zip(results[name], plt.cm.tab10.colors):
            px, py = zip(*path)
            reached = f"{steps} steps" if steps else f"> {MAX_STEPS} steps"
            ax.plot(px, py, "-", color=color, linewidth=1.2, alpha=0.85,
                    label=f"{label} ({reached})")
            ax.plot(px[:60], py[:60], ".", color=color, markersize=3)
            dist = np.hypot(np.array(px) - problem["minimum"][0],
                            np.array(py) - problem["minimum"][1])
            ax_dist.loglog(np.arange(1, len(dist) + 1), dist, color=color, label=label)
        ax.plot(*problem["start"], "ko", markersize=5)
        ax.plot(*problem["minimum"], "k*", markersize=12)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(name)
        ax.legend(fontsize=8, loc="lower right" if col == 0 else "upper right")
        ax_dist.axhline(TOL, color="k", linewidth=0.7, linestyle="--")
        ax_dist.set_xlabel("step + 1")
        ax_dist.set_ylabel("‖w − w*‖")
        ax_dist.set_title(f"distance to the minimum (dashed: {TOL:g})")
    fig.suptitle("minitorch_np.optim: SGD, momentum, RMSprop and Adam from the same start "
                 "(● start, ★ minimum)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(png_path), exist_ok=True)
    fig.savefig(png_path, dpi=100)
    print(f"wrote {png_path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--png", default=DEFAULT_PNG, help="where to write the picture")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)

    results, rows = {}, []
    for name, problem in PROBLEMS.items():
        results[name] = []
        for label, make in problem["optimizers"]:
            path, steps = run(problem["fn"], problem["start"], problem["minimum"], make,
                              args.device)
            results[name].append((label, steps, path))
            x, y = path[-1]
            rows.append([name, label, str(steps) if steps else f"> {MAX_STEPS}",
                         f"({x:.4f}, {y:.4f})", f"{problem['fn'](x, y):.2e}"])
    table = markdown_table(["function", "optimizer", f"steps to ‖w − w*‖ < {TOL:g}",
                            "last point", "f there"], rows)
    print(table)
    if not args.no_plot:
        plot(results, args.png)
    if not args.no_results:
        write_results("optimizer_paths", "## Optimizer paths (benchmarks/optimizer_paths.py)\n\n"
                      f"Start {PROBLEMS[next(iter(PROBLEMS))]['start']} on the quadratic, "
                      "(-1.5, 2) on Rosenbrock; float64; deterministic step counts (no "
                      "timing).\n\n" + table)


if __name__ == "__main__":
    main()
