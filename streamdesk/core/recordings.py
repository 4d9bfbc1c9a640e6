"""Recordings and transcriptions of a show: list them, download them (no Qt).

GetStream's links are signed and expire, so the list is fetched when it is wanted and never
stored (not in the database, not in a log: ``_HideSignedQueries`` keeps httpx's request log
line to the path). A download:

- writes ``<name>.part`` next to the final file and renames it when complete, so a half file
  never looks finished; files are opened relative to the chosen folder with ``O_NOFOLLOW``,
  so a symlink planted in the folder is refused instead of written through;
- resumes a ``.part`` with ``Range: bytes=N-`` and ``If-Range`` (the ETag or Last-Modified
  the server sent first, kept in ``<name>.part.json``); a 206 whose ``Content-Range`` does not
  start at N, a 200 (range ignored, or the file changed) or a size that disagrees starts over;
- has deadlines: connecting and each read (httpx timeouts), and a stall rule: fewer than
  ``MIN_PROGRESS_BYTES`` in any ``stall_s`` window (a trickling server) is an error;
- can be cancelled between chunks (the ``.part`` stays, so the next try resumes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from streamdesk import __version__
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.getstream import CallFile, GetStreamClient

log = logging.getLogger("streamdesk.recordings")

CHUNK = 64 * 1024
STALL_S = 30.0
MIN_PROGRESS_BYTES = 1024
CONNECT_TIMEOUT_S = 10.0
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_UNSATISFIED = re.compile(r"^bytes \*/(\d+)$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

Progress = Callable[[int, int | None], None]  # (bytes on disk, total size when known)


class DownloadError(StreamdeskError):
    hint = "Try again; a partial download resumes where it stopped."


class LinkExpired(DownloadError):
    hint = "Links to recordings expire: refresh the list and download again."


class DownloadCancelled(DownloadError):
    hint = "Download again to resume where it stopped."


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    resumed_from: int  # bytes already on disk when this download started (0: from scratch)


def list_files(client: GetStreamClient, call_type: str, call_id: str,
               gs_session_id: str | None = None) -> list[CallFile]:
    """Recordings then transcriptions of the call, oldest first; only those of ``gs_session_id``
    when given (GetStream lists every session of the call)."""
    files = client.list_recordings(call_type, call_id) + client.list_transcriptions(call_type, call_id)
    if gs_session_id:
        files = [f for f in files if f.session_id == gs_session_id]
    return sorted(files, key=lambda f: (f.start_time is None, f.start_time or 0, f.kind, f.filename))


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise DownloadError("The download link is not an https:// link; streamdesk only downloads over https.",
                        hint="Refresh the list; if it persists, check the API base URL.")


def download(url: str, folder: Path, filename: str, *, progress: Progress | None = None,
             cancel: threading.Event | None = None, stall_s: float = STALL_S,
             transport: httpx.BaseTransport | None = None,
             clock: Callable[[], float] = time.monotonic) -> DownloadResult:
    """Download ``url`` into ``folder/filename`` (see the module docstring). Blocking."""
    check_url(url)
    if "/" in filename or "\\" in filename or filename in ("", ".", "..") or "\x00" in filename:
        raise DownloadError(f"The file name {filename[:60]!r} is not a plain file name.")
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        raise DownloadError(f"Cannot open the folder {folder}: {e.strerror}.",
                            hint="Choose a folder that exists and that you can write to.") from None
    try:
        with httpx.Client(timeout=httpx.Timeout(stall_s, connect=CONNECT_TIMEOUT_S), transport=transport,
                          follow_redirects=True, max_redirects=5,
                          headers={"User-Agent": f"streamdesk/{__version__}"}) as http:
            for _attempt in range(2):  # a second try from scratch when the partial file is unusable
                result = _attempt_download(http, url, dir_fd, folder, filename, progress, cancel, stall_s,
                                           clock)
                if result is not None:
                    return result
        raise DownloadError(f"The server kept refusing to resume {filename}.")
    finally:
        os.close(dir_fd)


def _attempt_download(http: httpx.Client, url: str, dir_fd: int, folder: Path, filename: str,
                      progress: Progress | None, cancel: threading.Event | None, stall_s: float,
                      clock: Callable[[], float]) -> DownloadResult | None:
    part, meta_name = f"{filename}.part", f"{filename}.part.json"
    have = _regular_size(dir_fd, part)
    meta = _read_meta(dir_fd, meta_name) if have else {}
    headers: dict[str, str] = {}
    validator = meta.get("etag") or meta.get("last_modified")
    if have and isinstance(validator, str):
        headers = {"Range": f"bytes={have}-", "If-Range": validator}
    else:
        have = 0
    try:
        with http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 416:
                m = _UNSATISFIED.match(response.headers.get("Content-Range", ""))
                if m and have and int(m.group(1)) == have:  # the partial file is already whole
                    return _finish(dir_fd, folder, filename, have, have)
                _discard(dir_fd, part, meta_name)
                return None
            if status in (401, 403):
                raise LinkExpired(f"The link to {filename} has expired or is not valid (HTTP {status}).")
            if status == 404:
                raise DownloadError(f"{filename} is no longer on the server (HTTP 404).",
                                    hint="Refresh the list: it may have been deleted.")
            if status not in (200, 206):
                raise DownloadError(f"The server answered HTTP {status} for {filename}.")
            total: int | None
            if status == 206:
                m = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if not headers or m is None or int(m.group(1)) != have:
                    _discard(dir_fd, part, meta_name)  # not the range we asked for: start over
                    return None
                total = None if m.group(3) == "*" else int(m.group(3))
                start = have
            else:
                start = 0
                total = _content_length(response)
                _write_meta(dir_fd, meta_name, response, total)
            flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if start else os.O_TRUNC)
            try:
                fd = os.open(part, flags, 0o644, dir_fd=dir_fd)
            except OSError as e:
                raise DownloadError(f"Cannot write {folder / part}: {e.strerror}.",
                                    hint="A link or a read-only file is in the way; remove it.") from None
            done = start
            with os.fdopen(fd, "wb") as out:
                if progress is not None:
                    progress(done, total)
                window_start, window_bytes = clock(), 0
                for chunk in response.iter_bytes(CHUNK):
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled(f"The download of {filename} was cancelled.")
                    out.write(chunk)
                    done += len(chunk)
                    window_bytes += len(chunk)
                    now = clock()
                    if now - window_start >= stall_s:
                        if window_bytes < MIN_PROGRESS_BYTES:
                            raise DownloadError(f"The download of {filename} stalled.")
                        window_start, window_bytes = now, 0
                    if progress is not None:
                        progress(done, total)
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(f"The download of {filename} was cancelled.")
    except httpx.TimeoutException:
        raise DownloadError(f"The download of {filename} timed out.") from None
    except httpx.TransportError as e:
        raise DownloadError(f"The download of {filename} was interrupted ({type(e).__name__}).") from None
    if total is not None and done != total:
        raise DownloadError(f"The download of {filename} ended early ({done} of {total} bytes).")
    return _finish(dir_fd, folder, filename, done, start)


def _finish(dir_fd: int, folder: Path, filename: str, size: int, resumed_from: int) -> DownloadResult:
    part, meta_name = f"{filename}.part", f"{filename}.part.json"
    # os.replace swaps directory entries: a symlink at the final name is replaced, never followed
    os.replace(part, filename, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(meta_name, dir_fd=dir_fd)
    return DownloadResult(folder / filename, size, resumed_from)


def _regular_size(dir_fd: int, name: str) -> int:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return 0
    import stat

    if not stat.S_ISREG(st.st_mode):
        raise DownloadError(f"{name} in the download folder is not a regular file; remove it first.")
    return st.st_size


def _read_meta(dir_fd: int, name: str) -> dict[str, Any]:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as f:
            data = json.loads(f.read(4096))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_meta(dir_fd: int, name: str, response: httpx.Response, total: int | None) -> None:
    meta = {"etag": _strong_etag(response.headers.get("ETag")),
            "last_modified": response.headers.get("Last-Modified"), "size": total}
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        with os.fdopen(fd, "w") as f:
            json.dump(meta, f)
    except OSError:
        log.info("could not write the resume note %s", name)  # the download works; it just won't resume


def _strong_etag(value: str | None) -> str | None:
    # If-Range needs a strong validator (RFC 9110 §13.1.5); a weak one (W/"…") cannot be used
    return value if value and not value.startswith("W/") else None


def _discard(dir_fd: int, part: str, meta: str) -> None:
    for name in (part, meta):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=dir_fd)


def _content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("Content-Length")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


class _HideSignedQueries(logging.Filter):
    """httpx logs each request's URL at INFO; a recording link's query is its signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.copy_with(query=None) if isinstance(a, httpx.URL) and a.query else a
                                for a in record.args)
        return True


if not any(isinstance(f, _HideSignedQueries) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_HideSignedQueries())
