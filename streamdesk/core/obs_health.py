"""Stream health numbers the way OBS's own status bar computes them (no Qt, no I/O).

obs-websocket only reports raw counters; OBS's status bar (``OBSBasicStatusBar``) turns them into
what a streamer reads. We copy its rules so our numbers match what OBS shows next to them:

- bitrate: Δ``outputBytes`` · 8 / Δt, refreshed at most every ``BITRATE_INTERVAL_S`` (OBS: 2 s);
  a counter that goes backwards means a new stream, so it restarts from zero.
- network-dropped frames: ``GetStreamStatus.outputSkippedFrames`` / ``outputTotalFrames``.
- congestion: the mean of the last 4 one-second samples of ``outputCongestion``, bucketed to
  0 / ⅓ / ⅔ / 1 (the status bar's green…red square).
- encoder overload: the ``GetStats.outputSkippedFrames`` (frames skipped for *encoding* lag — the
  same field name as network drops, a different counter) grew by more than 10 and by ≥ 0.1 % of
  the frames output since the previous sample.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamdesk.core import obs_frames
from streamdesk.core.obs_errors import ObsMalformed

BITRATE_INTERVAL_S = 2.0
MAX_KBPS = 10_000_000  # 10 Gbit/s: far above any stream OBS can send; more means a bogus byte counter
CONGESTION_SAMPLES = 4


@dataclass(frozen=True)
class StreamHealth:
    active: bool
    reconnecting: bool
    bitrate_kbps: float
    dropped_frames: int  # network drops (GetStreamStatus)
    total_frames: int
    dropped_pct: float
    congestion: float  # bucketed 0, 1/3, 2/3, 1
    duration_ms: int
    encoder_skipped: int  # frames skipped for encoding lag (GetStats) — not network drops
    render_skipped: int  # frames missed for rendering lag (GetStats)
    encoder_overloaded: bool = False
    # active, but only one byte count seen so far: the bitrate is not known yet (0.0 is not "zero")
    measuring: bool = False

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def dropped_pct(dropped: int, total: int) -> float:
    return 100.0 * dropped / total if total > 0 else 0.0


def bucket_congestion(value: float) -> float:
    """OBS's four colours: 0 (green) … 1 (red); anything in between rounds to the nearest third."""
    value = min(max(value, 0.0), 1.0)
    if value < 1e-6:
        return 0.0
    return max(1, round(value * 3)) / 3


class HealthMeter:
    """Keeps the state the derived numbers need between two ``GetStreamStatus`` samples.

    One meter per connection; ``clock`` is injectable so tests don't sleep."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_bytes: int | None = None
        self._last_t = 0.0
        self._kbps = 0.0
        self._measured = False  # a rate needs two byte counts BITRATE_INTERVAL_S apart
        self._congestion: deque[float] = deque(maxlen=CONGESTION_SAMPLES)
        self._last_encoder: tuple[int, int] | None = None  # (skipped, total) from GetStats

    def bitrate(self, output_bytes: int) -> float:
        now = self._clock()
        if self._last_bytes is None or output_bytes < self._last_bytes:
            self._last_bytes, self._last_t, self._kbps = output_bytes, now, 0.0
            self._measured = False
            return self._kbps
        elapsed = now - self._last_t
        if elapsed >= BITRATE_INTERVAL_S:
            kbps = (output_bytes - self._last_bytes) * 8 / elapsed / 1000
            self._last_bytes, self._last_t = output_bytes, now
            if kbps > MAX_KBPS:  # a counter that jumped: a gap, then measure afresh from this count
                self._kbps, self._measured = 0.0, False
                raise ObsMalformed(f"OBS's byte counter jumped by {kbps / 1e6:.3g} Gbit/s, which cannot be "
                                   "a stream; that sample is skipped.")
            self._kbps = kbps
            self._measured = True
        return self._kbps

    def congestion(self, value: float) -> float:
        self._congestion.append(min(max(float(value or 0.0), 0.0), 1.0))
        return bucket_congestion(sum(self._congestion) / len(self._congestion))

    def encoder_overloaded(self, skipped: int, total: int) -> bool:
        previous, self._last_encoder = self._last_encoder, (skipped, total)
        if previous is None:
            return False
        d_skipped, d_total = skipped - previous[0], total - previous[1]
        return d_skipped > 10 and d_total > 0 and d_skipped / d_total >= 0.001

    def sample(self, stream_status: dict[str, Any], stats: dict[str, Any] | None) -> StreamHealth:
        """Turn one ``GetStreamStatus`` (+ optional ``GetStats``) response into a ``StreamHealth``.

        Every number is checked first (``obs_frames``): a missing/null one is 0, a wrong type or an
        implausible value (negative, not finite, more dropped than total frames, congestion outside
        0…1) raises ``ObsMalformed`` before the meter's state changes, so one bad sample is a gap."""
        active = obs_frames.flag(stream_status, "outputActive")
        reconnecting = obs_frames.flag(stream_status, "outputReconnecting")
        dropped = obs_frames.counter(stream_status, "outputSkippedFrames")
        total = obs_frames.counter(stream_status, "outputTotalFrames")
        if dropped > total:
            raise ObsMalformed(f"OBS reported {dropped} dropped frames out of {total}, which cannot be.")
        output_bytes = obs_frames.counter(stream_status, "outputBytes")
        duration = obs_frames.counter(stream_status, "outputDuration")
        congestion = obs_frames.number(stream_status, "outputCongestion", 0.0, 1.0, default=0.0)
        stats = stats or {}
        enc_skipped = obs_frames.counter(stats, "outputSkippedFrames")
        enc_total = obs_frames.counter(stats, "outputTotalFrames")
        render_skipped = obs_frames.counter(stats, "renderSkippedFrames")
        kbps = self.bitrate(output_bytes) if active else 0.0
        return StreamHealth(
            active=active,
            reconnecting=reconnecting,
            bitrate_kbps=kbps,
            dropped_frames=dropped,
            total_frames=total,
            dropped_pct=dropped_pct(dropped, total),
            congestion=self.congestion(congestion) if active else 0.0,
            duration_ms=duration,
            encoder_skipped=enc_skipped,
            render_skipped=render_skipped,
            encoder_overloaded=self.encoder_overloaded(enc_skipped, enc_total),
            measuring=active and not self._measured,
        )
