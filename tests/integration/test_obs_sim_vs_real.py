"""What keeps the OBS simulator honest: one request script, run against real OBS 29 and the simulator.

The script speaks raw obs-websocket (websocket-client), so nothing smooths over a difference. It
records, per step, the request status (result, code, comment), the shape of the response data (keys and
JSON types), the StreamStateChanged events a stream start/stop causes, and the close codes and reasons
of the handshake faults. Then the two transcripts must match, plus the values that are meant to be equal
(profile defaults, stream service round trips, an idle stream status).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import websocket

from streamdesk.sim.obs_profile import OBS29_DEFAULTS, ObsProfile
from streamdesk.sim.obs_protocol import auth_response
from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.nginx import start_nginx
from tests.plugins.obs import _SEED_PROFILE, PROFILE
from tests.plugins.processes import free_port, stop_process

pytestmark = [pytest.mark.obs, pytest.mark.nginx]

TERMINAL = {"OBS_WEBSOCKET_OUTPUT_STARTED", "OBS_WEBSOCKET_OUTPUT_STOPPED"}
# Keys whose defaults depend on the machine (the recording folder is the OBS user's home).
MACHINE_DEFAULTS = {("SimpleOutput", "FilePath"), ("AdvOut", "RecFilePath")}


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; lists by the shape of their first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, int | float):
        return "number"  # OBS's JSON has one number type; 0.0 and 0 are the same to a client
    return type(value).__name__


class Raw:
    """One identified raw session."""

    def __init__(self, host: str, port: int, password: str, subs: int = 64) -> None:
        self.ws = websocket.WebSocket()
        self.ws.connect(f"ws://{host}:{port}", subprotocols=["obswebsocket.json"], timeout=10)
        hello = json.loads(self.ws.recv())["d"]
        auth = auth_response(password, hello["authentication"]["salt"], hello["authentication"]["challenge"])
        self.ws.send(json.dumps({"op": 1, "d": {"rpcVersion": 1, "authentication": auth,
                                                "eventSubscriptions": subs}}))
        assert json.loads(self.ws.recv())["op"] == 2
        self.events: list[dict] = []
        self._n = 0

    def request(self, request_type: str, data: dict | None = None) -> dict:
        self._n += 1
        d: dict[str, Any] = {"requestType": request_type, "requestId": str(self._n)}
        if data is not None:
            d["requestData"] = data
        self.ws.send(json.dumps({"op": 6, "d": d}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg["op"] == 5:
                self.events.append(msg["d"])
            elif msg["op"] == 7 and msg["d"]["requestId"] == str(self._n):
                return msg["d"]

    def stream_events_until(self, until: set[str] = TERMINAL, timeout: float = 20.0) -> list[tuple]:
        """StreamStateChanged (state, outputActive) pairs up to one in ``until``; repeats collapsed
        (OBS announces RECONNECTING once per retry, and the count depends on timing)."""
        deadline = time.monotonic() + timeout
        seen: list[tuple[str, bool]] = []
        while time.monotonic() < deadline:
            while self.events:
                e = self.events.pop(0)
                if e["eventType"] == "StreamStateChanged":
                    assert e["eventIntent"] == 64
                    pair = (e["eventData"]["outputState"], e["eventData"]["outputActive"])
                    if not seen or seen[-1] != pair:
                        seen.append(pair)
                    if pair[0] in until:
                        return seen
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if msg["op"] == 5:
                self.events.append(msg["d"])
        raise AssertionError(f"none of {until} within {timeout}s; saw {seen}")

    def batch(self, d: dict) -> list[dict]:
        """One RequestBatch; each result as (type, id, status, response shape)."""
        self.ws.send(json.dumps({"op": 8, "d": d}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg["op"] == 5:
                self.events.append(msg["d"])
            elif msg["op"] == 9 and msg["d"]["requestId"] == d["requestId"]:
                return [{"requestType": r["requestType"], "requestId": r.get("requestId", "-"),
                         **status_and_shape(r)} for r in msg["d"]["results"]]

    def close(self) -> None:
        self.ws.close()


def close_of(host: str, port: int, password: str, frames: list[dict | str], *,
             wait_identified: bool = False) -> tuple[int, str]:
    """Send frames on a fresh socket (Identify frames without one get the right auth); return the close."""
    ws = websocket.WebSocket()
    ws.connect(f"ws://{host}:{port}", subprotocols=["obswebsocket.json"], timeout=10)
    hello = json.loads(ws.recv())["d"]
    for frame in frames:
        d = frame.get("d") if isinstance(frame, dict) else None
        if isinstance(d, dict) and frame.get("op") == 1 and "authentication" not in d:  # type: ignore[union-attr]
            a = hello["authentication"]
            frame = {"op": 1, "d": {**frame["d"],
                                    "authentication": auth_response(password, a["salt"], a["challenge"])}}
        ws.send(frame if isinstance(frame, str) else json.dumps(frame))
        if wait_identified and isinstance(frame, dict) and frame.get("op") == 1:
            # real OBS handles frames on a thread pool: a frame sent right behind Identify can
            # overtake it (closed 4007 "not identified"), so wait for Identified first
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big"), data[2:].decode()
            assert json.loads(data)["op"] == 2
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big"), data[2:].decode()


def status_and_shape(response: dict) -> dict:
    return {"status": response["requestStatus"], "shape": shape(response.get("responseData"))}


def run_script(host: str, port: int, password: str, ingest_url: str, dead_url: str,
               break_ingest: Callable[[], None], heal_ingest: Callable[[], None]) -> dict[str, Any]:
    """The same steps for either OBS; returns a transcript. ``break_ingest`` makes the live ingest
    go away (the stream must reconnect), ``heal_ingest`` brings it back."""
    t: dict[str, Any] = {}
    c = Raw(host, port, password)
    try:
        version = c.request("GetVersion")
        t["GetVersion"] = status_and_shape(version)
        t["available"] = set(version["responseData"]["availableRequests"])
        for name in ("GetStats", "GetVideoSettings", "GetProfileList", "GetRecordStatus", "GetSceneList"):
            t[name] = status_and_shape(c.request(name))
        t["video"] = c.request("GetVideoSettings")["responseData"]
        idle = c.request("GetStreamStatus")
        # Counters keep the previous stream's totals in real OBS (the OBS fixture is shared by
        # the session), so compare the shape and the active flag, not history-dependent values.
        t["status_idle"] = (status_and_shape(idle), idle["responseData"]["outputActive"])

        # Stream service: replace, then merge a partial update over it.
        t["set_service"] = c.request("SetStreamServiceSettings", {
            "streamServiceType": "rtmp_custom",
            "streamServiceSettings": {"server": ingest_url, "key": "compare-key", "use_auth": False}})
        c.request("SetStreamServiceSettings", {"streamServiceType": "rtmp_custom",
                                               "streamServiceSettings": {"key": "compare-key-2"}})
        t["service"] = c.request("GetStreamServiceSettings")
        t["set_service_missing_type"] = c.request("SetStreamServiceSettings", {"streamServiceSettings": {}})

        # Profile parameters: every default the simulator models, and the set/delete rules.
        t["defaults"] = {
            (cat, key): c.request("GetProfileParameter", {"parameterCategory": cat, "parameterName": key})
            for cat, section in [*OBS29_DEFAULTS.items(),
                                 ("Video", {"BaseCX": 0, "BaseCY": 0, "OutputCX": 0, "OutputCY": 0})]
            for key in section
        }
        t["unknown_param"] = c.request("GetProfileParameter",
                                       {"parameterCategory": "Nope", "parameterName": "Nope"})
        p = {"parameterCategory": "SimpleOutput", "parameterName": "x264Settings"}
        t["param_set"] = c.request("SetProfileParameter", {**p, "parameterValue": "keyint=60"})
        t["param_after_set"] = c.request("GetProfileParameter", p)
        t["param_not_string"] = c.request("SetProfileParameter", {**p, "parameterValue": 60})
        t["param_delete"] = c.request("SetProfileParameter", {**p, "parameterValue": None})
        t["param_delete_again"] = c.request("SetProfileParameter", {**p, "parameterValue": None})
        t["param_missing_name"] = c.request("GetProfileParameter", {"parameterCategory": "Output"})
        t["unknown_request"] = c.request("NoSuchRequest")

        # RequestBatch: what configure sends (reads, then one halting write batch), and its edges.
        preset = {"parameterCategory": "SimpleOutput", "parameterName": "Preset"}
        set_preset = {**preset, "parameterValue": "veryfast"}
        preset_before = c.request("GetProfileParameter", preset)["responseData"]["parameterValue"]
        t["batch_reads"] = c.batch({"requestId": "r", "executionType": 0, "requests": [
            {"requestType": "GetStreamStatus"}, {"requestType": "GetStreamServiceSettings"},
            {"requestType": "GetVideoSettings", "requestId": "v"},
            {"requestType": "GetProfileParameter", "requestData": {"parameterCategory": "Nope",
                                                                   "parameterName": "Nope"}},
            {"requestType": "NoSuchRequest"}, {"requestId": "no-type"}, {"requestType": 5}]})
        t["batch_writes_halt"] = c.batch({"requestId": "w", "haltOnFailure": True, "requests": [
            {"requestType": "SetProfileParameter", "requestData": set_preset},
            {"requestType": "StopStream"},  # idle: 501, so nothing after it runs
            {"requestType": "SetProfileParameter", "requestData": {**set_preset, "parameterValue": "slow"}}]})
        t["batch_halted_value"] = c.request("GetProfileParameter", preset)["responseData"]["parameterValue"]
        t["batch_no_halt"] = c.batch({"requestId": "n", "requests": [
            {"requestType": "StopStream"}, {"requestType": "GetVersion"}]})
        t["batch_sleep"] = c.batch({"requestId": "s", "requests": [
            {"requestType": "Sleep", "requestData": {"sleepMillis": 5}},
            {"requestType": "Sleep", "requestData": {"sleepFrames": 1}},
            {"requestType": "Sleep", "requestData": {"sleepMillis": 60000}},
            {"requestType": "Sleep", "requestData": {"sleepMillis": -1}}]})
        t["batch_frame"] = c.batch({"requestId": "f", "executionType": 1, "requests": [
            {"requestType": "Sleep", "requestData": {"sleepFrames": 1}}, {"requestType": "GetStreamStatus"}]})
        t["batch_empty"] = c.batch({"requestId": "e", "requests": []})
        t["sleep_alone"] = c.request("Sleep", {"sleepMillis": 1})
        # the stream below runs with the seeded x264 preset, as before these batch steps
        c.request("SetProfileParameter", {**preset, "parameterValue": preset_before})
        t["stop_idle"] = c.request("StopStream")

        # A stream that connects to the loopback ingest.
        t["start"] = c.request("StartStream")
        t["start_events"] = c.stream_events_until()
        t["status_live"] = status_and_shape(c.request("GetStreamStatus"))
        t["start_again"] = c.request("StartStream")
        t["set_service_live"] = c.request("SetStreamServiceSettings", {
            "streamServiceType": "rtmp_custom", "streamServiceSettings": {"server": ingest_url, "key": "x"}})

        # The ingest goes away mid-stream and comes back.
        break_ingest()
        t["reconnecting_events"] = c.stream_events_until({"OBS_WEBSOCKET_OUTPUT_RECONNECTING"})
        reconnecting = c.request("GetStreamStatus")
        t["status_reconnecting"] = {k: reconnecting["responseData"][k]
                                    for k in ("outputActive", "outputReconnecting")}
        # The byte count is the retry connection's own: it starts over (OBS shows a few handshake bytes).
        t["bytes_start_over"] = reconnecting["responseData"]["outputBytes"] < 1000
        t["start_reconnecting"] = c.request("StartStream")
        heal_ingest()
        t["reconnected_events"] = c.stream_events_until({"OBS_WEBSOCKET_OUTPUT_RECONNECTED"})
        t["status_reconnected"] = c.request("GetStreamStatus")["responseData"]["outputReconnecting"]

        t["stop"] = c.request("StopStream")
        t["stop_events"] = c.stream_events_until()

        # A stream whose ingest is not there.
        c.request("SetStreamServiceSettings", {"streamServiceType": "rtmp_custom",
                                               "streamServiceSettings": {"server": dead_url, "key": "x"}})
        t["dead_start"] = c.request("StartStream")
        t["dead_events"] = c.stream_events_until()
    finally:
        c.close()

    hello_identify = {"op": 1, "d": {"rpcVersion": 1}}
    t["close_wrong_password"] = close_of(host, port, password,
                                         [{"op": 1, "d": {"rpcVersion": 1, "authentication": "wrong"}}])
    t["close_rpc_2"] = close_of(host, port, password, [{"op": 1, "d": {"rpcVersion": 2}}])
    t["close_not_identified"] = close_of(host, port, password,
                                         [{"op": 6, "d": {"requestType": "GetVersion", "requestId": "1"}}])
    t["close_identify_twice"] = close_of(host, port, password, [hello_identify, hello_identify])
    t["close_v4_client"] = close_of(host, port, password,
                                    [{"request-type": "GetAuthRequired", "message-id": "1"}])
    t["close_missing_d"] = close_of(host, port, password, [{"op": 1}])
    for name, d in [("no_id", {"requests": []}), ("no_requests", {"requestId": "b"}),
                    ("requests_object", {"requestId": "b", "requests": {}}),
                    ("halt_string", {"requestId": "b", "haltOnFailure": "yes", "requests": []}),
                    ("execution_string", {"requestId": "b", "executionType": "x", "requests": []}),
                    ("execution_none", {"requestId": "b", "executionType": -1, "requests": []}),
                    ("execution_7", {"requestId": "b", "executionType": 7, "requests": []})]:
        t[f"close_batch_{name}"] = close_of(host, port, password, [hello_identify, {"op": 8, "d": d}],
                                            wait_identified=True)
    return t


def test_simulator_answers_like_real_obs_29(real_obs, tmp_path: Path) -> None:
    dead_url = f"rtmp://127.0.0.1:{free_port()}/live"
    try:
        ingest = start_nginx(tmp_path / "nginx")  # our own: this test stops and restarts it
    except RuntimeError as e:
        pytest.skip(f"nginx with the RTMP module is needed: {e}")

    def restart_nginx() -> None:
        conf = ingest.root / "nginx.conf"
        ingest.proc = subprocess.Popen(["nginx", "-p", str(ingest.root), "-c", str(conf)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        real = run_script(real_obs.host, real_obs.port, real_obs.password, ingest.server_url, dead_url,
                          break_ingest=lambda: stop_process(ingest.proc), heal_ingest=restart_nginx)
    finally:
        stop_process(ingest.proc)

    sim = ObsSimulator(real_obs.password, profile=ObsProfile(
        PROFILE, canvas=(640, 360), fps="30",
        values={cat: dict(section) for cat, section in _SEED_PROFILE.items() if cat != "General"}))
    broken = False
    sim.ingest_reachable = lambda server: server != dead_url and not broken

    def break_sim_ingest() -> None:
        nonlocal broken
        broken = True
        sim.simulate_reconnect(None)

    def heal_sim_ingest() -> None:
        nonlocal broken
        broken = False
        sim.finish_reconnect()

    with sim:
        mirror = run_script(sim.host, sim.port, real_obs.password, "rtmp://127.0.0.1:1935/live", dead_url,
                            break_ingest=break_sim_ingest, heal_ingest=heal_sim_ingest)

    # Every request the simulator claims to serve, real OBS serves too.
    assert mirror.pop("available") <= real.pop("available")
    # Profile defaults: the values must be OBS's own.
    real_defaults, sim_defaults = real.pop("defaults"), mirror.pop("defaults")
    for key in real_defaults:
        if key in MACHINE_DEFAULTS:
            continue
        assert sim_defaults[key]["responseData"]["defaultParameterValue"] == \
            real_defaults[key]["responseData"]["defaultParameterValue"], key
    # The stream-service answers name the ingest; compare them with it factored out.
    for t in (real, mirror):
        t["service"]["responseData"]["streamServiceSettings"]["server"] = "<ingest>"
    for t in (real, mirror):
        for step in t.values():
            if isinstance(step, dict):
                step.pop("requestId", None)
    differences = {k: (real[k], mirror.get(k)) for k in real if real[k] != mirror.get(k)}
    assert not differences, json.dumps(differences, indent=1, default=str)
