"""Downloads against a local HTTP server on 127.0.0.1 (no other address is contacted): files
in the real formats fetched and checked, a corrupted file rejected by its checksum, server
errors retried a bounded number of times, unsafe archives refused."""
from __future__ import annotations

import gzip
import http.server
import io
import os
import tarfile
import threading

import numpy as np
import pytest
from file_formats import cifar_archive_bytes, idx_bytes, md5, mnist_arrays
from helpers import to_host

from minitorch_np import datasets
from minitorch_np.datasets import download as dl

TIMEOUT = 5.0  # seconds per request; every request here is answered at once


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}   # path -> bytes, or an int status code to answer with
    hits: dict = {}     # path -> number of requests

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits[self.path] = type(self).hits.get(self.path, 0) + 1
        body = type(self).routes.get(self.path, 404)
        if isinstance(body, int):
            self.send_error(body)
            return
        if isinstance(body, tuple):  # ("truncate", data): promise more bytes than sent
            data = body[1]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) + 100))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server(monkeypatch):
    """An HTTP server on 127.0.0.1 (a free port) in a thread, stopped after the test."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "RETRY_BACKOFF", 0.0)
    _Handler.routes, _Handler.hits = {}, {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=TIMEOUT)


def _mnist_files() -> dict[str, bytes]:
    train_images, train_labels = mnist_arrays(6, 0)
    test_images, test_labels = mnist_arrays(3, 1)
    return {"train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(train_images)),
            "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(train_labels)),
            "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(test_images)),
            "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(test_labels))}


def _leftovers(folder) -> list[str]:
    return [name for _, _, names in os.walk(folder) for name in names if name.endswith(".part")]


def test_mnist_download_fetches_checks_and_reads(server, tmp_path, monkeypatch):
    base, handler = server
    files = _mnist_files()
    handler.routes = {f"/mnist/{name}": data for name, data in files.items()}
    monkeypatch.setattr(datasets.MNIST, "mirrors", [base + "/mnist/"])
    monkeypatch.setattr(datasets.MNIST, "resources", [(n, md5(d)) for n, d in files.items()])
    ds = datasets.MNIST(tmp_path, train=True, download=True)
    assert len(ds) == 6
    np.testing.assert_array_equal(to_host(ds.data), mnist_arrays(6, 0)[0])
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(files)
    assert all((raw / n).read_bytes() == d for n, d in files.items())
    hits = dict(handler.hits)
    assert len(datasets.MNIST(tmp_path, train=False, download=True)) == 3
    assert handler.hits == hits  # already there: nothing fetched again


def test_fashion_mnist_download_falls_back_to_the_next_mirror(server, tmp_path, monkeypatch):
    base, handler = server
    files = _mnist_files()
    handler.routes = {f"/good/{name}": data for name, data in files.items()}
    handler.routes.update({f"/broken/{name}": 500 for name in files})
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [base + "/missing/", base + "/broken/",
                                                           base + "/good/"])
    monkeypatch.setattr(datasets.FashionMNIST, "resources",
                        [(n, md5(d)) for n, d in files.items()])
    ds = datasets.FashionMNIST(tmp_path, train=False, download=True)
    assert len(ds) == 3 and (tmp_path / "FashionMNIST" / "raw").is_dir()
    name = "train-images-idx3-ubyte.gz"
    assert handler.hits[f"/missing/{name}"] == 1   # 404: not retried
    assert handler.hits[f"/broken/{name}"] == 3    # 500: retried, 3 attempts in all
    assert handler.hits[f"/good/{name}"] == 1


def test_corrupted_file_is_rejected_by_its_checksum(server, tmp_path):
    base, handler = server
    good = gzip.compress(idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8)))
    corrupted = bytearray(good)
    corrupted[len(corrupted) // 2] ^= 0xFF
    handler.routes = {"/a/file.gz": bytes(corrupted)}
    with pytest.raises(dl.DownloadError, match="checksum mismatch") as info:
        dl.download_from_mirrors("file.gz", [base + "/a/"], tmp_path, md5(good),
                                 timeout=TIMEOUT)
    assert "/a/file.gz" in str(info.value)
    assert handler.hits["/a/file.gz"] == 1  # the same bytes would come again: no retry
    assert os.listdir(tmp_path) == []       # nothing saved, no temporary file left


def test_server_errors_are_retried_then_fail_cleanly(server, tmp_path):
    base, handler = server
    handler.routes = {"/x.gz": 503}
    with pytest.raises(dl.DownloadError, match="after 4 attempts") as info:
        dl.download_url(base + "/x.gz", tmp_path, md5="0" * 32, max_retries=4, timeout=TIMEOUT)
    assert "503" in str(info.value)
    assert handler.hits["/x.gz"] == 4
    assert os.listdir(tmp_path) == []


def test_a_short_body_is_retried_and_never_saved(server, tmp_path):
    base, handler = server
    handler.routes = {"/short.bin": ("truncate", b"abc")}
    with pytest.raises(dl.DownloadError, match="after 2 attempts"):
        dl.download_url(base + "/short.bin", tmp_path, max_retries=2, timeout=TIMEOUT)
    assert handler.hits["/short.bin"] == 2
    assert _leftovers(tmp_path) == [] and not (tmp_path / "short.bin").exists()


def test_download_url_refuses_other_schemes(tmp_path):
    with pytest.raises(ValueError, match="only http:// and https://"):
        dl.download_url("file:///etc/passwd", tmp_path)


def test_cifar10_download_and_extract(server, tmp_path, monkeypatch):
    base, handler = server
    archive, md5s = cifar_archive_bytes(n=3)
    handler.routes = {"/kriz/cifar-10-python.tar.gz": archive}
    monkeypatch.setattr(datasets.CIFAR10, "mirrors", [base + "/kriz/"])
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5(archive))
    monkeypatch.setattr(datasets.CIFAR10, "train_list",
                        [[f"data_batch_{k}", md5s[f"data_batch_{k}"]] for k in range(1, 6)])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    train = datasets.CIFAR10(tmp_path, train=True, download=True)
    assert len(train) == 15 and train.data.shape == (15, 32, 32, 3)
    assert (tmp_path / "cifar-10-python.tar.gz").read_bytes() == archive
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".extract-")]
    assert len(datasets.CIFAR10(tmp_path, train=False, download=True)) == 3
    assert handler.hits["/kriz/cifar-10-python.tar.gz"] == 1  # checked, not fetched again
    # a corrupted archive on the server is rejected and the extracted files stay as they were
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"damaged")
    (tmp_path / "cifar-10-python.tar.gz").unlink()
    handler.routes["/kriz/cifar-10-python.tar.gz"] = archive[:-10] + b"0123456789"
    with pytest.raises(dl.DownloadError, match="checksum mismatch"):
        datasets.CIFAR10(tmp_path, train=False, download=True)
    assert not (tmp_path / "cifar-10-python.tar.gz").exists()


def _tar_with(member: tarfile.TarInfo, data: bytes = b"x") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        if member.isfile():
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        else:
            tar.addfile(member)
    return buf.getvalue()


@pytest.mark.parametrize("name, kind, match", [
    ("../evil.txt", tarfile.REGTYPE, "outside the destination"),
    ("cifar-10-batches-py/../../evil.txt", tarfile.REGTYPE, "outside the destination"),
    ("/tmp/evil.txt", tarfile.REGTYPE, "outside the destination"),
    ("link", tarfile.SYMTYPE, "is a link"),
    ("fifo", tarfile.FIFOTYPE, "special file"),
])
def test_extract_archive_refuses_unsafe_members(tmp_path, name, kind, match):
    member = tarfile.TarInfo(name)
    member.type = kind
    if kind == tarfile.SYMTYPE:
        member.linkname = "/etc/passwd"
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(_tar_with(member))
    destination = tmp_path / "out"
    with pytest.raises(RuntimeError, match=match):
        dl.extract_archive(archive, destination)
    assert not (tmp_path / "evil.txt").exists()
    assert not destination.exists() or os.listdir(destination) == []


def test_extract_archive_merges_into_an_existing_folder(tmp_path):
    archive, _ = cifar_archive_bytes(n=1)
    path = tmp_path / "a.tar.gz"
    path.write_bytes(archive)
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "readme.html").write_text("kept")
    dl.extract_archive(path, tmp_path)
    names = sorted(os.listdir(tmp_path / "cifar-10-batches-py"))
    assert "readme.html" in names and "data_batch_5" in names and "batches.meta" in names
