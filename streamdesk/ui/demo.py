"""``streamdesk --demo``: both simulators in-process, a throw-away home, an in-memory keyring
(``--demo --keep``: a home, keyring entries and simulators that survive a restart; ``demo_keep``).

Nothing the demo does reaches the streamer's real keyring or database: the demo's
``AppContext`` points at a temporary directory (deleted on exit) and its ``SecretStore`` uses a
memory backend. The account and OBS forms are prefilled so a newcomer clicks through the flow.
"""

from __future__ import annotations

import contextlib
import logging
import secrets as pysecrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.paths import Paths

log = logging.getLogger("streamdesk.demo")

DEMO_API_KEY = "demo-key"
DEMO_USER = "demo-streamer"
DEMO_CALL = "demo-show"
DEMO_DOWNLOAD_BPS = 1_500_000


@dataclass
class Demo:
    ctx: AppContext
    home: Path
    gs: Any
    obs: Any
    obs_password: str
    extra: list[Any] = field(default_factory=list)
    keep: bool = False  # --demo --keep: the home, the keyring entries and the simulators survive (demo_keep)
    seed: int = 7
    resumed: bool = False  # the simulators came back from a kept demo

    @property
    def api_url(self) -> str:
        return str(self.gs.url)

    @property
    def obs_host(self) -> str:
        return "127.0.0.1"

    @property
    def obs_port(self) -> int:
        return int(self.obs.port)

    @property
    def api_secret(self) -> str:
        return str(self.gs.api_secret)

    @classmethod
    def start(cls, *, seed: int = 7, keep: bool = False) -> Demo:
        from streamdesk.core.secrets import SecretStore, memory_keyring
        from streamdesk.sim.getstream_server import GetStreamSimulator
        from streamdesk.sim.obs_server import ObsSimulator
        from streamdesk.ui import demo_keep

        state: dict[str, Any] | None = None
        if keep:
            home = demo_keep.demo_home()
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
            secrets = demo_keep.demo_secrets()
            secrets.check()  # no usable system keyring: say so now, keep nothing in files instead
            state = demo_keep.load(home, secrets)
        else:
            home = Path(tempfile.mkdtemp(prefix="streamdesk-demo-"))
            secrets = SecretStore(backend=memory_keyring())
        ctx = AppContext(Paths(home).ensure())
        ctx.__dict__["secrets"] = secrets  # cached_property slot
        if state is not None:
            seed = int(state["seed"])
        gs = GetStreamSimulator(api_key=DEMO_API_KEY, seed=seed,
                                api_secret=state["api_secret"] if state else None,
                                port=int(state["gs_port"]) if state else 0)
        if state is not None:
            demo_keep.restore_app(gs, state)
        gs.start()
        # recordings download at a pace where the progress bar can be seen (the files are local)
        gs.after_show.rate_bps = DEMO_DOWNLOAD_BPS
        obs_password = state["obs_password"] if state else pysecrets.token_urlsafe(12)
        obs = ObsSimulator(password=obs_password, port=int(state["obs_port"]) if state else 0,
                           stream_service=state["obs_service"] if state else None)
        obs.start()
        # OBS's stream reaches the simulated GetStream only with the provisioned server and key
        from streamdesk.sim.ingest_link import link

        link(obs, gs)
        log.info("demo: GetStream simulator at %s, OBS simulator on port %s", gs.url, obs.port)
        return cls(ctx=ctx, home=home, gs=gs, obs=obs, obs_password=obs_password, keep=keep, seed=seed,
                   resumed=state is not None)

    def stop(self) -> None:
        if self.keep:
            from streamdesk.ui import demo_keep

            try:
                demo_keep.save(self.home, self.ctx.secrets, self.gs, self.obs, self.obs_password, self.seed)
            except (OSError, StreamdeskError) as e:  # the demo still closes; the next one starts afresh
                log.warning("demo: could not keep the simulators: %s", e)
        for sim in (self.obs, self.gs):
            try:
                sim.stop()
            except Exception:
                log.info("stopping a demo simulator failed", exc_info=True)
        with contextlib.suppress(Exception):
            self.ctx.store.close()
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)


def prefill(window: Any, demo: Demo) -> None:
    """Fill the forms so the newcomer only has to click (a resumed --keep demo has its account)."""
    if demo.resumed:
        return
    from streamdesk.ui.stages.base import set_secret_text

    account = window.cards["account"]
    account.api_key.setText(DEMO_API_KEY)
    set_secret_text(account.secret, demo.api_secret)
    account.user_id.setText(DEMO_USER)
    account.call_id.setText(DEMO_CALL)
    account.use_sim.setChecked(True)
    account.base_url.setText(demo.api_url)
    window.cards["obs"].set_target(demo.obs_host, demo.obs_port, demo.obs_password)
    account.banner.show_message("info", "Demo mode: a simulated GetStream and OBS run inside this app, "
                                "with a simulated audience. Press Save account to begin.")
