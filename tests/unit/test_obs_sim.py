"""The OBS simulator driven by the real obsws-python client: auth, requests, stream lifecycle, events."""

from __future__ import annotations

import logging

import obsws_python as obsws
import pytest
from obsws_python.error import OBSSDKError, OBSSDKRequestError

from streamdesk.sim.obs_profile import ObsProfile
from streamdesk.sim.obs_protocol import OutputState
from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.obs_sim import ObsEventLog
from tests.plugins.processes import wait_until

STARTING, STARTED = OutputState.STARTING, OutputState.STARTED
STOPPING, STOPPED = OutputState.STOPPING, OutputState.STOPPED


@pytest.fixture
def events(obs_sim: ObsSimulator, obsws_events) -> ObsEventLog:
    return obsws_events(obs_sim)


@pytest.fixture
def client(obs_sim: ObsSimulator, obsws_client) -> obsws.ReqClient:
    return obsws_client(obs_sim)


# ---------------------------------------------------------------- handshake
def test_identifies_with_the_sha256_challenge_and_reports_obs_29(client: obsws.ReqClient) -> None:
    version = client.get_version()
    assert version.obs_version == "29.0.2"
    assert (version.obs_web_socket_version, version.rpc_version) == ("5.1.0", 1)
    assert "SetStreamServiceSettings" in version.available_requests
    assert "GetStreamStatus" in version.available_requests


def test_wrong_password_is_refused(obs_sim: ObsSimulator, obsws_client) -> None:
    with pytest.raises(OBSSDKError, match="failed to identify"):
        obsws_client(obs_sim, password="not-the-password")
    assert not [c for c in obs_sim.connections if c.identified]


def test_without_a_password_no_challenge_is_sent(make_obs_sim, obsws_client) -> None:
    c = obsws_client(make_obs_sim(password=None))
    assert "authentication" not in c.base_client.server_hello["d"]
    assert c.get_version().rpc_version == 1


def test_repr_never_shows_the_password(obs_sim: ObsSimulator) -> None:
    assert obs_sim.password not in repr(obs_sim)


# ---------------------------------------------------------------- stream service and profile
def test_stream_service_round_trips_and_merges_like_obs(obs_sim: ObsSimulator,
                                                        client: obsws.ReqClient) -> None:
    assert client.get_stream_service_settings().stream_service_type == "rtmp_common"
    client.set_stream_service_settings("rtmp_custom", {"server": "rtmps://ingest.example/live", "key": "K1",
                                                       "use_auth": False})
    # Same type again: OBS merges over what it had, so use_auth stays.
    client.set_stream_service_settings("rtmp_custom", {"server": "rtmps://other.example/live", "key": "K2"})
    got = client.get_stream_service_settings()
    assert got.stream_service_type == "rtmp_custom"
    assert got.stream_service_settings == {"server": "rtmps://other.example/live", "key": "K2",
                                           "use_auth": False}
    assert obs_sim.stream_service == {"streamServiceType": "rtmp_custom",
                                      "streamServiceSettings": got.stream_service_settings}
    # A different type replaces the settings wholesale (restoring a user's old service).
    client.set_stream_service_settings("rtmp_common", {"service": "Twitch", "server": "auto", "key": "old"})
    assert obs_sim.stream_service["streamServiceSettings"] == {"service": "Twitch", "server": "auto",
                                                               "key": "old"}


def test_unknown_service_type_fails_like_obs(client: obsws.ReqClient) -> None:
    with pytest.raises(OBSSDKRequestError) as err:
        client.set_stream_service_settings("no_such_service", {})
    assert err.value.code == 700


def test_profile_parameters_have_obs29_defaults_and_revert_on_null(obs_sim: ObsSimulator,
                                                                   client: obsws.ReqClient) -> None:
    got = client.get_profile_parameter("SimpleOutput", "VBitrate")
    assert (got.parameter_value, got.default_parameter_value) == ("2500", "2500")
    client.set_profile_parameter("SimpleOutput", "VBitrate", "4500")
    got = client.get_profile_parameter("SimpleOutput", "VBitrate")
    assert (got.parameter_value, got.default_parameter_value) == ("4500", "2500")
    assert obs_sim.profile.user_value("SimpleOutput", "VBitrate") == "4500"
    client.set_profile_parameter("SimpleOutput", "VBitrate", None)  # null deletes: the default shows again
    assert client.get_profile_parameter("SimpleOutput", "VBitrate").parameter_value == "2500"
    with pytest.raises(OBSSDKRequestError) as err:
        client.set_profile_parameter("SimpleOutput", "VBitrate", None)  # nothing left to delete
    assert err.value.code == 600
    unknown = client.get_profile_parameter("SimpleOutput", "x264Settings")
    assert (unknown.parameter_value, unknown.default_parameter_value) == (None, None)


def test_profile_parameter_values_must_be_strings(client: obsws.ReqClient) -> None:
    with pytest.raises(OBSSDKRequestError) as err:
        client.send("SetProfileParameter", {"parameterCategory": "SimpleOutput", "parameterName": "VBitrate",
                                            "parameterValue": 4500})
    assert err.value.code == 401


def test_hardware_encoder_shows_in_the_encoder_defaults(make_obs_sim, obsws_client) -> None:
    sim = make_obs_sim(profile=ObsProfile(hardware_encoder="nvenc"))
    c = obsws_client(sim)
    assert c.get_profile_parameter("SimpleOutput", "StreamEncoder").default_parameter_value == "nvenc"
    assert c.get_profile_parameter("AdvOut", "Encoder").default_parameter_value == "jim_nvenc"


def test_video_settings_come_from_the_profile(make_obs_sim, obsws_client) -> None:
    sim = make_obs_sim(profile=ObsProfile(canvas=(1920, 1080), output=(1280, 720), fps="59.94"))
    c = obsws_client(sim)
    video = c.get_video_settings()
    assert (video.base_width, video.base_height) == (1920, 1080)
    assert (video.output_width, video.output_height) == (1280, 720)
    assert (video.fps_numerator, video.fps_denominator) == (60000, 1001)


def test_unknown_request_and_missing_fields_get_obs_codes(client: obsws.ReqClient) -> None:
    with pytest.raises(OBSSDKRequestError) as err:
        client.send("NoSuchRequest")
    assert err.value.code == 204
    with pytest.raises(OBSSDKRequestError) as err:
        client.send("GetProfileParameter", {"parameterCategory": "Output"})
    assert err.value.code == 300


# ---------------------------------------------------------------- stream lifecycle
def test_start_returns_at_once_then_starting_started(obs_sim: ObsSimulator, client: obsws.ReqClient,
                                                     events: ObsEventLog) -> None:
    client.start_stream()
    assert not client.get_stream_status().output_active  # StartStream does not mean connected
    events.wait_for(STARTED)
    assert events.states == [STARTING, STARTED]
    assert events.active == [False, True]
    status = client.get_stream_status()
    assert status.output_active and not status.output_reconnecting
    wait_until(lambda: client.get_stream_status().output_bytes > status.output_bytes, what="bytes to flow")

    client.stop_stream()
    events.wait_for(STOPPED)
    assert events.states == [STARTING, STARTED, STOPPING, STOPPED]
    assert not obs_sim.streaming
    assert client.get_stream_status().output_bytes == 0


def test_start_that_cannot_reach_the_ingest_ends_stopped(obs_sim: ObsSimulator, client: obsws.ReqClient,
                                                         events: ObsEventLog) -> None:
    obs_sim.ingest_reachable = False
    client.start_stream()
    events.wait_for(STOPPED)
    assert events.states == [STARTING, STOPPED]
    assert not client.get_stream_status().output_active


def test_output_state_rules(obs_sim: ObsSimulator, client: obsws.ReqClient, events: ObsEventLog) -> None:
    with pytest.raises(OBSSDKRequestError) as err:
        client.stop_stream()
    assert err.value.code == 501
    client.start_stream()
    events.wait_for(STARTED)
    with pytest.raises(OBSSDKRequestError) as err:
        client.start_stream()
    assert err.value.code == 500
    with pytest.raises(OBSSDKRequestError) as err:
        client.set_stream_service_settings("rtmp_custom", {"server": "rtmp://x/live", "key": "k"})
    assert err.value.code == 500
    assert "while streaming" in str(err.value)
    assert obs_sim.stream_service["streamServiceType"] == "rtmp_common"  # nothing changed


def test_toggle_stream(obs_sim: ObsSimulator, client: obsws.ReqClient, events: ObsEventLog) -> None:
    assert client.toggle_stream().output_active is True
    events.wait_for(STARTED)
    assert client.toggle_stream().output_active is False
    events.wait_for(STOPPED)


def test_events_follow_the_subscription(obs_sim: ObsSimulator, client: obsws.ReqClient,
                                        obsws_events) -> None:
    general_only = obsws_events(obs_sim, subs=obsws.Subs.GENERAL)
    outputs = obsws_events(obs_sim, subs=obsws.Subs.OUTPUTS)
    client.start_stream()
    outputs.wait_for(STARTED)
    assert general_only.states == []
    assert sorted(c.event_subscriptions for c in obs_sim.connections) == [0, 1, 64]


# ---------------------------------------------------------------- lifecycle and hygiene
def test_a_taken_port_fails_start_with_oserror(obs_sim: ObsSimulator) -> None:
    with pytest.raises(OSError):
        ObsSimulator("pw", port=obs_sim.port).start()


def test_context_manager_and_repeated_stop(obsws_client) -> None:
    with ObsSimulator("pw") as sim:
        assert obsws_client(sim).get_version().rpc_version == 1
    sim.stop()  # already stopped: nothing happens


def test_neither_password_nor_stream_key_reaches_a_log_record(obs_sim: ObsSimulator, obsws_client,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # before connecting: websockets decides per connection
    client = obsws_client(obs_sim)
    key = "sk_live_do-not-log-me-1234"
    client.set_stream_service_settings("rtmp_custom", {"server": "rtmp://127.0.0.1/live", "key": key})
    assert obs_sim.stream_service["streamServiceSettings"]["key"] == key
    assert [r for r in caplog.records if r.name.startswith("streamdesk.sim")]  # it did log, at DEBUG
    ours = [r for r in caplog.records if r.name.startswith(("streamdesk", "websockets"))]
    text = "\n".join(r.getMessage() for r in ours)
    # websockets would dump frames (truncated today, but a key can sit early in one): never at DEBUG.
    assert not [r for r in ours if r.name == "streamdesk.sim.obs.ws" and r.levelno < logging.INFO]
    assert key not in text
    assert obs_sim.password not in text
    assert key not in repr(obs_sim.received)
