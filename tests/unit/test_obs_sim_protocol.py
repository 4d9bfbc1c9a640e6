"""obs-websocket protocol edges of the OBS simulator, spoken raw over websocket-client.
Expected codes and reason texts are what real OBS 29.0.2 / obs-websocket 5.1.0 sends."""

from __future__ import annotations

import base64
import json

import pytest
import websocket

from streamdesk.sim.obs_protocol import OutputState, auth_response
from streamdesk.sim.obs_server import ObsSimulator


def connect(sim: ObsSimulator, subprotocol: bool = True) -> tuple[websocket.WebSocket, dict]:
    ws = websocket.WebSocket()
    ws.connect(sim.url, subprotocols=["obswebsocket.json"] if subprotocol else None, timeout=5)
    hello = json.loads(ws.recv())
    assert hello["op"] == 0
    return ws, hello["d"]


def identify(sim: ObsSimulator, subs: int = 0) -> websocket.WebSocket:
    ws, hello = connect(sim)
    auth = auth_response(sim.password, hello["authentication"]["salt"], hello["authentication"]["challenge"])
    ws.send(json.dumps({"op": 1, "d": {"rpcVersion": 1, "authentication": auth, "eventSubscriptions": subs}}))
    assert json.loads(ws.recv()) == {"op": 2, "d": {"negotiatedRpcVersion": 1}}
    return ws


def close_frame(ws: websocket.WebSocket) -> tuple[int, str]:
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big"), data[2:].decode()


def send(ws: websocket.WebSocket, op: int, d: dict) -> None:
    ws.send(json.dumps({"op": op, "d": d}))


def test_hello_carries_a_fresh_challenge_and_a_stable_salt(obs_sim: ObsSimulator) -> None:
    (ws1, h1), (ws2, h2) = connect(obs_sim), connect(obs_sim)
    assert (h1["obsWebSocketVersion"], h1["rpcVersion"]) == ("5.1.0", 1)
    assert h1["authentication"]["salt"] == h2["authentication"]["salt"]
    assert h1["authentication"]["challenge"] != h2["authentication"]["challenge"]
    assert len(base64.b64decode(h1["authentication"]["challenge"])) == 32
    ws1.close()
    ws2.close()


def test_json_subprotocol_is_negotiated_when_asked_and_optional(obs_sim: ObsSimulator) -> None:
    ws, _ = connect(obs_sim)
    assert ws.getsubprotocol() == "obswebsocket.json"
    ws.close()
    ws, _ = connect(obs_sim, subprotocol=False)  # obsws-python asks for none; OBS speaks JSON anyway
    assert ws.getsubprotocol() is None
    ws.close()


@pytest.mark.parametrize(("frame", "code", "reason"), [
    ("not json", 4002, "Unable to decode Json"),
    (json.dumps({"d": {}}), 4003, "missing an `op`"),
    (json.dumps({"op": 1}), 4003, "Your payload is missing data (`d`)."),
    (json.dumps({"op": 6, "d": {"requestType": "GetVersion", "requestId": "1"}}), 4007,
     "You attempted to send a non-Identify message while not identified."),
    (json.dumps({"op": 1, "d": {"rpcVersion": 1}}), 4009, "missing an `authentication` string"),
])
def test_bad_frames_before_identify_close_with_obs_codes(obs_sim: ObsSimulator, frame: str, code: int,
                                                         reason: str) -> None:
    ws, _ = connect(obs_sim)
    ws.send(frame)
    got_code, got_reason = close_frame(ws)
    assert got_code == code
    assert reason in got_reason


@pytest.mark.parametrize(("op", "d", "code", "reason"), [
    (1, {"rpcVersion": 1}, 4008, "You are already Identified with the obs-websocket server."),
    (99, {}, 4006, "Unknown OpCode: 99"),
    (6, {"requestType": "GetVersion"}, 4003, "Your payload data is missing a `requestId`."),
])
def test_bad_frames_after_identify_close_with_obs_codes(obs_sim: ObsSimulator, op: int, d: dict, code: int,
                                                        reason: str) -> None:
    ws = identify(obs_sim)
    send(ws, op, d)
    assert close_frame(ws) == (code, reason)


def test_request_ids_are_echoed_and_statuses_have_obs_shape(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim)
    send(ws, 6, {"requestType": "GetVersion", "requestId": "abc"})
    ok = json.loads(ws.recv())
    assert ok["op"] == 7
    assert (ok["d"]["requestId"], ok["d"]["requestType"]) == ("abc", "GetVersion")
    assert ok["d"]["requestStatus"] == {"result": True, "code": 100}
    send(ws, 6, {"requestType": "StopStream", "requestId": 7})
    refused = json.loads(ws.recv())["d"]
    assert refused["requestId"] == 7
    assert refused["requestStatus"] == {"result": False, "code": 501}  # OBS adds no comment here
    assert "responseData" not in refused
    ws.close()


def test_reidentify_changes_the_event_subscription(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim, subs=0)
    send(ws, 3, {"eventSubscriptions": 64})
    assert json.loads(ws.recv()) == {"op": 2, "d": {"negotiatedRpcVersion": 1}}
    send(ws, 6, {"requestType": "StartStream", "requestId": "s"})
    assert json.loads(ws.recv())["op"] == 7  # the response comes before the events it causes
    event = json.loads(ws.recv())
    starting = {"outputActive": False, "outputState": OutputState.STARTING}
    assert event == {"op": 5,
                     "d": {"eventType": "StreamStateChanged", "eventIntent": 64, "eventData": starting}}
    ws.close()


def test_request_batch_runs_in_order_and_can_halt(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim)
    send(ws, 8, {"requestId": "b1", "requests": [
        {"requestType": "GetVersion", "requestId": "one"},
        {"requestType": "StopStream", "requestId": "two"},
        {"requestType": "GetStreamStatus", "requestId": "three"},
    ]})
    batch = json.loads(ws.recv())
    assert batch["op"] == 9 and batch["d"]["requestId"] == "b1"
    assert [r["requestId"] for r in batch["d"]["results"]] == ["one", "two", "three"]
    send(ws, 8, {"requestId": "b2", "haltOnFailure": True, "requests": [
        {"requestType": "StopStream"}, {"requestType": "GetVersion"}]})
    halted = json.loads(ws.recv())["d"]["results"]
    assert [r["requestStatus"]["code"] for r in halted] == [501]
    ws.close()


def batch(ws: websocket.WebSocket, d: dict) -> list[dict]:
    send(ws, 8, d)
    answer = json.loads(ws.recv())
    assert answer["op"] == 9 and answer["d"]["requestId"] == d["requestId"]
    return answer["d"]["results"]


def test_batch_halt_includes_the_failure_and_runs_nothing_after(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim)
    before = len(obs_sim.received)
    results = batch(ws, {"requestId": "h", "haltOnFailure": True, "executionType": 0, "requests": [
        {"requestType": "GetStreamStatus"}, {"requestType": "StopStream"},
        {"requestType": "SetProfileParameter", "requestData": {
            "parameterCategory": "SimpleOutput", "parameterName": "Preset", "parameterValue": "slow"}}]})
    assert [(r["requestType"], r["requestStatus"]["code"]) for r in results] == \
        [("GetStreamStatus", 100), ("StopStream", 501)]
    assert [r.request_type for r in obs_sim.received[before:]] == ["GetStreamStatus", "StopStream"]
    assert obs_sim.profile.get("SimpleOutput", "Preset") != "slow"
    ws.close()


def test_batch_items_without_a_type_run_as_empty_and_ids_are_mirrored(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim)
    results = batch(ws, {"requestId": 5, "requests": [{"requestId": "q"}, {"requestType": 5},
                                                       {"requestType": "GetVersion", "requestId": 7}]})
    assert results[0] == {"requestType": "", "requestId": "q", "requestStatus": {
        "result": False, "code": 203, "comment": "Your request's `requestType` may not be empty."}}
    assert "requestId" not in results[1] and results[1]["requestStatus"]["code"] == 203
    assert results[2]["requestId"] == 7 and results[2]["requestStatus"]["result"] is True
    assert batch(ws, {"requestId": "e", "requests": []}) == []
    ws.close()


def test_sleep_only_in_batches_within_its_range(obs_sim: ObsSimulator) -> None:
    ws = identify(obs_sim)
    send(ws, 6, {"requestType": "Sleep", "requestId": "s", "requestData": {"sleepMillis": 1}})
    assert json.loads(ws.recv())["d"]["requestStatus"] == {"result": False, "code": 206}
    results = batch(ws, {"requestId": "z", "requests": [
        {"requestType": "Sleep", "requestData": {"sleepMillis": 5}},
        {"requestType": "Sleep", "requestData": {"sleepFrames": 1}},
        {"requestType": "Sleep", "requestData": {"sleepMillis": 60000}}]})
    assert [r["requestStatus"] for r in results] == [
        {"result": True, "code": 100},
        {"result": False, "code": 300, "comment": "Your request is missing the `sleepMillis` field."},
        {"result": False, "code": 402,
         "comment": "The field value of `sleepMillis` is above the maximum of `50000.000000`"}]
    frame = batch(ws, {"requestId": "f", "executionType": 1, "requests": [
        {"requestType": "Sleep", "requestData": {"sleepFrames": 1}}, {"requestType": "GetVersion"}]})
    assert [r["requestStatus"]["code"] for r in frame] == [100, 100]
    ws.close()


@pytest.mark.parametrize(("d", "code", "reason"), [
    ({"requests": []}, 4003, "Your payload data is missing a `requestId`."),
    ({"requestId": "b"}, 4003, "Your payload data is missing a `requests`."),
    ({"requestId": "b", "requests": {}}, 4004, "Your `requests` is not an array."),
    ({"requestId": "b", "haltOnFailure": "yes", "requests": []}, 4004,
     "Your `haltOnFailure` is not a boolean."),
    ({"requestId": "b", "executionType": "x", "requests": []}, 4004, "Your `executionType` is not a number."),
    ({"requestId": "b", "executionType": -1, "requests": []}, 4004, "Your `executionType` is not a number."),
    ({"requestId": "b", "executionType": 7, "requests": []}, 4005,
     "Your `executionType` has an invalid value."),
])
def test_malformed_batches_close_like_obs_29(obs_sim: ObsSimulator, d: dict, code: int, reason: str) -> None:
    ws = identify(obs_sim)
    send(ws, 8, d)
    assert close_frame(ws) == (code, reason)
