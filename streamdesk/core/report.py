"""The stream summary of one session: what the local record says, and GetStream's call report
next to it when there is one. Pure functions over stored rows (no I/O, no Qt), plus renderers
(JSON-ready dict, markdown, CSV of chat per minute).

Definitions (``tests/unit/test_report.py`` recomputes each one independently):

- a *step* is the time from one sample to the next (the last one: to the end of the session),
  capped at the *gap threshold*: the larger of ``GAP_S`` and 3 × the median step (so a show
  polled once a minute is not all gaps); longer means the recorder was not running, a gap;
- *viewer-minutes* = Σ viewers × step / 60 over samples whose poll worked;
- *average viewers* = viewer-minutes / the minutes those samples cover (a time-weighted mean);
- *peak viewers* = the highest count polled; gaps never count as zero;
- *outages* = runs of failed polls (viewers unknown) between two good ones, and steps longer than
  the gap threshold; each with its start, end and length;
- *messages* = chat messages counted by the polls (regular messages, as the client parses them);
  *unique chatters*, *top chatters* from the authors stored per poll (sessions recorded before the
  authors were stored have none: ``authored_messages`` says how many messages have a known author);
- *busiest minute* = the wall-clock minute with the most messages (the earliest on a tie);
- *OBS*: average bitrate over the samples where OBS reported one; dropped % = network-dropped
  frames / frames output, from OBS's cumulative counters (a counter going back = a new stream).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from streamdesk.core import stats
from streamdesk.core.getstream import CallReport
from streamdesk.core.store import ChatAuthorCount, Sample, Session

GAP_S = 30.0
TOP_CHATTERS = 5
CHAT_MINUTE_FIELDS = ("minute", "unix_minute", "messages")


@dataclass(frozen=True)
class Outage:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Summary:
    session_id: int
    call_cid: str
    started_at: float
    ended_at: float | None
    duration_s: float
    peak_viewers: int
    average_viewers: float
    viewer_minutes: float
    messages: int
    authored_messages: int
    unique_chatters: int
    top_chatters: tuple[tuple[str, int], ...]
    busiest_minute: tuple[float, int] | None  # (minute start, messages)
    outages: tuple[Outage, ...]
    avg_kbps: float | None
    dropped_pct: float | None
    discord_live: str | None
    discord_ended: str | None
    getstream: CallReport | None = field(default=None)
    getstream_note: str | None = None  # why there are no GetStream figures, when there are none


def summarize(session: Session, samples: Sequence[Sample], authors: Sequence[ChatAuthorCount], *,
              now: float, call_report: CallReport | None = None,
              getstream_note: str | None = None) -> Summary:
    end = session.ended_at if session.ended_at is not None else now
    vm, covered = _viewer_minutes(samples, end)
    by_author: Counter[str] = Counter()
    for a in authors:
        by_author[a.user_id] += a.messages
    top = tuple(sorted(by_author.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CHATTERS])
    buckets = [b for b in stats.chat_buckets(samples) if b[1] > 0]
    busiest = max(buckets, key=lambda b: (b[1], -b[0])) if buckets else None
    kbps = [s.bitrate_kbps for s in samples if s.bitrate_kbps is not None]
    return Summary(
        session_id=session.id, call_cid=session.call_cid, started_at=session.started_at,
        ended_at=session.ended_at, duration_s=stats.duration_s(session.started_at, end),
        peak_viewers=stats.peak_viewers(samples), average_viewers=vm / covered if covered else 0.0,
        viewer_minutes=vm, messages=stats.total_chat(samples), authored_messages=sum(by_author.values()),
        unique_chatters=len(by_author), top_chatters=top, busiest_minute=busiest,
        outages=tuple(_outages(samples, end)), avg_kbps=sum(kbps) / len(kbps) if kbps else None,
        dropped_pct=_dropped_pct(samples), discord_live=session.discord_live,
        discord_ended=session.discord_ended, getstream=call_report, getstream_note=getstream_note,
    )


def _steps(samples: Sequence[Sample], end: float) -> list[float]:
    """Seconds from each sample to the next (the last: to ``end``), uncapped."""
    out = []
    for i, s in enumerate(samples):
        nxt = samples[i + 1].t if i + 1 < len(samples) else max(end, s.t)
        out.append(max(0.0, nxt - s.t))
    return out


def gap_threshold(samples: Sequence[Sample], end: float) -> float:
    """Seconds between two samples beyond which the recorder was not running (see the docstring)."""
    steps = sorted(_steps(samples, end)[:-1])  # the last step runs to the end: not a poll interval
    if not steps:
        return GAP_S
    n = len(steps)
    median = steps[n // 2] if n % 2 else (steps[n // 2 - 1] + steps[n // 2]) / 2
    return max(GAP_S, 3 * median)


def _viewer_minutes(samples: Sequence[Sample], end: float) -> tuple[float, float]:
    """(viewer-minutes, minutes covered by good polls)."""
    vm = covered = 0.0
    cap = gap_threshold(samples, end)
    for s, step in zip(samples, _steps(samples, end), strict=True):
        if s.viewers is None:
            continue
        step = min(step, cap)
        vm += s.viewers * step / 60
        covered += step / 60
    return vm, covered


def _outages(samples: Sequence[Sample], end: float) -> list[Outage]:
    out: list[Outage] = []
    run_start: float | None = None
    seen_good = False
    cap = gap_threshold(samples, end)
    for s, step in zip(samples, _steps(samples, end), strict=True):
        if s.viewers is None:
            if run_start is None and seen_good:
                run_start = s.t
        else:
            if run_start is not None:
                out.append(Outage(run_start, s.t))
                run_start = None
            seen_good = True
            if step > cap:
                out.append(Outage(s.t, s.t + step))
    return out


def _dropped_pct(samples: Sequence[Sample]) -> float | None:
    dropped = total = 0
    prev: tuple[int, int] | None = None
    for s in samples:
        if s.dropped_frames is None or s.total_frames is None:
            continue
        cur = (s.dropped_frames, s.total_frames)
        if prev is None:
            prev = cur
            continue
        if cur[1] < prev[1] or cur[0] < prev[0]:  # OBS restarted the stream: counters from zero
            dropped += cur[0]
            total += cur[1]
        else:
            dropped += cur[0] - prev[0]
            total += cur[1] - prev[1]
        prev = cur
    if prev is None:
        return None
    return 100.0 * dropped / total if total > 0 else 0.0


# -- renderers ---------------------------------------------------------------------------------------
def as_json(summary: Summary) -> dict[str, Any]:
    s = summary
    return {
        "session_id": s.session_id, "call_cid": s.call_cid,
        "started_at": stats.local_iso(s.started_at), "ended_at": stats.local_iso(s.ended_at) or None,
        "duration_s": round(s.duration_s, 1),
        "local": {
            "peak_viewers": s.peak_viewers, "average_viewers": round(s.average_viewers, 2),
            "viewer_minutes": round(s.viewer_minutes, 2), "messages": s.messages,
            "authored_messages": s.authored_messages, "unique_chatters": s.unique_chatters,
            "top_chatters": [{"user_id": u, "messages": n} for u, n in s.top_chatters],
            "busiest_minute": None if s.busiest_minute is None else {
                "minute": stats.local_iso(s.busiest_minute[0]), "messages": s.busiest_minute[1]},
            "outages": [{"from": stats.local_iso(o.start), "to": stats.local_iso(o.end),
                         "seconds": round(o.seconds, 1)} for o in s.outages],
            "obs": {"average_kbps": None if s.avg_kbps is None else round(s.avg_kbps, 1),
                    "dropped_pct": None if s.dropped_pct is None else round(s.dropped_pct, 3)},
            "discord": {"live": s.discord_live, "ended": s.discord_ended},
        },
        "getstream": None if s.getstream is None else s.getstream.as_json(),
        "getstream_note": s.getstream_note,
    }


def _discord_text(status: str | None) -> str:
    return {"sent": "sent", "failed": "failed"}.get(status or "", "not configured")


def _groups_text(groups: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{name} {n}" for name, n in groups[:6]) or "—"


def rows(summary: Summary) -> list[tuple[str, str, str]]:
    """(figure, local, GetStream) rows: what the GUI's summary table and the markdown show."""
    s = summary
    gs = s.getstream
    na = "—"
    busiest = (f"{stats.local_iso(s.busiest_minute[0])[11:16]} ({s.busiest_minute[1]} messages)"
               if s.busiest_minute else na)
    chatters = f"{s.unique_chatters}"
    if s.authored_messages < s.messages:
        chatters += f" (authors known for {s.authored_messages} of {s.messages} messages)"
    outages = (f"{len(s.outages)} ({stats.fmt_duration(sum(o.seconds for o in s.outages))} in all)"
               if s.outages else "none")
    out = [
        ("Duration", stats.fmt_duration(s.duration_s), na),
        ("Peak viewers", str(s.peak_viewers), na),
        ("Max concurrent participants", na, na if gs is None or gs.max_concurrent is None
         else str(gs.max_concurrent)),
        ("Average viewers", f"{s.average_viewers:.1f}", na),
        ("Viewer-minutes", f"{s.viewer_minutes:.0f}", na),
        ("Unique participants", na, na if gs is None or gs.unique_participants is None
         else str(gs.unique_participants)),
        ("Chat messages", str(s.messages), na),
        ("Unique chatters", chatters, na),
        ("Busiest minute", busiest, na),
        ("Top chatters", ", ".join(f"{u} ({n})" for u, n in s.top_chatters) or na, na),
        ("Outages / gaps", outages, na),
        ("OBS average bitrate", na if s.avg_kbps is None else f"{s.avg_kbps:.0f} kbps", na),
        ("OBS dropped frames", na if s.dropped_pct is None else f"{s.dropped_pct:.2f} %", na),
        ("Discord go-live post", _discord_text(s.discord_live), na),
        ("Discord end post", _discord_text(s.discord_ended), na),
    ]
    if gs is not None:
        out += [("Countries", na, _groups_text(gs.countries)), ("Devices", na, _groups_text(gs.devices)),
                ("Operating systems", na, _groups_text(gs.operating_systems))]
    return out


def markdown(summary: Summary) -> str:
    s = summary
    title = f"# Stream summary: session {s.session_id} ({s.call_cid})"
    when = f"{stats.local_iso(s.started_at)} → {stats.local_iso(s.ended_at) or 'still live'}"
    lines = [title, "", when, "", "| Figure | Local (streamdesk's polls) | GetStream (call report) |",
             "| --- | --- | --- |"]
    for name, local, remote in rows(s):
        lines.append(f"| {name} | {_md(local)} | {_md(remote)} |")
    if s.getstream is None:
        lines += ["", f"GetStream figures: {s.getstream_note or 'no call report for this session.'}"]
    lines += ["", "Viewers are people in the call (HLS viewers are not counted by GetStream's "
              "participant counts)."]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})


def _md(text: str) -> str:
    """Table-cell text: remote names (chatters, countries) stay text, never links or markup."""
    return text.replace("\n", " ").translate(_MD_SPECIAL)


def write_chat_minutes_csv(out: IO[str], samples: Sequence[Sample]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CHAT_MINUTE_FIELDS)
    for minute, n in stats.chat_buckets(samples):
        writer.writerow([stats.local_iso(minute), int(minute), n])
