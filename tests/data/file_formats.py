"""Writers of the datasets' real file formats, for the tests: IDX (MNIST), CIFAR-10 python
batches (as Python 2's cPickle wrote them, and as Python 3 pickles them), the CIFAR archive.

Written from the formats' descriptions, independently of the readers under test.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np

_IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
              np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX: 0x00 0x00, the type code, the number of dimensions, each size as a big-endian
    uint32, then the values big-endian."""
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    header += b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array: np.ndarray, gz: bool = False) -> str:
    data = idx_bytes(array)
    path = os.fspath(path) + (".gz" if gz else "")
    with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
        f.write(data)
    return path


def mnist_arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n).astype(np.uint8))


def write_mnist_raw(raw_dir, n_train=12, n_test=5, gz=True, seed=0) -> dict:
    """The four MNIST files in `raw_dir`; returns {name: (array, path)}."""
    os.makedirs(raw_dir, exist_ok=True)
    out = {}
    for prefix, n, s in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        images, labels = mnist_arrays(n, s)
        for kind, array, rank in (("images", images, 3), ("labels", labels, 1)):
            path = os.path.join(raw_dir, f"{prefix}-{kind}-idx{rank}-ubyte")
            out[f"{prefix}-{kind}"] = (array, write_idx(path, array, gz))
    return out


# -- CIFAR-10 python batches --------------------------------------------------------------------
def _py2_str(b: bytes) -> bytes:
    """A Python 2 str at protocol 2: SHORT_BINSTRING or BINSTRING."""
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<I", len(b)) + b


def _py2_int(i: int) -> bytes:
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if 0 <= i < 65536:
        return b"M" + struct.pack("<H", i)
    return b"J" + struct.pack("<i", i)


def _py2_uint8_matrix(a: np.ndarray) -> bytes:
    """numpy 1.x's ndarray.__reduce__ under Python 2: _reconstruct(ndarray, (0,), 'b') and the
    state (1, shape, dtype('u1'), is_fortran=False, raw bytes)."""
    dtype = (b"cnumpy\ndtype\n" + _py2_str(b"u1") + _py2_int(0) + _py2_int(1) + b"\x87R"
             + b"(" + _py2_int(3) + _py2_str(b"|") + b"NNN" + _py2_int(-1) + _py2_int(-1)
             + _py2_int(0) + b"tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + _py2_int(0)
            + b"\x85" + _py2_str(b"b") + b"\x87R"
            + b"(" + _py2_int(1) + _py2_int(a.shape[0]) + _py2_int(a.shape[1]) + b"\x86"
            + dtype + b"\x89" + _py2_str(a.tobytes()) + b"tb")


def _py2_value(v) -> bytes:
    if isinstance(v, np.ndarray):
        return _py2_uint8_matrix(v)
    if isinstance(v, bytes):
        return _py2_str(v)
    if isinstance(v, int):
        return _py2_int(v)
    if isinstance(v, list):
        return b"]" + (b"(" + b"".join(_py2_value(x) for x in v) + b"e" if v else b"")
    raise TypeError(type(v))


def py2_pickle(d: dict) -> bytes:
    """A dict of str keys as Python 2's cPickle.dump(d, f, protocol=2) writes it (without the
    memo opcodes)."""
    body = b"".join(_py2_str(k.encode()) + _py2_value(v) for k, v in d.items())
    return b"\x80\x02}(" + body + b"u."


def cifar_batch(n: int, seed: int, label: bytes = b"training batch") -> dict:
    rng = np.random.default_rng(seed)
    return {"batch_label": label,
            "labels": rng.integers(0, 10, n).tolist(),
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [f"img_{seed}_{i}.png".encode() for i in range(n)]}


def cifar_meta() -> dict:
    return {"num_cases_per_batch": 4,
            "label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog",
                            b"frog", b"horse", b"ship", b"truck"],
            "num_vis": 3072}


def write_cifar_folder(folder, n=4, style="py2", protocol=2) -> dict:
    """``data_batch_1..5``, ``test_batch`` and ``batches.meta`` in `folder`; returns the batches
    by file name."""
    os.makedirs(folder, exist_ok=True)
    batches = {f"data_batch_{k}": cifar_batch(n, k) for k in range(1, 6)}
    batches["test_batch"] = cifar_batch(n, 9, b"testing batch 1 of 1")
    for name, batch in list(batches.items()) + [("batches.meta", cifar_meta())]:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(py2_pickle(batch) if style == "py2" else pickle.dumps(batch, protocol=protocol))
    return batches


def cifar_archive_bytes(n=3) -> tuple[bytes, dict]:
    """``cifar-10-python.tar.gz`` content: the folder ``cifar-10-batches-py/`` in a gzipped tar;
    returns the bytes and {file name: md5}."""
    buf = io.BytesIO()
    md5s = {}
    batches = {f"data_batch_{k}": cifar_batch(n, k) for k in range(1, 6)}
    batches["test_batch"] = cifar_batch(n, 9)
    batches["batches.meta"] = cifar_meta()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, batch in batches.items():
            data = py2_pickle(batch)
            md5s[name] = hashlib.md5(data).hexdigest()
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), md5s


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
