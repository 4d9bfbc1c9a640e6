"""Stream health math (OBS status-bar rules) and the OBS value types' secret hygiene."""

from __future__ import annotations

import pytest

from streamdesk.core.obs import ConfigChange, ObsBackup, ObsTarget, mask_key
from streamdesk.core.obs_health import HealthMeter, bucket_congestion, dropped_pct


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def status(bytes_: int, *, dropped: int = 0, total: int = 0, congestion: float = 0.0, active: bool = True):
    return {"outputActive": active, "outputReconnecting": False, "outputBytes": bytes_,
            "outputSkippedFrames": dropped, "outputTotalFrames": total, "outputCongestion": congestion,
            "outputDuration": 1000}


def test_bitrate_is_bytes_over_time_refreshed_every_two_seconds():
    clock = Clock()
    meter = HealthMeter(clock)
    assert meter.bitrate(0) == 0.0
    clock.t += 1.0
    assert meter.bitrate(500_000) == 0.0  # too soon: OBS keeps the previous figure for 2 s
    clock.t += 1.0
    assert meter.bitrate(1_000_000) == pytest.approx(4000.0)  # 1 MB in 2 s = 4000 kbps
    clock.t += 2.5
    assert meter.bitrate(1_625_000) == pytest.approx(2000.0)


def test_a_counter_going_backwards_is_a_new_stream():
    clock = Clock()
    meter = HealthMeter(clock)
    meter.bitrate(5_000_000)
    clock.t += 2
    assert meter.bitrate(1000) == 0.0
    clock.t += 2
    assert meter.bitrate(1000 + 250_000) == pytest.approx(1000.0)


def test_dropped_percentage_and_congestion_buckets():
    assert dropped_pct(0, 0) == 0.0
    assert dropped_pct(3, 300) == pytest.approx(1.0)
    assert [bucket_congestion(v) for v in (0.0, 0.1, 0.3, 0.5, 0.7, 0.95, 1.5)] == \
        pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1])


def test_congestion_is_the_mean_of_the_last_four_samples():
    meter = HealthMeter(Clock())
    assert meter.congestion(1.0) == 1.0
    for _ in range(3):
        meter.congestion(0.0)
    assert meter.congestion(0.0) == 0.0  # the 1.0 has left the window


def test_encoder_overload_needs_more_than_ten_skips_and_a_tenth_of_a_percent():
    meter = HealthMeter(Clock())
    assert not meter.encoder_overloaded(0, 0)
    assert not meter.encoder_overloaded(10, 1000)  # 10 skips: not more than 10
    assert meter.encoder_overloaded(25, 2000)  # 15 more of 1000 frames
    assert not meter.encoder_overloaded(37, 100_000)  # 12 of 98,000 frames < 0.1 %


def test_sample_labels_network_drops_and_encoder_skips_separately():
    meter = HealthMeter(Clock())
    h = meter.sample(status(0, dropped=6, total=600, congestion=0.4),
                     {"outputSkippedFrames": 2, "renderSkippedFrames": 7, "outputTotalFrames": 600})
    assert (h.dropped_frames, h.dropped_pct, h.encoder_skipped, h.render_skipped) == (6, 1.0, 2, 7)
    assert h.congestion == pytest.approx(1 / 3)
    idle = meter.sample(status(0, active=False, congestion=0.9), None)
    assert idle.bitrate_kbps == 0.0 and idle.congestion == 0.0


def test_secrets_stay_out_of_repr_json_and_masks():
    target = ObsTarget("127.0.0.1", 4455, "pw-0123456789")
    assert "pw-0123456789" not in repr(target) and str(target) == "127.0.0.1:4455"
    backup = ObsBackup.of("rtmp_custom", {"server": "rtmp://x/live", "key": "sk-secret-key-42",
                                          "use_auth": True, "username": "u", "password": "auth-pass-99"})
    assert backup.key == "sk-secret-key-42"
    for text in (repr(backup), str(backup.to_json())):
        assert "sk-secret-key-42" not in text and "auth-pass-99" not in text
    restored = ObsBackup.from_json(backup.to_json(), backup.secrets)
    assert restored.secrets == {"key": "sk-secret-key-42", "password": "auth-pass-99"}
    assert mask_key("sk-secret-key-42") == "••••••••y-42" and mask_key(None) == "(none)"
    assert "short" not in mask_key("short")


def test_a_masked_key_change_is_still_a_change():
    same_mask = ConfigChange("stream key", mask_key("abcd-one-wxyz"), mask_key("abcd-two-wxyz"), changed=True)
    assert same_mask.old == same_mask.new and same_mask.changes


def test_a_byte_counter_that_jumps_absurdly_is_a_gap_then_measuring_starts_over() -> None:
    import pytest

    from streamdesk.core.obs_errors import ObsMalformed
    from streamdesk.core.obs_health import HealthMeter

    t = [0.0]
    meter = HealthMeter(clock=lambda: t[0])
    live = {"outputActive": True, "outputTotalFrames": 10}
    meter.sample({**live, "outputBytes": 1000}, None)
    t[0] = 2.0
    with pytest.raises(ObsMalformed, match="jumped"):
        meter.sample({**live, "outputBytes": 2**52}, None)
    t[0] = 4.0
    health = meter.sample({**live, "outputBytes": 2**52 + 250_000}, None)
    assert health.bitrate_kbps == pytest.approx(1000.0) and not health.measuring
