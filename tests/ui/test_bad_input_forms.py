"""Bad input in the GUI's forms, table-driven (the CLI table is ``tests/integration/test_bad_input.py``).

For each field: type the value into the real widget, press the card's action the way a streamer
would (when the form lets them), and check that the streamer sees a specific message (the inline
error under the field, or the card's banner) and that nothing stored changed: every database row
and every keyring entry is compared, and no request reached GetStream (or OBS).

Spin boxes (join-ahead, key lifetime, OBS port) cannot hold a non-number or an out-of-range value;
one row proves that for the port.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from PySide6.QtCore import Qt

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.ui.main_window import MainWindow
from streamdesk.ui.stages.base import set_secret_text
from tests.ui.conftest import WAIT_MS, Wizard

A_JWT = jwt.encode({"user_id": "host-1", "exp": 4_102_444_800}, "some-other-secret-0123456789abcdef",
                   algorithm="HS256")
LONG = "x" * 256


@dataclass(frozen=True)
class FormRow:
    name: str
    field: str
    value: str
    words: tuple[str, ...]


ACCOUNT_ROWS = [
    FormRow("api-key-blank", "api_key", "   ", ("API key",)),
    FormRow("api-key-space", "api_key", "my key", ("API key", "space")),
    FormRow("api-key-too-long", "api_key", LONG, ("API key", "256 characters", "at most 255")),
    FormRow("api-key-is-a-jwt", "api_key", A_JWT, ("API key", "looks like a token")),
    FormRow("secret-with-spaces", "secret", "half of it other half", ("API secret", "spaces")),
    FormRow("secret-is-a-jwt", "secret", A_JWT, ("API secret", "looks like a token")),
    FormRow("user-id-blank", "user_id", "  ", ("user id",)),
    FormRow("user-id-space", "user_id", "host 1", ("letters, digits",)),
    FormRow("user-id-dot", "user_id", "host.1", ("user id", "'.'")),
    FormRow("user-id-at", "user_id", "me@example", ("user id", "'@'")),
    FormRow("user-id-too-long", "user_id", LONG, ("user id", "256 characters")),
    FormRow("call-id-slash", "call_id", "show/1", ("letters, digits",)),
    FormRow("call-id-colon", "call_id", "livestream:show-1", ("letters, digits",)),
    FormRow("call-id-too-long", "call_id", LONG, ("call id", "256 characters")),
    FormRow("call-id-65", "call_id", "c" * 65, ("call id", "65 characters", "at most 64")),
    FormRow("call-id-is-a-jwt", "call_id", A_JWT, ("looks like a token",)),
    FormRow("base-url-no-scheme", "base_url", "127.0.0.1:3030", ("http://127.0.0.1:PORT",)),
    FormRow("base-url-ftp", "base_url", "ftp://127.0.0.1:3030", ("http://127.0.0.1:PORT",)),
    FormRow("base-url-bad-port", "base_url", "http://127.0.0.1:99999", ("port",)),
    FormRow("base-url-plain-http-off-loopback", "base_url", "http://gs.example.com", ("https://",
                                                                                     "localhost")),
]


def stored(ctx: AppContext, keyring: Any) -> tuple[dict[str, list[tuple[Any, ...]]], dict[Any, str]]:
    """Every database row except the window geometry (which is the GUI's, not the streamer's data)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(f"file:{ctx.paths.database}?mode=ro", uri=True) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            rows = conn.execute(f"SELECT * FROM {name}").fetchall()
            tables[name] = sorted((r for r in rows if r[0] != "ui.window"), key=repr)
    return tables, dict(keyring.entries)


def shown(window: MainWindow, stage: str, field: str | None) -> str:
    """What the streamer reads: the inline error under the field if one shows, else the banner."""
    card = window.cards[stage]
    errors = getattr(card, "errors", {})
    if field in errors and errors[field].text():  # the line keeps its space, empty when all is well
        return errors[field].text()
    return card.banner.text


def fill_account(window: MainWindow, wizard: Wizard) -> None:
    card = window.cards["account"]
    card.api_key.setText(wizard.gs.api_key)
    set_secret_text(card.secret, wizard.gs.api_secret)
    card.user_id.setText("host-1")
    card.call_id.setText("show-1")
    card.use_sim.setChecked(True)
    card.base_url.setText(wizard.gs.url)
    assert card.save.isEnabled(), card.save.toolTip()


def press(window: MainWindow, wizard: Wizard, qtbot: Any, button: Any) -> None:
    """Click when the form allows it, then wait until every background task has answered."""
    if button.isEnabled():
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wizard.idle(window)


def check(row: FormRow, text: str) -> None:
    assert text, f"{row.name}: no message shown"
    for word in row.words:
        assert word.lower() in text.lower(), f"{row.name}: {word!r} not in {text!r}"
    assert A_JWT not in text


@pytest.mark.parametrize("row", ACCOUNT_ROWS, ids=[r.name for r in ACCOUNT_ROWS])
def test_account_form(row: FormRow, make_window: Any, wizard: Wizard, qtbot: Any,
                      memory_keyring: Any) -> None:
    window = make_window()
    ctx = window.controller.ctx
    before = stored(ctx, memory_keyring)
    fill_account(window, wizard)
    card = window.cards["account"]
    if row.field == "secret":
        set_secret_text(card.secret, row.value)
    else:
        field = getattr(card, row.field)
        field.clear()
        qtbot.keyClicks(field, row.value)  # typed, key by key
    press(window, wizard, qtbot, card.save)
    check(row, shown(window, "account", row.field))
    assert window.controller.state is State.NEEDS_ACCOUNT
    assert stored(ctx, memory_keyring) == before, f"{row.name} saved something"
    assert wizard.gs.requests() == [], f"{row.name} reached GetStream"


OBS_HOST_ROWS = [
    FormRow("obs-host-blank", "obs_host", "   ", ("Enter the computer",)),
    FormRow("obs-host-url", "obs_host", "ws://127.0.0.1:4455", ("not a host name",)),
    FormRow("obs-host-space", "obs_host", "my pc", ("not a host name",)),
    FormRow("obs-host-is-a-jwt", "obs_host", A_JWT, ("looks like a token",)),
]


@pytest.mark.parametrize("row", OBS_HOST_ROWS, ids=[r.name for r in OBS_HOST_ROWS])
def test_obs_host_field(row: FormRow, make_window: Any, wizard: Wizard, qtbot: Any,
                        memory_keyring: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    ctx = window.controller.ctx
    before = stored(ctx, memory_keyring)
    card = window.cards["obs"]
    window.show_stage("obs")
    card.set_target(row.value, wizard.obs.port, wizard.obs.password)
    press(window, wizard, qtbot, card.connect_button)
    check(row, shown(window, "obs", None))
    assert window.controller.obs_info is None
    assert stored(ctx, memory_keyring) == before, f"{row.name} saved something"
    assert wizard.obs.connections == [], f"{row.name} reached OBS"


def test_obs_port_box_holds_only_ports(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    port = window.cards["obs"].port
    port.selectAll()
    qtbot.keyClicks(port, "obs")
    assert port.value() == 4455  # letters are not accepted
    port.setValue(70000)
    assert port.value() == 65535 and port.minimum() == 1


STORAGE_ROWS = [
    FormRow("recording-storage-space", "recording_storage", "my storage", ("recording storage", "' '")),
    FormRow("transcription-storage-slash", "transcription_storage", "a/b", ("transcription storage", "'/'")),
    FormRow("recording-storage-is-a-jwt", "recording_storage", A_JWT, ("looks like a token",)),
]


@pytest.mark.parametrize("row", STORAGE_ROWS, ids=[r.name for r in STORAGE_ROWS])
def test_go_live_storage_names(row: FormRow, make_window: Any, wizard: Wizard, qtbot: Any,
                               memory_keyring: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    ctx = window.controller.ctx
    before = stored(ctx, memory_keyring)
    card = window.cards["golive"]
    box = card.recording if row.field == "recording_storage" else card.transcription
    box.setChecked(True)
    getattr(card, row.field).setText(row.value)
    press(window, wizard, qtbot, card.go)
    wizard.wait_state(window, State.READY)
    qtbot.waitUntil(lambda: bool(shown(window, "golive", None)), timeout=WAIT_MS)
    check(row, shown(window, "golive", None))
    assert stored(ctx, memory_keyring) == before, f"{row.name} saved something"
    assert not wizard.gs.requests("GoLive"), f"{row.name} reached GetStream"


def test_a_wrong_api_secret_is_named_and_provisioning_stores_nothing(make_window: Any, wizard: Wizard,
                                                                     qtbot: Any, memory_keyring: Any) -> None:
    window = make_window()
    fill_account(window, wizard)
    card = window.cards["account"]
    set_secret_text(card.secret, "not-the-secret-0123456789abcdefghijklmnop")
    press(window, wizard, qtbot, card.save)  # saved offline, like `streamdesk setup`: nothing checks it yet
    wizard.wait_state(window, State.NEEDS_PROVISION)
    qtbot.waitUntil(lambda: "refused the API key or secret" in shown(window, "provision", None),
                    timeout=WAIT_MS)  # the check that follows saving already says so
    ctx = window.controller.ctx
    before = stored(ctx, memory_keyring)
    provision = window.cards["provision"]
    press(window, wizard, qtbot, provision.provision_button)
    text = shown(window, "provision", None)
    assert "refused the API key or secret" in text and "code 43" in text
    assert window.controller.state is State.NEEDS_PROVISION
    assert stored(ctx, memory_keyring) == before  # no key minted, no channel saved


def test_a_getstream_answer_without_ingress_is_named_and_stores_nothing(
    make_window: Any, wizard: Wizard, qtbot: Any, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = wizard.gs.app._call_body

    def without_ingress(call: Any) -> dict[str, Any]:  # the simulator's call payload minus `ingress`
        body = original(call)
        del body["ingress"]
        return body

    monkeypatch.setattr(wizard.gs.app, "_call_body", without_ingress)
    window = make_window()
    wizard.account(window)
    ctx = window.controller.ctx
    before = stored(ctx, memory_keyring)
    press(window, wizard, qtbot, window.cards["provision"].provision_button)
    assert "no readable call.ingress" in shown(window, "provision", None)
    assert window.controller.state is State.NEEDS_PROVISION
    assert stored(ctx, memory_keyring) == before
