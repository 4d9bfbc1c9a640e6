"""The live session: the one API that opens, records, finishes and closes a show's session row.

``open_session`` opens the row when GetStream confirms the call live (or resumes the open one);
``LiveRecorder.poll_once`` records it; ``finish_session`` closes it when the streamer ends the show,
after counting its chat up to the end; ``close_stale`` finishes a row GetStream no longer shows
live. The CLI (``golive``, ``watch``, ``end``, ``end --force``) and the window call these and
nothing else touches ``Store.start_session``/``end_session``. The final chat count is taken once,
by whoever holds the session's recorder, and every view reads the row it wrote.

One ``poll_once`` is one ``GetCall`` (viewer counts) plus the chat messages since the stored
cursor, written with ``Store.add_sample`` in ONE transaction together with the row's peak, total
and chat cursor. So a crash at any point loses at most the poll in flight, and a new recorder
resumes from the stored cursor without counting a message twice.

The recorder never sleeps: ``poll_once`` returns a snapshot saying when the next poll is due
(the cadence, or later after a 429 or repeated failures), and the caller waits (``follow`` for
the terminal, a QTimer in the GUI). Failed polls are recorded as gaps (viewers NULL), not
zeros, and never raise. When the call goes back to backstage or is ended, the recorder finishes
the session row (``ended_at``, total minutes from live start to end).

Only one recorder per session at a time, across processes: an exclusive OS file lock
(``core/session_lock.py``) under ``paths.lock_dir``; a second recorder (the GUI and ``watch`` at once) gets
``RecorderBusy`` instead of double counting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from streamdesk.core import stats
from streamdesk.core.cadence import MIN_POLL_INTERVAL_S, POLL_INTERVAL_SETTING
from streamdesk.core.cadence import poll_interval as _interval_from
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.getstream import (
    ChatMessage,
    GetStreamClient,
    GetStreamError,
    RateLimitedError,
)
from streamdesk.core.session_lock import LockHeld, SessionLock
from streamdesk.core.store import Sample, Session

if TYPE_CHECKING:
    from streamdesk.core.context import AppContext

log = logging.getLogger("streamdesk.live")

MAX_BACKOFF = 60.0
#: chat pages fetched per poll at most; a busier chat catches up on the next poll
MAX_CHAT_PAGES = 10
CHAT_PAGE = 100


class RecorderBusy(StreamdeskError):
    """Another process (or window) is already recording this session."""


class SessionClosed(StreamdeskError):
    """The session row is already ended: there is nothing to record."""


@dataclass(frozen=True)
class LiveSnapshot:
    """What one poll saw, plus the running totals from the session row."""

    t: float
    viewers: int | None  # None: this poll failed (a gap)
    chat_new: int
    chat_per_minute: float
    peak_viewers: int
    total_chat: int
    duration_s: float
    bitrate_kbps: float | None
    session_id: int = 0
    error: str | None = None  # one sentence when the poll failed
    ended: bool = False  # the session is over; stop polling
    next_poll_s: float = 0.0  # when the caller should poll again
    #: GetStream has the broadcaster among the call's participants (it receives the stream);
    #: None when this poll did not read the call
    gs_receives: bool | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "t": round(self.t, 3), "time": stats.local_iso(self.t), "session_id": self.session_id,
            "viewers": self.viewers, "chat_new": self.chat_new,
            "chat_per_minute": round(self.chat_per_minute, 2), "peak_viewers": self.peak_viewers,
            "total_chat": self.total_chat, "duration_s": round(self.duration_s, 1),
            "bitrate_kbps": None if self.bitrate_kbps is None else round(self.bitrate_kbps, 1),
            "error": self.error, "ended": self.ended,
        }


class _SessionLock(SessionLock):
    """The recorder's cross-process lock (core/session_lock.py): a second recorder gets ``RecorderBusy``."""

    def __init__(self, path: os.PathLike[str] | str, session_id: int) -> None:
        try:
            super().__init__(path)
        except LockHeld as held:
            who = f" (process {held.pid})" if held.pid else ""
            raise RecorderBusy(
                f"Session {session_id} is already being recorded by another streamdesk{who}.",
                hint="Close the other window or `streamdesk watch` first; two recorders would count twice.",
            ) from None


def poll_interval(ctx: AppContext) -> float:
    """The streamer's cadence (``core.cadence``) from the store."""
    return _interval_from(ctx.store.get_setting(POLL_INTERVAL_SETTING, None))


def default_client(ctx: AppContext, timeout: float = 5.0,
                   clock: Callable[[], float] = time.time) -> GetStreamClient:
    """A client that never retries on its own: the recorder's next poll is the retry, and a
    poll must not sleep (a 429 backs off through ``LiveSnapshot.next_poll_s`` instead)."""
    from streamdesk.core import channel_ops

    return channel_ops.client(ctx, timeout=timeout, max_retries=0, clock=clock)


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


class LiveRecorder:
    """Records one live session. Construct it, call ``poll_once`` every ``next_poll_s`` seconds
    until a snapshot says ``ended``, then ``close`` (or use it as a context manager)."""

    def __init__(
        self,
        ctx: AppContext,
        session_id: int,
        *,
        client: GetStreamClient | None = None,
        bitrate: Callable[[], float | None] | None = None,
        clock: Callable[[], float] = time.time,
        interval: float | None = None,
        frames: Callable[[], tuple[int, int] | None] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.ctx = ctx
        # aftershow: OBS's cumulative (dropped, total) frames, for the summary's dropped %
        self.frames = frames
        self._authors: Counter[str] = Counter()  # who wrote the messages counted since the last sample
        self.store = ctx.store
        self.session_id = session_id
        self.clock = clock
        self.interval = poll_interval(ctx) if interval is None else max(MIN_POLL_INTERVAL_S, interval)
        session = self.store.get_session(session_id)
        if session is None:
            raise SessionClosed(f"There is no session {session_id}.", hint="See `streamdesk sessions`.")
        if not session.is_open:
            raise SessionClosed(f"Session {session_id} has already ended.", hint="See `streamdesk sessions`.")
        self.session: Session = session
        self.bitrate = bitrate
        self.broadcaster = ctx.store.channel().user_id  # whose participation means "receives"
        self.call_type, _, self.call_id = session.call_cid.partition(":")
        chat_cid = ctx.store.channel().chat_cid or f"livestream:{self.call_id}"
        self.chat_type, _, self.chat_id = chat_cid.partition(":")
        self._failures = 0
        # The last minute of samples, for chat/min; seeded from the store so a resumed recorder
        # shows the same rate the crashed one did.
        now = clock()
        self._recent: deque[Sample] = deque(s for s in self.store.samples(session_id) if s.t > now - 60)
        self._counted_ids: dict[str, None] = {}  # chat ids already counted (insertion-ordered, bounded)
        # Last, so nothing after it can fail and leave the lock held.
        self._lock = _SessionLock(ctx.paths.lock_dir / f"recorder-{session_id}.lock", session_id)
        self._owns_client = client is None
        try:
            # the recorder's clock is "now" for a rate-limit reset too (core/remote_values)
            self.client = client if client is not None else default_client(ctx, timeout=timeout, clock=clock)
        except BaseException:
            self._lock.release()
            raise
        self.ended = False
        #: time.monotonic() past which no more chat pages are read (a force end's budget)
        self.deadline: float | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_client:
            with contextlib.suppress(Exception):
                self.client.close()
        self._lock.release()

    def __enter__(self) -> LiveRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- polling ------------------------------------------------------------------------------------
    def poll_once(self) -> LiveSnapshot:
        """One poll: GetCall + new chat, written as one sample. Never raises for remote trouble."""
        now = self.clock()
        current = self.store.get_session(self.session_id)
        if current is None or not current.is_open:  # ended elsewhere (`streamdesk stop`, the GUI)
            self.session = current or self.session
            return self._finish(now, ended_at=self.session.ended_at or now, reason=None)

        try:
            call = self.client.get_call(self.call_type, self.call_id)
        except GetStreamError as e:
            return self._gap(now, e)

        ended_at = _ts(call.ended_at)
        if call.backstage or ended_at is not None:
            live_end = _ts(call.live_ended_at)
            when = ended_at or (live_end if live_end and live_end >= self.session.started_at else now)
            return self._finish(now, ended_at=when, reason="ended" if ended_at else "stopped")

        viewers = call.viewers()
        chat_new, cursor, chat_error = self._fetch_chat(until=None)
        snap = self._record(now, viewers, chat_new, cursor, error=chat_error)
        return snap if snap.ended else replace(snap, gs_receives=call.has_participant(self.broadcaster))

    def finish(self, ended_at: float, reason: str) -> Session:
        """The show is over: count the chat up to its end, then close the row (once). A row closed
        elsewhere meanwhile keeps its end time and reason; only its last chat is counted here."""
        if not self.ended:
            current = self.store.get_session(self.session_id)
            if current is not None and current.ended_at is not None:
                self.session = current
                self._finish(self.clock(), ended_at=current.ended_at, reason=None)
            else:
                self._finish(self.clock(), ended_at=max(ended_at, self.session.started_at), reason=reason)
        return self.store.get_session(self.session_id) or self.session

    def _fetch_chat(self, until: float | None) -> tuple[int, str | None, str | None]:
        """New chat since the stored cursor: (count, new cursor, error). Messages from before the
        live start (or after its end) move the cursor but are not counted."""
        cursor = self.session.last_message_id
        counted = 0
        try:
            for _ in range(MAX_CHAT_PAGES):
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    break  # out of time (a force end): the rest is counted by no one, say so below
                page = self.client.messages_since(self.chat_type, self.chat_id, cursor, limit=CHAT_PAGE)
                kept = [m for m in page if self._counts(m, until)]
                counted += len(kept)
                self._authors.update(m.user_id for m in kept if m.user_id)  # aftershow: unique chatters
                if page:
                    cursor = page[-1].id
                if len(page) < CHAT_PAGE:
                    break
        except GetStreamError as e:
            # Keep the pages already read: the cursor only ever moves past counted messages.
            return counted, cursor, e.one_line()
        return counted, cursor, None

    def _counts(self, m: ChatMessage, until: float | None) -> bool:
        # Only what GetStream calls chat: type "regular", not deleted; and each message once, even
        # if a page repeats it (a cursor message deleted since pages from the start again).
        if not m.is_chat or m.id in self._counted_ids:
            return False
        self._counted_ids[m.id] = None
        while len(self._counted_ids) > 5000:
            del self._counted_ids[next(iter(self._counted_ids))]
        t = _ts(m.created_at)
        if t is None:
            return True
        return t >= self.session.started_at and (until is None or t <= until)

    def _bitrate(self) -> float | None:
        if self.bitrate is None:
            return None
        try:
            return self.bitrate()
        except Exception as e:  # OBS trouble must not stop the viewer/chat record
            log.info("bitrate unavailable: %s", type(e).__name__)
            return None

    def _frames(self) -> tuple[int | None, int | None]:
        if self.frames is None:
            return None, None
        try:
            pair = self.frames()
        except Exception as e:  # OBS trouble must not stop the viewer/chat record
            log.info("OBS frame counts unavailable: %s", type(e).__name__)
            return None, None
        return (None, None) if pair is None else pair

    def _take_authors(self) -> dict[str, int]:
        authors, self._authors = dict(self._authors), Counter()
        return authors

    def _record(self, now: float, viewers: int | None, chat_new: int, cursor: str | None,
                error: str | None = None) -> LiveSnapshot:
        bitrate = self._bitrate()
        dropped, total = self._frames()  # after the bitrate: both from the same OBS reading
        sample = Sample(t=now, viewers=viewers, chat=chat_new, bitrate_kbps=bitrate,
                        dropped_frames=dropped, total_frames=total)
        self.session = self.store.add_sample(self.session_id, sample, cursor, self._take_authors())
        if self.session.ended_at is not None and now > self.session.ended_at:
            # the row was closed while this poll was out (`stop` elsewhere): the store kept the
            # sample out; count the chat up to the end from the stored cursor and finish
            return self._finish(now, ended_at=self.session.ended_at, reason=None)
        self._recent.append(sample)
        while self._recent and self._recent[0].t <= now - 60:
            self._recent.popleft()
        if viewers is None:
            self._failures += 1
        else:
            self._failures = 0
        return self._snapshot(sample, error=error, next_poll_s=self._backoff())

    def _gap(self, now: float, error: GetStreamError) -> LiveSnapshot:
        log.info("poll failed: %s", type(error).__name__)
        snap = self._record(now, None, 0, None, error=error.one_line())
        if isinstance(error, RateLimitedError) and error.reset_at is not None:
            # Honour GetStream's reset time: polling earlier only earns another 429.
            wait = max(snap.next_poll_s, error.reset_at - now)
            snap = replace(snap, next_poll_s=min(wait, MAX_BACKOFF * 5))
        return snap

    def _backoff(self) -> float:
        """The cadence, doubled per consecutive failed poll (capped), so an outage is not hammered."""
        if self._failures <= 1:
            return self.interval
        return min(MAX_BACKOFF, self.interval * 2.0 ** (self._failures - 1))

    def _finish(self, now: float, *, ended_at: float, reason: str | None) -> LiveSnapshot:
        """The call left live: count the chat up to the end, then close the row (if nobody did)."""
        chat_new, cursor, error = self._fetch_chat(until=ended_at)
        if chat_new:  # the last seconds' chat still belongs to this session
            sample = Sample(t=min(now, max(ended_at, self.session.started_at)), viewers=None, chat=chat_new)
            self.session = self.store.add_sample(self.session_id, sample, cursor, self._take_authors())
        if reason is not None:
            self.session = self.store.end_session(self.session_id, ended_at, reason)
        self.ended = True
        last = Sample(t=now, viewers=None, chat=chat_new, bitrate_kbps=None)
        return self._snapshot(last, error=error, next_poll_s=0.0, ended=True)

    def _snapshot(self, sample: Sample, *, error: str | None, next_poll_s: float,
                  ended: bool = False) -> LiveSnapshot:
        s = self.session
        until = s.ended_at if s.ended_at is not None else sample.t
        return LiveSnapshot(
            t=sample.t, viewers=sample.viewers, chat_new=sample.chat,
            chat_per_minute=stats.chat_per_minute(list(self._recent), sample.t),
            peak_viewers=s.peak_viewers, total_chat=s.total_chat,
            duration_s=stats.duration_s(s.started_at, until), bitrate_kbps=sample.bitrate_kbps,
            session_id=self.session_id, error=error, ended=ended, next_poll_s=next_poll_s,
        )


# -- the session API -----------------------------------------------------------------------------
def open_session(ctx: AppContext, call_cid: str, started_at: float, gs_session_id: str | None = None,
                 *, recorder: LiveRecorder | None = None) -> Session:
    """The row of the show GetStream confirms live since ``started_at``: the open one when it is the
    same show (a restart while live resumes it), else a new one. A row still open from an earlier
    show (it ended while nothing watched) is finished first, at its last sample, so it does not
    absorb this show. ``recorder``: the caller's recorder, used if it records that earlier row."""
    stale = ctx.store.open_session(call_cid)
    if stale is not None and abs(stale.started_at - started_at) >= 1e-3:
        last = max([stale.started_at, *(s.t for s in ctx.store.samples(stale.id))])
        own = recorder if recorder is not None and recorder.session_id == stale.id else None
        _finish_row(ctx, stale.id, ended_at=min(last, started_at), reason="stopped", recorder=own)
        log.info("closed session %d: it was left open by an earlier show", stale.id)
    return ctx.store.start_session(call_cid, started_at, gs_session_id)


def finish_session(ctx: AppContext, call_cid: str, *, ended_at: float, reason: str,
                   recorder: LiveRecorder | None = None, budget_s: float | None = None) -> Session | None:
    """The streamer ended the show (``stop``, ``end``, ``end --force``, the window): close the open
    row of ``call_cid`` at ``ended_at`` with its final chat count. None when no row is open.
    ``budget_s``: the most the count may take (a force end's time budget); with less than a
    second left the row is closed uncounted rather than late."""
    session = ctx.store.open_session(call_cid) if call_cid else None
    if session is None:
        return None
    own = recorder if recorder is not None and recorder.session_id == session.id else None
    ended_at = max(ended_at, session.started_at)
    return _finish_row(ctx, session.id, ended_at=ended_at, reason=reason, recorder=own, budget_s=budget_s)


def close_stale(ctx: AppContext, session_id: int, *, recorder: LiveRecorder | None = None,
                clock: Callable[[], float] = time.time) -> Session | None:
    """The last poll of a row whose show is over or going: closed here or elsewhere, or no longer
    live on GetStream (it ended while nothing watched, or the process died between StopLive and
    closing the row). Counts the chat up to the end once and closes the row at GetStream's end
    time. None when another process records the session (it finishes the row itself)."""
    try:
        own = recorder if recorder is not None else LiveRecorder(ctx, session_id, clock=clock)
    except RecorderBusy:
        return None
    except SessionClosed:
        return ctx.store.get_session(session_id)
    try:
        if not own.ended:
            own.poll_once()
    finally:
        if recorder is None:
            own.close()
    return ctx.store.get_session(session_id)


def _finish_row(ctx: AppContext, session_id: int, *, ended_at: float, reason: str,
                recorder: LiveRecorder | None, budget_s: float | None = None) -> Session:
    """Count, then close. Whoever holds the session's recorder counts: ``recorder``, or one taken
    here; when another recorder holds it (``watch``, the window's recorder thread), only the row
    is closed here and that recorder's next poll, seeing the row closed, counts the last chat."""
    if recorder is not None:
        return recorder.finish(ended_at, reason)
    if budget_s is not None and budget_s < 1.0:
        log.warning("the last chat of session %d was not counted: no time left", session_id)
        return ctx.store.end_session(session_id, ended_at, reason)
    try:
        timeout = 5.0 if budget_s is None else min(5.0, budget_s / 2)
        with LiveRecorder(ctx, session_id, timeout=timeout) as own:
            if budget_s is not None:
                own.deadline = time.monotonic() + budget_s
            return own.finish(ended_at, reason)
    except RecorderBusy:
        log.info("session %d is recorded elsewhere: that recorder counts its last chat", session_id)
    except SessionClosed:
        pass
    except StreamdeskError as e:  # no client (keyring locked, account gone): close it uncounted
        log.warning("the last chat of session %d was not counted: %s", session_id, e.one_line())
    return ctx.store.end_session(session_id, ended_at, reason)


class RecordingTail:
    """Follows a session that another process records (the app, usually): reads the samples it
    writes and writes nothing, so ``watch`` next to the GUI shows the numbers without counting
    anything twice. ``poll_once`` returns None while no new sample has arrived."""

    def __init__(self, ctx: AppContext, session_id: int, *, clock: Callable[[], float] = time.time,
                 interval: float | None = None) -> None:
        self.store = ctx.store
        self.session_id = session_id
        self.clock = clock
        self.interval = poll_interval(ctx) if interval is None else max(MIN_POLL_INTERVAL_S, interval)
        self._seen = len(self.store.samples(session_id))
        self.ended = False

    def close(self) -> None:
        pass

    def __enter__(self) -> RecordingTail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll_once(self) -> LiveSnapshot | None:
        session = self.store.get_session(self.session_id)
        if session is None:
            raise SessionClosed(f"Session {self.session_id} no longer exists.")
        samples = self.store.samples(self.session_id)
        new, self._seen = samples[self._seen:], len(samples)
        self.ended = not session.is_open
        if not new and not self.ended:
            return None
        last = new[-1] if new else Sample(t=self.clock(), viewers=None, chat=0)
        until = session.ended_at if session.ended_at is not None else last.t
        return LiveSnapshot(
            t=last.t, viewers=last.viewers, chat_new=sum(s.chat for s in new),
            chat_per_minute=stats.chat_per_minute(samples, last.t), peak_viewers=session.peak_viewers,
            total_chat=session.total_chat, duration_s=stats.duration_s(session.started_at, until),
            bitrate_kbps=last.bitrate_kbps, session_id=self.session_id, ended=self.ended,
            next_poll_s=0.0 if self.ended else self.interval,
        )


def follow(
    recorder: LiveRecorder | RecordingTail,
    on_snapshot: Callable[[LiveSnapshot], None],
    *,
    duration_s: float | None = None,
    wait: Callable[[float], object] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> LiveSnapshot | None:
    """Poll until the session ends, ``duration_s`` passes, or ``wait`` returns something truthy
    (pass ``threading.Event().wait`` to stop from another thread). Returns the last snapshot."""
    deadline = None if duration_s is None else monotonic() + duration_s
    last: LiveSnapshot | None = None
    while True:
        snap = recorder.poll_once()
        if snap is not None:
            last = snap
            on_snapshot(snap)
            if snap.ended:
                return snap
        delay = snap.next_poll_s if snap is not None else recorder.interval
        if deadline is not None:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return last
            if remaining < delay:
                wait(remaining)
                return last
        if wait(delay):
            return last
