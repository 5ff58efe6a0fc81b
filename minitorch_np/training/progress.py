"""The progress bar within an epoch: tqdm's when it can be seen, else nothing at all."""
from __future__ import annotations

import sys
from collections.abc import Iterable


class _NoBar:
    """Stands in for a tqdm bar when none is shown: iterates, and ignores the rest."""

    def __init__(self, iterable: Iterable) -> None:
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules


def bar_wanted(enabled: bool | None) -> bool:
    """`enabled`, or when None: whether a bar would be seen (a terminal or a notebook).

    Redirected to a file or a CI log, a bar's carriage returns make a mess; then none is shown
    and only the per-epoch lines remain.
    """
    if enabled is not None:
        return bool(enabled)
    stream = sys.stderr
    return _in_notebook() or bool(getattr(stream, "isatty", lambda: False)())


def progress_bar(iterable: Iterable, desc: str, enabled: bool | None):
    """A tqdm bar over `iterable` (cleared when it closes, so that the per-epoch lines stay
    together), or a `_NoBar` when none is wanted or tqdm is missing."""
    if not bar_wanted(enabled):
        return _NoBar(iterable)
    try:
        if _in_notebook():
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return _NoBar(iterable)
    try:
        total = len(iterable)  # type: ignore[arg-type]
    except TypeError:
        total = None
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True,
                unit="batch", file=sys.stderr)
