"""Hostile answers to the after-show operations become one clear ProtocolError, and a download
refuses what it must not do before any byte is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdesk.core import recordings
from streamdesk.core.getstream import ProtocolError, _parse_files, _parse_report

GOOD = {"filename": "rec.mp4", "url": "https://cdn.example/rec.mp4?sig=1",
        "start_time": 1_700_000_000_000_000_000, "end_time": 1_700_000_060_000_000_000, "session_id": "s1",
        "recording_type": "composite"}


@pytest.mark.parametrize("change", [
    {"filename": "../../.bashrc"}, {"filename": "a/b.mp4"}, {"filename": ".."}, {"filename": "x\x00y"},
    {"filename": 5}, {"url": "file:///etc/passwd"}, {"url": "javascript:alert(1)"}, {"url": None},
    {"url": "https://a b"}, {"start_time": "yesterday"}, {"start_time": True},
])
def test_a_hostile_file_entry_is_refused(change: dict) -> None:
    with pytest.raises(ProtocolError):
        _parse_files({"recordings": [{**GOOD, **change}]}, "recordings", "recording")


def test_a_good_entry_parses_and_keeps_the_link_out_of_repr() -> None:
    (f,) = _parse_files({"recordings": [GOOD]}, "recordings", "recording")
    assert f.filename == "rec.mp4" and f.start_time is not None and f.start_time.year == 2023
    assert "sig=1" not in repr(f)


@pytest.mark.parametrize("participants", [
    {"unique": -1, "sum": 0}, {"unique": 10**12, "sum": 0}, {"unique": "many", "sum": 0},
    {"unique": 1, "sum": 1, "max_concurrent": float("nan")},
])
def test_impossible_report_counts_are_refused(participants: dict) -> None:
    with pytest.raises(ProtocolError):
        _parse_report({"session_id": "s", "report": {"participants": participants}})


def test_report_groups_skip_null_entries_and_sort_largest_first() -> None:
    r = _parse_report({"session_id": "s", "report": {"participants": {
        "unique": 5, "sum": 7, "max_concurrent": 3,
        "by_country": [None, {"name": "DE", "unique": 1}, {"name": "US", "unique": 4}],
        "by_device": None}}})
    assert r.countries == (("US", 4), ("DE", 1)) and r.devices == () and r.max_concurrent == 3


@pytest.mark.parametrize("url", ["http://example.com/x.mp4", "ftp://h/x", "file:///tmp/x"])
def test_download_only_over_https_except_loopback(url: str, tmp_path: Path) -> None:
    with pytest.raises(recordings.DownloadError, match="https"):
        recordings.download(url, tmp_path, "x.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "."])
def test_download_refuses_a_file_name_that_is_a_path(name: str, tmp_path: Path) -> None:
    with pytest.raises(recordings.DownloadError):
        recordings.download("https://cdn.example/x", tmp_path, name)
