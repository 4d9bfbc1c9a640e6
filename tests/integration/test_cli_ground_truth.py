"""Issue 12 through the real CLI against the simulator: provisioning touches only the broadcaster
user, the call and its channel; the call type changes only on opt-in (diff first, merge, undo);
call ids over 64 characters are refused before any request; golive refuses without ingest."""

from __future__ import annotations

import json

import pytest

from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET, SimHttp
from tests.plugins.openapi import validate_request
from tests.plugins.processes import cli

pytestmark = pytest.mark.secretservice

HOST_GRANTS = ["join-call", "send-audio", "send-video", "end-call", "read-call", "update-call"]
RTMP = f"rtmps://ingress.stream-io-video.com:443/{SIM_API_KEY}.livestream.show-1"


@pytest.fixture
def env(secret_service: dict[str, str]) -> dict[str, str]:
    return dict(secret_service)


def setup(env: dict[str, str], url: str, call_id: str = "show-1", ok: bool = True):
    return cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "host-1", "--call-id", call_id,
               "--api-base", url, "--secret-stdin", input=SIM_API_SECRET + "\n", ok=ok)


def all_requests_validate(gs_sim) -> None:
    for r in gs_sim.received:
        validate_request(r.method, r.path, r.query, r.body)


def test_provision_leaves_the_existing_profile_and_host_grants_intact(env, gs_sim) -> None:
    http = SimHttp(gs_sim)
    try:
        # what the customer's app had before streamdesk came: a profile and a host grant list
        http.post("/api/v2/users", {"users": {"host-1": {"id": "host-1", "name": "Ada", "role": "admin",
                                                         "custom": {"team": "blue"},
                                                         "image": "https://x.test/a.png"}}})
        http.request("PUT", "/api/v2/video/calltypes/livestream", {"grants": {"host": HOST_GRANTS}})
        gs_sim.clear_received()
        setup(env, gs_sim.url)
        out = cli(env, "provision", "--join-ahead", "90")
        # hosts may not join backstage: said plainly, and the merge offered
        assert "GetStream will refuse the OBS stream in backstage until hosts may join it" in out.stdout
        assert "--call-type-settings" in out.stdout
        user = http.get("/api/v2/users", params={"payload": json.dumps(
            {"filter_conditions": {"id": {"$eq": "host-1"}}})}).json()["users"][0]
        assert (user["name"], user["role"], user["custom"].get("team")) == ("Ada", "admin", "blue")
        assert http.get("/api/v2/video/calltypes/livestream").json()["grants"]["host"] == HOST_GRANTS
        assert not gs_sim.requests("UpdateCallType") and not gs_sim.requests("UpdateUsers")
        # join-ahead went on the call, not on the call type
        call = http.get("/api/v2/video/call/livestream/show-1").json()["call"]
        assert call["settings"]["backstage"]["join_ahead_time_seconds"] == 90
        ct = http.get("/api/v2/video/calltypes/livestream").json()
        assert ct["settings"]["backstage"]["join_ahead_time_seconds"] == 0

        # a display name changes only the name, through a partial update
        cli(env, "provision", "--display-name", "Ada L.")
        user = gs_sim.app.users["host-1"]
        assert (user.name, user.role, user.custom.get("team")) == ("Ada L.", "admin", "blue")
        assert [r.body for r in gs_sim.requests("UpdateUsersPartial")] == [
            {"users": [{"id": "host-1", "set": {"name": "Ada L."}}]}]

        # the opt-in: a dry run shows the diff and changes nothing ...
        out = cli(env, "provision", "--call-type-settings")
        assert "grants.host" in out.stdout and "join-backstage" in out.stdout and "Dry run" in out.stdout
        assert not gs_sim.requests("UpdateCallType")
        # ... --yes merges (never removes) and keeps a backup ...
        out = cli(env, "provision", "--call-type-settings", "--yes")
        assert "Applied" in out.stdout
        assert http.get("/api/v2/video/calltypes/livestream").json()["grants"]["host"] == [
            *HOST_GRANTS, "join-backstage"]
        assert "GetStream will refuse" not in out.stdout
        # someone adds a grant meanwhile; undo takes back only what streamdesk added
        grants = [*HOST_GRANTS, "join-backstage", "screenshare"]
        http.request("PUT", "/api/v2/video/calltypes/livestream", {"grants": {"host": grants}})
        out = cli(env, "provision", "--undo-call-type-settings", "--yes")
        assert "Undone" in out.stdout
        assert http.get("/api/v2/video/calltypes/livestream").json()["grants"]["host"] == [
            *HOST_GRANTS, "screenshare"]
        all_requests_validate(gs_sim)
    finally:
        http.close()


def test_a_65_character_call_id_is_refused_before_any_request(env, gs_sim) -> None:
    out = setup(env, gs_sim.url, call_id="c" * 65, ok=False)
    assert out.returncode == 2 and "at most 64" in out.stderr
    assert setup(env, gs_sim.url, call_id="c" * 64).returncode == 0
    # a default id derived from a long user id stays within 64
    out = cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "u" * 100, "--api-base", gs_sim.url,
              "--secret-stdin", input=SIM_API_SECRET + "\n")
    cid = json.loads(cli(env, "status", "--json", "--offline").stdout)["call_cid"]
    assert len(cid.split(":", 1)[1]) <= 64
    assert gs_sim.received == []


def test_golive_refuses_without_ingest_and_confirms_from_golive_itself(env, gs_sim) -> None:
    setup(env, gs_sim.url)
    cli(env, "provision")
    assert json.loads(cli(env, "status", "--json").stdout)["ingest"] is False
    gs_sim.clear_received()
    out = cli(env, "golive", ok=False)
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1
    assert "GetStream does not receive your stream" in out.stderr
    assert not gs_sim.requests("GoLive")
    key = cli(env, "key", "--reveal").stdout.strip()
    assert gs_sim.rtmp_publish(RTMP, "not-the-key") is None  # a wrong key never reaches the call
    assert gs_sim.rtmp_publish(RTMP, key) == "livestream:show-1"
    gs_sim.clear_received()
    out = cli(env, "golive")
    assert "LIVE" in out.stdout
    # GoLive's answer said backstage false: no GetCall poll after it
    ops = [r.operation for r in gs_sim.received]
    assert ops[ops.index("GoLive") + 1:] == []
    gs_sim.rtmp_unpublish()
    assert json.loads(cli(env, "status", "--json").stdout)["ingest"] is False
    all_requests_validate(gs_sim)
