"""Rules that several places apply, each defined once: the live poll cadence (``core.cadence``)
and the stream key's rules (``core.keys``). The callers are checked to use them."""

from __future__ import annotations

import math

import jwt
import pytest

from streamdesk.core import cadence, keys


@pytest.mark.parametrize("stored, seconds", [
    (None, cadence.DEFAULT_POLL_INTERVAL_S), ("x", cadence.DEFAULT_POLL_INTERVAL_S),
    (True, cadence.DEFAULT_POLL_INTERVAL_S), (math.nan, cadence.DEFAULT_POLL_INTERVAL_S),
    (math.inf, cadence.DEFAULT_POLL_INTERVAL_S), (0, cadence.MIN_POLL_INTERVAL_S),
    (-3, cadence.MIN_POLL_INTERVAL_S), (7, 7.0), ("2.5", 2.5),
])
def test_the_poll_interval_has_one_default_and_one_floor(stored: object, seconds: float) -> None:
    assert cadence.poll_interval(stored) == seconds


def test_the_settings_range_is_inside_what_the_rule_accepts() -> None:
    low, high = cadence.USER_POLL_RANGE_S
    assert cadence.MIN_POLL_INTERVAL_S <= low <= cadence.DEFAULT_POLL_INTERVAL_S <= high


def test_the_recorder_and_the_window_read_the_same_interval() -> None:
    from streamdesk.core import live
    from streamdesk.core.context import AppContext

    ctx = AppContext()
    assert live.poll_interval(ctx) == cadence.DEFAULT_POLL_INTERVAL_S
    ctx.store.put_setting(cadence.POLL_INTERVAL_SETTING, 9)
    assert live.poll_interval(ctx) == 9.0


def test_key_expiry() -> None:
    assert not keys.key_expired(None, 10)
    assert keys.key_expired(10, 10) and keys.key_expired(9.5, 10)
    assert not keys.key_expired(10.5, 10)


def test_the_jwt_shape_finds_real_tokens_and_their_truncations() -> None:
    token = jwt.encode({"user_id": "host-1", "exp": 2_000_000_000}, "s" * 32, algorithm="HS256")
    assert keys.JWT.fullmatch(token)
    assert keys.JWT.search(f"key={token}&x=1").group(0) == token
    head, payload, _sig = token.split(".")
    assert keys.JWT.fullmatch(f"{head}.{payload}")  # cut before the signature: still a secret
    assert not keys.JWT.search("eyJ without a dot, or a plain-id_like-this")


def test_a_masked_key_shows_its_last_four_characters_only() -> None:
    assert keys.mask_key("eyJhbGciOiJIUzI1NiJ9.payload.sig-ABCD") == "••••••••ABCD"
    assert keys.mask_key("short") == "••••••••" and keys.mask_key(None) == "(none)"


def test_the_rules_have_no_second_definition() -> None:
    """A second copy of a rule would drift: the old copies are gone."""
    from pathlib import Path

    root = Path(keys.__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        text = path.read_text("utf-8")
        if path.name != "keys.py":
            assert 're.compile(r"eyJ' not in text, path
            assert "def mask_key" not in text, path
        if path.name != "cadence.py":
            assert "DEFAULT_POLL_INTERVAL" not in text.replace("DEFAULT_POLL_INTERVAL_S", ""), path


def test_only_the_session_api_opens_and_closes_session_rows() -> None:
    """``core.live`` is the one way a show's row is opened and closed (the CLI and the window both
    call it): nothing else calls the store's start_session/end_session."""
    from pathlib import Path

    root = Path(keys.__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        if path.relative_to(root).as_posix() in ("core/live.py", "core/store.py"):
            continue
        text = path.read_text("utf-8")
        assert ".start_session(" not in text and ".end_session(" not in text, path
