"""The fake GPU backend: NumPy behind a wrapper that must behave like CuPy's separate device."""
from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest

from minitorch_np.backends.fake_backend import FakeArray, FakeGpuBackend
from minitorch_np.backends.numpy_backend import NumpyBackend


@pytest.fixture
def backend():
    """The fake backend in its default (lenient) mode; tests/conftest.py turns strict mode on
    for the rest of the suite, and the strict-mode tests here turn it on themselves."""
    b = FakeGpuBackend()
    strict = b.strict_current_device
    b.strict_current_device = False
    yield b
    b.strict_current_device = strict


@pytest.fixture
def xp(backend):
    return backend.xp


def dev_array(backend, values, index=0, dtype=np.float32):
    return backend.from_numpy(np.asarray(values, dtype=dtype), index)


# ---- no implicit host conversion ---------------------------------------------------------------
def test_asarray_refuses_with_cupys_message(backend):
    a = dev_array(backend, [1, 2])
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError):
        np.array([a, a])
    with pytest.raises(TypeError):
        np.testing.assert_allclose(a, a)  # tests must compare host copies
    assert not isinstance(a, np.ndarray)


def test_array_interface_and_host_views_are_hidden(backend):
    a = dev_array(backend, [1, 2])
    for name in ("__array_interface__", "__array_struct__", "flat", "ctypes", "data"):
        assert not hasattr(a, name)


def test_get_and_asnumpy_round_trip(backend, xp):
    host = np.arange(6, dtype=np.float64).reshape(2, 3)
    a = backend.from_numpy(host, 0)
    for back in (a.get(), xp.asnumpy(a), backend.to_numpy(a)):
        assert type(back) is np.ndarray
        np.testing.assert_array_equal(back, host)
        back[0, 0] = 99  # a copy: the device array is untouched
    assert a[0, 0].item() == 0


def test_from_numpy_copies(backend):
    host = np.zeros(3, np.float32)
    a = backend.from_numpy(host, 0)
    host[0] = 7
    assert a.get()[0] == 0
    with pytest.raises(TypeError):
        backend.to_numpy(host)


# ---- no mixing with host arrays ----------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda h, a: h + a, lambda h, a: a + h, lambda h, a: h * a, lambda h, a: a - h,
    lambda h, a: h == a, lambda h, a: a == h, lambda h, a: h > a, lambda h, a: h @ a.T,
    lambda h, a: np.add(a, h), lambda h, a: np.concatenate([a, h]),
    lambda h, a: np.where(a > 0, h, a),
    lambda h, a: np.array(1.0) + a,  # a 0-d host array is a host array too
])
def test_mixing_with_host_arrays_refused(backend, op):
    a = dev_array(backend, [[1, 2], [3, 4]])
    h = np.ones((2, 2), np.float32)
    with pytest.raises(TypeError, match=r"Unsupported type <class 'numpy\.ndarray'>.*host"):
        op(h, a)


def test_scalars_are_allowed_and_keep_dtype(backend):
    a = dev_array(backend, [1, 2])
    for r in (a + 2.0, 2.0 * a, a / 2, np.float32(2.0) + a, a ** 2, -a, abs(a)):
        assert type(r) is FakeArray and r.dtype == np.float32
    np.testing.assert_array_equal((3 - a).get(), [2, 1])
    assert type(a > 0) is FakeArray and (a > 0).dtype == bool


def test_setitem_and_getitem_refuse_host_arrays(backend, xp):
    a = dev_array(backend, [1, 2, 3])
    with pytest.raises(TypeError, match="Unsupported type"):
        a[0:2] = np.array([5, 6], np.float32)
    with pytest.raises(TypeError, match="Unsupported type"):
        a[np.array([0, 1])]
    a[0:2] = xp.asarray([5, 6])
    a[2] = np.float32(9)
    a[xp.asarray([0])] = 0.0
    np.testing.assert_array_equal(a.get(), [0, 6, 9])
    np.testing.assert_array_equal(a[xp.asarray([2, 0])].get(), [9, 0])
    np.testing.assert_array_equal(a[[1, 1]].get(), [6, 6])
    np.testing.assert_array_equal(a[a > 5].get(), [6, 9])


# ---- results are device arrays -----------------------------------------------------------------
def test_reductions_return_0d_device_arrays(backend):
    a = dev_array(backend, [[1, 2], [3, 4]])
    for r in (a.sum(), np.sum(a), a.max(), np.mean(a), a.argmax(), a[1, 1], a.sum(axis=0)[0]):
        assert type(r) is FakeArray and r.shape == ()
    assert a.sum().item() == 10.0 and float(a.sum()) == 10.0 and int(a.argmax()) == 3
    assert f"{a.mean():.1f}" == "2.5"


def test_python_scalar_conversion_follows_numpy(backend):
    a = dev_array(backend, [1, 2])
    with pytest.raises(TypeError, match="0-dimensional"):
        float(a)
    with pytest.raises(TypeError):
        int(a)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a)
    assert bool(a[1]) and [10, 20, 30][a.astype(np.int64)[1]] == 30


def test_tuple_and_namedtuple_results_are_wrapped(backend):
    a = dev_array(backend, [[2, 0], [0, 3]])
    q, r = np.divmod(a, 2)
    assert type(q) is FakeArray and type(r) is FakeArray
    w, v = np.linalg.eigh(a)
    assert type(w) is FakeArray and type(v) is FakeArray
    assert type(np.linalg.eigh(a).eigenvectors) is FakeArray
    assert all(type(i) is FakeArray for i in a.nonzero())
    assert np.may_share_memory(a, a[0]) is True and np.shape(a) == (2, 2)
    assert np.result_type(a, np.float64) == np.float64


def test_iteration_len_repr(backend):
    a = dev_array(backend, [[1, 2], [3, 4]], index=1)
    rows = list(a)
    assert len(a) == 2 and all(type(r) is FakeArray and r.device.id == 1 for r in rows)
    assert all(type(v) is FakeArray and v.shape == () for v in rows[0])
    assert repr(dev_array(backend, [1, 2])) == "fakegpu:0 array([1., 2.], dtype=float32)"
    with pytest.raises(TypeError):
        iter(a.sum())


def test_views_share_device_memory(backend):
    a = dev_array(backend, [[1, 2], [3, 4]])
    row, t = a[0], a.T
    a[0, 0] = 10
    assert row[0].item() == 10 and t[0, 0].item() == 10
    assert type(a.T.base) is FakeArray and a.copy().base is None


# ---- in-place operations -----------------------------------------------------------------------
def test_inplace_operators_keep_identity(backend):
    a = dev_array(backend, [1, 2])
    view, before = a[:], a
    a += 1
    a *= dev_array(backend, [2, 2])
    a -= 1.0
    assert a is before
    np.testing.assert_array_equal(view.get(), [3, 5])


def test_out_arguments_write_into_device_arrays(backend, xp):
    a = dev_array(backend, [1, 2])
    out = xp.zeros(2, dtype=np.float32)
    assert np.add(a, 1, out=out) is out
    np.testing.assert_array_equal(out.get(), [2, 3])
    total = xp.zeros((), dtype=np.float32)
    assert np.sum(a, out=total) is total and total.item() == 3
    assert a.sum(out=total) is total
    np.copyto(out, a)
    np.testing.assert_array_equal(out.get(), [1, 2])


def test_add_at_accumulates_repeated_indices(backend, xp):
    z = xp.zeros(4, dtype=np.float32)
    np.add.at(z, xp.asarray([0, 0, 2, 0]), 1.0)
    np.testing.assert_array_equal(z.get(), [3, 0, 1, 0])
    m = xp.zeros((2, 2))
    backend.index_add(m, (xp.asarray([1, 1]), xp.asarray([0, 0])), xp.asarray([2.0, 3.0]))
    np.testing.assert_array_equal(m.get(), [[0, 0], [5, 0]])
    with pytest.raises(TypeError):
        np.add.at(z, np.array([0]), 1.0)


# ---- two devices -------------------------------------------------------------------------------
def test_mixing_devices_refused(backend):
    a0, a1 = dev_array(backend, [1, 2], 0), dev_array(backend, [1, 2], 1)
    for op in (lambda: a0 + a1, lambda: np.concatenate([a0, a1]), lambda: np.add(a0, 1, out=a1),
               lambda: a0.__setitem__(0, a1[0]), lambda: a0[a1.astype(np.int64)]):
        with pytest.raises(ValueError, match="fakegpu:0 and fakegpu:1"):
            op()
    assert (a1 + a1).device.id == 1 and np.exp(a1).device.id == 1


def test_creation_follows_device_context(backend, xp):
    assert backend.device_count() == 2
    assert xp.zeros(2).device.id == 0
    with backend.device_context(1):
        made = [xp.zeros(2), xp.ones((2, 2)), xp.empty(1), xp.full(3, 2.0), xp.arange(3),
                xp.linspace(0, 1, 5), xp.eye(2), xp.asarray([1, 2]), xp.asarray(np.ones(2)),
                xp.array(dev_array(backend, [1], 0)), backend.random_normal((2,), np.float32, None)]
        assert all(type(m) is FakeArray and m.device.id == 1 for m in made)
        with backend.device_context(0):
            assert xp.zeros(1).device.id == 0
        assert backend.current_device() == 1
    assert xp.zeros(1).device.id == 0


def test_current_device_is_per_thread(backend, xp):
    seen = []
    with backend.device_context(1):
        t = threading.Thread(target=lambda: seen.append(xp.zeros(1).device.id))
        t.start()
        t.join()
    assert seen == [0]


def test_invalid_device_index(backend):
    with pytest.raises(RuntimeError, match="fakegpu:2"):
        backend.from_numpy(np.zeros(1), 2)
    with pytest.raises(RuntimeError):
        backend.device_context(5)


def test_strict_current_device(backend):
    a1 = dev_array(backend, [1, 2], 1)
    backend.strict_current_device = True
    try:
        with pytest.raises(ValueError, match="current device"):
            a1 + 1
        with backend.device_context(1):
            assert (a1 + 1).device.id == 1
    finally:
        backend.strict_current_device = False
    assert (a1 + 1).device.id == 1


# ---- the xp namespace --------------------------------------------------------------------------
def test_namespace(backend, xp):
    a = dev_array(backend, [1, 2])
    assert xp.asarray(a) is a and xp.asarray(a, dtype=np.float32) is a
    assert xp.asarray(a, dtype=np.float64).dtype == np.float64
    assert xp.ascontiguousarray(a) is a
    assert isinstance(a, xp.ndarray) and not isinstance(np.ones(1), xp.ndarray)
    assert xp.float32 is np.float32 and xp.inf == np.inf and xp.newaxis is None and xp.pi == np.pi
    assert type(xp.zeros_like(a)) is FakeArray and type(xp.exp(a)) is FakeArray
    assert type(xp.lib.stride_tricks.sliding_window_view(a, 2)) is FakeArray
    assert all(type(i) is FakeArray for i in xp.tril_indices(3))
    assert xp.full(2, a.sum()).get().tolist() == [3.0, 3.0]
    host = np.ones(2)
    assert xp.asarray(host).get() is not host
    with pytest.raises(AttributeError, match="random"):
        xp.random  # noqa: B018


def test_copy_and_pickle_keep_device(backend):
    a = dev_array(backend, [1, 2], 1)
    for c in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a)), a.copy()):
        assert type(c) is FakeArray and c.device.id == 1
        c[0] = 5
        assert a[0].item() == 1


def test_astype_without_copy_returns_self(backend):
    a = dev_array(backend, [1, 2])
    assert a.astype(np.float32, copy=False) is a
    assert a.astype(np.float32) is not a


def test_foreign_operands_get_their_reflected_operator(backend):
    class Other:
        __array_ufunc__ = None

        def __radd__(self, other):
            return "other"

    assert dev_array(backend, [1]) + Other() == "other"


# ---- random numbers ----------------------------------------------------------------------------
def test_random_matches_cpu_backend(backend):
    cpu = NumpyBackend()
    for b in (cpu, backend):
        b.manual_seed(1234)
    for dtype in (np.float32, np.float64):
        n = backend.random_normal((3, 4), dtype, 1)
        assert type(n) is FakeArray and n.device.id == 1 and n.dtype == dtype
        np.testing.assert_array_equal(n.get(), cpu.random_normal((3, 4), dtype))
        np.testing.assert_array_equal(backend.random_uniform(5, dtype, 0).get(),
                                      cpu.random_uniform(5, dtype))
    ints = backend.random_integers(0, 10, (6,), 0)
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.get(), cpu.random_integers(0, 10, (6,)))
    np.testing.assert_array_equal(backend.random_permutation(7, None).get(),
                                  cpu.random_permutation(7))
    assert backend.random_normal((), np.float32, 0).shape == ()


def test_bad_index_does_not_consume_random_numbers(backend):
    cpu = NumpyBackend()
    backend.manual_seed(3)
    cpu.manual_seed(3)
    with pytest.raises(RuntimeError):
        backend.random_uniform((2,), np.float64, 7)
    np.testing.assert_array_equal(backend.random_uniform((2,), np.float64, 0).get(),
                                  cpu.random_uniform((2,), np.float64))


def test_backend_basics(backend):
    a = dev_array(backend, [1], 1)
    assert backend.name == "fakegpu" and backend.is_array(a) and not backend.is_array(np.ones(1))
    assert backend.device_index(a) == 1 and a.device == backend.device_context(1)
    assert "NumPy" in backend.blas_info()
    backend.synchronize()


def test_flags_are_cupys_three_and_owner_follows_views(backend, xp):
    # cupy.ndarray.flags has c_contiguous, f_contiguous and owndata only: code that asks a
    # device array for .flags.writeable must fail here as it would on a GPU
    a = xp.ones((3, 4), dtype=np.float32)
    assert a.flags.c_contiguous and not a.flags.f_contiguous and a.flags["OWNDATA"]
    t = a.T
    assert t.flags.f_contiguous and not t.flags.c_contiguous and not t.flags.owndata
    assert not hasattr(a.flags, "writeable")
    with pytest.raises(KeyError, match="not defined for cupy.ndarray.flags"):
        a.flags["WRITEABLE"]
    # owner: the same object for an array and every view of it, compared by identity
    assert backend.owner(t) is backend.owner(a[1:]) is backend.owner(a)
    assert backend.owner(xp.ones(3)) is not backend.owner(a)
    assert backend.is_writable(a)
    assert not backend.is_writable(xp.broadcast_to(xp.ones(1), (4,)))
