"""Operations that would swap the stream key or rewrite the call are refused while the show is on
air, from any caller (the GUI's flow refuses them too; the CLI and scripts go straight to core)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.core.secrets import SecretKind
from streamdesk.sim.getstream_server import GetStreamSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

CID = "livestream:show-1"


@pytest.fixture
def provisioned(make_gs_sim: Callable[..., GetStreamSimulator], monkeypatch: pytest.MonkeyPatch
                ) -> tuple[AppContext, GetStreamSimulator]:
    sim = make_gs_sim(seed=3)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    return ctx, sim


@pytest.mark.parametrize("operation", ["rotate", "provision"])
def test_key_rotation_and_provisioning_are_refused_while_live(provisioned, operation: str) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ops.go_live(ctx, sleep=lambda s: None)
    with pytest.raises(ops.LiveNow, match="is live: end the stream before"):
        ops.rotate_key(ctx) if operation == "rotate" else ops.provision(ctx)
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) == key  # OBS's key is still the one on file


def test_rotation_works_again_after_the_show(provisioned) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ops.go_live(ctx, sleep=lambda s: None)
    ops.stop_live(ctx, announce=False)
    ops.rotate_key(ctx, key_ttl_hours=2)  # another lifetime: a new key even within the same second
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) != key


def test_a_session_row_left_open_after_the_show_does_not_block_rotation(provisioned) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ctx.store.start_session(CID, 1.0)  # the app was closed when the show ended: the row stayed open
    ops.rotate_key(ctx, key_ttl_hours=2)  # GetStream says the call is in backstage
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) != key


def test_rotation_is_refused_when_getstream_cannot_confirm_an_open_show_ended(provisioned) -> None:
    ctx, sim = provisioned
    ops.go_live(ctx, sleep=lambda s: None)
    sim.stop()
    with pytest.raises(ops.LiveNow, match="could not confirm the show has ended"):
        ops.rotate_key(ctx)
