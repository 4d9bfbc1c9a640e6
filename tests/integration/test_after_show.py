"""After the show, against the simulator: a recorded show's recordings and transcriptions are
listed with signed links the simulator serves, download (resuming, refusing symlinks, honest about
expired links), the call report answers, HLS starts and stops on the running show, and
`streamdesk recordings --json` / `report --json` tell the same story. Every request our client
sends validates against the strict OpenAPI subset, every answer against the relaxed one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from streamdesk.core import after_show, live, recordings
from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET, SimHttp
from tests.plugins.openapi import validate_request
from tests.plugins.processes import cli


@pytest.fixture
def ctx(gs_sim, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("STREAMDESK_API_BASE", gs_sim.url)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1", call_id="show-1")
    result = ops.provision(ctx, join_ahead=120, key_ttl_hours=6)
    # OBS publishes to the call (the RTMP publisher is a participant: docs/getstream.md "Ingest")
    assert gs_sim.rtmp_publish(result.rtmps_url, ops.stream_key(ctx))
    return ctx


def _recorded_show(ctx: AppContext, gs_sim, minutes: int = 4) -> int:
    ops.go_live(ctx, ops.GoLiveOptions(recording=True, transcription=True))
    session = ctx.store.open_session()
    assert session is not None
    t = [gs_sim.now()]
    with live.LiveRecorder(ctx, session.id, clock=lambda: t[0], interval=3) as recorder:
        for _ in range(minutes * 20):
            gs_sim.advance(3)
            t[0] = gs_sim.now()
            recorder.poll_once()
        ops.end(ctx)
        gs_sim.advance(1)
        t[0] = gs_sim.now()
        recorder.poll_once()
    return session.id


def _validate_everything(gs_sim) -> set[str]:
    for r in gs_sim.received:
        validate_request(r.method, r.path, r.query, r.body)
    return {r.operation for r in gs_sim.received if r.operation}


def test_a_recorded_show_lists_and_downloads_its_files(ctx, gs_sim, tmp_path: Path) -> None:
    session_id = _recorded_show(ctx, gs_sim)
    session = ctx.store.get_session(session_id)
    assert session is not None and session.gs_session_id
    files = after_show.session_files(ctx, session)
    assert [f.kind for f in files] == ["recording", "transcription"]
    assert all(f.session_id == session.gs_session_id for f in files)
    rec = files[0]
    assert rec.recording_type == "composite" and rec.filename.endswith(".mp4")
    assert rec.start_time is not None and rec.end_time is not None and rec.end_time > rec.start_time

    sim_file = gs_sim.after_show.files[0]
    gs_sim.after_show.cut_after = 150_000  # the first try is cut off mid-file
    with pytest.raises(recordings.DownloadError):
        recordings.download(rec.url, tmp_path, rec.filename)
    partial = (tmp_path / f"{rec.filename}.part").stat().st_size
    assert 0 < partial < sim_file.size
    seen: list[tuple[int, int | None]] = []
    result = recordings.download(rec.url, tmp_path, rec.filename, progress=lambda d, t: seen.append((d, t)))
    assert result.resumed_from == partial  # resumed with Range, not from scratch
    assert result.path.read_bytes() == gs_sim.after_show.content(sim_file)
    assert seen[0] == (partial, sim_file.size) and seen[-1] == (sim_file.size, sim_file.size)
    assert not (tmp_path / f"{rec.filename}.part").exists()
    assert {"ListRecordings", "ListTranscriptions"} <= _validate_everything(gs_sim)


def test_download_refuses_a_symlink_and_starts_over_when_the_file_changed(ctx, gs_sim,
                                                                          tmp_path: Path) -> None:
    _recorded_show(ctx, gs_sim, minutes=1)
    rec = after_show.session_files(ctx, ctx.store.list_sessions()[0])[0]
    target = tmp_path / "elsewhere"
    target.write_text("precious")
    os.symlink(target, tmp_path / f"{rec.filename}.part")
    with pytest.raises(recordings.DownloadError, match="not a regular file"):
        recordings.download(rec.url, tmp_path, rec.filename)
    assert target.read_text() == "precious"
    (tmp_path / f"{rec.filename}.part").unlink()

    # a partial file whose validator no longer matches: If-Range fails, the server sends it all
    (tmp_path / f"{rec.filename}.part").write_bytes(b"x" * 1000)
    (tmp_path / f"{rec.filename}.part.json").write_text(json.dumps({"etag": '"other"', "size": 5}))
    result = recordings.download(rec.url, tmp_path, rec.filename)
    assert result.resumed_from == 0
    assert result.path.read_bytes() == gs_sim.after_show.content(gs_sim.after_show.files[0])


def test_an_expired_or_altered_link_is_a_clear_error(ctx, gs_sim, tmp_path: Path) -> None:
    _recorded_show(ctx, gs_sim, minutes=1)
    gs_sim.after_show.url_ttl = -5
    rec = after_show.session_files(ctx, ctx.store.list_sessions()[0])[0]
    with pytest.raises(recordings.LinkExpired) as e:
        recordings.download(rec.url, tmp_path, rec.filename)
    assert "expired" in e.value.one_line() and "refresh the list" in e.value.one_line()
    gs_sim.after_show.url_ttl = 3600
    rec = after_show.session_files(ctx, ctx.store.list_sessions()[0])[0]
    with pytest.raises(recordings.LinkExpired):
        recordings.download(rec.url.replace("signature=", "signature=0"), tmp_path, rec.filename)


def test_the_simulator_answers_ranges_like_a_cdn(ctx, gs_sim) -> None:
    import httpx

    _recorded_show(ctx, gs_sim, minutes=1)
    rec = after_show.session_files(ctx, ctx.store.list_sessions()[0])[0]
    f = gs_sim.after_show.files[0]
    body = gs_sim.after_show.content(f)
    with httpx.Client() as http:
        r = http.get(rec.url, headers={"Range": "bytes=10-19"})
        assert r.status_code == 206 and r.content == body[10:20]
        assert r.headers["Content-Range"] == f"bytes 10-19/{f.size}"
        r = http.get(rec.url, headers={"Range": "bytes=-5"})
        assert r.status_code == 206 and r.content == body[-5:]
        r = http.get(rec.url, headers={"Range": f"bytes={f.size}-"})
        assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{f.size}"
        r = http.get(rec.url, headers={"Range": "bytes=0-1", "If-Range": '"stale"'})
        assert r.status_code == 200 and len(r.content) == f.size
        r = http.head(rec.url)
        assert r.status_code == 200 and int(r.headers["Content-Length"]) == f.size and r.headers["ETag"]


def test_hls_starts_and_stops_on_the_running_show_and_the_report_answers(ctx, gs_sim) -> None:
    ops.go_live(ctx, ops.GoLiveOptions())
    gs_sim.advance(120)
    with ops.client(ctx) as gs:
        url = gs.start_hls("livestream", "show-1")
        assert url.endswith(".m3u8")
        assert gs.get_call("livestream", "show-1").hls_playlist_url == url
        gs.stop_hls("livestream", "show-1")
        assert gs.get_call("livestream", "show-1").hls_playlist_url is None
        call = gs.get_call("livestream", "show-1")
        report = gs.call_report("livestream", "show-1", call.session_id)
    truth = gs_sim.truth("livestream:show-1")
    assert report.session_id == call.session_id
    assert report.max_concurrent == truth.peak_viewers + 1  # GetStream counts the host as a participant
    assert report.unique_participants is not None and report.unique_participants >= report.max_concurrent
    assert sum(n for _c, n in report.countries) == report.unique_participants - 1
    assert {"StartHLSBroadcasting", "StopHLSBroadcasting", "GetCallReport"} <= _validate_everything(gs_sim)


def test_every_after_show_answer_validates_against_the_relaxed_subset(ctx, gs_sim) -> None:
    _recorded_show(ctx, gs_sim, minutes=1)
    http = SimHttp(gs_sim)  # validates every JSON answer it gets
    try:
        base = "/api/v2/video/call/livestream/show-1"
        assert http.request("GET", base + "/recordings").status_code == 200
        assert http.request("GET", base + "/transcriptions").status_code == 200
        assert http.request("GET", base + "/report").status_code == 200
        assert http.request("GET", base + "/report", params={"session_id": "nope"}).status_code == 404
        assert http.request("POST", base + "/start_broadcasting").status_code == 201
        assert http.request("POST", base + "/stop_broadcasting").status_code == 201
        assert http.request("POST", base + "/mark_ended").status_code == 201
        assert http.request("POST", base + "/start_broadcasting").status_code == 400  # ended call
    finally:
        http.close()


def test_recordings_and_report_cli_json(ctx, gs_sim, gs_env, tmp_path: Path) -> None:
    session_id = _recorded_show(ctx, gs_sim)
    env = {**gs_env, "STREAMDESK_HOME": os.environ["STREAMDESK_HOME"]}
    out = cli(env, "recordings", "--json", "--session", str(session_id))
    listed = json.loads(out.stdout)
    assert [f["kind"] for f in listed] == ["recording", "transcription"]
    assert listed[0]["url"].startswith(gs_sim.url) and listed[0]["recording_type"] == "composite"
    out = cli(env, "recordings", "--json", "--download", str(tmp_path))
    saved = json.loads(out.stdout)
    assert "\r" not in out.stdout  # no progress bar when stdout is not a terminal
    for item, sim_file in zip(saved, gs_sim.after_show.files, strict=True):
        assert Path(item["path"]).read_bytes() == gs_sim.after_show.content(sim_file)
    # nothing about the links was stored
    db = (Path(os.environ["STREAMDESK_HOME"]) / "streamdesk.sqlite3").read_bytes()
    assert b"signature=" not in db

    out = cli(env, "report", "--json", "--session", str(session_id))
    data = json.loads(out.stdout)
    samples = ctx.store.samples(session_id)
    assert data["local"]["peak_viewers"] == max(s.viewers for s in samples if s.viewers is not None)
    assert data["local"]["messages"] == sum(s.chat for s in samples)
    assert data["getstream"]["max_concurrent"] >= data["local"]["peak_viewers"]
    assert data["getstream"]["countries"]
    md = cli(env, "report", "--markdown").stdout
    assert md.startswith("# Stream summary") and "| Peak viewers |" in md
    bad = cli(env, "report", "--session", "999", ok=False)
    assert bad.returncode == 1 and "no session 999" in bad.stderr


def test_a_trickling_server_is_a_stall_not_a_hang(ctx, gs_sim, tmp_path: Path) -> None:
    import time

    _recorded_show(ctx, gs_sim, minutes=1)
    rec = after_show.session_files(ctx, ctx.store.list_sessions()[0])[0]
    gs_sim.after_show.rate_bps = 200  # 16 KiB pieces, then a long pause: well under 1 KiB/s
    started = time.monotonic()
    with pytest.raises(recordings.DownloadError) as e:
        recordings.download(rec.url, tmp_path, rec.filename, stall_s=1.0)
    assert time.monotonic() - started < 10
    assert "stalled" in e.value.one_line() or "timed out" in e.value.one_line()
    assert (tmp_path / f"{rec.filename}.part").exists()  # kept for a resume


def test_recordings_download_shows_progress_on_a_terminal_only(ctx, gs_sim, gs_env, tmp_path: Path) -> None:
    import pty
    import subprocess
    import sys

    from tests.plugins.processes import REPO

    _recorded_show(ctx, gs_sim, minutes=1)
    env = {**os.environ, **gs_env}
    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "streamdesk", "recordings", "--download", str(tmp_path)],
                          stdout=follower, stderr=subprocess.PIPE, env=env, cwd=REPO, timeout=60)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    shown = b"".join(chunks).decode()
    assert proc.returncode == 0, proc.stderr
    assert "100%" in shown and "\r" in shown and "[####" in shown
    assert all((tmp_path / f.filename).exists() for f in gs_sim.after_show.files)
