"""What the redaction filter costs per log record, as a ratio to logging without it.

Run: .venv/bin/python bench/secrets_redaction.py
Baseline and filtered runs happen in the same process, interleaved, best of 5 (3,000 records each).
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from pathlib import Path

from streamdesk.core.secrets import RedactingFilter, register_secret

RECORDS = 3_000


def run(handler: logging.Handler, exc: bool = False) -> float:
    log = logging.getLogger("bench.redaction")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    started = time.perf_counter()
    for i in range(RECORDS):
        if exc:
            try:
                raise ValueError(f"failure {i}")
            except ValueError:
                log.exception("request %d failed for %s", i, "127.0.0.1:4455")
        else:
            log.info("GET /video/call/livestream/show-%d participants=%d", i, i % 50)
    handler.flush()
    return (time.perf_counter() - started) / RECORDS * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = logging.FileHandler(Path(tmp) / "plain.log")
        filtered = logging.FileHandler(Path(tmp) / "filtered.log")
        filtered.addFilter(RedactingFilter())
        for n_secrets in (0, 5, 50):
            while n_secrets and len(_registered) < n_secrets:
                value = f"secret-{uuid.uuid4().hex}"
                register_secret(value)
                _registered.append(value)
            for exc in (False, True):
                base = min(run(plain, exc) for _ in range(5))
                with_filter = min(run(filtered, exc) for _ in range(5))
                kind = "with traceback" if exc else "plain message "
                print(f"{n_secrets:>3} secrets, {kind}: {base:6.1f} µs → {with_filter:6.1f} µs per record "
                      f"(×{with_filter / base:.2f})")


_registered: list[str] = []

if __name__ == "__main__":
    main()
