"""Chat moderation against the GetStream simulator over HTTP: each action's visible effect, every
request valid for the strict OpenAPI subset, and the same actions through the real CLI process."""

from __future__ import annotations

import json

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import chat, moderation
from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput
from streamdesk.core.getstream import GetStreamError
from tests.integration.test_contract_requests import check
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import cli, run_cli

CID = "livestream:show-1"


@pytest.fixture
def ctx(gs_sim, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("STREAMDESK_API_BASE", gs_sim.url)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1", call_id="show-1")
    ops.provision(ctx)
    ops.go_live(ctx)
    gs_sim.advance(240)  # four minutes of a show: the seeded audience is chatting
    return ctx


@pytest.fixture
def gs(ctx: AppContext):
    with ops.client(ctx) as client:
        yield client


def regular(gs, where) -> list[chat.ChatEntry]:
    return [e for e in moderation.fetch(gs, where, None, limit=300) if e.type == "regular"]


def all_requests_valid(gs_sim) -> set[str]:
    seen = set()
    for request in gs_sim.received:
        seen.add(check(request))
    return seen


def test_delete_makes_the_message_a_deleted_one(ctx, gs, gs_sim) -> None:
    where = moderation.target(ctx)
    victim = regular(gs, where)[0]
    result = moderation.delete(gs, where, victim.id)
    assert result is not None and result.deleted
    after = {e.id: e for e in moderation.fetch(gs, where, None, limit=300)}
    assert after[victim.id].type == "deleted" and after[victim.id].text == ""
    assert victim.id not in {e.id for e in regular(gs, where)}
    assert "DeleteMessage" in all_requests_valid(gs_sim)


def test_pin_shows_in_pinned_messages_and_unpin_removes_it(ctx, gs, gs_sim) -> None:
    where = moderation.target(ctx)
    msg = regular(gs, where)[1]
    assert moderation.pinned(gs, where) == []
    pinned = moderation.pin(gs, where, msg.id, True)
    assert pinned is not None and pinned.pinned
    assert [m.id for m in moderation.pinned(gs, where)] == [msg.id]
    moderation.pin(gs, where, msg.id, False)
    assert moderation.pinned(gs, where) == []
    assert {"UpdateMessagePartial", "GetPinnedMessages"} <= all_requests_valid(gs_sim)


def test_a_timed_out_user_is_refused_until_the_timeout_ends(ctx, gs, gs_sim) -> None:
    where = moderation.target(ctx)
    moderation.timeout(gs, where, "troll-1", 5)
    assert [b.user_id for b in moderation.banned(gs, where)] == ["troll-1"]
    with pytest.raises(GetStreamError) as refused:
        gs.send_message("livestream", "show-1", "spam", user_id="troll-1")
    assert refused.value.status == 403
    gs_sim.advance(5 * 60 + 1)  # the sim clock runs the timeout out
    assert moderation.banned(gs, where) == []
    sent = gs.send_message("livestream", "show-1", "sorry", user_id="troll-1")
    assert sent.text == "sorry"
    assert {"ban", "QueryBannedUsers", "SendMessage"} <= all_requests_valid(gs_sim)


def test_a_banned_audience_member_stops_posting_and_the_rest_keep_chatting(ctx, gs, gs_sim) -> None:
    where = moderation.target(ctx)
    before = regular(gs, where)
    chatty = max({e.user_id for e in before}, key=lambda u: sum(e.user_id == u for e in before))
    moderation.ban(gs, where, chatty, "spoilers")
    bans = moderation.banned(gs, where)
    assert [(b.user_id, b.reason, b.expires) for b in bans] == [(chatty, "spoilers", None)]
    last = before[-1].id
    gs_sim.advance(20 * 60)
    later = [e for e in moderation.fetch(gs, where, last, limit=300) if e.type == "regular"]
    assert later, "the rest of the audience keeps chatting"
    assert chatty not in {e.user_id for e in later}
    # what they wrote before the ban stays
    assert {e.id for e in before if e.user_id == chatty} <= {e.id for e in regular(gs, where)}
    moderation.unban(gs, where, chatty)
    assert moderation.banned(gs, where) == []
    gs.send_message("livestream", "show-1", "back", user_id=chatty)
    assert {"ban", "unban", "QueryBannedUsers"} <= all_requests_valid(gs_sim)


def test_the_broadcaster_sends_a_message(ctx, gs, gs_sim) -> None:
    where = moderation.target(ctx)
    sent = moderation.send(gs, where, "  welcome everyone  ")
    assert sent.text == "welcome everyone" and sent.user_id == "host-1"
    assert regular(gs, where)[-1].id == sent.id
    assert "SendMessage" in all_requests_valid(gs_sim)


def test_a_repeated_send_of_the_same_message_posts_once(ctx, gs, gs_sim, monkeypatch) -> None:
    """The client picks the message id, so a retry whose first attempt landed (answer lost)
    is refused by GetStream as a duplicate and counts as sent, instead of posting twice."""
    import uuid

    from streamdesk.core import getstream

    fixed = uuid.UUID(int=7, version=4)
    monkeypatch.setattr(getstream.uuid, "uuid4", lambda: fixed)
    where = moderation.target(ctx)
    first = moderation.send(gs, where, "only once")
    again = moderation.send(gs, where, "only once")
    assert again.id == first.id
    assert [e.text for e in regular(gs, where)].count("only once") == 1


@pytest.mark.parametrize(("call", "args"), [
    (moderation.delete, ("bad id with spaces",)),
    (moderation.timeout, ("viewer-1", 0)),
    (moderation.timeout, ("viewer-1", 2.5)),
    (moderation.ban, ("", None)),
    (moderation.send, ("   ",)),
])
def test_bad_input_is_refused_before_any_request(ctx, gs, gs_sim, call, args) -> None:
    gs_sim.clear_received()
    with pytest.raises(InvalidInput):
        call(gs, moderation.target(ctx), *args)
    assert gs_sim.received == []


def test_remote_text_is_shown_without_control_characters(ctx, gs, gs_sim) -> None:
    gs.send_message("livestream", "show-1", "hi\x1b[2J\u202eevil", user_id="viewer-x")
    entry = regular(gs, moderation.target(ctx))[-1]
    assert entry.text == "hievil"  # the whole escape sequence goes, and the bidi override


# -- the same through the CLI process --------------------------------------------------------------
def test_cli_moderation_actions(ctx, gs, gs_sim, gs_env) -> None:
    where = moderation.target(ctx)
    out = cli(gs_env, "chat", "--json", "--for", "0.1")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines and all(m["type"] == "regular" for m in lines)
    first, second = lines[0]["id"], lines[1]["id"]

    assert "Deleted" in cli(gs_env, "chat", "delete", first).stdout
    assert {e.id: e for e in moderation.fetch(gs, where, None, 300)}[first].deleted
    cli(gs_env, "chat", "pin", second)
    assert [m.id for m in moderation.pinned(gs, where)] == [second]
    cli(gs_env, "chat", "unpin", second)
    assert moderation.pinned(gs, where) == []

    assert "10 minutes" in cli(gs_env, "chat", "timeout", "viewer-a", "--minutes", "10").stdout
    cli(gs_env, "chat", "ban", "viewer-b", "--reason", "spam links")
    bans = {b.user_id: b for b in moderation.banned(gs, where)}
    assert bans["viewer-a"].expires is not None and bans["viewer-b"].reason == "spam links"
    cli(gs_env, "chat", "unban", "viewer-b")
    assert {b.user_id for b in moderation.banned(gs, where)} == {"viewer-a"}

    cli(gs_env, "chat", "send", input="from stdin\n")
    cli(gs_env, "chat", "send", "as an argument")
    texts = [e.text for e in regular(gs, where) if e.user_id == "host-1"]
    assert texts == ["from stdin", "as an argument"]
    tail = cli(gs_env, "chat", "--for", "0.1").stdout
    assert "host-1: as an argument" in tail
    all_requests_valid(gs_sim)


def test_cli_refuses_bad_input_with_exit_2(ctx, gs_env, gs_sim) -> None:
    gs_sim.clear_received()
    out = run_cli("chat", "timeout", "viewer-a", "--minutes", "-3", env=gs_env)
    assert out.returncode == 2 and "minutes" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("chat", "send", env=gs_env, input="")
    assert out.returncode == 2 and "empty" in out.stderr
    assert gs_sim.requests("ban") == [] and gs_sim.requests("SendMessage") == []


def test_cli_tail_strips_control_characters(ctx, gs, gs_env) -> None:
    gs.send_message("livestream", "show-1", "ring\x07 \x1b]0;pwned\x07bell", user_id="viewer-z")
    out = cli(gs_env, "chat", "--for", "0.1").stdout
    assert "\x1b" not in out and "\x07" not in out and "viewer-z: ring bell" in out
