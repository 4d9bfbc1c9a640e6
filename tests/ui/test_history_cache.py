"""History's refresh reads an ended show's samples once: its summary is kept until its row changes.
Against a real database, the store's reads counted on the instance."""

from __future__ import annotations

from typing import Any

import pytest

from streamdesk.core import report
from streamdesk.core.paths import get_paths
from streamdesk.core.store import Sample, Store
from streamdesk.ui.history_table import SummaryCache, load_rows

T0 = 1_700_000_040.0


@pytest.fixture
def store() -> Store:
    return Store.open(get_paths().database)


def _show(store: Store, start: float, minutes: int, *, end: bool) -> int:
    s = store.start_session("livestream:show", start)
    for i in range(minutes * 12):
        sample = Sample(start + 5 * i, 10 + i % 7, i // 12, 4000.0)
        store.add_sample(s.id, sample, authors={"u1": 1} if i % 3 else {})
    if end:
        store.end_session(s.id, start + minutes * 60)
    return s.id


def _count_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    read: list[int] = []
    real = store.samples

    def counted(session_id: int) -> list[Sample]:
        read.append(session_id)
        return real(session_id)

    monkeypatch.setattr(store, "samples", counted)
    return read


def test_a_refresh_reads_only_running_new_or_changed_shows(store: Store, monkeypatch: Any) -> None:
    ended = [_show(store, T0 + day * 86_400, 30, end=True) for day in range(3)]
    running = _show(store, T0 + 4 * 86_400, 10, end=False)
    read = _count_reads(store, monkeypatch)
    cache = SummaryCache()
    now = T0 + 4 * 86_400 + 700

    first = load_rows(store, now, cache)
    assert sorted(read) == sorted([*ended, running])
    read.clear()
    second = load_rows(store, now + 60, cache)
    assert read == [running], "an ended show's samples were read again"
    # the same figures as computed afresh, for every show
    fresh = load_rows(store, now + 60)
    assert [r.summary for r in second] == [r.summary for r in fresh]
    assert [r.summary for r in first if r.session.id != running] == \
        [r.summary for r in second if r.session.id != running]

    # a row that changes after its end (Discord's late status) is summarised again
    read.clear()
    store.set_discord_status(ended[0], "ended", "sent")
    third = load_rows(store, now + 120, cache)
    assert sorted(read) == sorted([ended[0], running])
    assert next(r for r in third if r.session.id == ended[0]).summary.discord_ended == "sent"

    # the show that was running ends: summarised once more with its end, then kept
    store.end_session(running, now + 200)
    read.clear()
    load_rows(store, now + 300, cache)
    load_rows(store, now + 400, cache)
    assert read == [running]
    assert isinstance(third[0].summary, report.Summary)
