"""The simulator's OBS 29 profile model on its own: defaults, user values, video and bitrate derivation."""

from __future__ import annotations

import pytest

from streamdesk.sim.obs_output import OutputKnobs, StreamOutput, timecode
from streamdesk.sim.obs_profile import ObsProfile


def test_user_values_shadow_defaults_and_deleting_reveals_them() -> None:
    profile = ObsProfile("Show")
    assert profile.get("General", "Name") == "Show"
    assert profile.get("SimpleOutput", "VBitrate") == profile.default("SimpleOutput", "VBitrate") == "2500"
    profile.set("SimpleOutput", "VBitrate", "4500")
    assert profile.get("SimpleOutput", "VBitrate") == "4500"
    assert profile.default("SimpleOutput", "VBitrate") == "2500"
    assert profile.user_values()["SimpleOutput"] == {"VBitrate": "4500"}
    assert profile.delete("SimpleOutput", "VBitrate") is True
    assert profile.delete("SimpleOutput", "VBitrate") is False
    assert profile.get("SimpleOutput", "VBitrate") == "2500"
    assert profile.get("No", "Such") is None


@pytest.mark.parametrize(("video", "expected"), [
    ({"FPSType": "0", "FPSCommon": "60"}, (60, 1)),
    ({"FPSType": "0", "FPSCommon": "29.97"}, (30000, 1001)),
    ({"FPSType": "0", "FPSCommon": "50 PAL"}, (50, 1)),
    ({"FPSType": "1", "FPSInt": "48"}, (48, 1)),
    ({"FPSType": "2", "FPSNum": "120000", "FPSDen": "1001"}, (120000, 1001)),
])
def test_frame_rate_follows_the_fps_type(video: dict[str, str], expected: tuple[int, int]) -> None:
    settings = ObsProfile(values={"Video": video}).video_settings()
    assert (settings.fps_numerator, settings.fps_denominator) == expected


def test_canvas_and_output_sizes_are_the_defaults_like_a_monitor() -> None:
    profile = ObsProfile(canvas=(2560, 1440), output=(1920, 1080))
    assert profile.default("Video", "BaseCX") == "2560"
    assert profile.user_value("Video", "BaseCX") is None
    v = profile.video_settings()
    assert (v.base_width, v.base_height, v.output_width, v.output_height) == (2560, 1440, 1920, 1080)


def test_stream_bitrate_comes_from_the_output_mode() -> None:
    profile = ObsProfile(values={"SimpleOutput": {"VBitrate": "6000", "ABitrate": "128"}})
    assert profile.stream_kbps() == 6128
    profile.set("Output", "Mode", "Advanced")
    profile.set("AdvOut", "Track1Bitrate", "192")
    assert profile.stream_kbps() == 2500 + 192  # the advanced encoder's own bitrate is out of reach
    profile.set("SimpleOutput", "VBitrate", "not a number")
    profile.set("Output", "Mode", "Simple")
    assert profile.stream_kbps() == 2500 + 128


def test_unknown_hardware_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown hardware encoder"):
        ObsProfile(hardware_encoder="voodoo")


def test_output_counters_over_a_fake_clock() -> None:
    out = StreamOutput(OutputKnobs(dropped_frames_pct=10.0), seed=3)
    out.starting()
    assert out.status(0.0)["outputActive"] is False
    out.connected(100.0, kbps=1000, fps=30.0)
    status = out.status(102.5)
    assert status["outputDuration"] == 2500 and status["outputTimecode"] == "00:00:02.500"
    assert (status["outputTotalFrames"], status["outputSkippedFrames"]) == (75, 7)
    assert 0.94 * 2.5 * 125_000 <= status["outputBytes"] <= 1.06 * 2.5 * 125_000
    out.stopped(103.0)
    assert out.status(104.0)["outputBytes"] == 0


def test_timecode_format() -> None:
    assert timecode(0) == "00:00:00.000"
    assert timecode(3_723_004) == "01:02:03.004"
