"""Session math: per-minute chat buckets, peak, totals, chat/min, duration, CSV."""

from __future__ import annotations

import csv
import io
import itertools
import random

from streamdesk.core import stats
from streamdesk.core.store import Sample, Session, Store

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC, a minute boundary


def test_chat_buckets_follow_wall_clock_minutes_and_keep_quiet_minutes() -> None:
    samples = [
        Sample(T0 + 5, 10, chat=2),
        Sample(T0 + 59.9, 11, chat=3),  # same minute
        Sample(T0 + 60.0, 12, chat=1),  # next minute starts exactly here
        Sample(T0 + 185, 9, chat=4),  # minute 3; minute 2 had no chat
    ]
    assert stats.chat_buckets(samples) == [(T0, 5), (T0 + 60, 1), (T0 + 120, 0), (T0 + 180, 4)]


def test_chat_buckets_of_nothing_is_empty() -> None:
    assert stats.chat_buckets([]) == []


def test_bucket_sum_equals_total_for_a_random_show() -> None:
    rng = random.Random(7)
    t, samples = T0 + 17.3, []
    for _ in range(2000):
        t += rng.uniform(0.5, 6)
        samples.append(Sample(t, rng.choice([None, rng.randint(0, 500)]), chat=rng.randint(0, 9)))
    buckets = stats.chat_buckets(samples)
    assert sum(n for _, n in buckets) == stats.total_chat(samples) == sum(s.chat for s in samples)
    starts = [m for m, _ in buckets]
    assert starts == sorted(starts) and all(b - a == 60 for a, b in itertools.pairwise(starts))


def test_peak_ignores_gaps_and_total_counts_everything() -> None:
    samples = [Sample(T0, None, 3), Sample(T0 + 3, 40, 0), Sample(T0 + 6, None, 2), Sample(T0 + 9, 38, 1)]
    assert stats.peak_viewers(samples) == 40
    assert stats.total_chat(samples) == 6
    assert stats.peak_viewers([Sample(T0, None, 1)]) == 0  # only gaps: no viewers seen, not an error


def test_chat_per_minute_uses_only_the_last_60_seconds() -> None:
    samples = [Sample(T0 + i * 3, 1, chat=1) for i in range(100)]  # 1 message every 3 s = 20/min
    now = samples[-1].t
    assert stats.chat_per_minute(samples, now) == 20
    assert stats.chat_per_minute(samples, now, window_s=30) == 20  # scaled to per minute
    assert stats.chat_per_minute([], now) == 0


def test_duration_and_minutes_round_partial_minutes_up() -> None:
    assert stats.duration_s(T0, T0 + 125) == 125
    assert stats.duration_s(T0, T0 - 5) == 0
    live = Session(1, "livestream:x", started_at=T0)
    assert stats.session_minutes(live, T0 + 60) == 1
    assert stats.session_minutes(live, T0 + 61) == 2
    assert stats.session_minutes(live, T0 + 1) == 1
    ended = Session(2, "livestream:x", started_at=T0, ended_at=T0 + 3600, total_minutes=60)
    assert stats.session_minutes(ended, T0 + 99999) == 60


def test_fmt_duration() -> None:
    assert stats.fmt_duration(0) == "0:00"
    assert stats.fmt_duration(125.9) == "2:05"
    assert stats.fmt_duration(3723) == "1:02:03"


def test_store_row_agrees_with_stats_of_its_samples(tmp_path) -> None:
    """The incremental peak/total the store keeps equals the stats recomputed from the samples."""
    store = Store.open(tmp_path / "db.sqlite3")
    s = store.start_session("livestream:x", T0)
    rng = random.Random(3)
    for i in range(300):
        store.add_sample(s.id, Sample(T0 + i * 3, rng.choice([None, rng.randint(0, 90)]), rng.randint(0, 4)))
    row, samples = store.get_session(s.id), store.samples(s.id)
    assert row.peak_viewers == stats.peak_viewers(samples)
    assert row.total_chat == stats.total_chat(samples)


def test_csv_writers() -> None:
    out = io.StringIO()
    stats.write_sessions_csv(out, [Session(3, "livestream:x", T0, T0 + 90, 2, 12, 34, "stopped")])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["id"] == "3" and rows[0]["total_minutes"] == "2" and rows[0]["peak_viewers"] == "12"
    assert rows[0]["started_at"].startswith("20") and rows[0]["ended_at"]

    out = io.StringIO()
    stats.write_samples_csv(out, [Sample(T0, None, 2, None), Sample(T0 + 3, 5, 0, 4500.04)])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["viewers"] == "" and rows[0]["chat"] == "2"  # a gap stays a gap, not a 0
    assert rows[1]["viewers"] == "5" and rows[1]["bitrate_kbps"] == "4500.0"
    assert float(rows[1]["unix_time"]) == T0 + 3
