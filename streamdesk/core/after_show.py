"""After the show, from an app context: a session's summary (local rows + GetStream's call
report) and its recordings and transcriptions (fetched fresh: the links are signed and expire).
Blocking; the GUI calls these through ``ui/tasks.py``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from streamdesk.core import report
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.getstream import CallFile, CallReport, GetStreamError, NotFoundError
from streamdesk.core.store import Session

if TYPE_CHECKING:
    from streamdesk.core.context import AppContext


#: seconds a file's times may lie outside the show's and still belong to it (clocks, processing)
OVERLAP_SLACK_S = 60.0


class NoSuchSession(StreamdeskError):
    hint = "See `streamdesk sessions` for the session numbers."


def session_or_latest(ctx: AppContext, session_id: int | None) -> Session:
    if session_id is not None:
        session = ctx.store.get_session(session_id)
        if session is None:
            raise NoSuchSession(f"There is no session {session_id}.")
        return session
    sessions = ctx.store.list_sessions()
    if not sessions:
        raise NoSuchSession("There are no sessions yet.", hint="They appear after you go live.")
    return sessions[0]


def _call(session: Session) -> tuple[str, str]:
    call_type, _, call_id = session.call_cid.partition(":")
    return call_type, call_id


def call_report(ctx: AppContext, session: Session) -> tuple[CallReport | None, str | None]:
    """GetStream's call report for the session, or (None, why not) — never raises for GetStream trouble:
    the local summary stands on its own."""
    if not session.gs_session_id:
        return None, "streamdesk did not learn GetStream's session id for this show."
    from streamdesk.core import channel_ops

    try:
        with channel_ops.client(ctx, timeout=10.0, max_retries=1) as client:
            return client.call_report(*_call(session), session.gs_session_id), None
    except NotFoundError:
        return None, "GetStream has no call report for this session."
    except GetStreamError as e:
        return None, f"GetStream's call report is unavailable: {e.one_line()}"
    except StreamdeskError as e:  # no account, no secret in the keyring
        return None, e.one_line()


def load_summary(ctx: AppContext, session_id: int | None = None, *, with_getstream: bool = True,
                 now: float | None = None) -> report.Summary:
    session = session_or_latest(ctx, session_id)
    gs: CallReport | None = None
    note: str | None = "no GetStream account is set up."
    if with_getstream:
        gs, note = call_report(ctx, session)
    return report.summarize(session, ctx.store.samples(session.id), ctx.store.chat_authors(session.id),
                            now=time.time() if now is None else now, call_report=gs, getstream_note=note)


def session_files(ctx: AppContext, session: Session) -> list[CallFile]:
    """The session's recordings and transcriptions, with fresh links (all of the call's when the
    session's GetStream id is unknown)."""
    from streamdesk.core import channel_ops, recordings

    with channel_ops.client(ctx, timeout=10.0, max_retries=2) as client:
        files = recordings.list_files(client, *_call(session), session.gs_session_id)
    # One GetStream session can hold several of our shows (the broadcaster stays connected through
    # backstage between them), so keep the files recorded while this show was on air.
    start = session.started_at - OVERLAP_SLACK_S
    end = (session.ended_at if session.ended_at is not None else time.time()) + OVERLAP_SLACK_S
    return [f for f in files if _overlaps(f, start, end)]


def _overlaps(f: CallFile, start: float, end: float) -> bool:
    if f.start_time is None or f.end_time is None:
        return True  # undated: better listed than lost
    return f.start_time.timestamp() <= end and f.end_time.timestamp() >= start


def set_hls(ctx: AppContext, on: bool) -> str | None:
    """Start (returns GetStream's playlist URL) or stop HLS on the saved call."""
    from streamdesk.core import channel_ops

    channel = channel_ops.require_account(ctx)
    with channel_ops.client(ctx, timeout=10.0, max_retries=2) as client:
        if on:
            return client.start_hls(channel.call_type, channel.call_id)
        client.stop_hls(channel.call_type, channel.call_id)
        return None
