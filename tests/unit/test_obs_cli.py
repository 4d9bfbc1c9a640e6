"""`streamdesk obs …` argument handling and messages that need no OBS (real CLI processes)."""

from __future__ import annotations

from tests.plugins.processes import run_cli


def test_configure_before_provisioning_says_what_to_do_first():
    out = run_cli("obs", "configure", "--dry-run")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "No GetStream account is set up yet" in out.stderr and "streamdesk setup" in out.stderr


def test_password_stdin_needs_a_password():
    out = run_cli("obs", "status", "--password-stdin", input="\n")
    assert out.returncode == 2 and "no OBS password on standard input" in out.stderr


def test_a_bad_port_is_a_usage_error():
    out = run_cli("obs", "status", "--port", "70000")
    assert out.returncode == 2 and "'70000' is not a port number" in out.stderr


def test_closed_port_with_the_password_from_the_environment():
    from tests.plugins.processes import free_port

    port = free_port()
    out = run_cli("obs", "status", "--port", str(port), env={"STREAMDESK_OBS_PASSWORD": "pw-from-env-123"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"Nothing is listening at 127.0.0.1:{port}" in out.stderr
    assert "pw-from-env-123" not in out.stderr + out.stdout
