"""The OBS 29 profile (``basic.ini``) as the simulator models it, read over obs-websocket.

``GetProfileParameter`` answers with the user's value, else the default OBS registered for that key
(``parameterValue`` / ``defaultParameterValue``, both strings or null). ``SetProfileParameter`` with a
string stores it; with null (or no value) it deletes the user value, so the default shows through again.

Where the streaming settings live in OBS 29 (checked against real OBS 29.0.2):
- Output mode: ``Output/Mode`` = ``Simple`` or ``Advanced``.
- Simple mode: ``SimpleOutput/VBitrate`` (video kbps), ``SimpleOutput/ABitrate`` (audio kbps),
  ``SimpleOutput/StreamEncoder`` (``x264``, ``nvenc``, ``qsv``, ``amd``...), ``SimpleOutput/Preset``
  (the x264 preset), ``SimpleOutput/x264Settings`` (custom x264 options, e.g. ``keyint=120``; no default).
  Simple mode has no keyframe-interval field of its own.
- Advanced mode: ``AdvOut/Encoder`` (``obs_x264``, ``jim_nvenc``...) and ``AdvOut/Track1Bitrate``; the
  encoder's own bitrate, preset and ``keyint_sec`` live in ``streamEncoder.json`` next to ``basic.ini``, which
  obs-websocket 5.1 cannot read or write.
- The hardware encoder shows in the *defaults*: OBS registers ``nvenc`` as the default Simple
  ``StreamEncoder`` when NVENC is available, ``x264`` otherwise (only the x264 case was observable here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Defaults as real OBS 29.0.2 reports them (``defaultParameterValue``), for the keys that matter to a
# streaming tool and their neighbours. Keys OBS registers no default for (``x264Settings``, ``RescaleRes``...)
# answer null until set. Video sizes and the recording path depend on the machine: see ``ObsProfile``.
OBS29_DEFAULTS: dict[str, dict[str, str]] = {
    "Output": {
        "Mode": "Simple",
        "Reconnect": "true",
        "RetryDelay": "2",
        "MaxRetries": "25",
        "BindIP": "default",
        "NewSocketLoopEnable": "false",
        "LowLatencyEnable": "false",
        "DelayEnable": "false",
        "DelaySec": "20",
        "DelayPreserve": "true",
    },
    "SimpleOutput": {
        "VBitrate": "2500",
        "ABitrate": "160",
        "UseAdvanced": "false",
        "Preset": "veryfast",
        "NVENCPreset2": "p5",
        "RecQuality": "Stream",
        "RecRB": "false",
        "RecRBTime": "20",
        "RecRBSize": "512",
        "RecRBPrefix": "Replay",
        "StreamEncoder": "x264",
        "RecEncoder": "x264",
        "RecFormat": "mkv",
    },
    "AdvOut": {
        "ApplyServiceSettings": "true",
        "UseRescale": "false",
        "TrackIndex": "1",
        "VodTrackIndex": "2",
        "Encoder": "obs_x264",
        "RecType": "Standard",
        "RecEncoder": "none",
        "RecTracks": "1",
        "FLVTrack": "1",
        "FFVBitrate": "2500",
        "FFVGOPSize": "250",
        "FFABitrate": "160",
        "FFAudioMixes": "1",
        "Track1Bitrate": "160",
        "Track2Bitrate": "160",
        "Track3Bitrate": "160",
        "Track4Bitrate": "160",
        "Track5Bitrate": "160",
        "Track6Bitrate": "160",
        "RecRB": "false",
        "RecRBTime": "20",
        "RecRBSize": "512",
        "RecFormat": "mkv",
        "FFOutputToFile": "true",
        "FFExtension": "mp4",
    },
    "Video": {
        "FPSType": "0",
        "FPSCommon": "30",
        "FPSInt": "30",
        "FPSNum": "30",
        "FPSDen": "1",
        "ScaleType": "bicubic",
        "ColorFormat": "NV12",
        "ColorSpace": "709",
        "ColorRange": "Partial",
        "SdrWhiteLevel": "300",
    },
    "Audio": {
        "SampleRate": "48000",
        "ChannelSetup": "Stereo",
        "MonitoringDeviceId": "default",
        "MeterDecayRate": "23.53",
        "PeakMeterType": "0",
    },
}

# Simple-mode encoder name -> Advanced-mode encoder id, for the hardware encoders OBS 29 prefers by default.
HARDWARE_ENCODERS: dict[str, str] = {"nvenc": "jim_nvenc"}

# FPSCommon strings -> (numerator, denominator), as OBS's video settings dialog offers them.
_COMMON_FPS: dict[str, tuple[int, int]] = {
    "10": (10, 1), "20": (20, 1), "24 NTSC": (24000, 1001), "25 PAL": (25, 1), "29.97": (30000, 1001),
    "30": (30, 1), "48": (48, 1), "50 PAL": (50, 1), "59.94": (60000, 1001), "60": (60, 1),
}
_COMMON_FPS_ALIASES = {"24": "24 NTSC", "25": "25 PAL", "50": "50 PAL"}


@dataclass(frozen=True)
class VideoSettings:
    """What ``GetVideoSettings`` answers."""

    base_width: int
    base_height: int
    output_width: int
    output_height: int
    fps_numerator: int
    fps_denominator: int

    @property
    def fps(self) -> float:
        return self.fps_numerator / self.fps_denominator

    def as_response(self) -> dict[str, int]:
        return {
            "baseWidth": self.base_width, "baseHeight": self.base_height,
            "outputWidth": self.output_width, "outputHeight": self.output_height,
            "fpsNumerator": self.fps_numerator, "fpsDenominator": self.fps_denominator,
        }


class ObsProfile:
    """One OBS profile: registered defaults plus the user's values, keyed by (category, name)."""

    def __init__(self, name: str = "Untitled", *, canvas: tuple[int, int] = (1920, 1080),
                 output: tuple[int, int] | None = None, fps: str = "60",
                 hardware_encoder: str | None = None,
                 values: dict[str, dict[str, str]] | None = None) -> None:
        self.name = name
        self._defaults: dict[tuple[str, str], str] = {
            (cat, key): value for cat, section in OBS29_DEFAULTS.items() for key, value in section.items()
        }
        # Like OBS: the canvas defaults to the monitor size; the recording path to the home folder.
        out = output or canvas
        self._defaults.update({
            ("Video", "BaseCX"): str(canvas[0]), ("Video", "BaseCY"): str(canvas[1]),
            ("Video", "OutputCX"): str(out[0]), ("Video", "OutputCY"): str(out[1]),
            ("SimpleOutput", "FilePath"): os.path.expanduser("~"),
            ("AdvOut", "RecFilePath"): os.path.expanduser("~"),
        })
        if hardware_encoder is not None:
            if hardware_encoder not in HARDWARE_ENCODERS:
                raise ValueError(f"unknown hardware encoder {hardware_encoder!r}; "
                                 f"known: {sorted(HARDWARE_ENCODERS)}")
            self._defaults[("SimpleOutput", "StreamEncoder")] = hardware_encoder
            self._defaults[("SimpleOutput", "RecEncoder")] = hardware_encoder
            self._defaults[("AdvOut", "Encoder")] = HARDWARE_ENCODERS[hardware_encoder]
        self._values: dict[tuple[str, str], str] = {("General", "Name"): name}
        if fps != self._defaults[("Video", "FPSCommon")]:
            self._values[("Video", "FPSCommon")] = fps
        for cat, section in (values or {}).items():
            for key, value in section.items():
                self._values[(cat, key)] = value

    # --- what the requests see -------------------------------------------------------------------
    def get(self, category: str, name: str) -> str | None:
        """The effective value: the user's, else the default, else None."""
        return self._values.get((category, name), self._defaults.get((category, name)))

    def default(self, category: str, name: str) -> str | None:
        return self._defaults.get((category, name))

    def user_value(self, category: str, name: str) -> str | None:
        return self._values.get((category, name))

    def set(self, category: str, name: str, value: str) -> None:
        self._values[(category, name)] = value

    def delete(self, category: str, name: str) -> bool:
        """Remove the user value; False when there was none (OBS then answers ResourceNotFound)."""
        return self._values.pop((category, name), None) is not None

    def user_values(self) -> dict[str, dict[str, str]]:
        """The user's values by section, like the ``basic.ini`` file would hold them."""
        out: dict[str, dict[str, str]] = {}
        for (cat, key), value in self._values.items():
            out.setdefault(cat, {})[key] = value
        return out

    # --- derived ---------------------------------------------------------------------------------
    @property
    def output_mode(self) -> str:
        return self.get("Output", "Mode") or "Simple"

    def video_settings(self) -> VideoSettings:
        """The video OBS would run with this profile (it applies on launch, not on every change)."""
        num, den = self._fps()
        return VideoSettings(
            int(self.get("Video", "BaseCX") or 1920), int(self.get("Video", "BaseCY") or 1080),
            int(self.get("Video", "OutputCX") or 1920), int(self.get("Video", "OutputCY") or 1080),
            num, den,
        )

    def stream_kbps(self) -> int:
        """Video + audio bitrate the stream output would send, from the mode's settings."""
        if self.output_mode == "Advanced":
            # The advanced encoder's bitrate is in streamEncoder.json, out of reach: assume OBS's 2500.
            return 2500 + _int(self.get("AdvOut", "Track1Bitrate"), 160)
        video = _int(self.get("SimpleOutput", "VBitrate"), 2500)
        return video + _int(self.get("SimpleOutput", "ABitrate"), 160)

    def _fps(self) -> tuple[int, int]:
        fps_type = self.get("Video", "FPSType") or "0"
        if fps_type == "1":
            return _int(self.get("Video", "FPSInt"), 30), 1
        if fps_type == "2":
            return _int(self.get("Video", "FPSNum"), 30), max(1, _int(self.get("Video", "FPSDen"), 1))
        common = self.get("Video", "FPSCommon") or "30"
        return _COMMON_FPS.get(_COMMON_FPS_ALIASES.get(common, common), (30, 1))


def _int(text: str | None, fallback: int) -> int:
    try:
        return int(text) if text is not None else fallback
    except ValueError:
        return fallback
