"""Bad input, table-driven: every CLI command and every form field gets empty, blank, too long, wrong
characters, malformed URLs, bad ports, a token in the wrong field, a wrong secret, and a GetStream
answer without an ingress. Each row says which words the one-line message must contain, the exit
code (2: fix the command line, 1: something outside it failed), and that NOTHING stored changed:
every database row and every keyring entry is snapshotted before and compared after.

The CLI rows run ``streamdesk.cli.main`` in-process (the same code path as the installed command,
~100x cheaper than a process per row); a sample of rows runs again as real processes to prove the
exit code and the absence of a traceback at the process boundary. GetStream is the simulator on
loopback, OBS the obs-websocket simulator; nothing of ours is mocked.
"""

from __future__ import annotations

import io
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest

from streamdesk.cli import main
from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.sim.getstream_server import GetStreamSimulator
from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import free_port, run_cli

# A user token as GetStream mints it: what a stream key looks like. Pasted into the wrong field
# it must be refused without being echoed back (it is a secret).
A_JWT = jwt.encode({"user_id": "host-1", "exp": 4_102_444_800}, "some-other-secret-0123456789abcdef",
                   algorithm="HS256")
WRONG_SECRET = "not-the-secret-0123456789abcdefghijklmnop"
LONG = "x" * 256

# which state a row starts from (each is built through channel_ops against the simulator)
EMPTY, ACCOUNT, PROVISIONED, LIVE = "empty", "account", "provisioned", "live"


@dataclass(frozen=True)
class Row:
    name: str
    argv: tuple[str, ...]
    words: tuple[str, ...]  # every one must be in stderr (case-insensitive)
    code: int = 2
    state: str = EMPTY
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret_env: bool = True  # hand the (right) API secret in through STREAMDESK_API_SECRET
    process: bool = False  # also run it as a real `python -m streamdesk` process


def setup_argv(api_key: str = SIM_API_KEY, user_id: str = "host-1", call_id: str | None = "show-1",
               api_base: str | None = "{gs}") -> tuple[str, ...]:
    argv = ("setup", "--api-key", api_key, "--user-id", user_id)
    if call_id is not None:
        argv += ("--call-id", call_id)
    if api_base is not None:
        argv += ("--api-base", api_base)
    return argv


ROWS: list[Row] = [
    # -- setup: every field ------------------------------------------------------------------------
    Row("setup-api-key-empty", setup_argv(api_key=""), ("API key is empty",), process=True),
    Row("setup-api-key-blank", setup_argv(api_key="   "), ("API key is empty",)),
    Row("setup-api-key-too-long", setup_argv(api_key=LONG), ("API key", "256 characters", "at most 255")),
    Row("setup-api-key-is-a-jwt", setup_argv(api_key=A_JWT), ("API key", "looks like a token")),
    Row("setup-user-id-empty", setup_argv(user_id=""), ("user id is empty",)),
    Row("setup-user-id-space", setup_argv(user_id="host 1"), ("user id", "contains ' '", "letters, digits")),
    Row("setup-user-id-too-long", setup_argv(user_id=LONG), ("user id", "256 characters", "at most 255")),
    Row("setup-user-id-is-a-jwt", setup_argv(user_id=A_JWT), ("user id", "looks like a token")),
    Row("setup-call-id-slash", setup_argv(call_id="show/1"), ("call id", "contains '/'")),
    Row("setup-call-id-colon", setup_argv(call_id="livestream:show-1"), ("call id", "contains ':'")),
    Row("setup-call-id-dots", setup_argv(call_id="../show"), ("call id", "'.'", "'/'")),
    Row("setup-call-id-unicode", setup_argv(call_id="shöw"), ("call id", "'ö'")),
    Row("setup-call-id-too-long", setup_argv(call_id=LONG), ("call id", "256 characters", "at most 64"),
        process=True),
    Row("setup-call-id-65", setup_argv(call_id="c" * 65), ("call id", "65 characters", "at most 64")),
    Row("setup-call-id-is-a-jwt", setup_argv(call_id=A_JWT), ("call id", "looks like a token")),
    Row("setup-api-base-not-a-url", setup_argv(api_base="chat.stream-io-api.com"),
        ("API base URL", "not an http(s) URL")),
    Row("setup-api-base-ftp", setup_argv(api_base="ftp://chat.stream-io-api.com"),
        ("API base URL", "not an http(s) URL")),
    Row("setup-api-base-no-host", setup_argv(api_base="https://"), ("API base URL", "not an http(s) URL")),
    Row("setup-api-base-with-password", setup_argv(api_base="https://me:pw@chat.stream-io-api.com"),
        ("API base URL", "must not contain a user name or password")),
    Row("setup-api-base-bad-port", setup_argv(api_base="https://chat.stream-io-api.com:http"),
        ("API base URL", "port")),
    Row("setup-no-secret", setup_argv(), ("No API secret", "STREAMDESK_API_SECRET"), secret_env=False),
    Row("setup-secret-stdin-empty", (*setup_argv(), "--secret-stdin"), ("no API secret on standard input",),
        stdin="\n", secret_env=False, process=True),
    Row("setup-secret-with-spaces", (*setup_argv(), "--secret-stdin"), ("API secret contains spaces",),
        stdin="half of it  other half\n", secret_env=False),
    Row("setup-secret-is-a-jwt", (*setup_argv(), "--secret-stdin"), ("API secret", "looks like a token"),
        stdin=A_JWT + "\n", secret_env=False),
    Row("setup-missing-required", ("setup", "--api-key", SIM_API_KEY), ("--user-id",)),
    # -- provision -----------------------------------------------------------------------------------
    Row("provision-without-account", ("provision",), ("No GetStream account", "streamdesk setup"), code=1),
    Row("provision-join-ahead-not-a-number", ("provision", "--join-ahead", "soon"), ("--join-ahead",),
        state=ACCOUNT),
    Row("provision-join-ahead-negative", ("provision", "--join-ahead", "-5"), ("join-ahead", "out of range"),
        state=ACCOUNT),
    Row("provision-starts-at-garbage", ("provision", "--starts-at", "tomorrow-ish"), ("not an ISO 8601",),
        state=ACCOUNT),
    Row("provision-key-ttl-zero", ("provision", "--key-ttl", "0"), ("key lifetime", "out of range"),
        state=ACCOUNT),
    Row("provision-key-ttl-nan", ("provision", "--key-ttl", "nan"), ("--key-ttl", "not a finite number"),
        state=ACCOUNT),
    Row("provision-key-ttl-word", ("provision", "--key-ttl", "long"), ("--key-ttl",), state=ACCOUNT),
    Row("provision-wrong-api-secret", ("provision",), ("refused the API key or secret", "code 43"),
        code=1, state="wrong-secret", secret_env=False, process=True),
    Row("provision-no-ingress", ("provision",), ("no readable call.ingress",), code=1, state="no-ingress"),
    Row("provision-api-base-env-malformed", ("provision",), ("API base URL", "not an http(s) URL"),
        state=ACCOUNT, env={"STREAMDESK_API_BASE": "localhost:3030"}),
    Row("provision-api-unreachable", ("provision",), ("Could not reach GetStream",), code=1, state=ACCOUNT,
        env={"STREAMDESK_API_BASE": "http://127.0.0.1:{dead}"}),
    # -- key -----------------------------------------------------------------------------------------
    Row("key-before-provision", ("key",), ("not provisioned", "streamdesk provision"), code=1, state=ACCOUNT),
    Row("key-ttl-without-rotate", ("key", "--key-ttl", "2"), ("--key-ttl only applies with --rotate",),
        state=PROVISIONED),
    Row("key-rotate-ttl-negative", ("key", "--rotate", "--key-ttl", "-1"), ("key lifetime", "out of range"),
        state=PROVISIONED),
    Row("key-rotate-ttl-huge", ("key", "--rotate", "--key-ttl", "1e9"), ("key lifetime", "out of range"),
        state=PROVISIONED),
    # -- obs -----------------------------------------------------------------------------------------
    Row("obs-without-action", ("obs",), ("ACTION",)),
    Row("obs-port-not-a-number", ("obs", "status", "--port", "obs"), ("--port", "not a port number"),
        process=True),
    Row("obs-port-zero", ("obs", "status", "--port", "0"), ("--port", "not a port number")),
    Row("obs-port-too-big", ("obs", "start", "--port", "70000"), ("--port", "not a port number")),
    Row("obs-host-blank", ("obs", "status", "--host", "   "), ("OBS host is empty",)),
    Row("obs-host-is-a-url", ("obs", "status", "--host", "ws://127.0.0.1:4455"),
        ("OBS host", "not a host name")),
    Row("obs-host-with-space", ("obs", "status", "--host", "my pc"), ("OBS host", "not a host name")),
    Row("obs-host-is-a-jwt", ("obs", "status", "--host", A_JWT), ("OBS host", "looks like a token")),
    Row("obs-password-stdin-empty", ("obs", "status", "--password-stdin"),
        ("no OBS password on standard input",), stdin="\n"),
    Row("obs-configure-before-provision", ("obs", "configure", "--port", "{obs}"),
        ("not provisioned", "streamdesk provision"), code=1, state=ACCOUNT),
    Row("obs-wrong-password", ("obs", "configure", "--port", "{obs}", "--password-stdin"),
        ("rejected the websocket password",), code=1, state=PROVISIONED, stdin="not-the-obs-password\n"),
    Row("obs-nothing-listening", ("obs", "status", "--port", "{dead}"), ("Nothing is listening",), code=1),
    Row("obs-restore-without-backup", ("obs", "restore", "--port", "{obs}"),
        ("no saved OBS settings to restore",), code=1, state=PROVISIONED),
    # -- golive / stop / end / status ---------------------------------------------------------------------
    Row("golive-before-provision", ("golive",), ("not provisioned", "streamdesk provision"), code=1,
        state=ACCOUNT),
    Row("golive-timeout-zero", ("golive", "--timeout", "0"), ("--timeout must be more than 0",),
        state=PROVISIONED),
    Row("golive-timeout-word", ("golive", "--timeout", "long"), ("--timeout",), state=PROVISIONED),
    Row("golive-storage-bad-name", ("golive", "--record", "--recording-storage", "my storage/1"),
        ("recording storage", "contains"), state=PROVISIONED),
    Row("stop-without-account", ("stop",), ("No GetStream account",), code=1),
    Row("stop-unknown-option", ("stop", "--continue-everything"), ("unrecognized arguments",)),
    Row("end-before-provision", ("end",), ("not provisioned",), code=1, state=ACCOUNT),
    Row("end-force-without-account", ("end", "--force"), ("No GetStream account",), code=1),
    Row("status-unknown-option", ("status", "--yaml"), ("unrecognized arguments",)),
    # -- watch / sessions ------------------------------------------------------------------------------
    Row("watch-for-zero", ("watch", "--for", "0"), ("--for needs a positive number",)),
    Row("watch-for-word", ("watch", "--for", "a-while"), ("--for",)),
    Row("watch-nothing-live", ("watch",), ("no live session", "streamdesk golive"), code=1,
        state=PROVISIONED),
    Row("sessions-json-and-csv", ("sessions", "--json", "--csv"), ("not allowed with",)),
    # -- sim -----------------------------------------------------------------------------------------
    Row("sim-port-word", ("sim", "--port", "any"), ("--port",)),
    Row("sim-port-too-big", ("sim", "--port", "70000"), ("--port", "between 0 and 65535")),
    Row("sim-obs-port-negative", ("sim", "--obs-port", "-1"), ("--obs-port", "between 0 and 65535")),
    Row("sim-time-scale-zero", ("sim", "--time-scale", "0"), ("--time-scale", "above 0")),
    # -- discord -------------------------------------------------------------------------------------
    Row("discord-set-empty", ("discord", "set", "--url-stdin"), ("no webhook URL on standard input",),
        stdin="\n"),
    Row("discord-set-not-a-url", ("discord", "set", "--url-stdin"), ("not a Discord webhook URL",),
        stdin="my webhook\n"),
    Row("discord-set-other-site", ("discord", "set", "--url-stdin"), ("not a Discord webhook URL",),
        stdin="https://example.com/api/webhooks/1/abc\n"),
    Row("discord-set-not-a-webhook", ("discord", "set", "--url-stdin"), ("not a webhook URL",),
        stdin="https://discord.com/channels/1/2\n"),
    Row("discord-set-bad-link", ("discord", "set", "--url-stdin", "--link", "twitch.tv/me"),
        ("--link", "https://"), stdin="https://discord.com/api/webhooks/123/tok-en_1\n"),
    Row("discord-test-without-webhook", ("discord", "test"), ("No Discord webhook is set",), code=1),
    # -- the parser itself -------------------------------------------------------------------------
    Row("unknown-command", ("broadcast",), ("invalid choice",)),
]


# -- the worlds a row starts from -----------------------------------------------------------------------
@dataclass
class World:
    gs: GetStreamSimulator
    obs: ObsSimulator
    keyring: Any  # tests.plugins.keyrings.MemoryKeyring
    ctx: AppContext

    def fill(self, text: str) -> str:
        return text.format(gs=self.gs.url, obs=self.obs.port, dead=free_port())


def _build(state: str, gs: GetStreamSimulator, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    ctx = AppContext()
    if state == EMPTY:
        ctx.store.channel()  # the database exists (empty), as after a first start
        return ctx
    secret = WRONG_SECRET if state == "wrong-secret" else SIM_API_SECRET
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=secret, user_id="host-1", call_id="show-1",
                     api_base=gs.url)
    if state == "no-ingress":
        # a GetStream answer whose call has no `ingress` object at all (a route override: the
        # simulator's call payload minus one key; everything else is the real response)
        original = gs.app._call_body

        def without_ingress(call: Any) -> dict[str, Any]:
            body = original(call)
            del body["ingress"]
            return body

        monkeypatch.setattr(gs.app, "_call_body", without_ingress)
    if state in (PROVISIONED, LIVE):
        ops.provision(ctx)
    if state == LIVE:
        ops.go_live(ctx, sleep=lambda s: None)
    return ctx


@pytest.fixture
def world(gs_sim: GetStreamSimulator, obs_sim: ObsSimulator, memory_keyring: Any,
          monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> World:
    row: Row = request.param
    ctx = _build(row.state, gs_sim, monkeypatch)
    return World(gs_sim, obs_sim, memory_keyring, ctx)


def stored(world: World) -> tuple[dict[str, list[tuple[Any, ...]]], dict[tuple[str, str], str]]:
    """Everything streamdesk keeps: every row of every table, and every keyring entry."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    db = world.ctx.paths.database
    if db.exists():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for name in sorted(names):
                tables[name] = sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
    return tables, dict(world.keyring.entries)


def run_in_process(argv: list[str], *, stdin: str | None, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _env(row: Row, world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {k: world.fill(v) for k, v in row.env.items()}
    if row.secret_env:
        env.setdefault("STREAMDESK_API_SECRET", SIM_API_SECRET)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def check_message(row: Row, code: int, out: str, err: str) -> None:
    assert code == row.code, f"{row.name}: exit {code}, expected {row.code}\n{err}"
    assert "Traceback" not in err and "unexpected error" not in err, err
    lines = err.strip().splitlines()
    assert lines, f"{row.name}: nothing on stderr"
    # our own messages are ONE line; argparse prints its usage line first, then one error line
    message = lines[-1]
    assert len(lines) == 1 or (message.startswith("streamdesk") and ": error: " in message), err
    for word in row.words:
        assert word.lower() in message.lower(), f"{row.name}: {word!r} not in {message!r}"
    for secret in (A_JWT, SIM_API_SECRET, WRONG_SECRET, "not-the-obs-password", "tok-en_1"):
        assert secret not in err and secret not in out, f"{row.name}: a secret was echoed"


@pytest.mark.parametrize("world", ROWS, ids=[r.name for r in ROWS], indirect=True)
def test_cli_bad_input_gives_a_specific_message_and_changes_nothing(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    row: Row = request.node.callspec.params["world"]
    _env(row, world, monkeypatch)
    before = stored(world)
    requests_before = len(world.gs.received)
    code, out, err = run_in_process([world.fill(a) for a in row.argv], stdin=row.stdin, capsys=capsys,
                                    monkeypatch=monkeypatch)
    check_message(row, code, out, err)
    assert stored(world) == before, f"{row.name} changed what is stored"
    if code == 2:  # a usage error is caught before anything is sent anywhere
        assert len(world.gs.received) == requests_before, f"{row.name} reached GetStream"


PROCESS_ROWS = [r for r in ROWS if r.process]


@pytest.mark.parametrize("world", PROCESS_ROWS, ids=[r.name for r in PROCESS_ROWS], indirect=True)
def test_the_same_rows_as_real_processes(world: World, request: pytest.FixtureRequest) -> None:
    row: Row = request.node.callspec.params["world"]
    env = {k: world.fill(v) for k, v in row.env.items()}
    if row.secret_env:
        env["STREAMDESK_API_SECRET"] = SIM_API_SECRET
    # the child cannot see this process's in-memory keyring: process rows need none (the wrong
    # secret goes in through the environment, as a script would hand it in)
    assert row.state in (EMPTY, "wrong-secret"), "process rows must not depend on the in-memory keyring"
    if row.state == "wrong-secret":
        env["STREAMDESK_API_SECRET"] = WRONG_SECRET
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    before = stored(world)
    done = run_cli(*[world.fill(a) for a in row.argv], env=env, input=row.stdin, timeout=60)
    check_message(row, done.returncode, done.stdout, done.stderr)
    assert stored(world) == before
