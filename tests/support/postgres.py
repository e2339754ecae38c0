"""A real PostgreSQL for tests: a throwaway cluster from Debian's ``postgresql`` package.

The cluster listens on 127.0.0.1 only (plus a Unix socket in its own temp folder), trusts every
local connection and trades durability for speed (fsync, synchronous_commit and
full_page_writes off). PostgreSQL refuses to run as root, so when the tests run as root the
cluster belongs to the ``postgres`` OS user and every server command goes through ``runuser``;
its folder is a fresh ``/tmp/vida-pg-*`` that user can reach (pytest's own temp folders under
``/tmp/pytest-of-root`` are private to root).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.nginx import free_port

PG_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"
DB_USER = "postgres"

SETTINGS = """
# --- VIDA test cluster ---
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
shared_buffers = 32MB
max_connections = 100
"""


def pg_bin_dir() -> Path:
    """``/usr/lib/postgresql/<newest version>/bin``."""
    versions = [
        path
        for path in PG_ROOT.glob("*")
        if re.fullmatch(r"\d+(\.\d+)?", path.name) and (path / "bin" / "initdb").exists()
    ]
    if not versions:
        raise RuntimeError(
            f"PostgreSQL server binaries not found under {PG_ROOT}: run scripts/setup.sh test"
        )
    newest = max(versions, key=lambda path: tuple(int(part) for part in path.name.split(".")))
    return newest / "bin"


def _ensure_os_user() -> pwd.struct_passwd:
    """The ``postgres`` OS user (the Debian package creates it; create a system user if not)."""
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(OS_USER)


def _clean_env() -> dict[str, str]:
    """Our environment without libpq/PostgreSQL variables (PGHOST, PGDATA, …) and with a
    locale every machine has."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    return env


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL cluster on ``127.0.0.1:port``; ``user`` is trusted."""

    root: Path  # the cluster's own folder: data/, the socket, the server log
    port: int
    bin_dir: Path
    log_root: Path  # where the server log is copied when the cluster stops
    run_as: list[str] = field(default_factory=list)  # ["runuser", "-u", "postgres", "--"] or []
    user: str = DB_USER
    stopped: bool = False

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgresql.log"

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """libpq connection string of ``database`` (for psycopg directly)."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """An autocommit psycopg connection to ``database``."""
        return psycopg.connect(self.conninfo(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` and return its SQLAlchemy URL."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whatever is still connected to it (e.g. a pool)."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def log(self) -> str:
        """The server log so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            cwd=self.root,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions), keep the log, remove the cluster."""
        if self.stopped:
            return
        self.stopped = True
        atexit.unregister(self.stop)
        try:
            if (self.data_dir / "postmaster.pid").exists():
                result = self.pg_ctl("stop", "-m", "fast", "-w", "-t", "30")
                if result.returncode != 0:
                    self.pg_ctl("stop", "-m", "immediate", "-w", "-t", "10")
        finally:
            if self.log_file.exists():
                try:
                    self.log_root.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(self.log_file, self.log_root / "postgresql.log")
                except OSError:
                    pass
            shutil.rmtree(self.root, ignore_errors=True)

    def _wait_ready(self, timeout: float) -> None:
        """Poll until the server accepts a real connection over TCP."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect() as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"PostgreSQL on 127.0.0.1:{self.port} not ready after {timeout} s: "
                        f"{error}\n{self.log()}"
                    ) from None
            time.sleep(0.05)


def start_postgres(root: Path, port: int | None = None, timeout: float = 30) -> PostgresServer:
    """initdb and start a throwaway cluster on 127.0.0.1 (on ``port`` if given, else a free one).

    ``root`` (e.g. a pytest temp folder) receives the server log when the cluster stops; the
    cluster itself lives in a fresh ``/tmp/vida-pg-*`` folder that :meth:`PostgresServer.stop`
    removes.
    """
    bin_dir = pg_bin_dir()
    cluster = Path(tempfile.mkdtemp(prefix="vida-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = _ensure_os_user()
        os.chown(cluster, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", OS_USER, "--"]
    server = PostgresServer(cluster, 0, bin_dir, root, run_as)
    atexit.register(server.stop)  # a crashed session must not leave a postmaster behind
    try:
        initdb = subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(server.data_dir),
                "-U",
                DB_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=cluster,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        conf = server.data_dir / "postgresql.conf"
        base_conf = conf.read_text()
        # Another process may take a port from free_port() before the server binds it: retry.
        for attempt in range(1 if port else 3):
            server.port = port or free_port()
            conf.write_text(base_conf + SETTINGS.format(port=server.port, socket_dir=cluster))
            started = server.pg_ctl(
                "start", "-w", "-t", str(int(timeout)), "-l", str(server.log_file)
            )
            if started.returncode == 0:
                break
            if attempt == 2 or port or "already in use" not in server.log():
                raise RuntimeError(
                    f"PostgreSQL did not start:\n{started.stdout}\n{started.stderr}\n{server.log()}"
                )
        server._wait_ready(timeout)
    except BaseException:
        server.stop()
        raise
    return server
