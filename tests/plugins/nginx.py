"""pytest fixtures: a loopback RTMP ingest (nginx + libnginx-mod-rtmp), standing in for GetStream's.

``rtmp_ingest`` starts one nginx on 127.0.0.1 with a free RTMP port and a free HTTP port for
``rtmp_stat``; every publish to ``rtmp://127.0.0.1:PORT/live/<key>`` is also recorded as an FLV.
Stopped by PID (nginx runs with ``daemon off; master_process off;`` so there is exactly one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugins.processes import free_port, stop_process

_CONF = """\
load_module {module};
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        application live {{
            live on;
            record all;
            record_path {root}/rec;
            record_unique on;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{http_port};
        location /stat {{ rtmp_stat all; }}
    }}
}}
"""


@dataclass
class RtmpIngest:
    rtmp_port: int
    http_port: int
    root: Path
    proc: subprocess.Popen

    @property
    def server_url(self) -> str:
        """What OBS gets as its stream server (the key is appended by OBS as the stream name)."""
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live"

    def stats_xml(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/stat", timeout=2) as r:
            return r.read().decode()

    def bytes_in(self) -> int:
        """Bytes nginx has received over RTMP since it started (``rtmp_stat``'s total)."""
        return int(ET.fromstring(self.stats_xml()).findtext("bytes_in") or 0)

    def streams(self) -> list[str]:
        """Names of the streams being published right now (the stream keys)."""
        root = ET.fromstring(self.stats_xml())
        return [e.text or "" for e in root.iterfind("./server/application/live/stream/name")]

    def recordings(self) -> list[Path]:
        return sorted((self.root / "rec").glob("*.flv"))

    def error_log(self) -> str:
        return (self.root / "error.log").read_text(errors="replace")


def _module_path() -> Path | None:
    try:
        out = subprocess.run(["nginx", "-V"], capture_output=True, text=True, timeout=10).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"--modules-path=(\S+)", out)
    module = Path(m.group(1) if m else "/usr/lib/nginx/modules") / "ngx_rtmp_module.so"
    return module if module.exists() else None


def start_nginx(root: Path, timeout: float = 10.0) -> RtmpIngest:
    module = _module_path()
    if module is None:
        raise RuntimeError("the nginx RTMP module is missing")
    for sub in ("rec", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rtmp_port, http_port = free_port(), free_port()
    conf = root / "nginx.conf"
    conf.write_text(_CONF.format(module=module, root=root, rtmp_port=rtmp_port, http_port=http_port))
    proc = subprocess.Popen(["nginx", "-p", str(root), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ingest = RtmpIngest(rtmp_port, http_port, root, proc)
    deadline = time.monotonic() + timeout
    while True:
        try:
            ingest.stats_xml()
            return ingest
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_process(proc)
                raise RuntimeError(f"nginx did not start:\n{ingest.error_log()[-2000:]}") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def rtmp_ingest() -> Iterator[RtmpIngest]:
    if shutil.which("nginx") is None or _module_path() is None:
        pytest.skip("nginx with the RTMP module is not installed "
                    "(apt-get install -y nginx libnginx-mod-rtmp)")
    root = Path(tempfile.mkdtemp(prefix="streamdesk-nginx-"))
    ingest = start_nginx(root)
    try:
        yield ingest
    finally:
        stop_process(ingest.proc)
        shutil.rmtree(root, ignore_errors=True)
