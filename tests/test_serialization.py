"""`save` / `load`: the safetensors format, round trips, interop, corrupted files, no pickle,
atomic writes.

Files are checked against the safetensors spec with a small independent reader/writer written
here (`_split`, `_build`: struct + json), against the reference `safetensors` package when it is
installed, and through round trips on every test device.
"""
from __future__ import annotations

import io
import json
import math
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from helpers import to_host
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_np as torch
from minitorch_np.serialization import STRUCTURE_KEY

DTYPES = [torch.float16, torch.float32, torch.float64, torch.uint8, torch.int8, torch.int16,
          torch.int32, torch.int64, torch.bool]
SPEC_NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
              torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
              torch.uint8: "U8", torch.bool: "BOOL"}


# ---- an independent reading and writing of the format (the spec, not our module) ---------------
def _split(data: bytes) -> tuple[dict, bytes]:
    """(header dict, byte buffer) of a safetensors file."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def _build(header: dict, buffer: bytes, pad: bool = True) -> bytes:
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + buffer


def _saved(obj) -> bytes:
    stream = io.BytesIO()
    torch.save(obj, stream)
    return stream.getvalue()


def _loaded(data: bytes, **kwargs):
    return torch.load(io.BytesIO(data), **kwargs)


def _sample(dtype, shape, device):
    """Values that exercise the dtype: negatives, extremes, and for floats nan/inf/-0."""
    n = math.prod(shape)
    if dtype is torch.bool:
        values = np.arange(n) % 3 == 0
    elif dtype.is_floating_point:
        special = np.array([np.nan, np.inf, -np.inf, -0.0, 1.5, -2.25, 1e-3])
        values = np.resize(special, n)
    else:
        info = np.iinfo(dtype.numpy)
        values = np.resize(np.array([info.min, info.max, 0, 1, info.min + 7]), n)
    return torch.tensor(values.astype(dtype.numpy).reshape(shape), device=device)


def _concrete(d) -> torch.device:
    """The device a tensor made on `d` carries ('fakegpu' means 'fakegpu:0')."""
    d = torch.device(d)
    return d if d.type == "cpu" or d.index is not None else torch.device(d.type, 0)


def _assert_same(loaded, original, device=None):
    assert isinstance(loaded, torch.Tensor)
    assert loaded.dtype == original.dtype
    assert loaded.shape == original.shape
    assert loaded.device == (_concrete(device) if device is not None else original.device)
    np.testing.assert_array_equal(to_host(loaded), to_host(original))  # nan == nan here


# ---- the bytes on disk --------------------------------------------------------------------------
def test_file_layout_follows_the_spec():
    t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    data = _saved({"weight": t, "step": torch.tensor(7)})
    n = int.from_bytes(data[:8], "little")
    assert (8 + n) % 8 == 0, "the header is padded so the buffer starts 8-byte aligned"
    assert data[8:9] == b"{" and data[8:8 + n].rstrip(b" ").endswith(b"}")
    header, buffer = _split(data)
    assert set(header) == {"__metadata__", "weight", "step"}
    # int64 is ordered before float32 (the reference writer's order), offsets from the buffer
    assert header["step"] == {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}
    assert header["weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [8, 32]}
    assert buffer == np.int64(7).astype("<i8").tobytes() + \
        np.arange(1, 7, dtype="<f4").tobytes()
    assert isinstance(header["__metadata__"][STRUCTURE_KEY], str)


def test_reads_the_reference_test_vector():
    # the serialization test of the reference implementation (safetensors/src/tensor.rs):
    # {"attn.0": F32 [1, 2, 3]} holding 0..5, header of 64 bytes, no metadata
    header = b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'
    assert len(header) == 64
    data = (64).to_bytes(8, "little") + header + np.arange(6, dtype="<f4").tobytes()
    out = _loaded(data)
    assert list(out) == ["attn.0"]
    assert out["attn.0"].dtype == torch.float32 and out["attn.0"].device == torch.device("cpu")
    np.testing.assert_array_equal(to_host(out["attn.0"]), np.arange(6.0).reshape(1, 2, 3))


def test_a_flat_dict_keeps_its_names_and_empty_object_is_valid():
    data = _saved({"layer.0.weight": torch.ones(2), "é/ü": torch.zeros(1), "": torch.ones(())})
    header, _ = _split(data)
    assert set(header) - {"__metadata__"} == {"layer.0.weight", "é/ü", ""}
    header, buffer = _split(_saved({}))
    assert set(header) == {"__metadata__"} and buffer == b""
    assert _loaded(_saved({})) == {}


# ---- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(2, 3), (), (0,), (3, 0, 2), (1, 1, 4)], ids=str)
def test_tensor_round_trip(device, dtype, shape):
    t = _sample(dtype, shape, device)
    out = _loaded(_saved(t))
    _assert_same(out, t)
    header, _ = _split(_saved(t))
    assert header["tensor"]["dtype"] == SPEC_NAMES[dtype]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_non_contiguous_tensors_are_written_in_c_order(device, dtype):
    base = _sample(dtype, (3, 4), device)
    views = {"t": base.t(), "p": _sample(dtype, (2, 3, 4), device).permute(2, 0, 1),
             "n": base.narrow(1, 1, 2)}
    out = _loaded(_saved(views))
    for key, view in views.items():
        _assert_same(out[key], view)
    # the bytes on disk are the C-order elements of the view, little-endian
    header, buffer = _split(_saved({"t": base.t()}))
    begin, end = header["t"]["data_offsets"]
    expected = np.ascontiguousarray(to_host(base).T).astype(dtype.numpy.newbyteorder("<"))
    assert buffer[begin:end] == expected.tobytes()


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3), dtype=st.sampled_from(DTYPES),
       transpose=st.booleans())
def test_round_trip_property(shape, dtype, transpose):
    t = _sample(dtype, tuple(shape), "cpu")
    if transpose and t.ndim >= 2:
        t = t.transpose(0, t.ndim - 1)
    _assert_same(_loaded(_saved(t)), t)


def test_nested_structures_round_trip(device):
    a, b = torch.randn(2, 3, device=device), torch.arange(4, device=device)
    obj = {
        "tensors": [a, (b, None)],
        "ordered": OrderedDict([("z", 1), ("a", 2), ("m", a)]),
        "scalars": (0, -3, 2**70, 1.5, -0.0, float("inf"), float("-inf"), True, False, None,
                    "text ✓", ""),
        "empty": ([], (), {}, OrderedDict()),
        0: "int key", "0": "str key", -5: {1: b},
    }
    out = _loaded(_saved(obj))
    assert list(out) == list(obj)
    assert type(out["ordered"]) is OrderedDict and list(out["ordered"]) == ["z", "a", "m"]
    assert type(out["tensors"]) is list and type(out["tensors"][1]) is tuple
    assert out["tensors"][1][1] is None
    assert out["scalars"] == obj["scalars"]
    assert [type(v) for v in out["scalars"]] == [type(v) for v in obj["scalars"]]
    assert math.copysign(1.0, out["scalars"][4]) == -1.0
    assert out["empty"] == ([], (), {}, OrderedDict())
    assert type(out["empty"][3]) is OrderedDict
    assert out[0] == "int key" and out["0"] == "str key"
    _assert_same(out["tensors"][0], a)
    _assert_same(out["tensors"][1][0], b)
    _assert_same(out["ordered"]["m"], a)
    _assert_same(out[-5][1], b)
    nan = _loaded(_saved([float("nan")]))[0]
    assert isinstance(nan, float) and math.isnan(nan)


def test_entry_names_never_collide():
    x, y, z, w = (torch.full((1,), float(i)) for i in range(4))
    obj = {"a.b": x, "a": {"b": y}, 0: z, "0": w}
    data = _saved(obj)
    header, _ = _split(data)
    assert len(header) - 1 == 4  # four distinct entries
    out = _loaded(data)
    for got, want in [(out["a.b"], x), (out["a"]["b"], y), (out[0], z), (out["0"], w)]:
        _assert_same(got, want)


def test_optimizer_state_dict_round_trip(device):
    state = {
        "state": {0: {"momentum_buffer": torch.randn(3, 2, device=device)},
                  1: {"step": torch.tensor(4.0, device=device),
                      "exp_avg": torch.zeros(2, device=device),
                      "exp_avg_sq": torch.ones(2, device=device, dtype=torch.float64)}},
        "param_groups": [{"lr": 0.1, "momentum": 0.9, "betas": (0.9, 0.999), "eps": 1e-8,
                          "nesterov": False, "maximize": False, "foreach": None,
                          "params": [0, 1]}],
    }
    out = _loaded(_saved(state))
    assert out["param_groups"] == state["param_groups"]
    assert list(out["state"]) == [0, 1]
    for i in (0, 1):
        assert list(out["state"][i]) == list(state["state"][i])
        for key, t in state["state"][i].items():
            _assert_same(out["state"][i][key], t)


def test_loaded_tensors_are_fresh_leaves_with_requires_grad_kept(device):
    # as torch.load: requires_grad is kept, the loaded tensor is a leaf, memory is not shared
    x = torch.ones(3, device=device, requires_grad=True)
    y = x * 2
    z = torch.zeros(2, device=device)
    out = _loaded(_saved([x, y, z]))
    assert [t.requires_grad for t in out] == [True, True, False]
    assert all(t.is_leaf and t.grad is None for t in out)
    out[1].sum().backward()
    np.testing.assert_array_equal(to_host(out[1].grad), np.ones(3, np.float32))
    out[2].add_(1.0)  # writable memory of its own (not a view of the file's bytes)
    np.testing.assert_array_equal(to_host(out[2]), np.ones(2, np.float32))


def test_path_round_trip(device, tmp_path):
    obj = {"w": torch.randn(2, 2, device=device)}
    for path in (tmp_path / "a.safetensors", str(tmp_path / "b.safetensors")):
        torch.save(obj, path)
        _assert_same(torch.load(path)["w"], obj["w"])
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors", "b.safetensors"]


def test_file_object_round_trip(device, tmp_path):
    obj = {"w": torch.randn(2, 3, device=device), "n": 3}
    with open(tmp_path / "f.st", "wb") as f:
        torch.save(obj, f)
    with open(tmp_path / "f.st", "rb") as f:
        out = torch.load(f)
    assert out["n"] == 3
    _assert_same(out["w"], obj["w"])
    with open(tmp_path / "f.st", encoding="latin-1") as f, pytest.raises(TypeError, match="rb"):
        torch.load(f)


# ---- map_location -------------------------------------------------------------------------------
def test_map_location(device):
    t = torch.randn(2, device=device)
    data = _saved({"t": t})
    _assert_same(_loaded(data)["t"], t)  # None: on the device it was saved from
    for target in ("cpu", "fakegpu", torch.device("fakegpu:0"), torch.device("cpu")):
        _assert_same(_loaded(data, map_location=target)["t"], t, device=target)
    mapped = _loaded(data, map_location={str(t.device): "fakegpu"})["t"]
    assert mapped.device == torch.device("fakegpu:0")
    unmapped = _loaded(data, map_location={"cuda:5": "cpu"})["t"]
    assert unmapped.device == t.device
    with pytest.raises(TypeError, match="map_location"):
        _loaded(data, map_location=lambda storage, loc: storage)


@pytest.mark.parametrize("saved_on", ["cuda:99", "tpu:0"])
def test_unavailable_saved_device_falls_back_to_cpu(saved_on):
    header, buffer = _split(_saved({"t": torch.ones(2)}))
    structure = json.loads(header["__metadata__"][STRUCTURE_KEY])
    structure["root"]["items"][0][1]["device"] = saved_on
    header["__metadata__"][STRUCTURE_KEY] = json.dumps(structure)
    data = _build(header, buffer)
    with pytest.warns(UserWarning, match="not available"):
        out = _loaded(data)
    assert out["t"].device == torch.device("cpu")
    assert _loaded(data, map_location="fakegpu")["t"].device == torch.device("fakegpu:0")


def test_foreign_file_loads_on_map_location(device):
    data = _build({"a": {"dtype": "I16", "shape": [2], "data_offsets": [0, 4]}},
                  np.array([-3, 9], "<i2").tobytes())
    out = _loaded(data, map_location=device)
    assert out["a"].dtype == torch.int16 and out["a"].device == _concrete(device)
    np.testing.assert_array_equal(to_host(out["a"]), [-3, 9])
    # a foreign file's tensors count as saved on the cpu for a dict map_location
    assert _loaded(data, map_location={"cpu": device})["a"].device == _concrete(device)


# ---- interop with the reference implementation ---------------------------------------------------
def _state(device):
    return {name: _sample(dt, shape, device) for name, dt, shape in [
        ("h", torch.float16, (2, 2)), ("f", torch.float32, (3,)), ("d", torch.float64, ()),
        ("u8", torch.uint8, (4,)), ("i8", torch.int8, (1, 2)), ("i16", torch.int16, (0, 2)),
        ("i32", torch.int32, (2,)), ("i64", torch.int64, (1,)), ("b", torch.bool, (5,))]}


def test_safetensors_reads_our_files(device, tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open
    state = _state(device)
    state["t"] = torch.randn(3, 2, device=device).t()
    torch.save(state, tmp_path / "ours.safetensors")
    theirs = st_numpy.load_file(tmp_path / "ours.safetensors")
    assert set(theirs) == set(state)
    for name, t in state.items():
        assert theirs[name].dtype == t.dtype.numpy and theirs[name].shape == tuple(t.shape)
        np.testing.assert_array_equal(theirs[name], to_host(t))
    with safe_open(tmp_path / "ours.safetensors", framework="np") as f:
        assert STRUCTURE_KEY in f.metadata()


def test_our_bytes_equal_the_reference_writer(device):
    st_numpy = pytest.importorskip("safetensors.numpy")
    state = _state(device)
    state["t"] = torch.randn(3, 2, device=device).t()
    ours = _saved(state)
    header, _ = _split(ours)
    host = {k: np.array(to_host(v), order="C") for k, v in state.items()}
    assert ours == st_numpy.save(host, metadata=header["__metadata__"])


def test_we_read_safetensors_files(device, tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = {k: to_host(v).copy() for k, v in _state("cpu").items()}
    st_numpy.save_file(arrays, tmp_path / "theirs.safetensors", metadata={"format": "np"})
    for out in (torch.load(tmp_path / "theirs.safetensors", map_location=device),
                _loaded(st_numpy.save(arrays), map_location=device)):
        assert set(out) == set(arrays)
        for name, array in arrays.items():
            assert out[name].dtype.numpy == array.dtype and out[name].shape == array.shape
            assert out[name].device == _concrete(device)
            np.testing.assert_array_equal(to_host(out[name]), array)


def test_we_read_safetensors_torch_files():
    pt = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    state = {"w": pt.randn(3, 2), "i": pt.arange(5), "b": pt.tensor([True, False])}
    out = _loaded(st_torch.save(state))
    for name, t in state.items():
        np.testing.assert_array_equal(to_host(out[name]), t.numpy())
        assert out[name].dtype.name == str(t.dtype).removeprefix("torch.")


# ---- corrupted and truncated files ---------------------------------------------------------------
def _valid() -> bytes:
    return _saved({"a": torch.arange(4, dtype=torch.float32), "b": torch.tensor([1, 2])})


def _edit(change) -> bytes:
    header, buffer = _split(_valid())
    change(header)
    return _build(header, buffer)


def _edit_structure(change) -> bytes:
    def edit(header):
        structure = json.loads(header["__metadata__"][STRUCTURE_KEY])
        change(structure)
        header["__metadata__"][STRUCTURE_KEY] = json.dumps(structure)
    return _edit(edit)


def _set(path, value):
    """A header edit: header[path[0]][path[1]]... = value."""
    def change(header):
        node = header
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _entry(structure, i):
    return structure["root"]["items"][i][1]


def _duplicate_names() -> bytes:
    entry = '{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'
    text = f'{{"a":{entry},"a":{entry}}}'.encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"\x05"


CORRUPTIONS = {
    "shorter than 8 bytes": (lambda: _valid()[:5], "fewer than the 8-byte"),
    "cut inside the header": (lambda: _valid()[:40], "truncated"),
    "cut inside the data": (lambda: _valid()[:-3], "truncated or extra"),
    "bytes after the data": (lambda: _valid() + b"\0" * 8, "truncated or extra"),
    "header length too large": (lambda: (10**6).to_bytes(8, "little") + _valid()[8:],
                                "only"),
    "empty header": (lambda: (0).to_bytes(8, "little") + b'{"a":1}', "start with"),
    "header not starting with {": (lambda: _build({}, b"")[:8] + b" {}     ", "start with"),
    "header not UTF-8": (lambda: (8).to_bytes(8, "little") + b'{"\xff":1} ', "UTF-8"),
    "header not JSON": (lambda: (8).to_bytes(8, "little") + b'{"a":}  ', "not valid JSON"),
    "header NaN constant": (lambda: _build({"a": float("nan")}, b""), "not valid JSON"),
    "duplicate names": (lambda: _duplicate_names(), "duplicate keys"),
    "unknown dtype": (lambda: _edit(_set(["a", "dtype"], "F33")), "unknown dtype"),
    "unsupported dtype": (lambda: _edit(_set(["a", "dtype"], "BF16")), "not support"),
    "shape mismatch": (lambda: _edit(_set(["a", "shape"], [5])), "needs 20 bytes"),
    "negative dim": (lambda: _edit(_set(["a", "shape"], [-4])), "non-negative"),
    "float dim": (lambda: _edit(_set(["a", "shape"], [4.0])), "non-negative"),
    "offsets reversed": (lambda: _edit(_set(["a", "data_offsets"], [16, 0])), "begin <= end"),
    "offsets beyond the data": (lambda: _edit(_set(["a", "data_offsets"], [32, 48])), "gap"),
    "overlapping": (lambda: _edit(_set(["a", "data_offsets"], [8, 24])), "overlaps"),
    "extra entry key": (lambda: _edit(_set(["a", "x"], 1)), "exactly the keys"),
    "missing entry key": (lambda: _edit(lambda h: h["a"].pop("shape")), "exactly the keys"),
    "metadata not str": (lambda: _edit(_set(["__metadata__", "k"], 1)), "strings to strings"),
    "bool byte 2": (lambda: _build({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}},
                                   b"\x01\x02"), "BOOL"),
    "structure not JSON": (lambda: _edit(_set(["__metadata__", STRUCTURE_KEY], "{")),
                           "not valid JSON"),
    "structure wrong version": (lambda: _edit_structure(_set(["version"], 99)), "version 99"),
    "structure missing entry": (lambda: _edit_structure(
        lambda s: _entry(s, 0).update(name="zz")), "used once"),
    "structure entry twice": (lambda: _edit_structure(
        lambda s: _entry(s, 1).update(name="a")), "used once"),
    "structure unused entry": (lambda: _edit_structure(
        lambda s: s["root"]["items"].pop()), "not part of the saved object"),
    "structure unknown node": (lambda: _edit_structure(
        lambda s: s["root"].update(type="set")), "expected a scalar or a node"),
    "structure raw JSON list": (lambda: _edit_structure(
        lambda s: s["root"]["items"].append(["k", [1, 2]])), "expected a scalar or a node"),
    "structure bool key": (lambda: _edit_structure(
        lambda s: s["root"]["items"].append([True, 1])), "str or int key"),
    "requires_grad on int": (lambda: _edit_structure(
        lambda s: _entry(s, 1).update(requires_grad=True)), "floating-point"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupted_files_are_rejected(name, tmp_path):
    make, message = CORRUPTIONS[name]
    data = make()
    with pytest.raises(ValueError, match=message):
        _loaded(data)
    (tmp_path / "bad").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        torch.load(tmp_path / "bad")


def test_corruption_helpers_build_valid_files():
    # the edits above start from files that load: the failures come from the edits
    header, buffer = _split(_valid())
    out = _loaded(_build(header, buffer))
    np.testing.assert_array_equal(to_host(out["a"]), np.arange(4.0))
    assert _loaded(_edit(lambda h: None))["b"].tolist() == [1, 2]


def test_every_truncation_is_rejected():
    data = _valid()
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            _loaded(data[:cut])


# ---- no pickle, ever ----------------------------------------------------------------------------
class _Payload:
    """Unpickling this creates the file `marker` (stands for arbitrary code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 1, 2, 4, 5])
def test_pickle_files_are_refused_unopened(tmp_path, protocol):
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Payload(control), protocol=protocol)).close()
    assert control.exists(), "the payload really runs when unpickled"

    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=protocol))
    with pytest.raises(ValueError, match="never unpickles"):
        torch.load(path)
    assert not marker.exists()


def test_torch_save_files_are_refused(tmp_path):
    pt = pytest.importorskip("torch")
    pt.save({"w": pt.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="zip archive.*never unpickles"):
        torch.load(tmp_path / "model.pt")
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(torch.ones(2))


# ---- what save refuses ---------------------------------------------------------------------------
@pytest.mark.parametrize("obj, error, message", [
    ({"x": np.float32(1.0)}, TypeError, "numpy.float32 at x"),
    ({"x": [1, {2, 3}]}, TypeError, "builtins.set at x.1"),
    (object(), TypeError, "at the object"),
    ({True: 1}, TypeError, "keys must be str or int"),
    ({1.5: 1}, TypeError, "keys must be str or int"),
    ({"s": slice(1)}, TypeError, "slice"),
])
def test_save_refuses_what_it_cannot_store(obj, error, message):
    with pytest.raises(error, match=message):
        _saved(obj)


def test_save_refuses_cycles():
    cyclic = [torch.ones(1)]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="reference cycle"):
        _saved({"c": cyclic})
    shared = [1]
    assert _loaded(_saved([shared, shared])) == [[1], [1]]  # repeated, not cyclic: fine


# ---- atomic writes ------------------------------------------------------------------------------
@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "model.safetensors"
    torch.save({"old": torch.arange(3)}, path)
    return path, path.read_bytes()


def test_failure_mid_write_leaves_the_old_file(device, old_file, monkeypatch):
    path, before = old_file
    backend = torch.device(device).backend
    real, calls = backend.to_numpy, []

    def failing(array):
        calls.append(1)
        if len(calls) == 2:  # the header and the first tensor are already written
            raise RuntimeError("device lost")
        return real(array)

    obj = {k: torch.randn(1000, device=device) for k in "abc"}
    monkeypatch.setattr(backend, "to_numpy", failing)
    with pytest.raises(RuntimeError, match="device lost"):
        torch.save(obj, path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name], "the temporary file is removed"


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_at_rename_leaves_the_old_file(old_file, monkeypatch, error):
    path, before = old_file

    def failing_replace(src, dst):
        assert os.path.getsize(src) > len(before), "the new file was fully written"
        raise error

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(type(error)):
        torch.save({"new": torch.randn(50)}, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_refused_object_never_touches_the_file(old_file):
    path, before = old_file
    with pytest.raises(TypeError):
        torch.save({"w": torch.ones(2), "bad": {1, 2}}, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_successful_save_replaces_the_file(old_file):
    path, _ = old_file
    torch.save({"new": torch.ones(2)}, path)
    assert list(torch.load(path)) == ["new"]
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")
def test_saved_file_has_umask_permissions_and_symlinks_are_followed(tmp_path):
    umask = os.umask(0o022)
    try:
        torch.save({"w": torch.ones(1)}, tmp_path / "m.st")
        assert os.stat(tmp_path / "m.st").st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)
    os.symlink(tmp_path / "m.st", tmp_path / "link.st")
    torch.save({"v": torch.zeros(1)}, tmp_path / "link.st")
    assert os.path.islink(tmp_path / "link.st")
    assert list(torch.load(tmp_path / "m.st")) == ["v"]


def test_bad_arguments():
    with pytest.raises(TypeError, match="path or a binary file"):
        torch.save(torch.ones(1), 3)
    with pytest.raises(TypeError, match="path or a binary file"):
        torch.load(3.5)
