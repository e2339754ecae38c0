"""A real RTMP server for tests: Debian nginx with libnginx-mod-rtmp, plus a TLS front for rtmps."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"

CONFIG = """
load_module {rtmp_module};
load_module {stream_module};
daemon off;
# Workers would run as nobody, who cannot enter pytest's private temp folders. (Ignored,
# harmlessly, when the tests do not run as root.)
user root;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    chunk_size 4096;
    application live {{
      live on;
      record all;
      record_path {records};
      record_unique off;
      exec_record_done /usr/bin/touch {records}/$basename.done;
    }}
  }}
}}
stream {{
  server {{
    listen 127.0.0.1:{tls_port} ssl;
    ssl_certificate {root}/cert.pem;
    ssl_certificate_key {root}/key.pem;
    proxy_pass 127.0.0.1:{port};
  }}
}}
"""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Poll until something accepts TCP connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_for_file(path: Path, timeout: float) -> Path:
    """Poll until ``path`` exists (nginx writes its record-done marker)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)
    return path


@dataclass
class NginxRtmp:
    """A running nginx-rtmp that records every stream to ``records/<key>.flv``."""

    root: Path
    port: int
    tls_port: int
    process: subprocess.Popen[bytes]

    @property
    def records(self) -> Path:
        """Where recordings land."""
        return self.root / "records"

    def url(self, key: str = "") -> str:
        """rtmp:// URL of the ``live`` application (with the key when given)."""
        return f"rtmp://127.0.0.1:{self.port}/live" + (f"/{key}" if key else "")

    def rtmps_url(self, key: str = "") -> str:
        """rtmps:// URL through the TLS front."""
        return f"rtmps://127.0.0.1:{self.tls_port}/live" + (f"/{key}" if key else "")

    def recording(self, key: str, timeout: float = 15.0) -> Path:
        """The finished recording of stream ``key`` (waits until nginx closed it)."""
        wait_for_file(self.records / f"{key}.done", timeout)
        return self.records / f"{key}.flv"

    def stop(self) -> None:
        """Stop nginx."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nginx(root: Path, port: int | None = None) -> NginxRtmp:
    """Write a config under ``root`` and run nginx in the foreground (on ``port`` if given)."""
    if not shutil.which("nginx") or not os.path.exists(RTMP_MODULE):
        raise RuntimeError(
            "nginx with libnginx-mod-rtmp is not installed: run scripts/setup.sh test"
        )
    records = root / "records"
    records.mkdir(parents=True)
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [
            *openssl,
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            root / "key.pem",
            "-out",
            root / "cert.pem",
        ],
        check=True,
        capture_output=True,
    )
    port, tls_port = port or free_port(), free_port()
    (root / "nginx.conf").write_text(
        CONFIG.format(
            rtmp_module=RTMP_MODULE,
            stream_module=STREAM_MODULE,
            root=root,
            records=records,
            port=port,
            tls_port=tls_port,
        )
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(root / "nginx.conf"), "-p", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = NginxRtmp(root, port, tls_port, process)
    try:
        wait_for_port(port)
        wait_for_port(tls_port)
    except TimeoutError:
        server.stop()
        raise RuntimeError((root / "error.log").read_text()) from None
    return server
