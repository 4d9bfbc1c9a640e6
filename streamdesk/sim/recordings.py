"""After the show, simulated: recordings, transcriptions, the call report and HLS on a running call.

A call recorded (``recording`` / ``transcribing`` on) from one moment to another produces one file
when it stops (StopLive without ``continue_recording``, EndCall). ``AfterShow.observe`` notices
those moments by comparing the call's flags after every call operation, so the call state machine
in ``getstream_api`` needs no knowledge of files.

The files are served by the simulator itself, the way a CDN serves GetStream's signed links:
``/_sim/files/<id>/<name>?expires=<unix s>&signature=<hmac>``, HMAC-SHA256 over id, name and
expiry with a key only this simulator knows; an expired or altered link is 403. Single byte
ranges are honoured (206 with ``Content-Range``; 416 with ``bytes */size`` past the end;
``If-Range`` with the ETag or Last-Modified; several ranges or a malformed header: the whole
file, as RFC 9110 allows). Knobs for demos and tests: ``rate_bps`` (throttle so a progress bar
is visible), ``cut_after`` (drop the connection after so many body bytes, once) and ``url_ttl``.

Content is deterministic (a seeded byte pattern; transcripts are JSON lines), so a test can
compare a downloaded file byte for byte with ``AfterShow.content``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import weakref
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from streamdesk.sim.clock import to_ns
from streamdesk.sim.decode import ApiError
from streamdesk.sim.getstream_api import Call, Result, SimulatedApp

FILES_PREFIX = "/_sim/files/"
BYTES_PER_SECOND = 16 * 1024  # a simulated recording's size per second of show
MIN_SIZE, MAX_SIZE = 64 * 1024, 32 * 1024 * 1024
_BLOCK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_COUNTRIES = ("US", "DE", "BR", "IN", "GB", "FR", "JP")
_DEVICES = ("desktop", "mobile", "tablet")
_SYSTEMS = ("Windows", "macOS", "Android", "iOS", "Linux")


@dataclass
class SimFile:
    id: str
    kind: str  # "recording" | "transcription"
    call_cid: str
    session_id: str
    start: float  # simulated Unix seconds
    end: float
    filename: str
    size: int
    recording_type: str = "composite"
    transcript: bytes = b""

    @property
    def etag(self) -> str:
        return f'"{self.id}-{self.size}"'

    @property
    def last_modified(self) -> str:
        return formatdate(self.end, usegmt=True)


@dataclass
class AfterShow:
    """The after-show state of one simulated app (see the module docstring)."""

    app: SimulatedApp
    base_url: str = ""
    url_ttl: float = 3600.0  # seconds a link stays valid (base clock, like token expiry)
    rate_bps: float | None = None
    cut_after: int | None = None
    files: list[SimFile] = field(default_factory=list)
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _open: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)  # (cid, kind) → start

    # -- state ---------------------------------------------------------------------------------------
    def observe(self, call_type: str, call_id: str) -> None:
        """After a call operation: open or close recording/transcription stretches (app lock held)."""
        call = self.app.calls.get(f"{call_type}:{call_id}")
        if call is None:
            return
        now = self.app.clock.now()
        for kind, on in (("recording", call.recording), ("transcription", call.transcribing)):
            key = (call.cid, kind)
            if on and key not in self._open:
                self._open[key] = (now, call.session.id)
            elif not on and key in self._open:
                start, session_id = self._open.pop(key)
                self._add(call, kind, session_id, start, now)

    def _add(self, call: Call, kind: str, session_id: str, start: float, end: float) -> None:
        file_id = hashlib.sha256(f"{call.cid}:{kind}:{start}:{len(self.files)}".encode()).hexdigest()[:16]
        stamp = int(start * 1000)
        if kind == "recording":
            name = f"rec_{call.type}_{call.id}_720p_{stamp}.mp4"
            size = int(min(MAX_SIZE, max(MIN_SIZE, (end - start) * BYTES_PER_SECOND)))
            self.files.append(SimFile(file_id, kind, call.cid, session_id, start, end, name, size))
        else:
            text = _transcript(call.cid, start, end)
            name = f"transcript_{call.type}_{call.id}_{stamp}.jsonl"
            self.files.append(SimFile(file_id, kind, call.cid, session_id, start, end, name, len(text),
                                      recording_type="", transcript=text))

    def content(self, f: SimFile, start: int = 0, end: int | None = None) -> bytes:
        """Bytes ``start`` … ``end - 1`` of a file (all of it by default)."""
        end = f.size if end is None else min(end, f.size)
        if f.kind == "transcription":
            return f.transcript[start:end]
        out = bytearray()
        pos = start
        while pos < end:
            block, offset = divmod(pos, _BLOCK)
            data = _block(f.id, block)
            take = min(end - pos, _BLOCK - offset)
            out += data[offset:offset + take]
            pos += take
        return bytes(out)

    # -- operations ----------------------------------------------------------------------------------
    def list_files(self, call_type: str, call_id: str, kind: str) -> Result:
        call = self.app._call(call_type, call_id)
        items = []
        for f in self.files:
            if f.call_cid != call.cid or f.kind != kind:
                continue
            item: dict[str, Any] = {"filename": f.filename, "url": self.signed_url(f),
                                    "start_time": to_ns(f.start), "end_time": to_ns(f.end),
                                    "session_id": f.session_id}
            if kind == "recording":
                item["recording_type"] = f.recording_type
            items.append(item)
        return 200, {"recordings" if kind == "recording" else "transcriptions": items}

    def start_hls(self, call_type: str, call_id: str) -> Result:
        call = self.app._call(call_type, call_id)
        if call.ended_at is not None:
            raise ApiError(400, 4, f"call {call.cid} has ended")
        call.hls = True
        call.updated = self.app.clock.now()
        return 201, {"playlist_url": f"https://hls.stream-io-video.com/{call.cid}/playlist.m3u8"}

    def stop_hls(self, call_type: str, call_id: str) -> Result:
        call = self.app._call(call_type, call_id)
        call.hls = False
        call.updated = self.app.clock.now()
        return 201, {}

    def report(self, call_type: str, call_id: str, query: dict[str, str]) -> Result:
        """GetCallReport from the simulated audience: its unique and peak participants (the host
        included, as GetStream counts participants) and a deterministic spread per viewer."""
        call = self.app._call(call_type, call_id)
        session_id = query.get("session_id") or call.session.id
        if session_id != call.session.id or call.session.started_at is None:
            raise ApiError(404, 16, f"no report for session {session_id} of call {call.cid}")
        now = self.app.clock.now()
        viewers: list[str] = []
        peak = 0
        for s in call.stretches:
            t = s.live_time(now)
            viewers += [v.user_id or v.session_id for v in s.audience.viewers if v.arrive <= t]
            peak = max(peak, s.audience.peak(t))
        unique = sorted(set(viewers))
        host = 1 if call.session.host_joined_at is not None else 0
        groups: dict[str, dict[str, int]] = {"by_country": {}, "by_device": {}, "by_operating_system": {}}
        for who in unique:
            h = int(hashlib.sha256(who.encode()).hexdigest(), 16)
            for key, names in (("by_country", _COUNTRIES), ("by_device", _DEVICES),
                               ("by_operating_system", _SYSTEMS)):
                name = names[h % len(names)]
                groups[key][name] = groups[key].get(name, 0) + 1
                h //= 7
        participants: dict[str, Any] = {
            "sum": len(viewers) + host, "unique": len(unique) + host, "max_concurrent": peak + host,
            **{key: [{"name": n, "unique": c} for n, c in sorted(g.items())] for key, g in groups.items()},
        }
        call_report = {"score": 1.0, "started_at": to_ns(call.session.started_at),
                       "ended_at": to_ns(call.session.ended_at) if call.session.ended_at else None}
        return 200, {"session_id": session_id,
                     "report": {"participants": participants, "user_ratings": {"count": 0, "average": 0.0},
                                "call": call_report}}

    # -- links and serving ---------------------------------------------------------------------------
    def _signature(self, file_id: str, name: str, expires: int) -> str:
        return hmac.new(self._key, f"{file_id}/{name}:{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_url(self, f: SimFile) -> str:
        expires = int(self.app.clock.base() + self.url_ttl)
        return (f"{self.base_url}{FILES_PREFIX}{f.id}/{quote(f.filename)}?expires={expires}"
                f"&signature={self._signature(f.id, f.filename, expires)}")

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one GET/HEAD for a file link on ``handler`` (a handler thread; no app lock needed:
        files are only ever appended)."""
        split = urlsplit(handler.path)
        query = dict(parse_qsl(split.query))
        parts = split.path[len(FILES_PREFIX):].split("/", 1)
        found = next((f for f in list(self.files) if len(parts) == 2 and f.id == parts[0]
                      and f.filename == unquote(parts[1])), None)
        if found is None:
            return _plain(handler, 404, "NoSuchKey")
        try:
            expires = int(query.get("expires", ""))
        except ValueError:
            return _plain(handler, 403, "AccessDenied: missing expiry")
        good = self._signature(found.id, found.filename, expires)
        if not hmac.compare_digest(good, query.get("signature", "")):
            return _plain(handler, 403, "SignatureDoesNotMatch")
        if expires < self.app.clock.base():
            return _plain(handler, 403, "AccessDenied: Request has expired")
        start, end, status = 0, found.size, 200
        wanted = handler.headers.get("Range")
        if_range = handler.headers.get("If-Range")
        if wanted and (if_range is None or if_range in (found.etag, found.last_modified)):
            m = _RANGE.match(wanted.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(found.size, int(m.group(2)) + 1) if m.group(2) else found.size
                else:
                    start = max(0, found.size - int(m.group(2)))
                if start >= found.size or (m.group(1) and m.group(2) and int(m.group(2)) < start):
                    handler.send_response(416)
                    handler.send_header("Content-Range", f"bytes */{found.size}")
                    handler.send_header("Content-Length", "0")
                    handler.end_headers()
                    return None
                status = 206
        handler.send_response(status)
        handler.send_header("Content-Type", "video/mp4" if found.kind == "recording" else "application/jsonl")
        handler.send_header("Content-Length", str(end - start))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("ETag", found.etag)
        handler.send_header("Last-Modified", found.last_modified)
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{end - 1}/{found.size}")
        handler.end_headers()
        if handler.command == "HEAD":
            return None
        self._send_body(handler, found, start, end)
        return None

    def _send_body(self, handler: BaseHTTPRequestHandler, f: SimFile, start: int, end: int) -> None:
        piece = 16 * 1024
        sent, began = 0, time.monotonic()
        pos = start
        while pos < end:
            data = self.content(f, pos, min(end, pos + piece))
            cut = self.cut_after
            if cut is not None and sent + len(data) > cut:
                self.cut_after = None  # once: the next request (a resume) goes through
                handler.wfile.write(data[: max(0, cut - sent)])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(data)
            sent += len(data)
            pos += len(data)
            if self.rate_bps:
                ahead = sent / self.rate_bps - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)


_registry: weakref.WeakKeyDictionary[SimulatedApp, AfterShow] = weakref.WeakKeyDictionary()


def for_app(app: SimulatedApp) -> AfterShow:
    """The after-show state of ``app`` (one per simulated app, made on first use)."""
    state = _registry.get(app)
    if state is None:
        state = _registry[app] = AfterShow(app)
    return state


def _block(file_id: str, index: int) -> bytes:
    seed = hashlib.sha256(f"{file_id}:{index}".encode()).digest()
    return (seed * (_BLOCK // len(seed) + 1))[:_BLOCK]


def _transcript(cid: str, start: float, end: float) -> bytes:
    lines = []
    t = start
    n = 0
    while t < end and n < 2000:
        lines.append(json.dumps({"type": "speech", "speaker_id": "host", "text": f"Line {n + 1} of {cid}.",
                                 "start_ts": int(t * 1000), "stop_ts": int(min(end, t + 4) * 1000)}))
        t += 5
        n += 1
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _plain(handler: BaseHTTPRequestHandler, status: int, text: str) -> None:
    body = f"{text}\n".encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
