"""`save` and `load`: tensors, and dicts/lists/tuples of them, in the safetensors format.

A saved file *is* a safetensors file (https://huggingface.co/docs/safetensors), written and read
here with NumPy alone::

    8 bytes      N, the header length: an unsigned 64-bit little-endian integer
    N bytes      the header: UTF-8 JSON, padded with spaces so that 8 + N is a multiple of 8
                 {"__metadata__": {str: str, ...},                          (optional)
                  "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
    the rest     the byte buffer: each tensor's elements, little-endian, C order, at
                 [begin, end) counted from the start of the buffer; the ranges tile the
                 buffer exactly (no gap, no overlap, nothing after the last tensor)

PyTorch's ``torch.save`` writes a pickle, and unpickling runs whatever code the file names.
Here loading only parses JSON and copies bytes (``numpy.frombuffer``): a file can be wrong,
never dangerous. Everything that is not a tensor -- the nesting of dicts, lists and tuples, the
Python numbers and strings in them, where each tensor lived -- is described by JSON stored as
one string under ``__metadata__["minitorch_np.structure"]``, and each tensor is an entry named
by its path (``state.0.exp_avg``). A flat dict of tensors with string keys therefore shows the
same names to any safetensors reader, and a file from any safetensors writer loads as a dict.

Saving to a path is atomic: the bytes go to a temporary file in the same directory, which is
flushed, ``fsync``-ed and then renamed over the target with ``os.replace``. A crash or an
exception mid-write leaves the old file as it was. See docs/serialization.md.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import uuid
import warnings
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from . import _dtype
from ._tensor import Tensor, _concrete
from .backends import device as Device

__all__ = ["load", "save"]

#: the ``__metadata__`` key holding the JSON description of the saved object
STRUCTURE_KEY = "minitorch_np.structure"
#: version of that description; bumped if its layout ever changes
FORMAT_VERSION = 1
#: the reference implementation refuses headers above 100 MB; so do we
MAX_HEADER_BYTES = 100_000_000

_DTYPE_TO_NAME = {_dtype.float64: "F64", _dtype.float32: "F32", _dtype.float16: "F16",
                  _dtype.int64: "I64", _dtype.int32: "I32", _dtype.int16: "I16",
                  _dtype.int8: "I8", _dtype.uint8: "U8", _dtype.bool: "BOOL"}
_NAME_TO_DTYPE = {name: dt for dt, name in _DTYPE_TO_NAME.items()}
# the order of the reference implementation's Dtype enum (increasing alignment) for our dtypes
_WRITE_RANK = {dt: rank for rank, dt in enumerate(
    (_dtype.bool, _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.float16, _dtype.int32,
     _dtype.float32, _dtype.float64, _dtype.int64))}
# safetensors dtypes that are valid in a file but have no minitorch_np dtype
_FOREIGN_DTYPES = {"BF16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3",
                   "F6_E3M2", "C64"}

PathOrFile = str | bytes | os.PathLike | IO[bytes]


# ==============================================================================================
# save
# ==============================================================================================
def save(obj: Any, f: PathOrFile) -> None:
    """Write `obj` to `f` in the safetensors format; no pickle.

    `obj` is a Tensor, or dicts (str or int keys; order kept, OrderedDict comes back as
    OrderedDict), lists and tuples nesting tensors, ints, floats, bools, strings and None --
    what a ``state_dict()`` or an optimizer's ``state_dict()`` holds. Tensors on any device are
    written from host copies; their dtype, shape, device and ``requires_grad`` are recorded.

    `f` is a path (``str`` or ``os.PathLike``): the file is replaced atomically, so a failure
    mid-write leaves any old file untouched. Or a binary file object opened for writing: the
    bytes are written at its current position and atomicity is then the caller's business.

    >>> save({'weight': minitorch_np.ones(2, 3)}, 'model.safetensors')
    """
    tensors, structure = _flatten(obj)
    header = _header_bytes(tensors, structure)  # every check happens before any file is touched
    if isinstance(f, str | bytes | os.PathLike):
        _write_atomically(os.fsdecode(f), header, tensors)
    elif hasattr(f, "write"):
        _write(f, header, tensors)
    else:
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")


def _flatten(obj) -> tuple[dict[str, Tensor], dict]:
    """Split `obj` into its tensors, named by path, and a JSON-able description of the rest.

    Nodes of the description: a JSON scalar for None/bool/int/str/finite float;
    ``{"type": "float", "value": "nan"|"inf"|"-inf"}``; ``{"type": "tensor", "name": ...,
    "device": "cpu", "requires_grad": false}``; ``{"type": "list"|"tuple", "items": [...]}``;
    ``{"type": "dict"|"OrderedDict", "items": [[key, node], ...]}`` (keys stay str or int).
    """
    tensors: dict[str, Tensor] = {}
    active: set[int] = set()  # containers on the current path, to refuse reference cycles

    def entry_name(path: list[str]) -> str:
        name = ".".join(path) if path else "tensor"
        unique, k = name, 1
        while unique in tensors or unique == "__metadata__":  # e.g. {'a.b': x, 'a': {'b': y}}
            unique, k = f"{name}#{k}", k + 1
        return unique

    def where(path: list[str]) -> str:
        return ".".join(path) if path else "the object"

    def visit(x, path: list[str]):
        if x is None or isinstance(x, bool | int | str):
            return x
        if isinstance(x, float):
            if math.isfinite(x):
                return float(x)
            return {"type": "float", "value": "nan" if math.isnan(x) else
                    ("inf" if x > 0 else "-inf")}
        if isinstance(x, Tensor):
            name = entry_name(path)
            tensors[name] = x
            return {"type": "tensor", "name": name, "device": str(x.device),
                    "requires_grad": x.requires_grad}
        if isinstance(x, dict | list | tuple):
            if id(x) in active:
                raise ValueError(f"save: {where(path)} contains itself (a reference cycle)")
            active.add(id(x))
            try:
                if isinstance(x, dict):
                    items = []
                    for key, value in x.items():
                        if isinstance(key, bool) or not isinstance(key, str | int):
                            raise TypeError(f"save: dict keys must be str or int, got "
                                            f"{type(key).__name__} {key!r} in {where(path)}")
                        items.append([key, visit(value, path + [str(key)])])
                    return {"type": "OrderedDict" if isinstance(x, OrderedDict) else "dict",
                            "items": items}
                return {"type": "tuple" if isinstance(x, tuple) else "list",
                        "items": [visit(v, path + [str(i)]) for i, v in enumerate(x)]}
            finally:
                active.discard(id(x))
        raise TypeError(f"save: cannot store {type(x).__module__}.{type(x).__qualname__} at "
                        f"{where(path)}; supported: Tensor, dict, list, tuple, int, float, bool, "
                        "str, None (minitorch_np.save writes no pickle)")

    structure = {"version": FORMAT_VERSION, "root": visit(obj, [])}
    return tensors, structure


def _buffer_order(tensors: dict[str, Tensor]) -> list[str]:
    """The reference writer's order: by dtype, widest first, then by name. The buffer starts at
    a multiple of 8, so every tensor starts at a multiple of its element size, and our files
    are byte-for-byte those of ``safetensors.numpy.save`` given the same metadata."""
    return sorted(tensors, key=lambda name: (-_WRITE_RANK[tensors[name].dtype], name))


def _header_bytes(tensors: dict[str, Tensor], structure: dict) -> bytes:
    """The 8-byte length followed by the padded JSON header."""
    header: dict[str, Any] = {"__metadata__": {
        STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"), allow_nan=False)}}
    offset = 0
    for name in _buffer_order(tensors):
        t = tensors[name]
        nbytes = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": _DTYPE_TO_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text


def _write(stream, header: bytes, tensors: dict[str, Tensor]) -> None:
    """Write the header, then each tensor's bytes, copying one tensor at a time to the host."""
    stream.write(header)
    for name in _buffer_order(tensors):
        t = tensors[name]
        host = t.device.backend.to_numpy(t._data)
        little = np.ascontiguousarray(host, dtype=host.dtype.newbyteorder("<"))  # C order
        stream.write(little.reshape(-1).view(np.uint8))


def _write_atomically(path: str, header: bytes, tensors: dict[str, Tensor]) -> None:
    """Write to a fresh file beside `path`, make it durable, then rename it over `path`."""
    path = os.path.realpath(path)  # writing through a symlink replaces its target, not the link
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as open(path, 'wb') would
    # (tempfile.mkstemp would leave the saved file readable by its owner only).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            _write(stream, header, tensors)
            stream.flush()
            os.fsync(stream.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never a mix
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    if os.name == "posix":
        # Make the rename itself durable. Some file systems refuse to fsync a directory; the
        # file is already complete and in place then, so that is not an error.
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


# ==============================================================================================
# load
# ==============================================================================================
def load(f: PathOrFile, map_location=None) -> Any:
    """Read what `save` (or any safetensors writer) wrote; loading never runs code.

    `map_location` says where the tensors go: ``None`` puts each on the device it was saved
    from (the CPU when that device is not available here, with a warning, or when the file
    does not say), a device or a string (``'cpu'``, ``'fakegpu'``, ``'cuda:1'``) puts all of
    them there, and a dict maps saved devices to new ones (``{'cuda:0': 'cpu'}``).

    A loaded tensor is a fresh leaf with the dtype, shape and ``requires_grad`` it was saved
    with. A file from another safetensors writer loads as a dict of tensors on the CPU (or
    `map_location`), in the order of its header.

    Raises ValueError for a file that is corrupted, truncated, or not a safetensors file (a
    pickle, e.g. from ``torch.save``, is refused: minitorch_np never unpickles).
    """
    if not (map_location is None or isinstance(map_location, str | Device | dict)):
        raise TypeError(f"load: map_location must be None, a device, a string or a dict, got "
                        f"{type(map_location).__name__}")
    if isinstance(f, str | bytes | os.PathLike):
        with open(f, "rb") as stream:
            data = stream.read()
    elif hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"load: the file object returned {type(data).__name__}, not bytes; "
                            "open it in binary mode ('rb')")
    else:
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    data = memoryview(data).cast("B")

    metadata, entries, start = _parse_header(data)
    arrays = {name: _read_array(data, start, info) for name, info in entries.items()}
    place = _Placement(map_location)
    if STRUCTURE_KEY not in metadata:  # another writer's file: a dict of CPU tensors
        return {name: place.tensor(array, "cpu", False) for name, array in arrays.items()}
    return _unflatten(metadata[STRUCTURE_KEY], arrays, place)


def _corrupt(message: str) -> ValueError:
    return ValueError(f"load: not a valid minitorch_np/safetensors file: {message}")


def _pickle_kind(data: memoryview) -> str | None:
    """What kind of pickle `data` looks like, if it looks like one (only asked after the
    safetensors framing failed: a header length can begin with the same bytes)."""
    if data[:4] == b"PK\x03\x04":
        return "a zip archive, the format of torch.save"
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return f"a pickle (protocol {data[1]}), the format of older torch.save and pickle.dump"
    if data[:1] in (b"(", b"}", b"]", b"c") and data[-1:] == b".":
        return "a pickle (protocol 0 or 1)"  # a usual first opcode, and the final STOP
    return None


def _parse_header(data: memoryview) -> tuple[dict[str, str], dict[str, tuple], int]:
    """Check the header against the spec and the file; return the ``__metadata__`` map, the
    entries ``{name: (dtype, shape, begin, end)}`` in header order, and where the buffer starts.
    """
    size = len(data)
    n = int.from_bytes(data[:8], "little") if size >= 8 else None
    problem = None
    if n is None:
        problem = f"the file has {size} bytes, fewer than the 8-byte header length"
    elif n > size - 8:
        problem = (f"the header length field says {n} bytes but only {size - 8} bytes follow "
                   "it (truncated?)")
    elif n > MAX_HEADER_BYTES:
        problem = f"the header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit"
    elif data[8:8 + n][:1] != b"{":
        problem = "the header does not start with '{'"
    if problem is not None:
        kind = _pickle_kind(data)
        if kind is not None:
            raise ValueError(f"load: this file looks like {kind}. minitorch_np never unpickles "
                             "(unpickling can run arbitrary code); it reads safetensors files "
                             "only. Convert the checkpoint with PyTorch and "
                             "safetensors.torch.save_file if you trust it.")
        raise _corrupt(problem)

    try:
        text = data[8:8 + n].tobytes().decode("utf-8")
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                            parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise _corrupt("the header is not UTF-8") from None
    except (ValueError, RecursionError) as e:
        raise _corrupt(f"the header is not valid JSON ({e})") from None

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _corrupt("__metadata__ must map strings to strings")

    entries = {}
    for name, info in header.items():
        entries[name] = _check_entry(name, info)
    buffer_size = size - 8 - n
    covered = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda e: e[1][2:]):
        if begin != covered:
            what = "overlaps the previous tensor" if begin < covered else \
                f"leaves a gap at bytes [{covered}, {begin})"
            raise _corrupt(f"tensor {name!r} at bytes [{begin}, {end}) {what}")
        covered = end
    if covered != buffer_size:
        raise _corrupt(f"the tensors cover {covered} bytes of data but the file holds "
                       f"{buffer_size} bytes after the header (truncated or extra bytes)")
    return metadata, entries, 8 + n


def _no_duplicate_keys(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _is_index(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _check_entry(name: str, info) -> tuple:
    """One tensor's header entry, checked: (dtype, shape, begin, end)."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _corrupt(f"tensor {name!r}: expected exactly the keys dtype, shape, data_offsets, "
                       f"got {info!r}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in _NAME_TO_DTYPE:
        if code in _FOREIGN_DTYPES:
            raise ValueError(f"load: tensor {name!r} has dtype {code}, which minitorch_np does "
                             f"not support (supported: {', '.join(_NAME_TO_DTYPE)})")
        raise _corrupt(f"tensor {name!r}: unknown dtype {code!r}")
    if not isinstance(shape, list) or not all(_is_index(s) for s in shape):
        raise _corrupt(f"tensor {name!r}: shape must be a list of non-negative ints, "
                       f"got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_index, offsets))
            and offsets[0] <= offsets[1]):
        raise _corrupt(f"tensor {name!r}: data_offsets must be [begin, end] with "
                       f"0 <= begin <= end, got {offsets!r}")
    dtype = _NAME_TO_DTYPE[code]
    nbytes = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != nbytes:
        raise _corrupt(f"tensor {name!r}: shape {shape} of {code} needs {nbytes} bytes but "
                       f"data_offsets {offsets} span {offsets[1] - offsets[0]}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _read_array(data: memoryview, start: int, info: tuple) -> np.ndarray:
    """A fresh, writable, native-byte-order host array holding one tensor's bytes."""
    dtype, shape, begin, end = info
    raw = data[start + begin:start + end]
    if dtype is _dtype.bool and np.frombuffer(raw, dtype=np.uint8).max(initial=0) > 1:
        raise _corrupt("a BOOL tensor holds bytes other than 0 and 1")
    little = np.frombuffer(raw, dtype=dtype.numpy.newbyteorder("<"))
    return little.astype(dtype.numpy, copy=True).reshape(shape)


class _Placement:
    """Turns host arrays into tensors on the device `map_location` chooses."""

    def __init__(self, map_location):
        self.map_location = map_location
        self._resolved: dict[str, Device] = {}

    def device(self, saved: str) -> Device:
        if saved not in self._resolved:
            self._resolved[saved] = self._resolve(saved)
        return self._resolved[saved]

    def _resolve(self, saved: str) -> Device:
        target = self.map_location
        if isinstance(target, dict):
            target = target.get(saved)
        if target is not None:
            dev = _concrete(Device(target))
            if not dev.backend.is_available():
                raise RuntimeError(f"load: map_location {str(dev)!r}: {dev.type} is not available")
            return dev
        try:
            dev = _concrete(Device(saved))
            available = dev.backend.is_available() and \
                (dev.index or 0) < dev.backend.device_count()
        except (RuntimeError, ValueError):
            available = False
        if not available:
            warnings.warn(f"load: tensors were saved from {saved}, which is not available here; "
                          "loading them on the cpu (pass map_location to choose)", stacklevel=2)
            return Device("cpu")
        return dev

    def tensor(self, array: np.ndarray, saved: str, requires_grad: bool) -> Tensor:
        dev = self.device(saved)
        return Tensor._make(dev.backend.from_numpy(array, dev.index), dev,
                            requires_grad=requires_grad)


def _unflatten(text: str, arrays: dict[str, np.ndarray], place: _Placement):
    """Rebuild the saved object from its JSON description; every entry is used exactly once."""
    try:
        structure = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as e:
        raise _corrupt(f"{STRUCTURE_KEY} is not valid JSON ({e})") from None
    if not (isinstance(structure, dict) and set(structure) == {"version", "root"}):
        raise _corrupt(f"{STRUCTURE_KEY} must be an object with keys version and root")
    if structure["version"] != FORMAT_VERSION:
        raise ValueError(f"load: the file's structure has version {structure['version']!r}; "
                         f"this minitorch_np reads version {FORMAT_VERSION}")
    used: set[str] = set()

    def node_error(node, expected: str) -> ValueError:
        return _corrupt(f"{STRUCTURE_KEY}: expected {expected}, got {str(node)[:80]}")

    def build(node):
        if node is None or isinstance(node, bool | int | float | str):
            return node
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "tensor":
            if set(node) != {"type", "name", "device", "requires_grad"} or \
                    not isinstance(node["device"], str) or \
                    not isinstance(node["requires_grad"], bool):
                raise node_error(node, "a tensor node {type, name, device, requires_grad}")
            name = node["name"]
            if name not in arrays or name in used:
                raise node_error(node, "a tensor entry of the file, used once")
            used.add(name)
            array = arrays[name]
            if node["requires_grad"] and array.dtype.kind != "f":
                raise node_error(node, "requires_grad only on a floating-point tensor")
            return place.tensor(array, node["device"], node["requires_grad"])
        if kind == "float" and set(node) == {"type", "value"} and \
                node["value"] in ("nan", "inf", "-inf"):
            return float(node["value"])
        if kind in ("list", "tuple") and set(node) == {"type", "items"} and \
                isinstance(node["items"], list):
            items = [build(v) for v in node["items"]]
            return tuple(items) if kind == "tuple" else items
        if kind in ("dict", "OrderedDict") and set(node) == {"type", "items"} and \
                isinstance(node["items"], list):
            out = OrderedDict() if kind == "OrderedDict" else {}
            for item in node["items"]:
                if not (isinstance(item, list) and len(item) == 2 and
                        isinstance(item[0], str | int) and not isinstance(item[0], bool)):
                    raise node_error(item, "a [key, value] pair with a str or int key")
                out[item[0]] = build(item[1])
            return out
        raise node_error(node, "a scalar or a node of type tensor, float, list, tuple, dict, "
                               "OrderedDict")

    try:
        root = build(structure["root"])
    except RecursionError:
        raise _corrupt(f"{STRUCTURE_KEY} is nested too deeply") from None
    unused = set(arrays) - used
    if unused:
        raise _corrupt(f"tensors {sorted(unused)} are not part of the saved object")
    return root
