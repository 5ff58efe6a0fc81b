"""``detect_anomaly()``: remember where each op was created and stop on NaN gradients."""
from __future__ import annotations

import traceback

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_enabled", "is_check_nan_enabled"]

class _State:
    """Global to all threads, as PyTorch's ``AnomalyMode`` (grad mode is per thread)."""

    enabled = False
    check_nan = True


_state = _State()


def is_enabled() -> bool:
    """Whether anomaly mode is on (``torch.is_anomaly_enabled``)."""
    return _state.enabled


def is_check_nan_enabled() -> bool:
    """Whether anomaly mode also stops on NaN gradients (``torch.is_anomaly_check_nan_enabled``)."""
    return _state.check_nan


def current_stack() -> str:
    return "".join(traceback.format_stack()[:-2])


class detect_anomaly:
    """Context manager: nodes record the forward traceback; a backward that produces NaN raises
    a RuntimeError naming the node and showing where its forward ran."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = is_enabled(), is_check_nan_enabled()
        _state.enabled, _state.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.check_nan = self._prev
        return False


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(True)`` switches anomaly detection on or off (also a context)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = is_enabled(), is_check_nan_enabled()
        _state.enabled, _state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self


def check_gradients(node, grads) -> None:
    """Raise if a backward produced NaN (called by the engine in anomaly mode)."""
    if not _state.check_nan:
        return
    for i, g in enumerate(grads):
        if g is not None and hasattr(g, "_data") and g._data.dtype.kind == "f":
            xp = g._device.backend.xp
            if bool(xp.isnan(g._data).any()):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                    f"The forward call that created it:\n{node._anomaly_trace or '(unknown)'}")
