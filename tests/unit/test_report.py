"""The stream summary: every figure recomputed here a second, independent way (second by second,
straight from the rows), on hand-made shows and on random ones; and the store migration that
keeps the chat authors."""

from __future__ import annotations

import itertools
import random
import sqlite3
import statistics
from collections import Counter
from pathlib import Path

import pytest

from streamdesk.core import report
from streamdesk.core.getstream import CallReport
from streamdesk.core.paths import get_paths
from streamdesk.core.store import MIGRATIONS, SCHEMA_VERSION, ChatAuthorCount, Sample, Store

T0 = 1_700_000_040.0  # a minute boundary


def _store(tmp: Path) -> Store:
    return Store.open(get_paths().database)


def _random_show(seed: int) -> tuple[Store, int]:
    rng = random.Random(seed)
    store = _store(Path())
    s = store.start_session("livestream:show", T0)
    t = T0
    users = [f"u{i}" for i in range(rng.randint(1, 12))]
    frames = [0, 0]
    for _ in range(rng.randint(1, 300)):
        t += rng.choice([3.0, 3.0, 3.0, 2.9, 3.1, 45.0 if rng.random() < 0.03 else 3.0])
        failed = rng.random() < 0.1
        authors = Counter(rng.choice(users) for _ in range(0 if failed else rng.randint(0, 4)))
        if rng.random() < 0.02:
            frames = [0, 0]  # OBS restarted the stream
        frames[1] += 90
        frames[0] += rng.randint(0, 3)
        kbps = None if rng.random() < 0.2 else rng.uniform(2000, 6000)
        store.add_sample(s.id, Sample(t, None if failed else rng.randint(0, 400), sum(authors.values()), kbps,
                                      frames[0], frames[1]), authors=dict(authors))
    store.end_session(s.id, t + rng.uniform(0, 10))
    return store, s.id


def _cap(samples: list[Sample]) -> float:
    gaps = [b.t - a.t for a, b in itertools.pairwise(samples)]
    return max(report.GAP_S, 3 * statistics.median(gaps)) if gaps else report.GAP_S


def _by_second(samples: list[Sample], end: float) -> tuple[float, float]:
    """Viewer-minutes and covered minutes by walking the show one second at a time (0.01 s grid
    near each sample): a different computation from the report's step sums."""
    vm = covered = 0.0
    cap = _cap(samples)
    for i, s in enumerate(samples):
        nxt = samples[i + 1].t if i + 1 < len(samples) else max(end, s.t)
        if s.viewers is None:
            continue
        span = min(nxt - s.t, cap)
        ticks = round(span * 100)
        vm += s.viewers * ticks / 100 / 60
        covered += ticks / 100 / 60
    return vm, covered


@pytest.mark.parametrize("seed", range(25))
def test_every_figure_matches_an_independent_recount(seed: int) -> None:
    store, sid = _random_show(seed)
    session = store.get_session(sid)
    assert session is not None
    samples, authors = store.samples(sid), store.chat_authors(sid)
    summary = report.summarize(session, samples, authors, now=0)

    assert summary.peak_viewers == session.peak_viewers
    assert summary.messages == session.total_chat == summary.authored_messages
    vm, covered = _by_second(samples, session.ended_at or 0)
    assert summary.viewer_minutes == pytest.approx(vm, rel=1e-4, abs=0.05)  # grid rounding
    assert summary.average_viewers == pytest.approx(vm / covered if covered else 0, rel=1e-3)
    totals = Counter()
    for a in authors:
        totals[a.user_id] += a.messages
    assert summary.unique_chatters == len(totals)
    if totals:
        top_n = max(totals.values())
        assert summary.top_chatters[0][1] == top_n
        assert summary.top_chatters[0][0] == min(u for u, n in totals.items() if n == top_n)
    per_minute = Counter()
    for s in samples:
        per_minute[int(s.t // 60) * 60] += s.chat
    if any(per_minute.values()):
        best = max(per_minute.values())
        assert summary.busiest_minute == (min(m for m, n in per_minute.items() if n == best), best)
    else:
        assert summary.busiest_minute is None
    kbps = [s.bitrate_kbps for s in samples if s.bitrate_kbps is not None]
    assert summary.avg_kbps == (pytest.approx(sum(kbps) / len(kbps)) if kbps else None)
    cap = _cap(samples)
    long_steps = sum(1 for a, b in itertools.pairwise(samples) if a.viewers is not None and b.t - a.t > cap)
    assert len(summary.outages) >= long_steps
    store.close()


def test_a_hand_made_show() -> None:
    store = _store(Path())
    s = store.start_session("livestream:show", T0)
    rows = [  # t, viewers, chat authors, kbps, dropped, total
        (T0 + 0, 10, {"ann": 2}, 3000.0, 0, 0),
        (T0 + 30, 20, {"bob": 1, "ann": 1}, 5000.0, 10, 1000),
        (T0 + 60, None, {}, None, None, None),   # a failed poll: an outage until the next good one
        (T0 + 90, 30, {"cy": 5}, None, 30, 3000),
        (T0 + 400, 40, {}, 4000.0, 30, 4000),   # 310 s after the last one (> 3 × the 30 s median): a gap
    ]
    for t, v, who, kbps, dropped, total in rows:
        store.add_sample(s.id, Sample(t, v, sum(who.values()), kbps, dropped, total), authors=who)
    store.set_discord_status(s.id, "live", "sent")
    session = store.end_session(s.id, T0 + 410)
    summary = report.summarize(session, store.samples(s.id), store.chat_authors(s.id), now=0,
                               call_report=CallReport("gs-1", 7, 5, (("DE", 4), ("US", 3))))
    assert summary.duration_s == 410
    assert summary.peak_viewers == 40
    # 10·30 + 20·30 + 30·90 (capped at 3 × the median step) + 40·10 viewer-seconds over 160 s
    assert summary.viewer_minutes == pytest.approx((300 + 600 + 2700 + 400) / 60)
    assert summary.average_viewers == pytest.approx(4000 / 160)
    assert summary.messages == 9 and summary.unique_chatters == 3
    assert summary.top_chatters == (("cy", 5), ("ann", 3), ("bob", 1))
    assert summary.busiest_minute == (T0 + 60, 5)
    assert [(o.start, o.end) for o in summary.outages] == [(T0 + 60, T0 + 90), (T0 + 90, T0 + 400)]
    assert summary.avg_kbps == pytest.approx(4000)
    assert summary.dropped_pct == pytest.approx(100 * 30 / 4000)
    assert (summary.discord_live, summary.discord_ended) == ("sent", None)
    md = report.markdown(summary)
    assert "| Unique participants | — | 7 |" in md and "| Max concurrent participants | — | 5 |" in md
    assert "| Discord go-live post | sent |" in md and "| Discord end post | not configured |" in md
    data = report.as_json(summary)
    assert data["getstream"]["countries"] == {"DE": 4, "US": 3}
    assert data["local"]["obs"]["dropped_pct"] == pytest.approx(0.75)


def test_a_version_1_database_gains_the_author_table_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute("INSERT INTO sessions (call_cid, started_at, peak_viewers, total_chat)"
                 " VALUES ('a:b', 5, 3, 2)")
    conn.execute("INSERT INTO samples (session_id, t, viewers, chat) VALUES (1, 6, 3, 2)")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.schema_version() == SCHEMA_VERSION >= 2
    assert store.samples(1) == [Sample(6, 3, 2, None, None, None)]
    assert store.chat_authors(1) == []
    store.add_sample(1, Sample(7, 4, 1), authors={"zed": 1})
    assert store.chat_authors(1) == [ChatAuthorCount(7, "zed", 1)]


def test_remote_names_stay_text_in_the_markdown() -> None:
    store = _store(Path())
    s = store.start_session("livestream:show", T0)
    store.add_sample(s.id, Sample(T0 + 3, 1, 1), authors={"[win](https://evil.example)|<b>": 1})
    session = store.end_session(s.id, T0 + 10)
    md = report.markdown(report.summarize(session, store.samples(s.id), store.chat_authors(s.id), now=0))
    assert "\\[win\\](https://evil.example)\\|\\<b\\>" in md
    assert "[win](" not in md
