"""The simulator serves exactly the operations of GetStream's OpenAPI subset, at the same paths."""

from __future__ import annotations

import json
import re

from streamdesk.sim.getstream_server import ROUTES
from tests.plugins.openapi import RELAXED, validate_request


def _spec_operations() -> dict[str, tuple[str, str, str]]:
    """operationId → (method, path template, success status) from the relaxed subset."""
    spec = json.loads(RELAXED.read_text("utf-8"))
    out = {}
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                success = next(code for code in op["responses"] if code.startswith("2"))
                out[op["operationId"]] = (method.upper(), template, success)
    return out


def test_every_spec_operation_has_a_route_and_no_route_is_invented() -> None:
    spec = _spec_operations()
    assert {r.operation for r in ROUTES} == set(spec)


def test_each_route_has_the_spec_method_and_path() -> None:
    spec = _spec_operations()
    for route in ROUTES:
        method, template, _ = spec[route.operation]
        assert route.method == method, route.operation
        sample = re.sub(r"\{\w+\}", "x-1", template)
        assert route.pattern.match(sample), f"{route.operation} does not serve {template}"
        matching = [r.operation for r in ROUTES if r.method == method and r.pattern.match(sample)]
        assert matching == [route.operation], f"{template} is ambiguous: {matching}"


CALL = "/api/v2/video/call/livestream/show-1"
CHANNEL = "/api/v2/chat/channels/livestream/show-1"
REQUESTS = {  # operationId → (path, body, query): one valid request each, in an order that works
    "UpdateUsers": ("/api/v2/users", {"users": {"host-1": {"id": "host-1"}}}, None),
    "UpdateUsersPartial": ("/api/v2/users", {"users": [{"id": "host-1", "set": {"name": "H"}}]}, None),
    "QueryUsers": ("/api/v2/users", None, {"payload": '{"filter_conditions":{"id":{"$eq":"host-1"}}}'}),
    "GetCallType": ("/api/v2/video/calltypes/livestream", None, None),
    "UpdateCallType": ("/api/v2/video/calltypes/livestream", {"grants": {"host": ["join-backstage"]}}, None),
    "GetOrCreateCall": (CALL, {"data": {"created_by_id": "host-1"}}, None),
    "GetCall": (CALL, None, None),
    "UpdateCall": (CALL, {"custom": {"title": "hi"}}, None),
    "GoLive": (f"{CALL}/go_live", {}, None),
    "QueryCallParticipants": (f"{CALL}/participants", {}, {"limit": "10"}),
    "StopLive": (f"{CALL}/stop_live", {}, None),
    # after the show (aftershow)
    "StartHLSBroadcasting": (f"{CALL}/start_broadcasting", None, None),
    "StopHLSBroadcasting": (f"{CALL}/stop_broadcasting", None, None),
    "ListRecordings": (f"{CALL}/recordings", None, None),
    "ListTranscriptions": (f"{CALL}/transcriptions", None, None),
    "GetCallReport": (f"{CALL}/report", None, None),
    "GetOrCreateChannel": (f"{CHANNEL}/query", {"data": {"created_by_id": "host-1"}}, None),
    "SendMessage": (f"{CHANNEL}/message", {"message": {"id": "m-1", "text": "hi", "user_id": "u"}}, None),
    "GetChannel": (CHANNEL, None, {"state": "true"}),
    "GetManyMessages": (f"{CHANNEL}/messages", None, {"ids": "m-1"}),
    "UpdateMessagePartial": ("/api/v2/chat/messages/m-1", {"set": {"pinned": True}, "user_id": "host-1"},
                             None),
    "GetPinnedMessages": (f"{CHANNEL}/pinned_messages", None, {"limit": "10"}),
    "ban": ("/api/v2/moderation/ban", {"target_user_id": "troll", "channel_cid": "livestream:show-1",
                                       "timeout": 5}, None),
    "QueryBannedUsers": ("/api/v2/chat/query_banned_users", None, {"payload": '{"filter_conditions": {}}'}),
    "unban": ("/api/v2/moderation/unban", {},
              {"target_user_id": "troll", "channel_cid": "livestream:show-1"}),
    "DeleteMessage": ("/api/v2/chat/messages/m-1", None, {"hard": "false"}),
    "EndCall": (f"{CALL}/mark_ended", None, None),
    "DeleteCall": (f"{CALL}/delete", {"hard": False}, None),
}


def test_every_operation_answers_with_the_spec_success_status(gs_http) -> None:
    spec = _spec_operations()
    assert set(REQUESTS) == set(spec)
    for op, (path, body, query) in REQUESTS.items():
        method, _, success = spec[op]
        validate_request(method, path, {"api_key": "k", **(query or {})}, body)  # the test's own requests
        r = gs_http.request(method, path, body, params=query)  # also validated against the relaxed spec
        assert r.status_code == int(success), f"{op}: {r.status_code} {r.text[:200]}"
