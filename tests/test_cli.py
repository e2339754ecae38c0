"""``vida stream``: the same pipeline from a media file, as a user runs it."""

from __future__ import annotations

import logging
import re
import socket
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from config import load_settings
from streamer.cli import RoutineRequestFilter
from tests.support.media import (
    WOMAN_VIDEO,
    ffprobe,
    flash_and_beep_onsets,
    write_flash_beep_file,
)
from tests.support.nginx import NginxRtmp, free_port, wait_for_port

pytestmark = pytest.mark.slow
VIDA = str(Path(sys.executable).parent / "vida")
KEY = "cli_SENTINEL_77aa"


def vida(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {"VIDA_RESOLUTION": "640x360", "VIDA_X264_PRESET": "ultrafast", "PATH": "/usr/bin:/bin"}
    env["VIDA_SCENE"] = "camera"  # these tests read what they sent in the pixels that arrive
    return subprocess.run(
        [VIDA, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def test_stream_a_file_into_nginx(nginx: NginxRtmp) -> None:
    started = time.monotonic()
    result = vida(
        "stream", "--input", str(WOMAN_VIDEO), "--output", nginx.url(KEY), "--duration", "3"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    streamed = float(re.search(r"streamed ([\d.]+) s", result.stderr).group(1))
    assert streamed == pytest.approx(3.0, abs=0.3)
    assert KEY not in result.stderr + result.stdout
    probe = ffprobe(nginx.recording(KEY))
    assert probe.codecs == {"video": "h264", "audio": "aac"}
    assert (probe.width, probe.height) == (640, 360)
    assert probe.fps == pytest.approx(30, rel=0.1)
    assert probe.duration_s == pytest.approx(streamed, abs=0.5)
    assert elapsed < 20


def test_record_a_file_with_resolution_flag(tmp_path: Path) -> None:
    out = tmp_path / "out.flv"
    result = vida(
        "stream", "--input", str(WOMAN_VIDEO), "--output", str(out),
        "--duration", "2", "--resolution", "1280x720", "--fps", "25",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    probe = ffprobe(out)
    assert (probe.width, probe.height) == (1280, 720)
    assert probe.fps == pytest.approx(25, rel=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "http://example.com/live"], "must be an rtmp://, rtmps:// or file:// URL"),
        (["--output", "rtmp://127.0.0.1:{port}/live/" + KEY], "refused the connection"),
        (["--output", "{tmp}/x.flv", "--resolution", "huge"], "is not WIDTHxHEIGHT"),
        (
            ["--output", "{tmp}/x.flv", "--input", "/nonexistent.mp4"],
            "cannot read /nonexistent.mp4",
        ),
        (["--output", "{tmp}/x.mp4"], "recordings are FLV files"),
        (["--output", "/nonexistent/dir/x.flv"], "folder /nonexistent/dir does not exist"),
        (["--output", "{tmp}/x.flv", "--duration", "0"], "--duration must be more than 0"),
        (["--output", "{tmp}/x.flv", "--loop"], "--loop needs --duration"),
    ],
)
def test_bad_arguments_exit_with_a_clear_message(
    args: list[str], message: str, tmp_path: Path
) -> None:
    args = [a.format(port=free_port(), tmp=tmp_path) for a in args]
    if "--input" not in args:
        args = ["--input", str(WOMAN_VIDEO), *args]
    if "--duration" not in args and "--loop" not in args:
        args += ["--duration", "2"]
    result = vida("stream", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert KEY not in result.stderr
    assert "Traceback" not in result.stderr


def test_file_audio_and_video_stay_in_sync(tmp_path: Path) -> None:
    source = write_flash_beep_file(tmp_path / "flash.mp4")
    out = tmp_path / "out.flv"
    result = vida("stream", "--input", str(source), "--output", str(out))
    assert result.returncode == 0, result.stderr
    flashes, beeps = flash_and_beep_onsets(out)
    assert len(flashes) >= 4 and len(beeps) >= 4, (flashes, beeps)
    offsets = [min(beeps, key=lambda b, f=f: abs(b - f)) - f for f in flashes]
    assert abs(statistics.median(offsets)) < 0.045, offsets
    assert all(-0.1 < offset < 0.15 for offset in offsets), offsets


def test_serve_over_https(tmp_path: Path) -> None:
    """Browsers give the camera only to https:// pages (or localhost): serve TLS when asked."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "VIDA_TLS_CERT": str(cert), "VIDA_TLS_KEY": str(key)}
    env |= {"VIDA_PORT": str(port), "VIDA_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen([VIDA, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, timeout=30)
        trust = ssl.create_default_context(cafile=cert)
        response = httpx.get(f"https://127.0.0.1:{port}/api/v1/health", verify=trust)
        assert response.json()["ok"] is True
        page = httpx.get(f"https://127.0.0.1:{port}/", verify=trust)
        assert "VIDA Studio" in page.text
    finally:
        server.terminate()
        assert f"https://127.0.0.1:{port}/" in server.communicate(timeout=15)[1]


def test_serve_says_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = vida("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "VIDA studio on" not in result.stderr


def _access_line(method: str, path: str, status: int) -> logging.LogRecord:
    """An access log record as uvicorn makes it."""
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, "h11_impl.py", 477, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50412", method, path, "1.1", status), None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "status", "logged"),
    [
        ("GET", "/api/v1/sessions/3f9a0c/stats", 200, False),  # the page's poll, every second
        ("GET", "/api/v1/sessions/3f9a0c/stats?t=1", 200, False),
        ("GET", "/api/v1/events", 200, False),
        ("GET", "/api/v1/sessions/3f9a0c/stats", 404, True),  # a failed poll says something
        ("GET", "/api/v1/events", 401, True),
        ("GET", "/api/v1/sessions/3f9a0c", 200, True),
        ("POST", "/api/v1/sessions/3f9a0c/live", 200, True),
        ("GET", "/api/v1/admin/stats", 200, True),  # only the page's own polls are routine
        ("GET", "/static/stats", 200, True),
    ],
)
def test_the_access_log_leaves_out_only_successful_routine_polls(
    method: str, path: str, status: int, logged: bool
) -> None:
    record = _access_line(method, path, status)
    assert RoutineRequestFilter().filter(record) is logged
    assert "HTTP/1.1" in record.getMessage()  # the record is one uvicorn could print


def test_serve_installs_the_access_log_filter(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import streamer.cli as cli

    access = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access, "filters", [])
    monkeypatch.setattr(cli.StudioServer, "run", lambda self: None)
    monkeypatch.setattr("streamer.app.create_app", lambda settings: object())
    settings = load_settings({"VIDA_DATA_DIR": str(tmp_path), "VIDA_PORT": str(free_port())})
    assert cli.serve(settings) == 0
    assert [type(f) for f in access.filters] == [RoutineRequestFilter]
    assert not access.filter(_access_line("GET", "/api/v1/sessions/a/stats", 200))
    assert access.filter(_access_line("GET", "/api/v1/sessions/a/stats", 500))
