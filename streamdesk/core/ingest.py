"""Where OBS's stream goes, compared with where this call receives it (no Qt, no I/O).

Two separate facts, never merged: what OBS is set to (its server and key, read from OBS) and
whether GetStream receives the stream (the broadcaster among the call's participants, read from
GetStream: ``channel_ops.ingest_seen``). This module words the first one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def _where(service_type: str, settings: dict[str, Any]) -> str:
    """A streamer's name for OBS's destination: the host, or the service for a built-in one."""
    server = str(settings.get("server") or "").strip()
    service = str(settings.get("service") or "").strip()
    if service_type == "rtmp_common" and service and (not server or server == "auto"):
        return service
    if not server:
        return ""
    return urlsplit(server).hostname or server


def target_mismatch(service_type: str, settings: dict[str, Any], rtmps_url: str, stream_key: str | None,
                    *, streaming: bool) -> str | None:
    """None when OBS's server and key are this call's; otherwise one sentence naming the mismatch,
    e.g. "OBS streams to live.twitch.tv, not to this call." (Never shows a key.)"""
    server = str(settings.get("server") or "").strip()
    verb = "streams" if streaming else "is set to stream"
    if server.rstrip("/") != rtmps_url.rstrip("/"):
        where = _where(service_type, settings)
        if not where:
            return f"OBS {verb} with no server set, so it does not reach this call."
        return f"OBS {verb} to {where}, not to this call."
    if not stream_key or settings.get("key") != stream_key:
        return f"OBS {verb} to this call's server with another stream key: press Configure OBS."
    return None
