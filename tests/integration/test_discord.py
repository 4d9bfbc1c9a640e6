"""Discord notifications against a real HTTP receiver on loopback: the JSON Discord expects, the
retry/backoff/notice behaviour, and that the webhook URL never leaks into logs or notices."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from streamdesk.core import discord
from streamdesk.core.context import AppContext
from streamdesk.core.secrets import SecretKind
from streamdesk.core.store import Session
from tests.plugins.processes import free_port, run_cli

TOKEN = "s3cr3t-webhook-token_ABCdef"


class Receiver:
    """A loopback stand-in for Discord's Execute Webhook endpoint. ``responses`` is consumed one
    per request: an int status, or ``(status, json_body)``; when empty, 204 (Discord's success)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.responses: list[int | tuple[int, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.paths.append(self.path)
                receiver.requests.append({"content_type": self.headers.get("Content-Type"),
                                          "body": json.loads(self.rfile.read(length))})
                status, body = 204, None
                if receiver.responses:
                    item = receiver.responses.pop(0)
                    status, body = item if isinstance(item, tuple) else (item, None)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/webhooks/123456789/{TOKEN}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r._thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def ctx() -> AppContext:
    return AppContext()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# -- Discord's webhook format (https://discord.com/developers/docs/resources/webhook#execute-webhook) --
_TOP = {"content", "username", "avatar_url", "tts", "embeds", "allowed_mentions", "components", "flags"}
_EMBED = {"title", "type", "description", "url", "timestamp", "color", "footer", "image", "thumbnail",
          "video", "provider", "author", "fields"}


def assert_discord_message(body: dict[str, Any]) -> dict[str, Any]:
    """Checks the parts of Discord's schema we use; returns the single embed."""
    assert set(body) <= _TOP, set(body) - _TOP
    assert body["allowed_mentions"] == {"parse": []}, "every message must suppress mentions"
    assert isinstance(body["content"], str) and len(body["content"]) <= 2000
    assert isinstance(body["embeds"], list) and 1 <= len(body["embeds"]) <= 10
    embed = body["embeds"][0]
    assert set(embed) <= _EMBED, set(embed) - _EMBED
    assert isinstance(embed["title"], str) and 0 < len(embed["title"]) <= 256
    assert isinstance(embed["color"], int) and 0 <= embed["color"] <= 0xFFFFFF
    assert datetime.fromisoformat(embed["timestamp"]).utcoffset() is not None  # ISO 8601 with offset
    for f in embed.get("fields", []):
        assert set(f) <= {"name", "value", "inline"}
        assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
        assert isinstance(f["inline"], bool)
    assert len(embed.get("fields", [])) <= 25
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total = (len(embed["title"]) + len(embed.get("description", "")) + fields
             + len(embed.get("footer", {}).get("text", "")))
    assert total <= 6000
    return embed


def _ended_session() -> Session:
    return Session(id=7, call_cid="livestream:show-1", started_at=1_767_225_600.0, ended_at=1_767_229_323.0,
                   total_minutes=63, peak_viewers=58, total_chat=1234, end_reason="stopped")


def test_go_live_embed_matches_discords_format(ctx: AppContext, receiver: Receiver) -> None:
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url)
    ctx.store.put_setting(discord.TITLE_SETTING, "Friday @everyone speedrun")
    ctx.store.put_setting(discord.LINK_SETTING, "https://example.com/watch")
    session = Session(id=1, call_cid="livestream:show-1", started_at=1_767_225_661.0)

    assert discord.announce(ctx, "live", session, sleep=Sleeps()) is None

    assert len(receiver.requests) == 1
    assert receiver.requests[0]["content_type"] == "application/json"
    embed = assert_discord_message(receiver.bodies[0])
    assert "Friday @everyone speedrun" in embed["title"]
    assert embed["url"] == "https://example.com/watch"
    assert datetime.fromisoformat(embed["timestamp"]).timestamp() == session.started_at
    assert any(f["value"] == "<t:1767225661:t>" for f in embed["fields"])


def test_end_embed_carries_duration_peak_and_chat_total(ctx: AppContext, receiver: Receiver) -> None:
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url)

    assert discord.announce(ctx, "ended", _ended_session(), sleep=Sleeps()) is None

    embed = assert_discord_message(receiver.bodies[0])
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {"Duration": "1:02:03", "Peak viewers": "58", "Chat messages": "1234"}
    assert "show-1" in embed["title"]  # no title configured: the call id names the stream
    assert "url" not in embed


def test_test_message_suppresses_mentions(ctx: AppContext, receiver: Receiver) -> None:
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url)
    assert discord.send_test(ctx, sleep=Sleeps()) is None
    body = receiver.bodies[0]
    assert_discord_message(body)
    assert "@everyone" in body["content"]  # present in the text, yet …
    assert body["allowed_mentions"] == {"parse": []}  # … it pings nobody


def test_no_webhook_means_no_request_and_no_notice(ctx: AppContext, receiver: Receiver) -> None:
    assert discord.announce(ctx, "live", _ended_session()) is None
    assert receiver.requests == []
    assert "discord set" in (discord.send_test(ctx) or "")


def test_5xx_is_retried_with_backoff_then_delivered(receiver: Receiver) -> None:
    receiver.responses = [500, 502]
    sleeps = Sleeps()
    assert discord.send(receiver.url, discord.test_payload(0), sleep=sleeps, backoff_s=1.0) is None
    assert len(receiver.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert receiver.bodies[0] == receiver.bodies[2]  # the same message, not a changed one


def test_persistent_failure_gives_a_notice_without_the_url(receiver: Receiver) -> None:
    receiver.responses = [500] * 10
    sleeps = Sleeps()
    notice = discord.send(receiver.url, discord.test_payload(0), sleep=sleeps, attempts=4)
    assert notice is not None and notice.startswith("The Discord notification was not sent")
    assert "HTTP 500" in notice and "4 attempts" in notice
    assert TOKEN not in notice and "127.0.0.1" not in notice
    assert len(receiver.requests) == 4 and sleeps == [1.0, 2.0, 4.0]


def test_429_waits_for_discords_retry_after(receiver: Receiver) -> None:
    receiver.responses = [(429, {"message": "You are being rate limited.", "retry_after": 3.5,
                                 "global": False})]
    sleeps = Sleeps()
    assert discord.send(receiver.url, discord.test_payload(0), sleep=sleeps, backoff_s=1.0) is None
    assert sleeps == [3.5]


def test_retries_fit_in_the_time_budget(receiver: Receiver) -> None:
    """Go-live waits for this call: a 429 asking for a minute is not worth holding the show for."""
    receiver.responses = [(429, {"message": "You are being rate limited.", "retry_after": 60.0,
                                 "global": True})]
    sleeps = Sleeps()
    notice = discord.send(receiver.url, discord.test_payload(0), sleep=sleeps, budget_s=15.0)
    assert notice is not None and "rate-limiting it after 1 attempt;" in notice
    assert sleeps == [] and len(receiver.requests) == 1


def test_a_deleted_webhook_is_not_retried(receiver: Receiver) -> None:
    receiver.responses = [(404, {"message": "Unknown Webhook", "code": 10015})]
    sleeps = Sleeps()
    notice = discord.send(receiver.url, discord.test_payload(0), sleep=sleeps)
    assert notice is not None and "HTTP 404" in notice and "discord set" in notice
    assert len(receiver.requests) == 1 and sleeps == []


def test_unreachable_webhook_never_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/webhooks/1/{TOKEN}"
    notice = discord.send(url, discord.test_payload(0), sleep=Sleeps(), attempts=2, timeout=2)
    assert notice is not None and "could not be reached" in notice and TOKEN not in notice


def test_webhook_url_stays_out_of_the_log(ctx: AppContext, receiver: Receiver,
                                          caplog: pytest.LogCaptureFixture) -> None:
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url)
    receiver.responses = [500]
    # explicit for httpx too: setup_logging (run by any in-process CLI test before) quiets it
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.INFO, logger="httpx"):
        assert discord.announce(ctx, "ended", _ended_session(), sleep=Sleeps()) is None
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request" in text  # httpx did log the requests …
    assert TOKEN not in text  # … without the webhook's token


@pytest.mark.parametrize("url", [
    "https://discord.com/api/webhooks/123456789012345678/abcDEF_-123",
    "https://discordapp.com/api/webhooks/1/x",
    "https://canary.discord.com/api/v10/webhooks/1/x",
    "  https://discord.com/api/webhooks/1/x\n",
])
def test_discord_webhook_urls_are_accepted(url: str) -> None:
    assert discord.validate_webhook_url(url) == url.strip()


@pytest.mark.parametrize("url", [
    "http://discord.com/api/webhooks/1/x",  # not https
    "https://evil.example/api/webhooks/1/x",
    "https://discord.com/channels/1/2",
    "discord.com/api/webhooks/1/x",
    "",
])
def test_other_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(discord.InvalidWebhook) as info:
        discord.validate_webhook_url(url)
    assert (url.strip() or "\0") not in info.value.one_line()


@pytest.mark.secretservice
def test_cli_set_test_clear_round_trip(receiver: Receiver, secret_service: dict[str, str]) -> None:
    bad = run_cli("discord", "set", "--url-stdin", env=secret_service, input="https://example.com/hook\n")
    assert bad.returncode == 2 and "not a Discord webhook URL" in bad.stderr

    ok = run_cli("discord", "set", "--url-stdin", "--title", "Late show", env=secret_service,
                 input=receiver.url + "\n")
    assert ok.returncode == 0, ok.stderr
    assert TOKEN not in ok.stdout + ok.stderr

    sent = run_cli("discord", "test", env=secret_service)
    assert sent.returncode == 0, sent.stderr
    assert len(receiver.requests) == 1
    assert_discord_message(receiver.bodies[0])

    status = run_cli("discord", "status", "--json", env=secret_service)
    assert json.loads(status.stdout) == {"enabled": True, "title": "Late show", "link": None}

    assert run_cli("discord", "clear", env=secret_service).returncode == 0
    off = run_cli("discord", "test", env=secret_service)
    assert off.returncode == 1 and "No Discord webhook is set" in off.stderr
    assert len(receiver.requests) == 1


def test_going_live_and_ending_post_both_embeds_with_the_recorded_totals(
        receiver: Receiver, make_gs_sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: go live → Discord hears it; record; stop → the end embed carries the row's totals."""
    from streamdesk.core import channel_ops as ops
    from streamdesk.core import live
    from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

    t0 = 1_767_225_600.0
    sim = make_gs_sim(clock=lambda: t0, seed=3)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url)
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    result = ops.go_live(ctx, sleep=lambda s: None)
    assert result.notices == ()
    assert len(receiver.requests) == 1 and "Live now" in assert_discord_message(receiver.bodies[0])["title"]

    with live.LiveRecorder(ctx, result.session.id, clock=sim.now, interval=3) as rec:
        for _ in range(100):
            sim.advance(3)
            rec.poll_once()
    notices: list[str] = []
    row = ops.stop_live(ctx, notices=notices)
    assert notices == [] and row is not None and row.total_chat > 0
    embed = assert_discord_message(receiver.bodies[1])
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {"Duration": "5:00", "Peak viewers": str(row.peak_viewers),
                      "Chat messages": str(row.total_chat)}
    # the after-show summary knows both posts went out
    stored = ctx.store.get_session(row.id)
    assert stored is not None and (stored.discord_live, stored.discord_ended) == ("sent", "sent")


def test_a_dead_discord_gives_the_flow_a_notice_instead_of_an_error(
        make_gs_sim, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamdesk.core import channel_ops as ops
    from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

    sim = make_gs_sim()
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, f"http://127.0.0.1:{free_port()}/api/webhooks/1/{TOKEN}")
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    monkeypatch.setattr(discord.time, "sleep", lambda s: None)  # the stdlib's sleep, not our code
    result = ops.go_live(ctx, sleep=lambda s: None)
    assert result.session.is_open  # live anyway
    assert len(result.notices) == 1 and "Discord notification was not sent" in result.notices[0]
    assert "could not be reached" in result.notices[0] and "after 4 attempts" in result.notices[0]
    assert TOKEN not in result.notices[0]
    stored = ctx.store.get_session(result.session.id)
    assert stored is not None and stored.discord_live == "failed"
