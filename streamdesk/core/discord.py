"""Optional Discord notifications: a go-live embed and an end-of-stream embed, sent to a webhook.

The webhook URL is a secret (anyone holding it can post to the channel): it lives only in the
keyring (``SecretKind.DISCORD_WEBHOOK``) and never appears in a log line, an error or a notice.

A notification must never block or break the go-live flow, so nothing here raises: delivery is
retried with backoff (honouring Discord's ``retry_after`` on 429), and if it still fails the caller
gets a one-sentence notice to show. Every message sets ``allowed_mentions: {"parse": []}``, so a
title containing ``@everyone`` cannot ping a whole server.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.stats import fmt_duration
from streamdesk.core.store import Session

if TYPE_CHECKING:
    from streamdesk.core.context import AppContext

log = logging.getLogger("streamdesk.discord")

Kind = Literal["live", "ended"]

#: settings (in the store, not secret): what the embeds say
TITLE_SETTING = "discord_title"  # e.g. "Friday speedrun"; default names the call
LINK_SETTING = "discord_link"  # e.g. the page where viewers watch; optional

COLOR_LIVE = 0xE53935  # red "LIVE" dot
COLOR_ENDED = 0x757575  # grey
COLOR_TEST = 0x5865F2  # Discord blurple
USERNAME = "streamdesk"

# Discord's documented limits (embed title 256, description 4096, field value 1024, content 2000).
_TITLE_MAX, _FIELD_MAX, _CONTENT_MAX = 256, 1024, 2000

_DISCORD_HOSTS = {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}  # a local receiver, for trying things out and tests
_WEBHOOK_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/\d+/[A-Za-z0-9_.-]+/?$")
_WEBHOOK_IN_TEXT = re.compile(r"https?://[^\s\"']*/webhooks/[^\s\"']*")


class InvalidWebhook(InvalidInput):
    """The text given as a webhook URL is not one."""


def validate_webhook_url(url: str) -> str:
    """The URL stripped, or ``InvalidWebhook`` saying what to check. The message never echoes the URL."""
    url = url.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK_HOSTS and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https" or host not in _DISCORD_HOSTS:
        raise InvalidWebhook(
            "That is not a Discord webhook URL.",
            hint="Copy it from Discord: Server Settings → Integrations → Webhooks → Copy Webhook URL "
            "(it starts with https://discord.com/api/webhooks/).",
        )
    if not _WEBHOOK_PATH.match(parts.path):
        raise InvalidWebhook(
            "That Discord URL is not a webhook URL (it needs /api/webhooks/<id>/<token>).",
            hint="Copy the whole URL with Discord's 'Copy Webhook URL' button.",
        )
    return url


# -- payloads ---------------------------------------------------------------------------------------
def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(name: str, value: object, inline: bool = True) -> dict[str, Any]:
    return {"name": name, "value": _clip(str(value), _FIELD_MAX), "inline": inline}


def _message(embed: dict[str, Any], content: str = "") -> dict[str, Any]:
    return {
        "username": USERNAME,
        "content": _clip(content, _CONTENT_MAX),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},  # never ping @everyone/@here/roles/users
    }


def live_payload(session: Session, *, title: str, link: str | None = None) -> dict[str, Any]:
    """The go-live message: the stream's title, when it started (Discord renders the timestamp in
    each reader's own time zone), and the link if configured."""
    embed: dict[str, Any] = {
        "title": _clip(f"🔴 Live now: {title}", _TITLE_MAX),
        "description": "The stream has started." + (f"\nWatch: {link}" if link else ""),
        "color": COLOR_LIVE,
        "timestamp": _iso(session.started_at),
        "fields": [_field("Started", f"<t:{int(session.started_at)}:t>")],
        "footer": {"text": session.call_cid},
    }
    if link:
        embed["url"] = link
    return _message(embed, content=f"{title} is live")


def ended_payload(session: Session, *, title: str, link: str | None = None) -> dict[str, Any]:
    """The end-of-stream message: duration, peak viewers and chat total from the session row."""
    ended_at = session.ended_at if session.ended_at is not None else time.time()
    embed: dict[str, Any] = {
        "title": _clip(f"Stream ended: {title}", _TITLE_MAX),
        "color": COLOR_ENDED,
        "timestamp": _iso(ended_at),
        "fields": [
            _field("Duration", fmt_duration(ended_at - session.started_at)),
            _field("Peak viewers", session.peak_viewers),
            _field("Chat messages", session.total_chat),
        ],
        "footer": {"text": session.call_cid},
    }
    if link:
        embed["url"] = link
    return _message(embed, content=f"{title} has ended")


def test_payload(now: float) -> dict[str, Any]:
    return _message(
        {"title": "streamdesk test message", "description": "Discord notifications are set up. "
         "@everyone and @here stay silent: streamdesk never pings.", "color": COLOR_TEST,
         "timestamp": _iso(now)},
        content="Test message from streamdesk (mentions suppressed: @everyone stays silent)",
    )


# -- delivery ---------------------------------------------------------------------------------------
def send(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 4,
    backoff_s: float = 1.0,
    budget_s: float = 15.0,
    timeout: float = 5.0,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    transport: httpx.BaseTransport | None = None,
) -> str | None:
    """POST ``payload`` to the webhook. ``None`` on success, else a notice sentence (never raises).

    Retries network errors, 5xx and 429 (waiting Discord's ``retry_after``) with exponential
    backoff; other 4xx mean the webhook is wrong or gone, so retrying cannot help. Everything,
    requests and waits, fits in ``budget_s``: go-live and end call this on their way, and a dead
    Discord must cost them seconds, not minutes."""
    sleep = sleep if sleep is not None else time.sleep  # looked up per call: tests may swap it
    problem = "it could not be reached"
    start, waited = monotonic(), 0.0
    tries = 0
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as http:
            for attempt in range(attempts):
                tries = attempt + 1
                wait = backoff_s * (2**attempt)
                try:
                    r = http.post(url, json=payload)
                except httpx.HTTPError as e:
                    problem = f"it could not be reached ({type(e).__name__})"
                else:
                    if r.status_code < 300:
                        return None
                    if r.status_code == 429:
                        problem = "Discord kept rate-limiting it"
                        wait = max(wait, _retry_after(r))
                    elif r.status_code >= 500:
                        problem = f"Discord answered HTTP {r.status_code}"
                    else:
                        return _notice(f"Discord refused it (HTTP {r.status_code})",
                                       "check the webhook with `streamdesk discord test`; it may have been "
                                       "deleted (set a new one with `streamdesk discord set --url-stdin`)")
                if attempt + 1 >= attempts:
                    break
                # ``waited`` counts the sleeps we asked for, so the budget holds with a fake sleep too
                if (monotonic() - start) + waited + wait + timeout > budget_s:
                    log.info("discord: attempt %d failed (%s); out of time to retry", attempt + 1, problem)
                    break
                log.info("discord: attempt %d failed (%s); retrying in %.1fs", attempt + 1, problem, wait)
                sleep(wait)
                waited += wait
    except Exception as e:  # never let a notification break the show (and never echo the URL)
        log.warning("discord: unexpected %s while sending", type(e).__name__)
        return _notice(f"an unexpected {type(e).__name__} happened", "the details are in the log")
    return _notice(f"{problem} after {tries} attempt{'s' if tries != 1 else ''}",
                   "check the network and the webhook with `streamdesk discord test`")


def _retry_after(r: httpx.Response) -> float:
    try:
        return float(r.json().get("retry_after", 0))
    except Exception:
        try:
            return float(r.headers.get("retry-after", 0))
        except ValueError:
            return 0.0


def _notice(what: str, check: str) -> str:
    return f"The Discord notification was not sent: {what}; {check}."


# -- the app-level entry points ---------------------------------------------------------------------
def webhook_url(ctx: AppContext) -> str | None:
    """The configured webhook, or ``None`` when Discord notifications are off."""
    from streamdesk.core.secrets import SecretKind

    return ctx.secrets.get(SecretKind.DISCORD_WEBHOOK, "") or None


def _title(ctx: AppContext, session: Session) -> str:
    title = str(ctx.store.get_setting(TITLE_SETTING, "") or "").strip()
    return title or f"{session.call_cid.partition(':')[2] or session.call_cid}"


def announce(ctx: AppContext, kind: Kind, session: Session, **send_options: Any) -> str | None:
    """Tell Discord the stream went live (``"live"``) or ended (``"ended"``), if a webhook is set.

    Returns ``None`` when sent or not configured, else a notice for the streamer. Never raises:
    a broken keyring or network must not stop the go-live or end flow."""
    try:
        url = webhook_url(ctx)
        if url is None:
            return None
        title = _title(ctx, session)
        link = str(ctx.store.get_setting(LINK_SETTING, "") or "").strip() or None
        build = live_payload if kind == "live" else ended_payload
        notice = send(url, build(session, title=title, link=link), **send_options)
        _remember(ctx, kind, session, notice)
        return notice
    except StreamdeskError as e:
        _remember(ctx, kind, session, "failed")
        return f"The Discord notification was not sent: {e.one_line()}"
    except Exception as e:
        log.warning("discord: unexpected %s preparing the %s notification", type(e).__name__, kind)
        return f"The Discord notification was not sent because of an unexpected {type(e).__name__}."


def _remember(ctx: AppContext, kind: Kind, session: Session, notice: str | None) -> None:
    """Note on the session row whether the post went out, for the after-show summary."""
    try:
        ctx.store.set_discord_status(session.id, kind, "sent" if notice is None else "failed")
    except Exception as e:  # the summary losing this fact must not break the go-live/end flow
        log.info("discord: could not record the %s post's status: %s", kind, type(e).__name__)


def send_test(ctx: AppContext, **send_options: Any) -> str | None:
    """Send a test message (mentions suppressed). ``None`` when delivered, else a notice."""
    try:
        url = webhook_url(ctx)
    except StreamdeskError as e:
        return f"The Discord test was not sent: {e.one_line()}"
    if url is None:
        return "No Discord webhook is set; add one with `streamdesk discord set --url-stdin`."
    return send(url, test_payload(time.time()), **send_options)


class _HideWebhookUrls(logging.Filter):
    """httpx logs every request's URL at INFO; for a webhook that URL is the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _WEBHOOK_IN_TEXT.sub("<discord webhook>", str(a)) if isinstance(a, str | httpx.URL) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _WEBHOOK_IN_TEXT.sub("<discord webhook>", record.msg)
        return True


if not any(isinstance(f, _HideWebhookUrls) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_HideWebhookUrls())
