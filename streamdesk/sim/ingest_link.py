"""Wire the OBS simulator's stream output to the GetStream simulator's RTMP ingest.

Real OBS publishes over RTMP to GetStream's ingress; the two simulators talk no RTMP, so this link
stands in for it: when the OBS simulator's output connects (or reconnects) with a server and key,
the GetStream simulator is told, and the key's user joins the call only if the server is that
call's ingress and the key is valid (``GetStreamSimulator.rtmp_publish``); when the output stops
or starts reconnecting, the publisher leaves. Streaming anywhere else (another service, no
server at all) still "works" in OBS but never reaches the call, as with real OBS.

Entry points and test harnesses call ``link``; neither simulator imports the other.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("streamdesk.sim.ingest")

_CONNECTED = ("OBS_WEBSOCKET_OUTPUT_STARTED", "OBS_WEBSOCKET_OUTPUT_RECONNECTED")
_GONE = ("OBS_WEBSOCKET_OUTPUT_STOPPED", "OBS_WEBSOCKET_OUTPUT_STOPPING", "OBS_WEBSOCKET_OUTPUT_RECONNECTING")


def link(obs: Any, gs: Any) -> None:
    """From now on, ``obs``'s stream reaches ``gs`` when its server and key are the call's."""

    def on_stream(state: str, settings: dict[str, Any]) -> None:
        if state in _CONNECTED:
            server, key = str(settings.get("server") or ""), str(settings.get("key") or "")
            cid = gs.rtmp_publish(server, key)
            log.info("OBS stream %s GetStream%s", "reaches" if cid else "does not reach",
                     f" call {cid}" if cid else "")
        elif state in _GONE:
            gs.rtmp_unpublish()

    obs.stream_listener = on_stream
