"""The CUDA backend: CuPy arrays on NVIDIA GPUs (device type ``'cuda'``).

CuPy is an optional dependency (``pip install minitorch_np[cuda]``). It is imported lazily, the
first time the backend is asked whether CUDA is usable, so importing ``minitorch_np`` never
imports CuPy and works on machines without it. Every CuPy API used here was checked against
CuPy's documentation and source for CuPy >= 13; ``docs/backends.md`` lists the pages and the
differences from NumPy that the ops layer has to respect (and ``CUPY_API`` below lists the
``xp.<name>`` attributes the framework may call).

Multi-GPU rule (checked in CuPy's ``cupy/_core/_kernel.pyx``, ``_check_peer_access``): a CuPy
kernel always runs on the *current* device and allocates its result there. If an argument lives
on another device, CuPy 13 (the 12.x sources do the same) tries to enable peer-to-peer access
between the two devices; when that works it only emits ``cupy._util.PerformanceWarning`` ("Peer
access has been activated automatically") and the kernel reads the remote memory over the
interconnect, and when the devices cannot access each other it raises ``ValueError`` ("... Peer
access is unavailable between these devices"). Either way the result lands on the *current*
device, not on the device of the inputs. So every op on ``cuda:N`` must run inside
``device_context(N)``; without it, results silently move to ``cuda:0`` (or the call fails).
"""
from __future__ import annotations

import sys
import threading

import numpy as np

from .base import Backend

INSTALL_HINT = "pip install minitorch_np[cuda]"

# --------------------------------------------------------------------------------------------
# The xp.<name> attributes the framework may call on this backend, each checked to exist in
# CuPy >= 13 (cupy/__init__.py of the 13.x series, the "Comparison Table" page
# docs.cupy.dev/en/stable/reference/comparison.html and the per-function API pages). Every name
# is also a NumPy name, so the same spelling works on the CPU backend. Dotted names are
# attribute paths (xp.lib.stride_tricks.sliding_window_view).
# Differences from NumPy the ops layer must respect are in docs/backends.md; the main ones:
#   * reductions (sum, max, all, allclose, count_nonzero, ...) return 0-d cupy arrays, not
#     scalars; turning one into a Python number synchronizes the device;
#   * sum/prod/mean/max/min/amax/amin/var/std take no `where=`/`initial=`/`correction=`;
#   * integer-array indexing, take and take_along_axis wrap out-of-bounds indices instead of
#     raising IndexError; take has no `mode=`;
#   * a[idx] = v with repeated indices stores an undefined one of the values;
#   * reshape has no `copy=` keyword in 13.x; unique(axis=...) was unsupported in 12.x;
#   * CuPy 13 promotes Python scalars with NumPy-1 value-based rules (no NEP 50 "weak
#     scalars"), NumPy 2 does not: cast scalars to the wanted dtype explicitly;
#   * lib.stride_tricks.sliding_window_view ignores `writeable` (the view is writable);
#   * nonzero, unique, shares_memory synchronize (their output size depends on the data).
CUPY_API = frozenset({
    # element-wise arithmetic and math (cupy.ufunc objects)
    "add", "subtract", "multiply", "true_divide", "divide", "negative", "power",
    "exp", "log", "log1p", "expm1", "sqrt", "abs", "sign", "sin", "cos", "tanh",
    "maximum", "minimum", "logaddexp", "floor", "ceil", "round", "trunc", "floor_divide",
    "mod", "invert",
    "where", "clip",
    # linear algebra
    "matmul", "einsum", "tensordot", "outer",
    # reductions and scans
    "sum", "prod", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "cumsum",
    "cumprod",
    "var", "std", "all", "any",
    # creation
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "linspace", "eye", "asarray", "ascontiguousarray", "tril", "triu",
    # shape manipulation
    "concatenate", "stack", "split", "reshape", "transpose", "swapaxes", "moveaxis",
    "expand_dims", "squeeze", "broadcast_to", "flip", "roll", "tile", "repeat", "atleast_1d",
    "pad", "lib.stride_tricks.sliding_window_view",
    # indexing
    "take_along_axis", "take", "copyto",
    # logic and comparison
    "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_not",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "isclose", "allclose",
    # sorting, searching, counting
    "sort", "argsort", "partition", "searchsorted", "unique", "bincount", "nonzero",
    "count_nonzero",
    # memory
    "may_share_memory", "shares_memory",
    # dtypes and constants (borrowed from NumPy by CuPy)
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "dtype", "result_type", "promote_types", "inf", "nan", "newaxis", "ndarray",
})

# Names that were checked and are *not* part of CUPY_API, with the reason.
CUPY_API_EXCLUDED = {
    "put_along_axis": "not in CuPy 13.0 (added later in cupy/lib/_shape_base.py, PR #8199); "
                      "it is a fancy-index __setitem__, so repeated indices store an undefined "
                      "value. Build the index tuple and assign, or use Backend.index_add.",
    "erf": "neither numpy.erf nor cupy.erf exists; the GPU function is "
           "cupyx.scipy.special.erf (a cupyx ufunc), the CPU one scipy.special.erf or math.erf.",
    "ufunc.at": "only add.at, maximum.at and minimum.at exist (CuPy >= 12, cupy/_core/_kernel.pyx "
                "ufunc.at -> ndarray._scatter_op); add.at accepts int32, uint32, uint64, float16, "
                "float32, float64 only. Use Backend.index_add, not xp.<ufunc>.at.",
}

# dtypes accepted by cupy.add.at / cupyx.scatter_add (cupy/_core/_routines_indexing.pyx,
# _scatter_op_single, op == 'add': "scatter_add only supports int32, float16, float32, float64,
# uint32, uint64"): CUDA atomicAdd exists only for these.
_SCATTER_ADD_DTYPES = frozenset(np.dtype(t) for t in (
    np.int32, np.uint32, np.uint64, np.float16, np.float32, np.float64))

# cupy.random.RandomState draws float32 and float64 directly (cuRAND); it raises TypeError for
# other dtypes ("cupy.random only supports float32 and float64").
_CURAND_FLOAT_DTYPES = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_FLOAT_DTYPES = _CURAND_FLOAT_DTYPES | {np.dtype(np.float16)}  # float16: drawn as float32
# largest float16 below 1: keeps float16 uniform samples in [0, 1) after rounding from float32
_FLOAT16_BELOW_ONE = np.float16(1.0 - 2.0 ** -11)


def _as_shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


class CupyBackend(Backend):
    """NVIDIA GPUs through CuPy; device indices are CUDA device ordinals."""

    name = "cuda"

    def __init__(self):
        self._lock = threading.Lock()
        self._probed = False
        self._cupy = None            # the cupy module once it imported and sees a device
        self._reason = ""            # why CUDA is not available
        self._count = 0
        self._seed = 0
        self._generators: dict = {}  # device index -> cupy.random.RandomState

    # ---- availability ----------------------------------------------------------------------
    def _probe(self) -> None:
        """Import CuPy and count devices, once. Never raises."""
        if self._probed:
            return
        with self._lock:
            if self._probed:
                return
            try:
                import cupy  # lazily, on purpose
            except Exception as exc:  # noqa: BLE001 - ImportError, or CuPy's "not correctly installed"
                self._reason = f"CuPy could not be imported ({type(exc).__name__}: {exc})"
            else:
                try:
                    # cupy_backends.cuda.api.runtime.getDeviceCount: raises CUDARuntimeError
                    # when the driver or runtime is missing (cudaErrorNoDevice,
                    # cudaErrorInsufficientDriver, ...)
                    count = int(cupy.cuda.runtime.getDeviceCount())
                except Exception as exc:  # noqa: BLE001 - any failure means "no CUDA"
                    self._reason = ("the CUDA driver/runtime is not usable "
                                    f"({type(exc).__name__}: {exc})")
                else:
                    if count > 0:
                        self._cupy, self._count = cupy, count
                    else:
                        self._reason = "CuPy sees no CUDA device"
            self._probed = True

    def is_available(self) -> bool:
        try:
            self._probe()
            return self._cupy is not None
        except Exception:  # noqa: BLE001 - is_available() must never raise
            return False

    def device_count(self) -> int:
        return self._count if self.is_available() else 0

    def _require(self):
        """The cupy module, or RuntimeError explaining how to get CUDA support."""
        if not self.is_available():
            raise RuntimeError(
                f"CUDA is not available: {self._reason or 'unknown reason'}. "
                f"GPU support needs an NVIDIA GPU with its driver and CuPy >= 13: install the "
                f"extra with `{INSTALL_HINT}` (or a prebuilt CuPy wheel matching your CUDA "
                f"version, e.g. `pip install cupy-cuda12x`).")
        return self._cupy

    @property
    def xp(self):
        return self._require()

    def _check_index(self, index) -> int:
        index = 0 if index is None else int(index)
        count = self._count
        if not 0 <= index < count:
            raise RuntimeError(f"cuda:{index} does not exist: {count} CUDA device(s) visible")
        return index

    # ---- arrays and devices ----------------------------------------------------------------
    def is_array(self, obj) -> bool:
        # Never imports CuPy: a cupy.ndarray can only exist if cupy is already imported.
        cupy = sys.modules.get("cupy")
        return cupy is not None and isinstance(obj, getattr(cupy, "ndarray", ()))

    def from_numpy(self, array, index):
        """Host -> device copy onto ``cuda:index``; the copy has finished when this returns."""
        cp = self._require()
        index = self._check_index(index)
        with cp.cuda.Device(index):
            out = cp.asarray(array)
            # In CuPy 13 the H2D copy of cupy.asarray is asynchronous on the current stream
            # (`blocking=False` default; writing to the source meanwhile is a race, per the
            # docs). `blocking=True` would avoid it but raises UnboundLocalError in 13.5.x
            # (cupy#9271, fixed in 13.6), so synchronize the stream instead. The CPU tensor may
            # share memory with `array` and be modified right after .to('cuda').
            cp.cuda.get_current_stream().synchronize()
        return out

    def to_numpy(self, array):
        """Device -> host copy; synchronous (cupy.asnumpy has blocking=True since CuPy 13)."""
        cp = self._require()
        with cp.cuda.Device(array.device.id):
            return cp.asnumpy(array)

    def device_index(self, array) -> int:
        return int(array.device.id)

    def device_context(self, index: int):
        # A fresh cupy.cuda.Device per call: its __enter__/__exit__ keep a per-instance stack
        # of previous devices, so an instance must not be shared between threads.
        cp = self._require()
        return cp.cuda.Device(self._check_index(index))

    def synchronize(self, index: int | None = None) -> None:
        """Wait for all queued work on ``cuda:index`` (the current device when None)."""
        cp = self._require()
        device = cp.cuda.Device() if index is None else cp.cuda.Device(self._check_index(index))
        device.synchronize()

    def is_writable(self, array) -> bool:
        # cupy.ndarray.flags has only c_contiguous, f_contiguous and owndata
        # (cupy/_core/flags.pyx): CuPy has no read-only arrays
        return True

    # ---- scatter-add -----------------------------------------------------------------------
    def index_add(self, target, index, values) -> None:
        """``target[index] += values`` in place, repeated indices accumulating.

        Uses ``cupy.add.at`` (documented on the cupy.ufunc page, CuPy >= 12; identical to
        ``cupyx.scatter_add``), which exists only for the dtypes CUDA's atomicAdd supports.
        int64 is added through a uint64 view (two's-complement addition is the same modular
        operation); int8/int16/uint8/uint16/bool go through an int32 copy.
        """
        cp = self._require()
        with cp.cuda.Device(target.device.id):
            dt = target.dtype
            if dt in _SCATTER_ADD_DTYPES:
                cp.add.at(target, index, cp.asarray(values).astype(dt, copy=False))
            elif dt == np.int64:
                vals = cp.ascontiguousarray(cp.asarray(values).astype(np.int64, copy=False))
                cp.add.at(target.view(np.uint64), index, vals.view(np.uint64))
            elif dt.kind in "biu" and dt.itemsize < 4:
                wide = target.astype(np.int32)
                cp.add.at(wide, index, cp.asarray(values).astype(np.int32, copy=False))
                if dt.kind == "b":
                    target[...] = wide != 0      # NumPy's add on bool is logical or
                else:
                    target[...] = wide.astype(dt)  # wraps modulo 2**bits, like np.add.at
            else:
                raise TypeError(f"index_add: dtype {dt} is not supported on CUDA")

    # ---- random numbers: one cuRAND generator per device -------------------------------------
    def manual_seed(self, seed: int) -> None:
        """Reseed every device's generator (lazily: generators are rebuilt on next use)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed) % 2 ** 64
        self._generators = {}

    def _generator(self, index: int):
        """The RandomState of ``cuda:index``; call inside that device's context."""
        rs = self._generators.get(index)
        if rs is None:
            cp = self._cupy
            # cupy.random.RandomState (documented, cuRAND based) rather than
            # cupy.random.Generator: the Generator has no normal() and no permutation().
            # Its cuRAND state belongs to the device current at construction.
            # The seed is passed as numpy.uint64: CuPy 13.0-13.2 with NumPy 2 rejects a
            # Python int in RandomState.seed (cupy#8392, fixed in 13.3).
            rs = cp.random.RandomState(seed=np.uint64(self._seed))
            self._generators[index] = rs
        return rs

    def random_normal(self, shape, dtype, index):
        cp = self._require()
        dt, shape = np.dtype(dtype), _as_shape(shape)
        if dt not in _FLOAT_DTYPES:
            raise TypeError(f"random_normal: dtype must be float16/32/64, got {dt}")
        index = self._check_index(index)
        with cp.cuda.Device(index):
            rs = self._generator(index)
            if dt in _CURAND_FLOAT_DTYPES:
                return rs.standard_normal(size=shape, dtype=dt)
            return rs.standard_normal(size=shape, dtype=np.float32).astype(dt)

    def random_uniform(self, shape, dtype, index):
        cp = self._require()
        dt, shape = np.dtype(dtype), _as_shape(shape)
        if dt not in _FLOAT_DTYPES:
            raise TypeError(f"random_uniform: dtype must be float16/32/64, got {dt}")
        index = self._check_index(index)
        with cp.cuda.Device(index):
            rs = self._generator(index)
            if dt in _CURAND_FLOAT_DTYPES:
                return rs.random_sample(size=shape, dtype=dt)  # [0, 1): cuRAND's 1.0 -> 0
            out = rs.random_sample(size=shape, dtype=np.float32).astype(dt)
            # values just below 1 round up to 1.0 in float16: keep the interval half-open
            return cp.minimum(out, _FLOAT16_BELOW_ONE)

    def random_integers(self, low: int, high: int, shape, index):
        cp = self._require()
        low, high, shape = int(low), int(high), _as_shape(shape)
        if low >= high:
            raise ValueError(f"random_integers: low ({low}) must be < high ({high})")
        index = self._check_index(index)
        with cp.cuda.Device(index):
            return self._generator(index).randint(low, high, size=shape, dtype=np.int64)

    def random_permutation(self, n: int, index):
        cp = self._require()
        n = int(n)
        if n < 0:
            raise ValueError(f"random_permutation: n must be >= 0, got {n}")
        index = self._check_index(index)
        with cp.cuda.Device(index):
            if n == 0:
                return cp.empty((0,), dtype=np.int64)
            # RandomState.permutation(int) = argsort of n random 32-bit keys (int64 result)
            return self._generator(index).permutation(n).astype(np.int64, copy=False)

    # ---- diagnostics -----------------------------------------------------------------------
    def blas_info(self) -> str:
        """CuPy version, CUDA runtime version and device names; never raises."""
        try:
            if not self.is_available():
                return f"CuPy/CUDA: not available ({self._reason})"
            cp = self._cupy
            rt = int(cp.cuda.runtime.runtimeGetVersion())  # e.g. 12040 -> 12.4
            names = []
            for i in range(self._count):
                raw = cp.cuda.runtime.getDeviceProperties(i)["name"]
                name = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
                names.append(f"cuda:{i} {name}")
            return (f"CuPy {cp.__version__}, CUDA runtime {rt // 1000}.{rt % 1000 // 10}, "
                    f"cuBLAS via CuPy; " + ", ".join(names))
        except Exception as exc:  # noqa: BLE001 - diagnostics must never raise
            return f"CuPy/CUDA: information unavailable ({type(exc).__name__}: {exc})"
