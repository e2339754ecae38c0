"""Operations records: what each stream cost, and the studio's warnings and errors."""

from __future__ import annotations

import logging
import queue
from dataclasses import asdict, dataclass
from datetime import datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any

from sqlalchemy import func, select

from control.clock import utcnow
from control.db import Database
from control.models import ComputeUsage, StreamSession, SystemLog, User
from control.paging import Page, fetch_page


@dataclass(frozen=True)
class StreamCost:
    """The numbers a worker reports when one of its streams ends."""

    worker: str
    live_seconds: float
    frames_out: int
    frames_dropped: int
    tracking_fps: float
    encoder: str
    process_cpu_s: float


def record_cost(db: Database, stream_id: str, cost: StreamCost) -> None:
    """Keep what the stream cost (once per stream)."""
    with db.write() as session:
        if session.get(ComputeUsage, stream_id) is None:
            session.add(ComputeUsage(stream_session_id=stream_id, **asdict(cost)))


def usage_per_user(db: Database, since: datetime) -> list[dict[str, Any]]:
    """Streamed seconds and compute per user since ``since``, the most first (streams that
    never got going, e.g. refused by their RTMP server, do not count)."""
    with db.read() as session:
        rows = session.execute(
            select(
                User.email,
                func.count(StreamSession.id),
                func.coalesce(func.sum(StreamSession.seconds), 0),
                func.coalesce(func.sum(ComputeUsage.process_cpu_s), 0.0),
            )
            .join(StreamSession, StreamSession.user_id == User.id)
            .outerjoin(ComputeUsage, ComputeUsage.stream_session_id == StreamSession.id)
            .where(StreamSession.started_at >= since, StreamSession.seconds > 0)
            .group_by(User.email)
            .order_by(func.sum(StreamSession.seconds).desc())
        ).all()
    return [
        {"email": e, "streams": n, "seconds": int(s), "process_cpu_s": round(float(c), 1)}
        for e, n, s, c in rows
    ]


class DatabaseLogHandler(logging.Handler):
    """Writes log records (warnings and up) to ``system_logs``, off the caller's thread.

    Logging must never wait for the database: records go through a bounded queue to a
    listener thread; when the queue is full, records are dropped (and counted).
    """

    def __init__(self, db: Database, worker: str, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.db, self.worker = db, worker
        self.dropped = 0
        self._queue: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=1000)
        self._front = _DroppingQueueHandler(self._queue, self)
        self._listener = QueueListener(self._queue, _Writer(self))

    def start(self) -> logging.Handler:
        """Start the writer thread; returns the handler to attach to a logger."""
        self._listener.start()
        self._front.setLevel(self.level)
        return self._front

    def stop(self) -> None:
        """Write what is queued, then stop."""
        self._listener.stop()

    def write(self, record: logging.LogRecord) -> None:
        """Store one record (called on the writer thread)."""
        if record.name.startswith(("sqlalchemy", "control.db")):
            return  # the database's own trouble cannot be logged into it
        with self.db.write() as session:
            session.add(
                SystemLog(
                    at=utcnow(),
                    level=record.levelname,
                    logger=record.name[:128],
                    message=self.format(record)[:10_000],
                    worker=self.worker,
                )
            )


class _DroppingQueueHandler(QueueHandler):
    def __init__(self, q: queue.Queue[logging.LogRecord], owner: DatabaseLogHandler) -> None:
        super().__init__(q)
        self.owner = owner

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.owner.dropped += 1


class _Writer(logging.Handler):
    def __init__(self, owner: DatabaseLogHandler) -> None:
        super().__init__()
        self.owner = owner

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.owner.write(record)
        except Exception:  # never let logging take the studio down
            self.owner.dropped += 1


def system_logs(db: Database, level: str | None, page: int, per_page: int) -> dict[str, Any]:
    """Logged warnings and errors, newest first (``level``: only that level)."""
    with db.read() as session:
        statement = select(SystemLog).order_by(SystemLog.id.desc())
        if level:
            statement = statement.where(SystemLog.level == level.upper())
        rows, total = fetch_page(session, statement, page, per_page)
        items = [
            {
                "at": r.at.isoformat() + "Z",
                "level": r.level,
                "logger": r.logger,
                "message": r.message,
                "worker": r.worker,
            }
            for r in rows
        ]
    return Page(items, page, per_page, total).to_dict()
