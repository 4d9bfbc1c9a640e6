"""The livestream chat channel: get-or-create rules, messages oldest first, id_gt paging."""

from __future__ import annotations

import pytest

from streamdesk.sim.audience import AudienceConfig
from tests.plugins.getstream_sim import SimHttp, create_call

CHANNEL = "/api/v2/chat/channels/livestream/show-1"
CALL = "/api/v2/video/call/livestream/show-1"
T0 = 1_800_000_000.0


@pytest.fixture
def sim(make_gs_sim):
    return make_gs_sim(clock=lambda: T0, seed=21)


@pytest.fixture
def http(sim):
    client = SimHttp(sim)
    yield client
    client.close()


def _query(http: SimHttp, **messages: object) -> dict:
    r = http.post(f"{CHANNEL}/query", {"data": {"created_by_id": "host-1"}, "state": True,
                                       "messages": messages or None})
    assert r.status_code == 201
    return r.json()


def _send(http: SimHttp, text: str, user_id: str = "host-1") -> dict:
    r = http.post(f"{CHANNEL}/message", {"message": {"text": text, "user_id": user_id}})
    assert r.status_code == 201
    return r.json()["message"]


def test_get_or_create_needs_exactly_one_creator(http: SimHttp) -> None:
    r = http.post(f"{CHANNEL}/query", {"data": {}})
    assert (r.status_code, r.json()["code"]) == (400, 4)
    assert r.json()["message"] == ('GetOrCreateChannel failed with error: "either data.created_by or '
                                   'data.created_by_id must be provided when using server side auth."')
    both = http.post(f"{CHANNEL}/query", {"data": {"created_by_id": "a", "created_by": {"id": "a"}}})
    assert both.json()["message"].endswith('"cannot set both data.created_by and data.created_by_id."')
    created = _query(http)
    assert created["channel"]["cid"] == "livestream:show-1"
    assert created["channel"]["created_by"]["id"] == "host-1" and created["messages"] == []
    # once it exists, reading it needs no creator
    assert http.post(f"{CHANNEL}/query", {}).status_code == 201


def test_messages_come_oldest_first_and_page_with_id_gt(sim, http: SimHttp) -> None:
    _query(http)
    sent = []
    for i in range(7):
        sim.advance(1)
        sent.append(_send(http, f"message {i}")["id"])
    assert [m["id"] for m in _query(http)["messages"]] == sent
    assert [m["id"] for m in _query(http, limit=3)["messages"]] == sent[-3:]  # no cursor: the newest
    page = _query(http, limit=3, id_gt=sent[1])["messages"]
    assert [m["id"] for m in page] == sent[2:5]  # the oldest three after the cursor
    assert [m["id"] for m in _query(http, limit=3, id_lt=sent[4])["messages"]] == sent[1:4]
    assert _query(http, id_gt=sent[-1])["messages"] == []


def test_polling_with_id_gt_sees_every_audience_message_exactly_once(make_gs_sim) -> None:
    sim = make_gs_sim(clock=lambda: T0, seed=21, audience=AudienceConfig(chat_per_viewer_per_min=2.0))
    http = SimHttp(sim)
    try:
        create_call(http)
        _query(http)
        http.post(f"{CALL}/go_live")
        seen: list[str] = []
        last = None
        for _ in range(40):
            sim.advance(15)
            while True:  # page until a short page, as a poller does
                page = _query(http, limit=10, **({"id_gt": last} if last else {}))["messages"]
                seen += [m["id"] for m in page if m["type"] == "regular"]  # chat, as GetStream means it
                if page:
                    last = page[-1]["id"]
                if len(page) < 10:
                    break
        truth = sim.truth("livestream:show-1")
    finally:
        http.close()
    assert truth.messages_generated > 100
    assert seen == [m["id"] for m in truth.messages]


def test_the_get_form_reads_the_same_channel(sim, http: SimHttp) -> None:
    missing = http.get(CHANNEL)
    assert (missing.status_code, missing.json()["code"]) == (404, 16)
    _query(http)
    first = _send(http, "one")
    sim.advance(1)
    second = _send(http, "two")
    r = http.get(CHANNEL, params={"state": "true", "messages_limit": "10", "messages_id_gt": first["id"]})
    assert r.status_code == 200 and [m["id"] for m in r.json()["messages"]] == [second["id"]]


def test_sent_messages_have_getstreams_shape(http: SimHttp) -> None:
    _query(http)
    msg = _send(http, "<b>hi</b> & welcome")
    assert msg["id"].startswith("host-1-") and msg["type"] == "regular"
    assert msg["html"] == "<p>&lt;b&gt;hi&lt;/b&gt; &amp; welcome</p>\n"
    assert msg["created_at"] == int(T0 * 1e9) and msg["cid"] == "livestream:show-1"
    r = http.get(f"{CHANNEL}/messages", params={"ids": f"{msg['id']},unknown"})
    assert r.status_code == 200 and [m["text"] for m in r.json()["messages"]] == ["<b>hi</b> & welcome"]


@pytest.mark.parametrize(
    ("message", "words"),
    [({"text": "who am I"}, "message.user or message.user_id"), ({}, "message is a required field")],
)
def test_send_message_needs_an_author(http: SimHttp, message: dict, words: str) -> None:
    _query(http)
    r = http.post(f"{CHANNEL}/message", {"message": message})
    assert (r.status_code, r.json()["code"]) == (400, 4) and words in r.json()["message"]


def test_a_message_id_is_unique(http: SimHttp) -> None:
    _query(http)
    http.post(f"{CHANNEL}/message", {"message": {"id": "m-1", "text": "a", "user_id": "u"}})
    again = http.post(f"{CHANNEL}/message", {"message": {"id": "m-1", "text": "b", "user_id": "u"}})
    assert again.status_code == 400


def test_audience_chat_lands_in_the_calls_channel(sim, http: SimHttp) -> None:
    create_call(http)
    _query(http)
    http.post(f"{CALL}/go_live")
    sim.advance(60)
    every = _query(http, limit=300)["messages"]
    truth = sim.truth("livestream:show-1")
    # GetChannel returns system and (soft-)deleted messages among the regular ones
    assert {m["type"] for m in every} == {"regular", "system", "deleted"}
    assert all(m["deleted_at"] is not None and m["text"] == "" for m in every if m["type"] == "deleted")
    messages = [m for m in every if m["type"] == "regular"]
    assert [m["id"] for m in messages] == [m["id"] for m in truth.messages] != []
    assert all(m["user"]["id"].startswith("viewer-") for m in messages)
    assert _query(http)["channel"]["message_count"] == truth.messages_generated


def test_unknown_channel_type_and_bad_limit(http: SimHttp) -> None:
    r = http.post("/api/v2/chat/channels/nope/x/query", {"data": {"created_by_id": "h"}})
    assert r.json()["code"] == 16
    r = http.post(f"{CHANNEL}/query", {"data": {"created_by_id": "h"}, "messages": {"limit": 301}})
    assert (r.status_code, r.json()["code"]) == (400, 4)
