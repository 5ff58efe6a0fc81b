"""Downloading dataset files: mirrors, MD5 checksums, bounded retries, atomic writes, and safe
extraction of tar archives.

``download_url`` fetches one URL over HTTP(S) into a temporary file beside the destination,
hashing it as it streams, and moves it into place (``os.replace``) only when it is complete and
its MD5 is the expected one: a crash or a bad file never leaves a half-written dataset behind.
A transient failure (connection refused or reset, timeout, HTTP 5xx, a body shorter than its
Content-Length) is retried up to ``max_retries`` times with exponential back-off; an HTTP 4xx
or a checksum mismatch is not (the same request would give the same bytes), and
``download_from_mirrors`` moves on to the next mirror.

``extract_archive`` unpacks a tar archive into a temporary directory and moves its contents into
place. It refuses members with absolute paths or ``..`` components, links and special files: an
archive cannot write outside the destination.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import PurePosixPath

__all__ = ["DownloadError", "calculate_md5", "check_integrity", "download_url",
           "download_from_mirrors", "extract_archive"]

USER_AGENT = "minitorch_np"
RETRY_BACKOFF = 1.0  # seconds before the first retry; doubled after each failure
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A file could not be downloaded (after the retries), or it was not the expected file."""


class _ChecksumMismatch(DownloadError):
    pass


class _Incomplete(OSError):
    pass


def calculate_md5(path, chunk_size: int = _CHUNK) -> str:
    """The MD5 hex digest of a file (MD5 identifies the published files; it is not used here
    for security)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(path, md5: str | None = None) -> bool:
    """True if `path` is a file and, when `md5` is given, its MD5 matches."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path) == md5


def _fetch(url: str, path: str, md5: str | None, timeout: float) -> None:
    """One attempt: stream `url` into a temporary file, check it, move it to `path`."""
    directory, name = os.path.split(path)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        digest = hashlib.md5(usedforsecurity=False)
        written = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        if expected is not None and written != int(expected):
            raise _Incomplete(f"received {written} bytes of {expected}")
        if md5 is not None and digest.hexdigest() != md5:
            raise _ChecksumMismatch(f"checksum mismatch for {url}: MD5 {digest.hexdigest()}, "
                                    f"expected {md5} (the file is corrupted or not the official "
                                    f"one); it was not saved")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _retryable(error: BaseException) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    return isinstance(error, urllib.error.URLError | http.client.HTTPException | OSError)


def download_url(url: str, root, filename: str | None = None, md5: str | None = None, *,
                 max_retries: int = 3, timeout: float = 30.0) -> str:
    """Download `url` to ``root/filename`` (default: the URL's last component) unless a file
    with the right checksum is already there; return the path.

    Raises ``DownloadError`` after `max_retries` failed attempts, at once for an HTTP 4xx or a
    checksum mismatch, and ``ValueError`` for a scheme other than http/https.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"download_url: only http:// and https:// URLs are fetched, got {url!r}")
    if max_retries < 1:
        raise ValueError(f"download_url: max_retries must be at least 1, got {max_retries}")
    root = os.path.expanduser(os.fspath(root))
    filename = filename or PurePosixPath(url.split("?", 1)[0]).name
    path = os.path.join(root, filename)
    if check_integrity(path, md5):
        return path
    os.makedirs(root, exist_ok=True)
    last = None
    for attempt in range(max_retries):
        try:
            _fetch(url, path, md5, timeout)
            return path
        except _ChecksumMismatch:
            raise
        except Exception as error:  # noqa: BLE001  (classified just below)
            if not _retryable(error):
                raise DownloadError(f"download of {url} failed: {error}") from error
            last = error
        if attempt + 1 < max_retries:
            time.sleep(RETRY_BACKOFF * 2 ** attempt)
    raise DownloadError(f"download of {url} failed after {max_retries} attempts: {last}") from last


def download_from_mirrors(filename: str, mirrors, root, md5: str | None = None, *,
                          max_retries: int = 3, timeout: float = 30.0) -> str:
    """Download `filename` from the first of `mirrors` (base URLs) that serves it correctly."""
    if not mirrors:
        raise ValueError(f"download_from_mirrors: no mirror to download {filename} from")
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        try:
            return download_url(url, root, filename, md5, max_retries=max_retries,
                                timeout=timeout)
        except DownloadError as error:
            failures.append(f"{url}: {error}")
    raise DownloadError(f"could not download {filename}; tried:\n  " + "\n  ".join(failures))


def _check_member(archive, member: tarfile.TarInfo) -> None:
    name = member.name
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise RuntimeError(f"refusing to extract {archive}: member {name!r} would be written "
                           f"outside the destination")
    if not (member.isfile() or member.isdir()):
        kind = "a link" if member.issym() or member.islnk() else "a special file"
        raise RuntimeError(f"refusing to extract {archive}: member {name!r} is {kind} (only "
                           f"regular files and directories are extracted)")


def _move_into(src: str, dst: str) -> None:
    """Move the tree `src` to `dst`, replacing files that already exist there."""
    if os.path.isdir(src) and os.path.isdir(dst):
        for entry in os.listdir(src):
            _move_into(os.path.join(src, entry), os.path.join(dst, entry))
    else:
        os.replace(src, dst)


def extract_archive(archive, destination) -> None:
    """Safely unpack the tar archive `archive` (``.tar``, ``.tar.gz``, ...) into `destination`."""
    archive, destination = os.fspath(archive), os.fspath(destination)
    os.makedirs(destination, exist_ok=True)
    try:
        tar = tarfile.open(archive, "r:*")
    except tarfile.TarError as error:
        raise RuntimeError(f"cannot open {archive} as a tar archive: {error}") from error
    with tar:
        members = tar.getmembers()
        for member in members:
            _check_member(archive, member)
        staging = tempfile.mkdtemp(dir=destination, prefix=".extract-")
        try:
            if hasattr(tarfile, "data_filter"):  # a second line of defence where available
                tar.extractall(staging, members=members, filter="data")
            else:
                tar.extractall(staging, members=members)
            for entry in os.listdir(staging):
                _move_into(os.path.join(staging, entry), os.path.join(destination, entry))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
