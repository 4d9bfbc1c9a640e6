"""Property-based tests over the obs-websocket frame parsers and number checks (``core.obs_frames``,
``core.obs_health``): whatever arrives, each returns a value or raises ``ObsMalformed`` — never a
``KeyError``/``TypeError``/``ValueError`` — and every value returned is in range."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streamdesk.core import obs_frames
from streamdesk.core.obs_errors import ObsMalformed
from streamdesk.core.obs_health import MAX_KBPS, HealthMeter, StreamHealth

# any JSON value, with the awkward numbers a buggy server might produce
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | \
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
status_keys = st.sampled_from(["outputActive", "outputReconnecting", "outputBytes", "outputSkippedFrames",
                               "outputTotalFrames", "outputCongestion", "outputDuration", "outputTimecode"])
stats_keys = st.sampled_from(["outputSkippedFrames", "outputTotalFrames", "renderSkippedFrames"])
plausible = st.integers(min_value=0, max_value=10**9) | st.integers(min_value=0, max_value=2**53) | \
    st.floats(min_value=0, max_value=1)
status_dicts = st.dictionaries(status_keys, scalars | plausible, max_size=8)
stats_dicts = st.dictionaries(stats_keys, scalars | plausible, max_size=3)


def value_or_typed_error(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ObsMalformed as e:
        assert e.message and e.message.isprintable()  # one sentence: no newline, control or ANSI code
        return None


@given(st.binary(max_size=200) | st.text(max_size=200))
def test_decode_any_bytes(data: bytes | str) -> None:
    msg = value_or_typed_error(obs_frames.decode, data)
    if msg is not None:
        assert isinstance(msg["op"], int) and isinstance(msg["d"], dict)


@given(json_values)
def test_decode_any_json(value: Any) -> None:
    msg = value_or_typed_error(obs_frames.decode, json.dumps(value))
    if msg is not None:
        assert isinstance(msg["op"], int) and not isinstance(msg["op"], bool) and isinstance(msg["d"], dict)


@given(st.fixed_dictionaries({"op": st.sampled_from([0, 2, 5, 7, 9]) | scalars, "d": json_values}))
def test_message_parsers_on_any_frame(msg: dict[str, Any]) -> None:
    hello = value_or_typed_error(obs_frames.hello, msg)
    if hello is not None:
        assert hello.rpc_version >= 1 and (hello.challenge is None) == (hello.salt is None)
    if isinstance(msg["d"], dict):
        rpc = value_or_typed_error(obs_frames.identified, msg)
        assert rpc in (None, 1)
        value_or_typed_error(obs_frames.event, msg["d"])
        results = value_or_typed_error(obs_frames.batch_results, msg["d"], 3)
        assert results is None or len(results) <= 3


@given(json_values | st.fixed_dictionaries({
    "requestType": scalars, "requestId": scalars,
    "requestStatus": json_values | st.fixed_dictionaries({"result": scalars, "code": scalars,
                                                          "comment": scalars}),
    "responseData": json_values}))
def test_result_on_any_shape(d: Any) -> None:
    res = value_or_typed_error(obs_frames.result, d)
    if res is not None:
        assert isinstance(res.ok, bool) and 0 <= res.code < 10000 and isinstance(res.data, dict)


@given(st.dictionaries(st.sampled_from(["n", "x"]), scalars), st.booleans())
def test_number_checks(data: dict[str, Any], integer: bool) -> None:
    value = value_or_typed_error(lambda: obs_frames.number(data, "n", 0, 100, integer=integer))
    if value is not None:
        assert math.isfinite(value) and 0 <= value <= 100
    count = value_or_typed_error(obs_frames.counter, data, "n")
    if count is not None:
        assert isinstance(count, int) and 0 <= count <= obs_frames.MAX_COUNTER
    value_or_typed_error(obs_frames.flag, data, "n")
    value_or_typed_error(obs_frames.text, data, "n")
    value_or_typed_error(obs_frames.obj, data, "n")


@settings(max_examples=300)
@given(st.lists(st.tuples(status_dicts, stats_dicts | st.none()), min_size=1, max_size=4))
def test_health_samples_are_in_range_or_a_typed_gap(samples: list[tuple[dict, dict | None]]) -> None:
    clock = iter(range(0, 100, 3))
    meter = HealthMeter(clock=lambda: float(next(clock)))
    for status, stats in samples:
        health = value_or_typed_error(meter.sample, status, stats)
        if health is None:
            continue
        assert isinstance(health, StreamHealth)
        for name in ("bitrate_kbps", "dropped_pct", "congestion"):
            assert math.isfinite(getattr(health, name)), name
        assert 0 <= health.dropped_pct <= 100 and 0 <= health.congestion <= 1
        assert 0 <= health.bitrate_kbps <= MAX_KBPS and 0 <= health.dropped_frames <= health.total_frames
