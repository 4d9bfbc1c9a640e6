"""Hostile obs-websocket input (issue 13 item 6): every malformed frame shape and absurd number ends in
one clear sentence (exit 1, no traceback, never "unexpected error") through `streamdesk obs status`
and `streamdesk obs configure`; the event connection logs a malformed event and keeps going (and
still reconnects); every exchange has a total deadline, even against a peer that trickles bytes.

The hostile server is the OBS simulator with rewritten frames (``tests/plugins/hostile_obs.py``);
the CLI runs in-process (``streamdesk.cli.main``, the installed command's code path), a sample of
rows again as real processes."""

from __future__ import annotations

import io
import logging
import sys
import time
from typing import Any

import pytest

from streamdesk.cli import main
from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.core.obs import ObsController, ObsError, ObsEvent, ObsTarget
from streamdesk.core.obs_events import STARTED, STARTING
from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.hostile_obs import MALFORMED, MALFORMED_EVENTS, Shape, TrickleProxy, install
from tests.plugins.processes import run_cli, wait_until

# what each command reads, so each shape is tried where it can matter
STATUS_SHAPES = [s for s in MALFORMED if s.op in (0, 2, 7) or s.request == "GetStreamStatus"]
CONFIGURE_SHAPES = [s for s in MALFORMED if s.op in (0, 2, 7) or s.request == "GetVideoSettings"
                    or s.name in ("batch-results-an-object", "batch-too-many-results",
                                  "batch-results-out-of-order", "batch-result-not-an-object",
                                  "batch-type-ansi-and-newline",
                                  "numbers-active-a-string")]


def run(argv: list[str], stdin: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def check_one_sentence(shape: Shape, code: int, out: str, err: str, password: str) -> None:
    assert code == 1, f"{shape.name}: exit {code}\n{out}\n{err}"
    assert "Traceback" not in err and "unexpected error" not in err.lower(), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{shape.name}: not one line:\n{err}"
    message = lines[0].lower()
    for word in shape.words:
        assert any(alt.lower() in message for alt in word.split("|")), \
            f"{shape.name}: {word!r} not in {message!r}"
    assert password not in err + out
    assert "\x1b" not in err and all(c.isprintable() for c in lines[0])  # remote text stays inert


@pytest.mark.parametrize("shape", STATUS_SHAPES, ids=[s.name for s in STATUS_SHAPES])
def test_obs_status_turns_each_malformed_shape_into_one_sentence(
        shape: Shape, obs_sim: ObsSimulator, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    install(obs_sim, shape)
    code, out, err = run(["obs", "status", "--json", "--port", str(obs_sim.port), "--password-stdin"],
                         obs_sim.password + "\n", capsys, monkeypatch)
    check_one_sentence(shape, code, out, err, obs_sim.password)


@pytest.fixture
def provisioned(gs_sim: Any, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1", call_id="show-1",
                     api_base=gs_sim.url)
    ops.provision(ctx)
    return ctx


@pytest.mark.parametrize("shape", CONFIGURE_SHAPES, ids=[s.name for s in CONFIGURE_SHAPES])
def test_obs_configure_turns_each_malformed_shape_into_one_sentence_and_changes_nothing(
        shape: Shape, provisioned: AppContext, obs_sim: ObsSimulator, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    service_before = obs_sim.stream_service
    install(obs_sim, shape)
    code, out, err = run(["obs", "configure", "--port", str(obs_sim.port), "--password-stdin"],
                         obs_sim.password + "\n", capsys, monkeypatch)
    check_one_sentence(shape, code, out, err, obs_sim.password)
    assert obs_sim.stream_service == service_before  # a bad read never leads to a write
    assert not [r for r in obs_sim.received if r.request_type.startswith("Set")]


@pytest.mark.parametrize("name", ["hello-op5-d-string", "response-op5-d-string", "numbers-bytes-negative"])
def test_the_same_as_a_real_process(name: str, obs_sim: ObsSimulator) -> None:
    shape = next(s for s in MALFORMED if s.name == name)
    install(obs_sim, shape)
    done = run_cli("obs", "status", "--json", "--port", str(obs_sim.port), "--password-stdin",
                   input=obs_sim.password + "\n",
                   env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    check_one_sentence(shape, done.returncode, done.stdout, done.stderr, obs_sim.password)


def test_the_event_connection_logs_malformed_events_keeps_going_and_still_reconnects(
        obs_sim: ObsSimulator, caplog: pytest.LogCaptureFixture) -> None:
    events: list[ObsEvent] = []
    caplog.set_level(logging.WARNING, logger="streamdesk.core.obs_events")
    target = ObsTarget("127.0.0.1", obs_sim.port, obs_sim.password)
    with ObsController(target, on_event=events.append, probe_interval=5.0, backoff=(0.05,)) as obs:
        for frame in MALFORMED_EVENTS.values():
            assert obs_sim.inject(frame, subscribed_to=64) == 1  # the event socket only
        obs.start_stream(timeout=5)
        wait_until(lambda: STARTED in [e.state for e in events], timeout=5, what="STARTED")
        assert [e.state for e in events if e.kind == "stream_state"][:2] == [STARTING, STARTED]
        assert obs._events is not None and obs._events.alive
        warned = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
        assert len(warned) == len(MALFORMED_EVENTS) - 1, warned  # the stray batch answer is not an event
        assert all("\n" not in w and "Traceback" not in w for w in warned)

        # the reconnect promise holds after all that
        obs_sim.drop_connections()
        wait_until(lambda: any(e.kind == "reconnected" for e in events), timeout=10, what="reconnected")
        assert obs.is_streaming()
        obs.stop_stream(timeout=5)


def test_every_exchange_has_a_total_deadline_against_a_trickling_peer(obs_sim: ObsSimulator) -> None:
    proxy = TrickleProxy(obs_sim.port, delay=0.02)  # one byte every 20 ms: never silent for 0.5 s
    try:
        target = ObsTarget("127.0.0.1", proxy.port, obs_sim.password)
        with ObsController(target, timeout=0.5, events=False) as obs:
            # a single request, then a batch
            for call in (obs.is_streaming, lambda: obs.plan_configure("rtmp://x/live", "k")):
                proxy.trickle = False
                obs.connect()  # after a timeout the socket is dropped: a fresh one, then trickle on it
                proxy.trickle = True
                t0 = time.monotonic()
                with pytest.raises(ObsError, match="did not answer"):
                    call()
                assert time.monotonic() - t0 < 0.5 + 0.5
        t0 = time.monotonic()
        with pytest.raises(ObsError, match=r"did not answer|did not greet"):  # connect: handshake + Hello
            ObsController(target, timeout=0.5, events=False).connect()
        assert time.monotonic() - t0 < 0.5 * 2 + 0.5  # socket + login each have one
    finally:
        proxy.close()


def test_the_event_connection_cuts_off_a_trickling_peer_and_reconnects(obs_sim: ObsSimulator) -> None:
    proxy = TrickleProxy(obs_sim.port, delay=0.02)
    events: list[ObsEvent] = []
    try:
        target = ObsTarget("127.0.0.1", proxy.port, obs_sim.password)
        with ObsController(target, timeout=0.4, on_event=events.append, probe_interval=0.3, backoff=(0.05,)):
            proxy.trickle = True  # the liveness probe's answer now arrives one byte every 20 ms
            wait_until(lambda: any("took too long" in e.detail for e in events), timeout=5,
                       what="the event thread to give up on the trickled frame")
            proxy.trickle = False
            wait_until(lambda: any(e.kind == "reconnected" for e in events), timeout=10, what="reconnected")
    finally:
        proxy.close()


def test_after_a_malformed_answer_the_next_request_gets_a_fresh_socket(obs_sim: ObsSimulator) -> None:
    shape = Shape("status-op5-d-string", 7, lambda d: '{"op":5,"d":"x"}', "GetStreamStatus")
    with ObsController(ObsTarget("127.0.0.1", obs_sim.port, obs_sim.password), events=False) as obs:
        opened = obs_sim.sessions_opened
        install(obs_sim, shape)
        with pytest.raises(ObsError, match="not an object"):
            obs.is_streaming()
        assert obs.is_streaming() is False  # the untrusted socket was dropped; a new one answers
        assert obs_sim.sessions_opened == opened + 1
