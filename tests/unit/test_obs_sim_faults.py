"""Faults the OBS simulator exists for: close codes, dead sockets, OBS restarting, slow or lost answers,
a reconnecting stream, dropped frames. Driven with obsws-python and a raw websocket-client."""

from __future__ import annotations

import json

import obsws_python as obsws
import pytest
import websocket
from obsws_python.error import OBSSDKTimeoutError

from streamdesk.sim.obs_protocol import OutputState, auth_response
from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.processes import wait_until

RECONNECTING, RECONNECTED = OutputState.RECONNECTING, OutputState.RECONNECTED
STARTED, STOPPED = OutputState.STARTED, OutputState.STOPPED


class FakeClock:
    """The simulator's byte/frame clock, moved by hand so counters are exact."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def raw_identify(sim: ObsSimulator, *, password: str | None = None, rpc: int = 1) -> websocket.WebSocket:
    ws = websocket.WebSocket()
    ws.connect(sim.url, subprotocols=["obswebsocket.json"], timeout=5)
    hello = json.loads(ws.recv())["d"]
    auth = auth_response(sim.password if password is None else password,
                         hello["authentication"]["salt"], hello["authentication"]["challenge"])
    ws.send(json.dumps({"op": 1, "d": {"rpcVersion": rpc, "authentication": auth, "eventSubscriptions": 64}}))
    return ws


def close_frame(ws: websocket.WebSocket) -> tuple[int, str]:
    """Read until the server's close frame; return its code and reason."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big"), data[2:].decode()


def identified(ws: websocket.WebSocket) -> dict:
    msg = json.loads(ws.recv())
    assert msg["op"] == 2, msg
    return msg["d"]


def start_streaming(sim: ObsSimulator, client: obsws.ReqClient) -> None:
    client.start_stream()
    wait_until(lambda: sim.stream_state == STARTED, timeout=5, what="the stream to start")


# ---------------------------------------------------------------- close codes
def test_wrong_password_closes_with_4009(obs_sim: ObsSimulator) -> None:
    ws = raw_identify(obs_sim, password="wrong")
    assert close_frame(ws) == (4009, "Authentication failed.")


def test_unsupported_rpc_version_closes_with_4010(obs_sim: ObsSimulator) -> None:
    ws = raw_identify(obs_sim, rpc=2)
    assert close_frame(ws)[0] == 4010


def test_an_obs_websocket_4_client_gets_4010(obs_sim: ObsSimulator) -> None:
    ws = websocket.WebSocket()
    ws.connect(obs_sim.url, timeout=5)
    ws.recv()  # Hello
    ws.send(json.dumps({"request-type": "GetAuthRequired", "message-id": "1"}))
    code, reason = close_frame(ws)
    assert code == 4010 and "pre-5.0.0" in reason


def test_kick_closes_identified_sessions_with_4011(obs_sim: ObsSimulator, obsws_events) -> None:
    ws = raw_identify(obs_sim)
    identified(ws)
    obsws_events(obs_sim)  # a second identified session
    assert obs_sim.kick() == 2
    assert close_frame(ws) == (4011, "Your session has been invalidated.")
    wait_until(lambda: not obs_sim.connections, what="kicked sessions to go")


@pytest.mark.parametrize("code", [4009, 4010, 4011])
def test_close_next_with_answers_the_next_identify(obs_sim: ObsSimulator, code: int) -> None:
    obs_sim.close_next_with(code)
    assert close_frame(raw_identify(obs_sim))[0] == code
    ws = raw_identify(obs_sim)  # only the next one
    assert identified(ws) == {"negotiatedRpcVersion": 1}
    ws.close()


# ---------------------------------------------------------------- dead sockets and OBS going away
def test_drop_cuts_sockets_with_no_close_frame_and_the_stream_goes_on(obs_sim, obsws_client) -> None:
    client = obsws_client(obs_sim)
    start_streaming(obs_sim, client)
    ws = raw_identify(obs_sim)
    identified(ws)
    assert obs_sim.drop_connections() == 2
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        ws.recv_data(control_frame=True)  # no close frame: the connection just ends
    with pytest.raises((OSError, websocket.WebSocketException)):
        client.get_version()
    # OBS itself is fine: a new session finds the stream still up and bytes still counting.
    again = obsws_client(obs_sim)
    first = again.get_stream_status()
    assert first.output_active
    wait_until(lambda: again.get_stream_status().output_bytes > first.output_bytes,
               what="bytes to keep flowing")


def test_restart_says_exit_closes_going_away_and_comes_back_on_the_same_port(obs_sim, obsws_client,
                                                                             obsws_events) -> None:
    client = obsws_client(obs_sim)
    client.set_stream_service_settings("rtmp_custom", {"server": "rtmp://127.0.0.1/live", "key": "k"})
    start_streaming(obs_sim, client)
    events = obsws_events(obs_sim)
    ws = raw_identify(obs_sim)
    identified(ws)
    port = obs_sim.port

    obs_sim.restart(downtime=0.0)
    assert close_frame(ws) == (1001, "Server stopping.")
    wait_until(lambda: events.exits == 1, what="ExitStarted")
    assert obs_sim.port == port
    back = obsws_client(obs_sim)
    assert not back.get_stream_status().output_active  # a relaunched OBS is not streaming
    assert back.get_stream_service_settings().stream_service_settings["server"] == "rtmp://127.0.0.1/live"


def test_stop_can_announce_exit(make_obs_sim, obsws_events) -> None:
    sim = make_obs_sim()
    events = obsws_events(sim, subs=obsws.Subs.GENERAL)
    sim.stop(simulate_exit=True)
    wait_until(lambda: events.exits == 1, what="ExitStarted")


# ---------------------------------------------------------------- slow and lost answers
def test_a_hung_request_type_never_answers_while_others_do(obs_sim: ObsSimulator, obsws_client) -> None:
    obs_sim.hang_requests = {"GetStreamStatus"}
    client = obsws_client(obs_sim, timeout=0.3)
    assert client.get_version().rpc_version == 1
    with pytest.raises(OBSSDKTimeoutError):
        client.get_stream_status()


def test_hang_everything_looks_like_a_dead_obs(obs_sim: ObsSimulator, obsws_client) -> None:
    obs_sim.hang_requests = True
    client = obsws_client(obs_sim, timeout=0.3)  # the handshake still works: only requests hang
    with pytest.raises(OBSSDKTimeoutError):
        client.get_version()


def test_response_delay_slows_answers_down(obs_sim: ObsSimulator, obsws_client) -> None:
    obs_sim.request_delays = {"GetStats": 0.5}
    impatient = obsws_client(obs_sim, timeout=0.1)
    with pytest.raises(OBSSDKTimeoutError):
        impatient.get_stats()
    patient = obsws_client(obs_sim, timeout=5)
    assert patient.get_stats().render_total_frames >= 0
    obs_sim.request_delays = {}
    obs_sim.response_delay = 0.5
    impatient = obsws_client(obs_sim, timeout=0.1)
    with pytest.raises(OBSSDKTimeoutError):
        impatient.get_version()


# ---------------------------------------------------------------- stream health
def test_reconnecting_then_reconnected(make_obs_sim, obsws_client, obsws_events) -> None:
    clock = FakeClock()
    sim = make_obs_sim(clock=clock)
    client = obsws_client(sim)
    events = obsws_events(sim)
    start_streaming(sim, client)
    clock.t += 5
    sim.simulate_reconnect(duration=None)
    events.wait_for(RECONNECTING)
    status = client.get_stream_status()
    assert status.output_active and status.output_reconnecting
    # Like OBS: the byte count belongs to the ingest connection, so it reads 0 until a new one is up;
    # duration and frames hold still.
    assert status.output_bytes == 0
    assert (status.output_duration, status.output_total_frames) == (5000, 300)
    clock.t += 5
    assert client.get_stream_status().output_duration == 5000
    sim.finish_reconnect()
    events.wait_for(RECONNECTED)
    clock.t += 1
    status2 = client.get_stream_status()
    assert not status2.output_reconnecting
    assert abs(status2.output_bytes * 8 / 1000 - 2660) / 2660 < 0.07  # one second of a fresh connection
    assert status2.output_duration == 6000
    assert events.states[-2:] == [RECONNECTING, RECONNECTED]
    assert events.active[-2:] == [False, True]  # OBS 29 reports RECONNECTING with outputActive false


def test_reconnect_that_never_reaches_the_ingest_gives_up(obs_sim, obsws_client, obsws_events) -> None:
    client = obsws_client(obs_sim)
    events = obsws_events(obs_sim)
    start_streaming(obs_sim, client)
    obs_sim.ingest_reachable = False
    obs_sim.simulate_reconnect(duration=None)
    obs_sim.finish_reconnect()
    events.wait_for(STOPPED)
    assert events.states[-2:] == [RECONNECTING, STOPPED]
    assert not client.get_stream_status().output_active


@pytest.mark.parametrize(("vbitrate", "expected_kbps"), [(None, 2500 + 160), ("4500", 4500 + 160)])
def test_bytes_flow_at_the_profile_bitrate(make_obs_sim, obsws_client, vbitrate: str | None,
                                           expected_kbps: int) -> None:
    clock = FakeClock()
    sim = make_obs_sim(clock=clock)
    client = obsws_client(sim)
    if vbitrate:
        client.set_profile_parameter("SimpleOutput", "VBitrate", vbitrate)
    start_streaming(sim, client)
    before = client.get_stream_status()
    clock.t += 10
    after = client.get_stream_status()
    kbps = (after.output_bytes - before.output_bytes) * 8 / 1000 / 10
    assert abs(kbps - expected_kbps) / expected_kbps < 0.06  # jitter averages out over ten seconds
    assert after.output_duration - before.output_duration == 10_000
    assert after.output_timecode == "00:00:10.000"


def test_dropped_frames_congestion_and_encoder_lag_are_reported_apart(make_obs_sim, obsws_client) -> None:
    clock = FakeClock()
    sim = make_obs_sim(clock=clock)  # 1080p60 by default
    client = obsws_client(sim)
    start_streaming(sim, client)
    sim.knobs.dropped_frames_pct = 2.0
    sim.knobs.congestion = 0.4
    sim.knobs.encoder_lag_pct = 1.0
    clock.t += 10
    status = client.get_stream_status()
    assert (status.output_total_frames, status.output_skipped_frames) == (600, 12)
    assert status.output_congestion == pytest.approx(0.4)
    stats = client.get_stats()
    assert (stats.output_total_frames, stats.output_skipped_frames) == (600, 6)


def test_bytes_are_deterministic_for_a_seed(make_obs_sim, obsws_client) -> None:
    totals = []
    for _ in range(2):
        clock = FakeClock()
        sim = make_obs_sim(clock=clock, seed=7)
        client = obsws_client(sim)
        start_streaming(sim, client)
        clock.t += 3.5
        totals.append(client.get_stream_status().output_bytes)
    assert totals[0] == totals[1] > 0
