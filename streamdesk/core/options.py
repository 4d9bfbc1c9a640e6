"""What the streamer chooses for going live and ending, shared by the CLI and the window.

Dependency-free on purpose: the window's cards build these before the network stack is imported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GoLiveOptions:
    hls: bool = False
    recording: bool = False
    captions: bool = False
    transcription: bool = False
    recording_storage: str | None = None
    transcription_storage: str | None = None


@dataclass(frozen=True)
class StopOptions:
    continue_hls: bool = False
    continue_recording: bool = False
    continue_captions: bool = False
    continue_transcription: bool = False
