"""The controller's live side: go live, the live session, and the end of the show.

The session row is opened, polled and finished through the session API (``core.live``) on the
``RecorderWorker``'s thread, which owns the recorder. The end of a show takes one path, whoever
ended it (this window, the CLI, GetStream's dashboard): ``_end_session`` asks the worker to
finish the session, whose last poll counts the chat up to the end once; ``session_ended`` then
carries that row, and the summary, History and the Discord message all show its figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from streamdesk.core.flow import Event, State
from streamdesk.ui.controller_base import ControllerBase
from streamdesk.ui.stage_map import STAGE_OF_STATE

if TYPE_CHECKING:
    from streamdesk.core.channel_ops import LiveResult
    from streamdesk.core.getstream import CallState
    from streamdesk.core.live import LiveSnapshot
    from streamdesk.core.options import GoLiveOptions, StopOptions
    from streamdesk.core.store import Session

log = logging.getLogger("streamdesk.ui")

# one failed live poll is a gap in the chart; this many in a row is worth a banner
STALE_AFTER_POLLS = 3


class LiveOps(ControllerBase):
    _polling = False  # a live poll is out on the recorder thread
    _troubled_polls = 0  # consecutive live polls that failed (or half failed)

    # -- go live ------------------------------------------------------------------------------
    def go_live(self, options: GoLiveOptions) -> None:
        if not self._fire(Event.GO_LIVE):
            self.message.emit("golive", "warning", self.reason(Event.GO_LIVE) or "")
            return
        timeout = self.go_live_timeout

        def op() -> LiveResult:
            from streamdesk.core import channel_ops

            # Discord is told afterwards, in its own task: "you're live" must not wait on Discord
            return channel_ops.go_live(self.ctx, options, timeout=timeout, announce=False)

        def done(result: LiveResult) -> None:
            self.call = result.call
            self.call_changed.emit(result.call)
            if not self._fire(Event.LIVE_CONFIRMED):
                # a force end overtook this go-live (its GoLive reached GetStream last, so the call
                # may be live again): no "you're live" and no recording on our own say, GetStream
                # decides what we are now
                self.message.emit("live", "warning", "Go live finished after the stream was ended: "
                                  "check the state shown now, and end the stream again if it is live.")
                self.refresh()
                return
            self._on_session(result.session)
            self.announce("live", result.session)

        def failed(text: str, _error: BaseException) -> None:
            self._fire(Event.GO_LIVE_FAILED)
            self.message.emit("golive", "error", text)
            self.refresh()  # the server may be live after all (e.g. the poll timed out late)

        self._run("go_live", "golive", op, done, failed)

    def _resume_session(self, call: CallState) -> None:
        """LIVE on the server: reuse the open session row (or open one) and start recording."""
        started = call.live_started_at.timestamp() if call.live_started_at else self.clock()
        self._set_busy("resume", True)

        def done(session: Session) -> None:
            self._set_busy("resume", False)
            self._on_session(session)

        def failed(text: str, error: BaseException) -> None:
            self._set_busy("resume", False)
            self._note_unreachable(error)
            self.message.emit("live", "error", text)

        self.recorder.open(self.channel.call_cid, started, call.session_id, done, failed)

    def _on_session(self, session: Session) -> None:
        self.session = session
        self.session_started.emit(session)
        self.poll_live_now()

    def load_samples(self, session_id: int, done: Callable[[Any], None]) -> None:
        """The session's stored samples, read off the GUI thread; ``done([])`` when that fails."""
        self.tasks.run(lambda: self.ctx.store.samples(session_id), done, lambda *_: done([]),
                       what="load the session's samples")

    # -- live ---------------------------------------------------------------------------------
    def poll_live_now(self) -> None:
        if self._polling or self.session is None or self.state not in (State.LIVE, State.ENDING):
            return
        self._polling = True
        session_id = self.session.id

        def done(snapshot: LiveSnapshot) -> None:
            self._polling = False
            self.last_snapshot = snapshot
            self.snapshot.emit(snapshot)
            self._live_trouble(snapshot.error)
            self._pace_live_polls(snapshot.next_poll_s)
            ours = self.session is not None and self.session.id == session_id
            if snapshot.ended and ours and self.state is not State.ENDING:
                # ended elsewhere (the CLI, GetStream's dashboard): the server is the truth (a
                # refresh may have left LIVE already; an end in flight finishes the session itself)
                self._end_session()
                self.refresh()

        def failed(text: str, error: BaseException) -> None:
            self._polling = False
            self._note_unreachable(error)
            self._live_trouble(text)

        self.recorder.poll(session_id, interval_s=self._live_interval_ms / 1000, bitrate_kbps=self._bitrate(),
                           frames=self._frames(), done=done, failed=failed)

    def _pace_live_polls(self, next_poll_s: float) -> None:
        """Follow the recorder's pace: its backoff after failed polls and GetStream's rate-limit
        reset time (polling earlier only earns another 429)."""
        if not self.live_timer.isActive():
            return
        wait_ms = max(self._live_interval_ms, int(next_poll_s * 1000))
        if wait_ms != self.live_timer.interval():
            self.live_timer.start(wait_ms)

    def _live_trouble(self, error: str | None) -> None:
        """Say once per outage that the numbers stopped updating, and once that they are back. A
        single failed poll only leaves a gap in the chart: GetStream hiccups (a 5xx, a dropped
        connection) are routine on a long show, and a banner flashing for each is noise."""
        if error:
            self._troubled_polls += 1
            if self._troubled_polls == STALE_AFTER_POLLS:
                self.message.emit("live", "warning", f"Live numbers are not updating: {error}")
        else:
            if self._troubled_polls >= STALE_AFTER_POLLS:
                self.message.emit("live", "ok", "Live numbers are updating again.")
            self._troubled_polls = 0

    def _bitrate(self) -> float | None:
        health = self.last_health
        if health is None or health.measuring:
            return None  # unknown, not 0: a chart gap instead of a false drop to zero
        return float(health.bitrate_kbps)

    def _frames(self) -> tuple[int, int] | None:
        """OBS's cumulative (network-dropped, output) frames, for the summary's dropped %."""
        health = self.last_health
        if health is None or not health.active:
            return None
        return int(health.dropped_frames), int(health.total_frames)

    # -- the end ------------------------------------------------------------------------------
    def stop_live(self, options: StopOptions, *, stop_obs: bool = True) -> None:
        if not self._fire(Event.STOP):
            self.message.emit("live", "warning", self.reason(Event.STOP) or "")
            return

        def op() -> Session | None:
            from streamdesk.core import channel_ops

            return channel_ops.stop_live(self.ctx, options, announce=False)

        def stopped() -> None:
            self._fire(Event.STOPPED)
            if stop_obs and self.obs_info is not None:
                self.stop_obs_stream()

        def done(session: Session | None) -> None:
            self._end_session(announce=session is not None, then=stopped)

        def failed(text: str, _error: BaseException) -> None:
            self._fire(Event.STOP_FAILED)
            self.message.emit("live", "error", f"The stream is still live: {text}")

        self._run("stop_live", "live", op, done, failed)

    def force_end(self, *, mark_ended: bool = False) -> None:
        """Stop live (and optionally end the call) and stop OBS, whatever the flow believes."""
        self._fire(Event.FORCE_END)  # refused is fine: we act anyway, then reconcile from the server

        def op() -> Session | None:
            from streamdesk.core import channel_ops

            return channel_ops.force_end(self.ctx, mark_ended=mark_ended, announce=False)

        def ended() -> None:
            self._fire(Event.CALL_ENDED if mark_ended else Event.STOPPED)
            self.message.emit("live", "ok", "Force end done: the call is off air.")
            self.refresh()

        def done(session: Session | None) -> None:
            self._end_session(announce=session is not None, then=ended)

        def failed(text: str, _error: BaseException) -> None:
            self.message.emit(STAGE_OF_STATE[self.state], "error", f"Force end failed: {text}")
            self.refresh(settle=True)  # leave ENDING: GetStream says whether the call is still live

        # channel_ops.force_end also stops OBS, over its own connection: it must work even when
        # our OBS worker is stuck or disconnected
        self._run("force_end", "live", op, done, failed)

    def announce(self, kind: Literal["live", "ended"], session: Session | None) -> None:
        """Tell Discord (if a webhook is set) in the background, after the state has flipped: a
        dead Discord costs its retry budget (up to 15 s) there, never the go-live or end."""
        if session is None:
            return
        ctx = self.ctx

        def op() -> str | None:
            from streamdesk.core import channel_ops

            return channel_ops.announce(ctx, kind, session)

        def done(notice: str | None) -> None:
            if notice:
                self.message.emit("live", "warning", str(notice))

        self.tasks.run(op, done, lambda text, _e: log.info("Discord message failed: %s", text),
                       what=f"Discord {kind} message")

    def _end_session(self, *, announce: bool = False, then: Callable[[], None] | None = None) -> None:
        """The show is over, whoever ended it: the recorder thread finishes the session (its last
        poll counts the chat up to the end, once), then ``session_ended`` carries the finished row
        and Discord hears the same totals (in its own task: the summary never waits on Discord; a
        started task is waited for when the app quits). ``then`` runs after that: the flow leaves
        ENDING only when the summary has its final figures, so the window never shows an earlier
        count."""
        self.live_timer.stop()
        session, self.session = self.session, None
        if session is None:
            if then is not None:
                then()
            return

        def done(final: Session | None) -> None:
            self.session_ended.emit(final or session)
            if announce:
                self.announce("ended", final or session)
            if then is not None:
                then()

        def failed(text: str, _error: BaseException) -> None:
            log.info("finishing the session failed: %s", text)
            self.session_ended.emit(session)
            if then is not None:
                then()

        self.recorder.finish(session.id, done, failed)

    def _stale_row_ended(self) -> None:
        """GetStream says the call is not live and no show is on here: a row left open (the stream
        ended while the app was closed, or it was killed between stop_live and closing the row)
        is closed by the session API (``core.live.close_stale``) on the recorder thread."""
        def done(session: Session | None) -> None:
            if session is not None and not session.is_open:
                self.message.emit(STAGE_OF_STATE[self.state], "info",
                                  f"Closed session {session.id}: the stream had ended on GetStream "
                                  "while streamdesk was not watching.")

        self.recorder.close_stale(self.channel.call_cid, done,
                                  lambda text, _e: log.info("closing a stale session failed: %s", text))
