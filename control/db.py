"""Connections and transactions, the same on SQLite (embedded default) and PostgreSQL.

Every change that reads a balance and then writes one runs in ``Database.write()``. On
PostgreSQL it locks the rows it reads (``FOR UPDATE``); on SQLite the transaction starts with
``BEGIN IMMEDIATE``, which takes the database's write lock before the first read, so two
processes can never both read the same balance and both spend it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000  # a writer waits this long for another's lock, then fails


class DatabaseError(RuntimeError):
    """The database URL cannot be used."""


class Database:
    """One engine and its two kinds of transaction."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except Exception:
            raise DatabaseError(f"database_url {url!r} is not a database URL") from None
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        self.engine = create_engine(url, **options)
        if self.is_sqlite:
            _prepare_sqlite(self.engine)
        # SQLite's busy handler retries with sleeps rather than queueing: under contention an
        # unlucky writer kept losing for seconds (benchmarks/control.py saw 14 s and "database
        # is locked"). Writers of this process queue on a lock instead; only other processes
        # still meet the busy handler.
        self._write_turn = threading.Lock() if self.is_sqlite else nullcontext()
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(vida_write=True)
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for reading (committed at the end, rolled back on error)."""
        with self._read.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that may read-then-write balances: serialised against its peers."""
        with self._write_turn, self._write.begin() as session:
            yield session

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(connection: Any, _: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("vida_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
