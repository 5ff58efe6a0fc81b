"""The CUDA backend (CuPy).

Most tests run without CuPy or a GPU: they check the lazy import, the error messages, and the
backend's own logic against a small stand-in ``cupy`` module that mimics the CuPy 13 behaviour
the backend relies on (documented in docs/backends.md): ``add.at`` only for the atomicAdd dtypes,
``RandomState`` only for float32/float64 and rejecting Python-int seeds (CuPy 13.0-13.2 with
NumPy 2), arrays created on the current device. The stand-in checks *our* code, not CuPy; the
tests at the end run on a real GPU and are skipped when none is usable.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.backends import cupy_backend
from minitorch_np.backends.cupy_backend import CUPY_API, INSTALL_HINT, CupyBackend

REPO = Path(__file__).resolve().parents[1]
CUPY_INSTALLED = importlib.util.find_spec("cupy") is not None


# ---- a stand-in for the parts of CuPy the backend uses ------------------------------------------
def make_fake_cupy(device_count=2, count_error=None):
    cp = types.ModuleType("cupy")
    cp.__version__ = "13.6.0+fake"
    state = {"current": 0, "stream_syncs": 0, "device_syncs": []}
    cp._state = state

    class Device:
        def __init__(self, device=None):
            self.id = state["current"] if device is None else int(device)
            self._stack = []

        def __enter__(self):
            if not 0 <= self.id < device_count:
                raise RuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
            self._stack.append(state["current"])
            state["current"] = self.id
            return self

        def __exit__(self, *exc):
            state["current"] = self._stack.pop()

        def synchronize(self):
            state["device_syncs"].append(self.id)

    class ndarray(np.ndarray):
        """NumPy memory tagged with the device current when it was made."""

        def __array_finalize__(self, obj):
            self._device_id = getattr(obj, "_device_id", state["current"])

        @property
        def device(self):
            return Device(self._device_id)

    def _wrap(a):
        return np.asarray(a).view(ndarray)

    def asarray(a, dtype=None):
        if isinstance(a, ndarray) and (dtype is None or a.dtype == np.dtype(dtype)):
            return a
        return np.array(a, dtype=dtype).view(ndarray)  # a new array on the current device

    class _AddUfunc:
        def __call__(self, *args, **kw):
            return np.add(*args, **kw)

        def at(self, a, indices, b=None):
            if a.dtype not in {np.dtype(t) for t in ("i4", "u4", "u8", "f2", "f4", "f8")}:
                raise TypeError("scatter_add only supports int32, float16, float32, float64, "
                                "uint32, uint64, as data type")
            np.add.at(a, indices, np.asarray(b).astype(a.dtype))

    class RandomState:
        def __init__(self, seed=None):
            if not isinstance(seed, np.unsignedinteger):  # CuPy 13.2 + NumPy 2 behaviour
                raise TypeError("Cannot cast scalar from dtype('int64') to dtype('uint64') "
                                "according to the rule 'safe'")
            self.device_id = state["current"]
            self._rng = np.random.RandomState(int(seed) % 2 ** 32)

        def _check(self, dtype):
            if np.dtype(dtype).char not in "fd":
                raise TypeError("cupy.random only supports float32 and float64")

        def standard_normal(self, size=None, dtype=float):
            self._check(dtype)
            return _wrap(self._rng.standard_normal(size).astype(dtype))

        def random_sample(self, size=None, dtype=float):
            self._check(dtype)
            return _wrap(self._rng.random_sample(size).astype(dtype))

        def randint(self, low, high=None, size=None, dtype=int):
            return _wrap(self._rng.randint(low, high, size=size, dtype=dtype))

        def permutation(self, a):
            assert isinstance(a, int)
            return _wrap(self._rng.permutation(a))

    def get_device_count():
        if count_error is not None:
            raise count_error
        return device_count

    class _Stream:
        def synchronize(self):
            state["stream_syncs"] += 1

    cp.ndarray = ndarray
    cp.asarray = asarray
    cp.ascontiguousarray = lambda a: np.ascontiguousarray(a).view(ndarray)
    cp.asnumpy = lambda a: np.array(a)
    cp.empty = lambda shape, dtype=float: np.empty(shape, dtype).view(ndarray)
    cp.minimum = np.minimum
    cp.add = _AddUfunc()
    cp.cuda = types.SimpleNamespace(
        Device=Device,
        get_current_stream=lambda: _Stream(),
        runtime=types.SimpleNamespace(
            getDeviceCount=get_device_count,
            getDeviceProperties=lambda i: {"name": b"Fake GPU %d" % i},
            runtimeGetVersion=lambda: 12040))
    cp.random = types.SimpleNamespace(RandomState=RandomState)
    return cp


@pytest.fixture
def no_cupy(monkeypatch):
    """`import cupy` raises ImportError, even where CuPy is installed."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    return CupyBackend()


@pytest.fixture
def fake(monkeypatch):
    cp = make_fake_cupy()
    monkeypatch.setitem(sys.modules, "cupy", cp)
    return CupyBackend(), cp


# ---- without CuPy --------------------------------------------------------------------------------
def test_importing_backends_does_not_import_cupy():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import minitorch_np.backends as b
        import minitorch_np.backends.cupy_backend
        cuda = b.get_backend("cuda")
        assert not cuda.is_array(np.zeros(2))
        assert "cupy" not in sys.modules, "importing the backends imported cupy"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_registered_as_cuda():
    from minitorch_np.backends import get_backend
    assert isinstance(get_backend("cuda"), CupyBackend)
    assert CupyBackend.name == "cuda"


def test_is_available_never_raises_and_is_a_bool():
    b = CupyBackend()
    assert isinstance(b.is_available(), bool)
    assert isinstance(b.device_count(), int)
    if not CUPY_INSTALLED:
        assert b.is_available() is False
        assert b.device_count() == 0


def test_unavailable_without_cupy(no_cupy):
    assert no_cupy.is_available() is False
    assert no_cupy.device_count() == 0


def test_xp_raises_with_install_hint(no_cupy):
    with pytest.raises(RuntimeError, match="CUDA is not available") as info:
        _ = no_cupy.xp
    assert INSTALL_HINT in str(info.value)
    assert "pip install minitorch_np[cuda]" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda b: b.from_numpy(np.zeros(3), 0),
    lambda b: b.device_context(0),
    lambda b: b.synchronize(0),
    lambda b: b.random_normal((2,), np.float32, 0),
    lambda b: b.random_permutation(3, 0),
])
def test_gpu_operations_raise_runtime_error_when_unavailable(no_cupy, call):
    with pytest.raises(RuntimeError, match=r"minitorch_np\[cuda\]"):
        call(no_cupy)


def test_is_array_false_for_host_objects(no_cupy):
    for obj in (np.zeros(3), np.float32(1.0), [1.0], 1.0, None):
        assert no_cupy.is_array(obj) is False


def test_manual_seed_and_blas_info_work_without_cupy(no_cupy):
    no_cupy.manual_seed(123)  # must not need CuPy
    with pytest.raises(TypeError):
        no_cupy.manual_seed(1.5)
    info = no_cupy.blas_info()
    assert "not available" in info


def test_unavailable_when_runtime_errors(monkeypatch):
    cp = make_fake_cupy(count_error=RuntimeError("cudaErrorInsufficientDriver"))
    monkeypatch.setitem(sys.modules, "cupy", cp)
    b = CupyBackend()
    assert b.is_available() is False and b.device_count() == 0
    with pytest.raises(RuntimeError, match="cudaErrorInsufficientDriver"):
        _ = b.xp


def test_unavailable_with_zero_devices(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", make_fake_cupy(device_count=0))
    b = CupyBackend()
    assert b.is_available() is False
    with pytest.raises(RuntimeError, match="no CUDA device"):
        _ = b.xp


def test_cupy_api_names_exist_in_numpy_too():
    # the ops layer calls xp.<name> on either backend, so every name must be a NumPy name too
    for name in sorted(CUPY_API):
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part)


def test_excluded_names_are_not_in_cupy_api():
    assert not set(cupy_backend.CUPY_API_EXCLUDED) & CUPY_API
    assert "put_along_axis" in cupy_backend.CUPY_API_EXCLUDED


# ---- the backend's logic, against the stand-in ---------------------------------------------------
def test_fake_devices_and_transfers(fake):
    b, cp = fake
    assert b.is_available() and b.device_count() == 2 and b.xp is cp
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    dev = b.from_numpy(host, 1)
    assert b.is_array(dev) and not b.is_array(host)
    assert b.device_index(dev) == 1
    assert cp._state["stream_syncs"] == 1      # the H2D copy is waited for
    assert cp._state["current"] == 0            # the device context was left
    host[0, 0] = 100.0                          # the device copy does not share memory
    back = b.to_numpy(dev)
    assert type(back) is np.ndarray and back[0, 0] == 0.0
    assert b.device_index(b.from_numpy(host, None)) == 0


def test_fake_device_context_and_synchronize(fake):
    b, cp = fake
    with b.device_context(1):
        assert cp._state["current"] == 1
    assert cp._state["current"] == 0
    with pytest.raises(RuntimeError, match="cuda:5 does not exist"):
        b.device_context(5)
    with pytest.raises(RuntimeError, match="does not exist"):
        b.from_numpy(np.zeros(1), 2)
    b.synchronize(1)
    b.synchronize()
    assert cp._state["device_syncs"] == [1, 0]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "uint32", "uint64",
                                   "int64", "int16", "int8", "uint8", "bool"])
def test_fake_index_add_matches_numpy_add_at(fake, dtype):
    b, _ = fake
    rng = np.random.default_rng(0)
    if dtype == "bool":
        target = rng.random(5) < 0.3
        values = rng.random(7) < 0.5
    elif np.dtype(dtype).kind == "f":
        target = rng.standard_normal(5).astype(dtype)
        values = rng.standard_normal(7).astype(dtype)
    else:
        info = np.iinfo(dtype)
        target = rng.integers(info.min, info.max, 5, dtype=dtype, endpoint=True)
        values = rng.integers(info.min, info.max, 7, dtype=dtype, endpoint=True)
    index = np.array([0, 2, 2, 4, 0, 0, 1])
    expected = target.copy()
    with np.errstate(over="ignore"):
        np.add.at(expected, index, values)
    dev = b.from_numpy(target, 1)
    b.index_add(dev, b.from_numpy(index, 1), b.from_numpy(values, 1))
    assert dev.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(b.to_numpy(dev), expected)


def test_fake_index_add_rows_and_tuple_index(fake):
    b, _ = fake
    target = np.zeros((3, 2), np.float32)
    b_target = b.from_numpy(target, 0)
    b.index_add(b_target, np.array([2, 2, 0]), np.ones((3, 2), np.float32))
    np.testing.assert_array_equal(b.to_numpy(b_target), [[1, 1], [0, 0], [2, 2]])
    t64 = b.from_numpy(np.zeros((2, 2), np.int64), 0)
    b.index_add(t64, (np.array([0, 0, 1]), np.array([1, 1, 0])), np.array([-5, 2, 7]))
    np.testing.assert_array_equal(b.to_numpy(t64), [[0, -3], [7, 0]])


def test_fake_random_is_seeded_per_device(fake):
    b, _ = fake
    b.manual_seed(7)
    a1 = b.to_numpy(b.random_normal((4,), np.float32, 0))
    b.manual_seed(7)
    a2 = b.to_numpy(b.random_normal((4,), np.float32, 0))
    np.testing.assert_array_equal(a1, a2)
    x = b.random_uniform((3,), np.float64, 1)
    assert b.device_index(x) == 1
    assert b._generators[1].device_id == 1 and b._generators[0].device_id == 0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fake_random_float_dtypes(fake, dtype):
    b, _ = fake
    n = b.random_normal((2, 3), dtype, 0)
    u = b.random_uniform(5, dtype, 0)
    assert n.shape == (2, 3) and n.dtype == dtype
    assert u.shape == (5,) and u.dtype == dtype
    host = b.to_numpy(u)
    assert (host >= 0).all() and (host < 1).all()


def test_fake_random_rejects_non_float(fake):
    b, _ = fake
    with pytest.raises(TypeError):
        b.random_normal((2,), np.int32, 0)
    with pytest.raises(TypeError):
        b.random_uniform((2,), np.bool_, 0)


def test_fake_random_integers_and_permutation(fake):
    b, _ = fake
    r = b.random_integers(-3, 4, (50,), 0)
    assert r.dtype == np.int64 and b.is_array(r)
    host = b.to_numpy(r)
    assert host.min() >= -3 and host.max() < 4
    with pytest.raises(ValueError):
        b.random_integers(2, 2, (1,), 0)
    p = b.random_permutation(10, 1)
    assert p.dtype == np.int64 and b.device_index(p) == 1
    np.testing.assert_array_equal(np.sort(b.to_numpy(p)), np.arange(10))
    empty = b.random_permutation(0, 0)
    assert empty.shape == (0,) and empty.dtype == np.int64
    with pytest.raises(ValueError):
        b.random_permutation(-1, 0)


def test_fake_blas_info(fake):
    b, _ = fake
    info = b.blas_info()
    assert "CuPy 13.6.0+fake" in info and "CUDA runtime 12.4" in info
    assert "cuda:1 Fake GPU 1" in info


# ---- on a real GPU -------------------------------------------------------------------------------
gpu = pytest.mark.skipif(not CupyBackend().is_available(), reason="needs CuPy and a CUDA GPU")


@gpu
def test_gpu_round_trip():
    b = CupyBackend()
    host = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]  # non-contiguous
    dev = b.from_numpy(host, 0)
    assert b.is_array(dev) and b.device_index(dev) == 0
    np.testing.assert_array_equal(b.to_numpy(dev), host)
    b.synchronize(0)
    assert "CuPy" in b.blas_info()


@gpu
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "int8",
                                   "uint8", "bool"])
def test_gpu_index_add_matches_numpy(dtype):
    b = CupyBackend()
    target = np.zeros(4, dtype)
    values = np.ones(6, dtype)
    index = np.array([0, 0, 3, 3, 3, 1])
    expected = target.copy()
    np.add.at(expected, index, values)
    dev = b.from_numpy(target, 0)
    b.index_add(dev, b.from_numpy(index, 0), b.from_numpy(values, 0))
    np.testing.assert_array_equal(b.to_numpy(dev), expected)


@gpu
def test_gpu_random():
    b = CupyBackend()
    b.manual_seed(0)
    first = b.to_numpy(b.random_normal((1001,), np.float32, 0))  # odd size: cuRAND pads
    b.manual_seed(0)
    np.testing.assert_array_equal(first, b.to_numpy(b.random_normal((1001,), np.float32, 0)))
    for dt in (np.float16, np.float32, np.float64):
        u = b.to_numpy(b.random_uniform((1000,), dt, 0))
        assert u.dtype == dt and (u >= 0).all() and (u < 1).all()
    r = b.to_numpy(b.random_integers(0, 5, (100,), 0))
    assert r.dtype == np.int64 and r.min() >= 0 and r.max() < 5
    np.testing.assert_array_equal(np.sort(b.to_numpy(b.random_permutation(50, 0))),
                                  np.arange(50))


@pytest.mark.skipif(CupyBackend().device_count() < 2, reason="needs two CUDA devices")
def test_gpu_second_device():
    b = CupyBackend()
    dev = b.from_numpy(np.ones(3, np.float32), 1)
    assert b.device_index(dev) == 1
    with b.device_context(1):
        out = b.xp.multiply(dev, 2)
    assert b.device_index(out) == 1
    assert b.device_index(b.random_normal((2,), np.float32, 1)) == 1


def test_every_xp_name_the_ops_call_is_in_cupy_api():
    # the ops layer reaches the array library only as `xp.<name>`: each name it uses must be
    # one whose CuPy 13 behaviour was checked (CUPY_API), or the GPU path is untested ground
    import ast
    import pathlib
    root = pathlib.Path(cupy_backend.__file__).parent.parent
    used = {}
    for path in root.rglob("*.py"):
        if path.parent.name == "backends":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            parts, inner = [], node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            # ... .xp.<name>: the attribute right after an `xp`
            chain = ([inner.id] if isinstance(inner, ast.Name) else []) + parts[::-1]
            if "xp" in chain[:-1]:
                name = chain[chain.index("xp") + 1]
                used.setdefault(name, set()).add(path.name)
    unchecked = {name: files for name, files in used.items()
                 if name not in CUPY_API and not any(n.startswith(name + ".") for n in CUPY_API)}
    assert not unchecked, unchecked
