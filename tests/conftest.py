"""Shared fixtures: a real nginx-rtmp server, a real PostgreSQL, and test settings."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings, load_settings
from tests.support.media import SHARED_ASSETS, moving_person_frames, write_y4m
from tests.support.nginx import NginxRtmp, start_nginx
from tests.support.postgres import PostgresServer, start_postgres


@pytest.fixture(scope="session", autouse=True)
def _shared_assets_present() -> None:
    if not SHARED_ASSETS.is_dir():
        pytest.exit(f"test assets missing: {SHARED_ASSETS} (CI provides ../shared)", returncode=3)


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NginxRtmp]:
    """nginx with the RTMP module on 127.0.0.1, recording every stream it receives."""
    server = start_nginx(tmp_path_factory.mktemp("nginx"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster on 127.0.0.1 for the whole run; its server log is copied
    into the session's ``postgres0`` temp folder when it stops."""
    server = start_postgres(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database: a SQLite file in ``tmp_path``, or a new
    database on the session's PostgreSQL (started only when a postgresql test runs), dropped
    after the test even if connections to it are still open."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/vida.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"vida_test_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Studio settings for tests: small output, loopback-only ICE, short timeouts.

    The output is the camera itself (``VIDA_SCENE=camera``): the media tests read what they
    sent in the pixels that arrive. ``avatar_settings`` streams the avatar instead.
    """
    return load_settings(
        {
            "VIDA_SCENE": "camera",
            "VIDA_DATA_DIR": str(tmp_path / "data"),
            "VIDA_RESOLUTION": "640x360",
            "VIDA_FPS": "30",
            "VIDA_X264_PRESET": "ultrafast",
            "VIDA_ICE_HOST_ADDRESSES": "127.0.0.1",
            "VIDA_CONNECT_TIMEOUT_S": "3",
            "VIDA_CAMERA_TIMEOUT_S": "2",
            "VIDA_RTMP_RETRY_DELAYS_S": "0.2,0.2",
        }
    )


@pytest.fixture
def avatar_settings(settings: Settings) -> Settings:
    """``settings`` with the avatar as the output (the shipped default avatar)."""
    return settings.replace(scene="avatar")


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture(scope="session")
def fake_webcam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Y4M of the astronaut photo moving (3 s, looped), which Chromium plays as its camera."""
    path = tmp_path_factory.mktemp("webcam") / "astronaut.y4m"
    return write_y4m(path, moving_person_frames(640, 360, 90), fps=30)
