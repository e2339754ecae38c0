"""The database fixtures themselves: a fresh SQLite file or a fresh database on a real
PostgreSQL, usable through SQLAlchemy, isolated from each other, and loopback-only."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.postgres import PostgresServer

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)


def test_create_insert_select(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        assert sa.inspect(engine).get_table_names() == []  # fresh and empty
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(items), [{"name": "alpha"}, {"name": "beta"}])
        with engine.connect() as conn:
            names = conn.scalars(sa.select(items.c.name).order_by(items.c.id)).all()
        assert names == ["alpha", "beta"]
        assert engine.dialect.name == sa.make_url(database_url).get_backend_name()
    finally:
        engine.dispose()


def test_postgresql_url_uses_psycopg(postgres: PostgresServer) -> None:
    url = sa.make_url(postgres.url("somedb"))
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "postgres",
        "127.0.0.1",
        postgres.port,
        "somedb",
    )


def test_databases_are_isolated(postgres: PostgresServer) -> None:
    names = [f"vida_iso_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    engines = [sa.create_engine(postgres.create_database(name)) for name in names]
    try:
        metadata.create_all(engines[0])
        with engines[0].begin() as conn:
            conn.execute(sa.insert(items), {"name": "only here"})
        assert sa.inspect(engines[0]).get_table_names() == ["items"]
        assert sa.inspect(engines[1]).get_table_names() == []
    finally:
        for engine in engines:
            engine.dispose()
        for name in names:
            postgres.drop_database(name)
    with postgres.connect() as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [names]
        ).fetchall()
    assert left == []


def test_drop_database_with_open_connections(postgres: PostgresServer) -> None:
    name = f"vida_open_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(postgres.create_database(name))
    conn = engine.connect()
    try:
        conn.execute(sa.text("SELECT 1"))
        postgres.drop_database(name)  # WITH (FORCE) ends this session instead of failing
        with pytest.raises(sa.exc.OperationalError):
            conn.execute(sa.text("SELECT 1"))
    finally:
        conn.invalidate()
        conn.close()
        engine.dispose()


def test_sqlite_database_is_a_file_in_tmp_path(database_url: str, tmp_path: Path) -> None:
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database == str(tmp_path / "vida.db")
    else:
        assert url.database.startswith("vida_test_")


def _tcp_listeners(port: int) -> list[str]:
    """Local addresses (hex, as /proc writes them) listening on TCP ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                found.append(address)
    return found


def test_listens_on_loopback_only(postgres: PostgresServer) -> None:
    with postgres.connect() as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert str(conn.execute("SELECT inet_server_addr()").fetchone()[0]) == "127.0.0.1"
    assert _tcp_listeners(postgres.port) == ["0100007F"]  # 127.0.0.1, and nothing else
