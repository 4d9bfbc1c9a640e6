"""The simulated OBS stream output: state, bytes and frame counters over a clock.

Pure bookkeeping with no I/O, so it can be driven by a fake clock. Bytes flow only while the output is
connected and not reconnecting, at the profile's bitrate with a little per-second jitter (seeded, so a
given seed and clock always produce the same numbers). Counters follow OBS's meanings:
``outputSkippedFrames`` in GetStreamStatus are frames the *network* dropped; GetStats reports encoder
lag separately.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from streamdesk.sim.obs_protocol import OutputState

JITTER = 0.06  # ±6 % per second: enough to look alive on a chart, small enough to read as steady


@dataclass
class OutputKnobs:
    """Fault knobs, changeable at any time; they apply from the next moment on."""

    dropped_frames_pct: float = 0.0   # frames the network drops (GetStreamStatus outputSkippedFrames)
    congestion: float = 0.0           # outputCongestion, 0..1
    encoder_lag_pct: float = 0.0      # frames the encoder skips (GetStats outputSkippedFrames)
    render_lag_pct: float = 0.0       # frames the renderer misses (GetStats renderSkippedFrames)


class StreamOutput:
    """One stream output's life: STOPPED → STARTING → STARTED (⇄ RECONNECTING) → STOPPING → STOPPED."""

    def __init__(self, knobs: OutputKnobs, *, seed: int = 1) -> None:
        self.knobs = knobs
        self._seed = seed
        self.state = OutputState.STOPPED
        self.kbps = 0
        self.fps = 30.0
        self._reset(0.0)
        # Encoder counters live as long as OBS does, across streams (GetStats).
        self.encoder_frames = 0.0
        self.encoder_skipped = 0.0

    def _reset(self, now: float) -> None:
        self.bytes = 0.0
        self.frames = 0.0
        self.dropped = 0.0
        self.flowing_s = 0.0
        self._t0 = now
        self._last = now

    # --- state ------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """OBS's ``outputActive``: true from connected until stopped, including while reconnecting."""
        return self.state in (OutputState.STARTED, OutputState.RECONNECTING, OutputState.RECONNECTED,
                              OutputState.STOPPING)

    @property
    def reconnecting(self) -> bool:
        return self.state == OutputState.RECONNECTING

    @property
    def flowing(self) -> bool:
        return self.state in (OutputState.STARTED, OutputState.RECONNECTED)

    def starting(self) -> None:
        self.state = OutputState.STARTING

    def connected(self, now: float, *, kbps: int, fps: float) -> None:
        self._reset(now)
        self.kbps, self.fps = kbps, fps
        self.state = OutputState.STARTED

    def move_to(self, state: str, now: float) -> None:
        """Change state after accounting the bytes sent so far at the old state."""
        self.advance(now)
        self.state = state
        if state == OutputState.RECONNECTING:
            # OBS counts bytes per ingest connection: the retry's connection starts again from zero,
            # while duration and frame counters carry on (observed on OBS 29).
            self.bytes = 0.0

    def stopped(self, now: float) -> None:
        self.advance(now)
        self.state = OutputState.STOPPED

    # --- counters ---------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Account bytes and frames up to ``now``, one second-long jitter bucket at a time."""
        t = self._last
        if now <= t:
            return
        if not self.flowing:
            self._last = now
            return
        knobs = self.knobs
        while t < now:
            bucket = int(t - self._t0)
            seg_end = min(now, self._t0 + bucket + 1)
            dt = seg_end - t
            rate = self.kbps * (1.0 + random.Random(self._seed * 1_000_003 + bucket).uniform(-JITTER, JITTER))
            self.bytes += dt * rate * 125.0  # kbit/s → bytes/s
            frames = dt * self.fps
            self.frames += frames
            self.dropped += frames * knobs.dropped_frames_pct / 100.0
            self.encoder_frames += frames
            self.encoder_skipped += frames * knobs.encoder_lag_pct / 100.0
            self.flowing_s += dt
            t = seg_end
        self._last = now

    def status(self, now: float) -> dict[str, object]:
        """The GetStreamStatus response."""
        self.advance(now)
        active = self.active
        duration_ms = int(self.flowing_s * 1000) if active else 0
        return {
            "outputActive": active,
            "outputReconnecting": self.reconnecting,
            "outputTimecode": timecode(duration_ms),
            "outputDuration": duration_ms,
            "outputCongestion": float(self.knobs.congestion) if active else 0.0,
            "outputBytes": int(self.bytes) if active else 0,
            "outputSkippedFrames": whole(self.dropped) if active else 0,
            "outputTotalFrames": whole(self.frames) if active else 0,
        }


def whole(count: float) -> int:
    """A float counter as the whole frames it stands for (11.9999999 accumulated is 12)."""
    return int(count + 1e-6)


def timecode(ms: int) -> str:
    """OBS's ``HH:MM:SS.mmm``."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
