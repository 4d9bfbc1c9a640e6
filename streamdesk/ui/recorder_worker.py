"""``RecorderWorker``: one thread that owns the live recorder, as ``ObsWorker`` owns the OBS
controller (both are ``ui.tasks.OwnerThread``s).

A ``LiveRecorder`` holds the session's lock, its HTTP client and the chat cursor, and is not
thread-safe. It is created, polled, finished and closed on this thread only; the GUI thread asks
for each step and gets the result back queued (``done``/``failed``, as with ``Tasks``). Because
the steps run one after another, a poll in flight never races the end of the show: the finish
waits for it, and the final chat count is taken once, by the session API (``core.live``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from streamdesk.ui.tasks import Done, Failed, OwnerThread

if TYPE_CHECKING:
    from streamdesk.core.context import AppContext
    from streamdesk.core.live import LiveRecorder, LiveSnapshot
    from streamdesk.core.store import Session

log = logging.getLogger("streamdesk.ui.recorder")


class RecorderWorker(OwnerThread):
    def __init__(self, ctx: AppContext, *, clock: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__("streamdesk-recorder", parent)
        self.ctx, self.clock = ctx, clock
        self._recorder: LiveRecorder | None = None  # the recorder thread only

    # -- asked from the GUI thread --------------------------------------------------------------
    def open(self, call_cid: str, started_at: float, gs_session_id: str | None,
             done: Done | None = None, failed: Failed | None = None) -> int:
        """Open (or resume) the row of the show that is live since ``started_at``; done(Session)."""
        def op() -> Session:
            from streamdesk.core import live

            session = live.open_session(self.ctx, call_cid, started_at, gs_session_id,
                                        recorder=self._recorder)
            if self._recorder is not None and self._recorder.session_id != session.id:
                self._release()
            return session

        return self._submit(op, done, failed, "open the live session")

    def poll(self, session_id: int, *, interval_s: float, bitrate_kbps: float | None,
             frames: tuple[int, int] | None = None, done: Done | None = None,
             failed: Failed | None = None) -> int:
        """One poll of the session (its recorder is made on the first); done(LiveSnapshot).
        ``bitrate_kbps`` and ``frames`` (OBS's cumulative dropped and output frames) are read on
        the GUI thread from one OBS health reading when the poll is asked."""
        def op() -> LiveSnapshot:
            recorder = self._recorder_for(session_id)
            recorder.interval = interval_s
            recorder.bitrate = lambda: bitrate_kbps
            recorder.frames = lambda: frames
            return recorder.poll_once()

        return self._submit(op, done, failed, "live poll")

    def finish(self, session_id: int, done: Done | None = None, failed: Failed | None = None) -> int:
        """The show is over (ended here, elsewhere, or on GetStream): the session's last poll counts
        its chat up to the end, then the recorder is released. done(Session | None)."""
        def op() -> Session | None:
            from streamdesk.core import live

            recorder = self._recorder if self._recorder is not None and \
                self._recorder.session_id == session_id else None
            try:
                final = live.close_stale(self.ctx, session_id, recorder=recorder, clock=self.clock)
            finally:
                if recorder is not None:
                    self._release()
            return final or self.ctx.store.get_session(session_id)

        return self._submit(op, done, failed, "count the last chat of the show")

    def close_stale(self, call_cid: str, done: Done | None = None, failed: Failed | None = None) -> int:
        """A row open here while GetStream says the call is not live: finish it; done(Session | None)."""
        def op() -> Session | None:
            from streamdesk.core import live

            session = self.ctx.store.open_session(call_cid) if call_cid else None
            if session is None:
                return None
            return live.close_stale(self.ctx, session.id, clock=self.clock)

        return self._submit(op, done, failed, "close a session GetStream ended")

    def close(self, wait: bool = True) -> None:
        """Release the recorder (its session lock) and stop the thread, after the step in flight."""
        self._shutdown(self._release, wait)

    # -- the recorder thread ---------------------------------------------------------------------
    def _recorder_for(self, session_id: int) -> LiveRecorder:
        if self._recorder is not None and self._recorder.session_id != session_id:
            self._release()
        if self._recorder is None:
            from streamdesk.core.live import LiveRecorder

            self._recorder = LiveRecorder(self.ctx, session_id, clock=self.clock)
        return self._recorder

    def _release(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            try:
                recorder.close()
            except Exception:
                log.info("closing the live recorder failed", exc_info=True)
