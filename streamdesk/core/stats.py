"""Numbers about a live session, computed from its stored samples. Pure functions, no I/O, no Qt.

A sample is one poll: the time, the viewer count (``None`` when the poll failed: a gap, not a
zero), the chat messages that arrived since the previous sample, and OBS's bitrate if known.
Everything the GUI, ``watch``, history and the Discord end embed show is derived here, so all of
them agree with each other and with the session row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO

from streamdesk.core.store import Sample, Session, total_minutes

MINUTE = 60.0

#: columns of ``streamdesk sessions --csv`` and the history view's "Export CSV"
SESSION_FIELDS = ("id", "call_cid", "started_at", "ended_at", "total_minutes", "peak_viewers", "total_chat",
                  "end_reason")
SAMPLE_FIELDS = ("time", "unix_time", "viewers", "chat", "bitrate_kbps")


def minute_start(t: float) -> float:
    """The start of the wall-clock minute containing ``t`` (Unix seconds), so chat bars line up
    with the minutes on the streamer's clock."""
    return (t // MINUTE) * MINUTE


def chat_buckets(samples: Iterable[Sample]) -> list[tuple[float, int]]:
    """Chat messages per wall-clock minute, oldest first, one entry per minute from the first
    sample's minute to the last one's (quiet minutes are 0, so bars keep their places).

    A message counts in the minute of the poll that first saw it, so near a minute boundary it
    can land up to one poll interval (3 s by default) late: the price of one row per poll."""
    counts: dict[float, int] = {}
    for s in samples:
        m = minute_start(s.t)
        counts[m] = counts.get(m, 0) + s.chat
    if not counts:
        return []
    first, last = min(counts), max(counts)
    n = round((last - first) / MINUTE) + 1
    return [(first + i * MINUTE, counts.get(first + i * MINUTE, 0)) for i in range(n)]


def peak_viewers(samples: Iterable[Sample]) -> int:
    """The highest viewer count polled; gaps (``None``) do not count as zero viewers."""
    return max((s.viewers for s in samples if s.viewers is not None), default=0)


def total_chat(samples: Iterable[Sample]) -> int:
    return sum(s.chat for s in samples)


def duration_s(started_at: float, until: float) -> float:
    """Seconds live: from live start to ``until`` (now, or the end), never negative."""
    return max(0.0, until - started_at)


def session_minutes(session: Session, now: float) -> int:
    """Minutes as the session row counts them (see ``store.total_minutes``): the stored value for
    an ended session, else what it would be if it ended ``now``."""
    if session.ended_at is not None and session.total_minutes is not None:
        return session.total_minutes
    return total_minutes(session.started_at, now)


def chat_per_minute(samples: Sequence[Sample], now: float, window_s: float = MINUTE) -> float:
    """Chat rate over the last ``window_s`` seconds, scaled to messages per minute. ``samples``
    are oldest first; only the tail is read, so this stays cheap on a 12-hour session."""
    n = 0
    for s in reversed(samples):
        if s.t <= now - window_s:
            break
        if s.t <= now:
            n += s.chat
    return n * MINUTE / window_s


def fmt_duration(seconds: float) -> str:
    """``1:02:03`` / ``2:03`` — the way a stream timer reads."""
    total = int(max(0.0, seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def local_iso(ts: float | None) -> str:
    """Local clock time with the UTC offset, to the second; empty for ``None``."""
    return "" if ts is None else datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def session_record(s: Session) -> dict[str, object]:
    """One row of the sessions table/CSV/JSON: times in local ISO 8601."""
    return {
        "id": s.id,
        "call_cid": s.call_cid,
        "started_at": local_iso(s.started_at),
        "ended_at": local_iso(s.ended_at),
        "total_minutes": s.total_minutes,
        "peak_viewers": s.peak_viewers,
        "total_chat": s.total_chat,
        "end_reason": s.end_reason,
    }


def write_sessions_csv(out: IO[str], sessions: Iterable[Session]) -> None:
    writer = csv.DictWriter(out, fieldnames=SESSION_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(session_record(s) for s in sessions)


def write_samples_csv(out: IO[str], samples: Iterable[Sample]) -> None:
    """One session's samples; a gap is an empty viewers cell, not a 0."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SAMPLE_FIELDS)
    for s in samples:
        writer.writerow([local_iso(s.t), round(s.t, 3), "" if s.viewers is None else s.viewers, s.chat,
                         "" if s.bitrate_kbps is None else round(s.bitrate_kbps, 1)])
