"""The live recorder against the GetStream simulator (real HTTP on loopback, seeded audience).

The simulator's clock is frozen and only moves on ``advance()``, and the recorder reads the
same clock, so every poll sees an exact, reproducible moment of the simulated show and the test
can compare what was stored with what the simulator says it generated.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import live, stats
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import GetStreamClient
from streamdesk.core.store import Session
from streamdesk.sim.audience import AudienceConfig
from streamdesk.sim.getstream_server import GetStreamSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import REPO, run_cli, stop_process, wait_until

T0 = 1_767_225_600.0  # a minute boundary: go-live happens exactly here
CID = "livestream:show-1"
BUSY = AudienceConfig(mean_viewers=60, ramp_s=30, mean_stay_s=240, chat_base_per_min=6,
                      chat_per_viewer_per_min=1.0)


@dataclass
class Live:
    ctx: AppContext
    sim: GetStreamSimulator
    session: Session

    def recorder(self, **kw: object) -> live.LiveRecorder:
        kw.setdefault("clock", self.sim.now)
        kw.setdefault("interval", 3.0)
        return live.LiveRecorder(self.ctx, self.session.id, **kw)  # type: ignore[arg-type]

    def row(self) -> Session:
        row = self.ctx.store.get_session(self.session.id)
        assert row is not None
        return row


@pytest.fixture
def on_air(make_gs_sim: Callable[..., GetStreamSimulator], monkeypatch: pytest.MonkeyPatch) -> Live:
    """A provisioned call that just went live on a simulator whose clock stands still at T0."""
    sim = make_gs_sim(clock=lambda: T0, seed=11, audience=BUSY)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    result = ops.go_live(ctx, sleep=lambda s: None)
    assert result.session.started_at == T0
    return Live(ctx, sim, result.session)


def _chat_times(sim: GetStreamSimulator) -> list[float]:
    return [m["created_at"] / 1e9 for m in sim.truth(CID).messages]


def test_n_simulated_minutes_store_exactly_what_the_audience_did(on_air: Live) -> None:
    sim, minutes, interval = on_air.sim, 6, 3.0
    polled: list[tuple[float, int]] = []  # (poll time, viewers the simulator had then)
    with on_air.recorder(interval=interval) as rec:
        for _ in range(int(minutes * 60 / interval)):
            sim.advance(interval)
            snap = rec.poll_once()
            truth = sim.truth(CID)
            polled.append((snap.t, truth.viewers))
            assert snap.viewers == truth.viewers and snap.error is None
            assert snap.total_chat == truth.messages_generated  # nothing lost, nothing twice, every poll
            assert snap.next_poll_s == interval

    truth, row = sim.truth(CID), on_air.row()
    samples = on_air.ctx.store.samples(on_air.session.id)
    assert [(s.t, s.viewers) for s in samples] == polled
    assert truth.messages_generated > 100 and max(v for _, v in polled) > 30  # a real show, not an empty one
    assert row.total_chat == truth.messages_generated == stats.total_chat(samples)
    assert row.peak_viewers == max(v for _, v in polled) == stats.peak_viewers(samples)
    assert row.peak_viewers <= truth.peak_viewers  # polls can miss a peak between them, never invent one
    # per-minute buckets: each message counts in the minute of the poll that first saw it
    expected: dict[float, int] = {}
    for t in _chat_times(sim):
        seen_at = next(pt for pt, _ in polled if pt >= t)
        expected[stats.minute_start(seen_at)] = expected.get(stats.minute_start(seen_at), 0) + 1
    assert {m: n for m, n in stats.chat_buckets(samples) if n} == expected
    assert row.last_message_id == truth.messages[-1]["id"]


def test_stop_live_finishes_the_row_with_the_last_seconds_of_chat(on_air: Live) -> None:
    sim = on_air.sim
    with on_air.recorder() as rec:
        for _ in range(40):
            sim.advance(3)
            rec.poll_once()
        sim.advance(2.5)  # chat keeps coming between the last poll and the stop
        ops.stop_live(on_air.ctx)  # the CLI/GUI path: closes the row at GetStream's live_ended_at
        generated = sim.truth(CID).messages_generated
        sim.advance(30)  # chat after the end belongs to no session
        snap = rec.poll_once()
    assert snap.ended and snap.next_poll_s == 0
    row = on_air.row()
    assert row.ended_at == T0 + 122.5 and row.total_minutes == 3 and row.end_reason == "stopped"
    assert row.total_chat == generated == snap.total_chat


def test_the_recorder_notices_the_stream_ended_elsewhere(on_air: Live) -> None:
    """Stopped from the GetStream dashboard (no local row update): the recorder closes the row."""
    sim = on_air.sim
    with on_air.recorder() as rec:
        sim.advance(61)
        rec.poll_once()
        with GetStreamClient(SIM_API_KEY, SIM_API_SECRET, base_url=sim.url) as gs:
            gs.stop_live("livestream", "show-1")
        sim.advance(5)
        snap = rec.poll_once()
    row = on_air.row()
    assert snap.ended and row.ended_at == T0 + 61 and row.total_minutes == 2 and row.end_reason == "stopped"
    assert row.total_chat == sim.truth(CID).messages_generated


def test_failed_polls_are_gaps_and_429_honours_the_reset_time(on_air: Live) -> None:
    sim = on_air.sim
    with on_air.recorder() as rec:
        sim.faults.server_error("GetCall", times=1)
        gap = rec.poll_once()
        assert gap.viewers is None and gap.error and "GetStream" in gap.error
        assert gap.next_poll_s == 3.0
        sim.faults.rate_limit("GetCall", times=1, reset_in=20)
        limited = rec.poll_once()
        assert limited.viewers is None and limited.error
        assert 19 <= limited.next_poll_s <= 21  # waits for X-RateLimit-Reset, not the 3 s cadence
        sim.advance(30)
        ok = rec.poll_once()
        assert ok.viewers == sim.truth(CID).viewers and ok.error is None
        assert ok.total_chat == sim.truth(CID).messages_generated
    samples = on_air.ctx.store.samples(on_air.session.id)
    assert [s.viewers is None for s in samples] == [True, True, False]


def test_consecutive_failures_back_off(on_air: Live) -> None:
    on_air.sim.faults.server_error("GetCall", times=None)
    with on_air.recorder(interval=2.0) as rec:
        waits = [rec.poll_once().next_poll_s for _ in range(8)]
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_a_chat_failure_keeps_the_viewer_count_and_loses_no_message(on_air: Live) -> None:
    sim = on_air.sim
    with on_air.recorder() as rec:
        sim.advance(60)
        sim.faults.server_error("GetChannel", times=1)
        partial = rec.poll_once()
        assert partial.viewers == sim.truth(CID).viewers and partial.chat_new == 0 and partial.error
        sim.advance(3)
        caught_up = rec.poll_once()
    assert caught_up.total_chat == sim.truth(CID).messages_generated > 0


def test_a_second_recorder_for_the_same_session_is_refused(on_air: Live) -> None:
    with on_air.recorder(), pytest.raises(live.RecorderBusy) as info:
        on_air.recorder()
    assert f"process {os.getpid()}" in info.value.one_line()
    with on_air.recorder():  # released on close
        pass


def test_messages_from_before_going_live_are_not_counted(make_gs_sim, monkeypatch) -> None:
    sim = make_gs_sim(clock=lambda: T0, seed=2, audience=AudienceConfig.quiet())
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    with GetStreamClient(SIM_API_KEY, SIM_API_SECRET, base_url=sim.url) as gs:
        gs._request("SendMessage", "POST", "/api/v2/chat/channels/livestream/show-1/message",
                    json={"message": {"text": "waiting for the show", "user_id": "early-bird"}})
        sim.advance(10)
        session = ops.go_live(ctx, sleep=lambda s: None).session
        sim.advance(3)
        gs._request("SendMessage", "POST", "/api/v2/chat/channels/livestream/show-1/message",
                    json={"message": {"text": "we're live!", "user_id": "early-bird"}})
    with live.LiveRecorder(ctx, session.id, clock=sim.now, interval=3) as rec:
        snap = rec.poll_once()
    assert snap.chat_new == 1 and snap.total_chat == 1 and snap.viewers == 0


# -- crash: a real process recording into the store is SIGKILLed mid-session ------------------------
def _integrity(db: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill_during_a_live_session_then_resume_without_double_counting(on_air: Live) -> None:
    ctx, sim = on_air.ctx, on_air.sim
    ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.05)  # the watcher polls the frozen sim fast
    env = {**os.environ, "STREAMDESK_API_SECRET": SIM_API_SECRET,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = subprocess.Popen([sys.executable, "-m", "streamdesk", "watch", "--json"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())  # the watcher is up and recorded a poll
        assert first["session_id"] == on_air.session.id
        with pytest.raises(live.RecorderBusy):  # meanwhile the GUI could not record it too
            on_air.recorder()
        for _ in range(5):
            sim.advance(20)
            generated = sim.truth(CID).messages_generated
            wait_until(lambda g=generated: on_air.row().total_chat == g, timeout=20,
                       what="the watcher to record the new chat")
        sim.advance(20)  # more chat: the watcher is busy recording it when it dies
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop_process(proc)
        proc.stdout.close()
        proc.stderr.close()

    # the row is intact: consistent with its samples, never ahead of what was generated
    assert _integrity(str(ctx.paths.database)) == "ok"
    row = on_air.row()
    samples = ctx.store.samples(on_air.session.id)
    assert row.is_open
    assert row.total_chat == stats.total_chat(samples) <= sim.truth(CID).messages_generated
    assert row.peak_viewers == stats.peak_viewers(samples)

    # restart: the lock died with the process; the new recorder resumes from the stored cursor
    with on_air.recorder() as rec:
        assert rec.poll_once().total_chat == sim.truth(CID).messages_generated
        sim.advance(60)
        snap = rec.poll_once()
        assert snap.total_chat == sim.truth(CID).messages_generated
        ops.stop_live(ctx)
        assert rec.poll_once().ended
    samples = ctx.store.samples(on_air.session.id)
    row = on_air.row()
    assert row.total_chat == stats.total_chat(samples) == sim.truth(CID).messages_generated
    assert row.ended_at == T0 + 180 and row.total_minutes == 3


def test_watch_json_for_seconds_through_the_cli(on_air: Live) -> None:
    on_air.sim.advance(90)
    on_air.ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.2)
    env = {"STREAMDESK_API_SECRET": SIM_API_SECRET, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = run_cli("watch", "--json", "--for", "1", env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    truth = on_air.sim.truth(CID)
    assert 1 <= len(lines) <= 6  # at most one poll per 0.2 s within the second (fewer on a slow machine)
    assert all(obj["viewers"] == truth.viewers and obj["session_id"] == on_air.session.id for obj in lines)
    assert lines[0]["total_chat"] == truth.messages_generated and lines[0]["peak_viewers"] == truth.viewers
    keys = {"t", "time", "chat_new", "chat_per_minute", "duration_s", "bitrate_kbps", "ended"}
    assert keys <= set(lines[0])
    assert len(on_air.ctx.store.samples(on_air.session.id)) == len(lines)  # one sample per printed poll


def test_watch_refuses_bad_input_and_says_what_to_do() -> None:
    out = run_cli("watch", "--for", "0")
    assert out.returncode == 2 and "--for needs a positive number" in out.stderr
    out = run_cli("watch", "--for", "soon")
    assert out.returncode == 2
    out = run_cli("watch")
    assert out.returncode == 1 and "no live session" in out.stderr.lower() and "Traceback" not in out.stderr


def test_watch_shows_obs_bitrate_when_obs_is_streaming(on_air: Live, obs_sim, obsws_client,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from streamdesk.cli import main
    from streamdesk.core.obs_health import BITRATE_INTERVAL_S
    from streamdesk.core.obs_ops import SETTING_TARGET
    from streamdesk.core.secrets import SecretKind

    ctx = on_air.ctx
    ctx.store.put_setting(SETTING_TARGET, {"host": "127.0.0.1", "port": obs_sim.port})
    ctx.secrets.set(SecretKind.OBS_PASSWORD, obs_sim.password, f"127.0.0.1:{obs_sim.port}")
    ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.25)
    obsws_client(obs_sim).start_stream()
    wait_until(lambda: obs_sim.streaming, what="the simulated OBS to stream")

    # OBS's own status bar measures kbps over 2 s windows, and so does the health meter: watch > 2 s
    assert main(["watch", "--json", "--for", f"{BITRATE_INTERVAL_S + 0.8}"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rates = [obj["bitrate_kbps"] for obj in lines]
    assert rates and rates[-1] > 1000, rates  # the simulated OBS streams at its profile's ~2500-6000 kbps
    samples = ctx.store.samples(on_air.session.id)
    assert [round(s.bitrate_kbps, 1) for s in samples] == rates  # recorded, not just printed
    # and OBS's frame counters with them, for the after-show dropped % (cumulative, never going back)
    totals = [s.total_frames for s in samples]
    assert all(t is not None for t in totals) and totals == sorted(totals) and totals[-1] > 0


def test_watch_without_obs_leaves_the_bitrate_out(on_air: Live, capsys: pytest.CaptureFixture[str]) -> None:
    from streamdesk.cli import main

    on_air.ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.25)
    on_air.sim.advance(30)
    assert main(["watch", "--for", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "Watching session" in out and "viewers" in out and "kbps" not in out
    assert "still live" in out


def test_ctrl_c_stops_watching_cleanly_and_frees_the_session(on_air: Live) -> None:
    on_air.ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.1)
    env = {**os.environ, "STREAMDESK_API_SECRET": SIM_API_SECRET,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    # Ctrl-C at a terminal: SIGINT raises KeyboardInterrupt in the watcher. A SIGINT its parent
    # ignored (a suite started as a background job) stays ignored in Python: restore the terminal's.
    terminal = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "sys.argv = ['streamdesk', 'watch']; runpy.run_module('streamdesk', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", terminal], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"Watching session {on_air.session.id}")
        assert "viewers" in proc.stdout.readline()  # one poll recorded
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        stop_process(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and f"Session {on_air.session.id} still live" in out
    with on_air.recorder():  # the lock went with the watcher
        pass


def test_sessions_command_lists_the_recorded_show(on_air: Live) -> None:
    with on_air.recorder() as rec:
        for _ in range(30):
            on_air.sim.advance(3)
            rec.poll_once()
        ops.stop_live(on_air.ctx)
        rec.poll_once()
    row = on_air.row()
    listed = json.loads(run_cli("sessions", "--json").stdout)
    assert len(listed) == 1
    assert {k: listed[0][k] for k in ("id", "total_minutes", "peak_viewers", "total_chat", "end_reason")} == {
        "id": row.id, "total_minutes": 2, "peak_viewers": row.peak_viewers, "total_chat": row.total_chat,
        "end_reason": "stopped"}
    assert row.total_chat == on_air.sim.truth(CID).messages_generated
    lines = run_cli("sessions", "--csv").stdout.splitlines()
    assert lines[0] == "id,call_cid,started_at,ended_at,total_minutes,peak_viewers,total_chat,end_reason"
    assert lines[1].startswith(f"{row.id},{CID},")
    assert lines[1].endswith(f",2,{row.peak_viewers},{row.total_chat},stopped")


def test_watch_next_to_the_app_shows_its_samples_and_records_nothing(on_air: Live) -> None:
    """The GUI holds the recorder; `watch` follows read-only instead of failing or double counting."""
    on_air.ctx.store.put_setting(live.POLL_INTERVAL_SETTING, 0.05)
    env = {**os.environ, "STREAMDESK_API_SECRET": SIM_API_SECRET,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with on_air.recorder() as app_recorder:
        app_recorder.poll_once()
        proc = subprocess.Popen([sys.executable, "-m", "streamdesk", "watch", "--json"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert "already being recorded" in proc.stderr.readline()  # it says so, then follows
            seen = []
            for _ in range(3):
                on_air.sim.advance(20)
                snap = app_recorder.poll_once()
                line = json.loads(proc.stdout.readline())
                assert (line["t"], line["viewers"], line["total_chat"]) == (
                    round(snap.t, 3), snap.viewers, snap.total_chat)
                seen.append(line)
            ops.stop_live(on_air.ctx)
            assert app_recorder.poll_once().ended
            assert json.loads(proc.stdout.readline())["ended"] is True
            assert proc.wait(timeout=20) == 0
        finally:
            stop_process(proc)
            proc.stdout.close()
            proc.stderr.close()
    assert len(on_air.ctx.store.samples(on_air.session.id)) == 4  # only the app's polls were written
    assert on_air.row().total_chat == on_air.sim.truth(CID).messages_generated
