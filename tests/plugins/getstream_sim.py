"""pytest fixtures: the GetStream simulator on a random loopback port.

``gs_sim`` is a started ``GetStreamSimulator`` (API key ``test-key``, a fresh secret, seed 1),
stopped after the test. ``make_gs_sim(**kwargs)`` builds more (any constructor keyword: ``seed``,
``audience``, ``rtmp_address``, ``clock``, ``time_scale``, …), all stopped after the test.
``gs_env`` is the environment a CLI subprocess needs to talk to ``gs_sim``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from streamdesk.sim.getstream_server import GetStreamSimulator

SIM_API_KEY = "test-key"
SIM_API_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def make_gs_sim() -> Iterator[Callable[..., GetStreamSimulator]]:
    started: list[GetStreamSimulator] = []

    def make(**kwargs: object) -> GetStreamSimulator:
        kwargs.setdefault("api_key", SIM_API_KEY)
        kwargs.setdefault("api_secret", SIM_API_SECRET)
        sim = GetStreamSimulator(**kwargs).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def gs_sim(make_gs_sim: Callable[..., GetStreamSimulator]) -> GetStreamSimulator:
    return make_gs_sim()


@pytest.fixture
def gs_env(gs_sim: GetStreamSimulator) -> dict[str, str]:
    """Environment for ``run_cli``: the simulator's base URL and its secret."""
    return {"STREAMDESK_API_BASE": gs_sim.url, "STREAMDESK_API_SECRET": gs_sim.api_secret}


class SimHttp:
    """Raw HTTP to a simulator, the way GetStream's SDKs call it, with every answer checked.

    Each JSON response is validated against the relaxed OpenAPI subset (``validate_response``), so
    any test that talks to the simulator through this also proves its shapes.
    """

    def __init__(self, sim: GetStreamSimulator) -> None:
        import httpx

        self.sim = sim
        self.http = httpx.Client(base_url=sim.url, timeout=10.0)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, json: object = None, *, token: str | None = None,
                api_key: str | None = None, params: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, validate: bool = True):
        from tests.plugins.openapi import validate_response

        query = {"api_key": self.sim.api_key if api_key is None else api_key, **(params or {})}
        if api_key == "":
            query.pop("api_key")
        sent = {"Authorization": self.sim.server_token() if token is None else token,
                "stream-auth-type": "jwt", **(headers or {})}
        sent = {k: v for k, v in sent.items() if v is not None}
        response = self.http.request(method, path, params=query, json=json, headers=sent)
        if validate and response.headers.get("content-type", "").startswith("application/json"):
            validate_response(path, method, response.status_code, response.json())
        return response

    def get(self, path: str, **kw: object):
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, json: object = None, **kw: object):
        return self.request("POST", path, json, **kw)  # type: ignore[arg-type]


@pytest.fixture
def gs_http(gs_sim: GetStreamSimulator) -> Iterator[SimHttp]:
    client = SimHttp(gs_sim)
    yield client
    client.close()


def create_call(http: SimHttp, call_id: str = "show-1", **data: object):
    """GetOrCreateCall for a livestream hosted by ``host-1`` (extra ``data`` fields merged in)."""
    body = {"data": {"created_by_id": "host-1", "members": [{"user_id": "host-1", "role": "host"}], **data}}
    return http.post(f"/api/v2/video/call/livestream/{call_id}", body)
