"""The simulator authenticates like GetStream (docs/getstream.md "Authentication"): api_key,
stream-auth-type, HS256 server JWT."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.plugins.getstream_sim import SIM_API_SECRET, SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"


def _token(claims: dict, secret: str = SIM_API_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


@pytest.mark.parametrize("claims", [{}, {"server": True}], ids=["sdk-empty-claims", "docs-server-true"])
def test_both_forms_of_server_token_are_accepted(gs_http: SimHttp, claims: dict) -> None:
    assert create_call(gs_http).status_code == 201
    assert gs_http.get(CALL, token=_token(claims)).status_code == 200


def test_registered_claims_within_their_window_are_accepted(gs_http: SimHttp) -> None:
    now = int(time.time())
    create_call(gs_http)
    token = _token({"iat": now - 5, "nbf": now - 5, "exp": now + 3600})
    assert gs_http.get(CALL, token=token).status_code == 200


@pytest.mark.parametrize(
    ("api_key", "message"),
    [("", "api_key or app_id not provided"), ("someone-elses-key", "api_key not valid")],
)
def test_api_key_is_required_and_checked(gs_http: SimHttp, api_key: str, message: str) -> None:
    r = gs_http.get(CALL, api_key=api_key)
    assert r.status_code == 401
    assert r.json()["code"] == 2
    assert r.json()["message"] == f'GetCall failed with error: "{message}"'


@pytest.mark.parametrize(
    ("claims", "code", "words"),
    [
        ({"exp": -3600}, 40, "token has expired"),
        ({"nbf": 3600}, 41, "not valid yet"),
        ({"iat": 3600}, 42, "issue"),
    ],
)
def test_time_claims_are_enforced_with_stream_codes(gs_http: SimHttp, claims: dict, code: int,
                                                    words: str) -> None:
    now = int(time.time())
    r = gs_http.get(CALL, token=_token({k: now + v for k, v in claims.items()}))
    assert (r.status_code, r.json()["code"]) == (401, code)
    assert words in r.json()["message"]


def test_a_token_signed_with_another_secret_is_code_43(gs_http: SimHttp) -> None:
    r = gs_http.get(CALL, token=_token({}, secret="not-the-secret-" * 3))
    assert (r.status_code, r.json()["code"]) == (401, 43)
    assert "signature is not valid" in r.json()["message"]
    assert SIM_API_SECRET not in r.text


@pytest.mark.parametrize(
    ("token", "headers", "status", "code"),
    [
        (None, {"stream-auth-type": None}, 401, 5),  # header missing
        (None, {"stream-auth-type": "anonymous"}, 403, 17),
        ("", {}, 401, 5),  # no JWT at all
        ("not.a.jwt", {}, 401, 5),
        ("bearer", {}, 401, 5),  # "Bearer <jwt>": GetStream wants the bare token
        ("hs512", {}, 401, 5),
    ],
)
def test_malformed_auth_is_refused(gs_http: SimHttp, token: str | None, headers: dict, status: int,
                                   code: int) -> None:
    if token == "bearer":
        token = "Bearer " + _token({})
    elif token == "hs512":
        token = _token({}, secret="x" * 64, algorithm="HS512")  # refused for its algorithm, not signature
    r = gs_http.get(CALL, token=token, headers=headers)
    assert (r.status_code, r.json()["code"]) == (status, code)


def test_a_user_token_cannot_act_as_the_server(gs_http: SimHttp) -> None:
    # e.g. the stream key (the broadcaster's user JWT) pasted where the API secret's token belongs
    r = gs_http.get(CALL, token=gs_http.sim.user_token("host-1"))
    assert (r.status_code, r.json()["code"]) == (403, 17)


def test_token_times_follow_the_injected_clock_not_the_simulated_one(make_gs_sim) -> None:
    now = [1_800_000_000.0]
    sim = make_gs_sim(clock=lambda: now[0])
    http = SimHttp(sim)
    try:
        token = _token({"iat": int(now[0]), "exp": int(now[0]) + 60})
        assert create_call(http).status_code == 201
        sim.advance(3600)  # simulated time (the audience) moves; tokens are still judged by the base clock
        assert http.get(CALL, token=token).status_code == 200
        now[0] += 61
        r = http.get(CALL, token=token)
        assert (r.status_code, r.json()["code"]) == (401, 40)
    finally:
        http.close()


def test_every_response_carries_rate_limit_headers(gs_http: SimHttp) -> None:
    for r in (create_call(gs_http), gs_http.get(CALL), gs_http.get(CALL, api_key="wrong"),
              gs_http.get("/api/v2/video/call/livestream/missing")):
        assert int(r.headers["X-RateLimit-Limit"]) > 0
        assert 0 <= int(r.headers["X-RateLimit-Remaining"]) < int(r.headers["X-RateLimit-Limit"])
        assert int(r.headers["X-RateLimit-Reset"]) > time.time() - 1  # Unix seconds of the window's end


def test_exceeding_the_per_minute_limit_answers_429_code_9(make_gs_sim) -> None:
    sim = make_gs_sim(rate_limit_per_minute=3, clock=lambda: 1_800_000_000.0)  # one window throughout
    http = SimHttp(sim)
    try:
        statuses = [http.get(CALL).status_code for _ in range(4)]
        r = http.get(CALL)
    finally:
        http.close()
    assert statuses == [404, 404, 404, 429]
    assert r.json()["code"] == 9 and r.headers["X-RateLimit-Remaining"] == "0"


def test_the_secret_never_shows_in_repr(gs_sim) -> None:
    assert SIM_API_SECRET not in repr(gs_sim)
    assert gs_sim.api_secret == SIM_API_SECRET
