"""`History`: the per-epoch numbers `Model.fit` records, and their learning curves."""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

__all__ = ["History", "format_logs"]


def format_logs(logs: Mapping[str, float]) -> str:
    """``'loss 1.63208 acc 0.41733'``: each value rounded to 5 decimals, as lecture 004 prints
    them (``round(v, 5)``, so 1.0 prints as ``1.0`` and 0.0625 as ``0.0625``)."""
    return " ".join(f"{key} {round(float(value), 5)}" for key, value in logs.items())


class History(Mapping):
    """What `Model.fit` measured, epoch by epoch.

    ``history.history`` is a dict of per-epoch lists: ``'loss'``, each metric (``'acc'``), and
    with evaluation data ``'eval_loss'``, ``'eval_acc'``; ``history.epoch`` lists the epoch
    numbers (from 1). The History is also a read-only mapping onto that dict:
    ``history['loss']``.

    Example::

        >>> hist = model.fit(train_loader, eval_loader, epochs=40)
        >>> hist['eval_acc'][-1]
        0.4207
        >>> hist.plot('curves.png')        # loss and accuracy curves, train and eval
    """

    def __init__(self, history: Mapping[str, list[float]] | None = None,
                 epoch: list[int] | None = None) -> None:
        self.history: dict[str, list[float]] = {k: [float(v) for v in vs]
                                                for k, vs in (history or {}).items()}
        n = max((len(v) for v in self.history.values()), default=0)
        self.epoch: list[int] = list(epoch) if epoch is not None else list(range(1, n + 1))

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Record one epoch's values (a key seen for the first time starts its list)."""
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    # -- the read-only mapping -------------------------------------------------------------
    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.history)

    def __len__(self) -> int:
        return len(self.history)

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(no epochs)"
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History({len(self.epoch)} epochs; last: {format_logs(last)})"

    # -- saving ----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch)}

    def load_state_dict(self, state: Mapping) -> None:
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]

    # -- learning curves -------------------------------------------------------------------
    def plot(self, path: str | os.PathLike | None = None, title: str | None = None):
        """Draw the learning curves: one panel per quantity (the loss, then each metric), the
        training curve and, when there is one, the evaluation curve (``eval_<name>``) on it.

        Lecture 004 reads overfitting off these curves: the training loss keeps falling
        while the evaluation loss turns up.

        Args:
            path: where to save the figure (PNG, SVG, PDF... by extension); None: only
                return it.
            title: a title above the panels.

        Returns the matplotlib ``Figure``. matplotlib is imported only here (``pip install
        matplotlib``); the figure is built without pyplot, so saving works without a display.
        """
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as e:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from e
        names = [k for k in self.history if not k.startswith("eval_")]
        names += [k[len("eval_"):] for k in self.history
                  if k.startswith("eval_") and k[len("eval_"):] not in names]
        if not names:
            raise ValueError("History.plot: nothing to plot (no epoch recorded)")
        fig = Figure(figsize=(5 * len(names), 3.8), layout="constrained")
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        for ax, name in zip(axes, names):
            for key, label, style in ((name, "train", "-"), (f"eval_{name}", "eval", "--")):
                values = self.history.get(key)
                if values:
                    epochs = self.epoch[-len(values):]
                    ax.plot(epochs, values, style, marker="o" if len(values) < 30 else None,
                            markersize=3, label=label)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.set_title(name)
            ax.grid(True, alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        if path is not None:
            fig.savefig(os.fspath(path), dpi=100)
        return fig
