"""Checked remote values (core/remote_values.py) and the GetStream parsers under arbitrary input.

Property tests (hypothesis): parse_call, parse_message and the error parsing either return a
value with plausible numbers or raise the typed ProtocolError, never anything else."""

from __future__ import annotations

import contextlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamdesk.core import remote_values as rv
from streamdesk.core.getstream import (
    GetStreamError,
    ProtocolError,
    RateLimitedError,
    _error_from,
    _reset_at,
    parse_call,
    parse_message,
)

NOW = 1_780_000_000.0  # 2026

# -- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300, -1, -1005, 10_000_001, 2.5,
                                   True, "3", None, [1]])
def test_implausible_counts_are_refused(value: Any) -> None:
    with pytest.raises(rv.ImplausibleValue):
        rv.count(value)


@pytest.mark.parametrize("value,expected", [(0, 0), (3, 3), (3.0, 3), (10_000_000, 10_000_000)])
def test_plausible_counts_pass(value: Any, expected: int) -> None:
    assert rv.count(value) == expected


@pytest.mark.parametrize("ns", [-1, 0, 10**30, 4_200_000_000 * 10**9, math.nan, 1e300])
def test_timestamps_outside_sane_years_are_refused(ns: Any) -> None:
    with pytest.raises(rv.ImplausibleValue):
        rv.unix_nanoseconds(ns)


def test_a_real_timestamp_passes() -> None:
    assert rv.unix_nanoseconds(int(NOW * 1e9)).year == 2026


@pytest.mark.parametrize("header", ["1796308355000", "1e20", "inf", "-inf", "nan", "NaN", "", "soon",
                                    str(NOW + 2 * 86400), str(NOW - 2 * 86400)])
def test_an_absurd_rate_limit_reset_is_treated_as_absent(header: str) -> None:
    assert rv.rate_limit_reset(header, NOW) is None


def test_a_reset_within_a_day_is_kept_as_absolute_unix_seconds() -> None:
    assert rv.rate_limit_reset(str(int(NOW) + 30), NOW) == NOW + 30
    assert rv.retry_after("12", NOW) == NOW + 12
    assert rv.retry_after("-5", NOW) is None and rv.retry_after("1e9", NOW) is None


@pytest.mark.parametrize("reset", ["1796308355000", "1e20", "inf", "nan"])
def test_a_429_with_an_absurd_reset_is_a_plain_rate_limit_error(reset: str) -> None:
    response = httpx.Response(429, json={"code": 9, "message": "slow down"},
                              headers={"X-RateLimit-Reset": reset})
    error = _error_from(response, "GetCall", lambda: NOW)
    assert isinstance(error, RateLimitedError) and error.reset_at is None
    assert "resets at" not in error.message


# -- text ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,clean", [
    ("\x1b[31;1mred\x1b[0m", "red"),
    ("\x1b]0;pwned\x07title", "title"),
    ("\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("a\rb\x08c\x00d", "abcd"),
    ("\x9b31mx", "x"),
    ("line 1\nline 2\tok", "line 1\nline 2\tok"),
    ("émoji 🎥 fine", "émoji 🎥 fine"),
])
def test_terminal_control_is_stripped(raw: str, clean: str) -> None:
    assert rv.terminal_safe(raw) == clean


@given(st.text())
def test_terminal_safe_leaves_no_control_characters(text: str) -> None:
    out = rv.terminal_safe(text)
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in out)


# -- parsers under arbitrary input ---------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | \
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=12), children, max_size=5), max_leaves=20)
numbers = (st.integers(min_value=-(10**40), max_value=10**40) | st.floats(allow_nan=True, allow_infinity=True)
           | st.none() | st.text(max_size=10) | st.booleans())


def _call(**overrides: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "type": "livestream", "id": "show-1", "cid": "livestream:show-1", "backstage": False,
        "created_at": int(NOW * 1e9), "ingress": {"rtmp": {"address": "rtmps://x/y"}},
        "session": {"id": "s1", "participants_count_by_role": {"user": 3},
                    "anonymous_participant_count": 2, "live_started_at": int(NOW * 1e9)},
    }
    call.update(overrides)
    return call


def _plausible(call: Any) -> None:
    for n in (*call.participants_by_role.values(), call.anonymous_count, call.viewers()):
        assert 0 <= n <= rv.MAX_COUNT * (len(call.participants_by_role) + 1)
    for ts in (call.created_at, call.starts_at, call.ended_at, call.live_started_at, call.live_ended_at):
        assert ts is None or rv.MIN_YEAR <= ts.year < rv.MAX_YEAR


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_parse_call_returns_a_call_or_raises_protocol_error(data: Any) -> None:
    with contextlib.suppress(ProtocolError):
        _plausible(parse_call(data))


@settings(max_examples=150)
@given(count=numbers, anonymous=numbers, stamp=numbers, join_ahead=numbers)
def test_parse_call_checks_every_number(count: Any, anonymous: Any, stamp: Any, join_ahead: Any) -> None:
    data = _call(created_at=stamp, join_ahead_time_seconds=join_ahead,
                 session={"participants_count_by_role": {"user": count},
                          "anonymous_participant_count": anonymous, "live_started_at": stamp})
    with contextlib.suppress(ProtocolError):
        _plausible(parse_call(data))


@settings(max_examples=150)
@given(json_values)
def test_parse_message_returns_a_message_or_raises_protocol_error(data: Any) -> None:
    try:
        message = parse_message(data)
    except ProtocolError:
        return
    assert isinstance(message.text, str)
    assert message.created_at is None or rv.MIN_YEAR <= message.created_at.year < rv.MAX_YEAR


@settings(max_examples=150)
@given(status=st.integers(min_value=300, max_value=599), body=json_values,
       reset=st.text(max_size=30) | st.floats(allow_nan=True, allow_infinity=True).map(str))
def test_error_parsing_always_gives_a_typed_error_with_a_plain_message(status: int, body: Any,
                                                                       reset: str) -> None:
    try:
        content = json.dumps(body, allow_nan=True).encode()
    except (TypeError, ValueError):
        content = b"{"
    headers = {"X-RateLimit-Reset": reset.encode("ascii", "ignore").decode() or "x"}
    response = httpx.Response(status, content=content, headers=headers)
    error = _error_from(response, "GetCall", lambda: NOW)
    assert isinstance(error, GetStreamError)
    assert error.message and rv.terminal_safe(error.message) == error.message
    if isinstance(error, RateLimitedError) and error.reset_at is not None:
        assert abs(error.reset_at - NOW) <= rv.MAX_RESET_AHEAD_S
        datetime.fromtimestamp(error.reset_at, UTC)  # renders


def test_reset_at_prefers_the_absolute_header() -> None:
    response = httpx.Response(429, headers={"X-RateLimit-Reset": str(int(NOW) + 5), "Retry-After": "50"})
    assert _reset_at(response, lambda: NOW) == NOW + 5
