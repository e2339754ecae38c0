"""Control-plane test helpers, importable by worker processes (multiprocessing, spawn)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from control.accounts import create_user, find_user
from control.clock import utcnow
from control.db import Database
from control.minutes import debit
from control.models import StreamSession
from control.streams import StreamRefused, authorize_start
from control.subscriptions import set_plan

T0 = datetime(2026, 11, 25, 12, 0, 0)  # a Wednesday


def new_user(db: Database, email: str = "streamer@example.com", plan: str = "free") -> int:
    return create_user(db, email, "correct horse battery", T0, plan=plan).id


def change_plan(url: str, email: str, plan_id: str) -> None:
    """What ``vida admin set-plan`` does, straight in the database at ``url``."""
    db = Database(url)
    with db.write() as session:
        set_plan(session, find_user(db, email).id, plan_id, utcnow())
    db.close()


def add_stream(db: Database, user_id: int, stream_id: str, now: datetime = T0) -> str:
    """A live stream row, as authorize_start would leave it (without its checks)."""
    with db.write() as session:
        session.add(
            StreamSession(
                id=stream_id,
                user_id=user_id,
                worker="test",
                width=1280,
                height=720,
                destinations="",
                started_at=now,
                lease_expires_at=now + timedelta(hours=1),
                seconds=0,
            )
        )
    return stream_id


def debit_in_threads(url: str, stream_id: str, first_tick: int, tasks: int, ticks: int) -> int:
    """``tasks`` threads, each debiting ``ticks`` ticks of 5 s twice (a retry); seconds charged."""
    db = Database(url)
    charged = [0] * tasks
    start = threading.Barrier(tasks)

    def task(index: int) -> None:
        start.wait()  # all at once
        for i in range(ticks):
            tick = first_tick + index * ticks + i
            for _attempt in range(2):
                charged[index] += debit(db, stream_id, tick, 5, T0 + timedelta(seconds=i)).charged_s

    _all_at_once(task, tasks)
    db.close()
    return sum(charged)


def start_in_threads(url: str, user_id: int, worker: str, tasks: int) -> int:
    """``tasks`` threads racing to start a stream for ``user_id``; how many were allowed."""
    db = Database(url)
    allowed = [0] * tasks
    start = threading.Barrier(tasks)

    def task(index: int) -> None:
        start.wait()
        try:
            authorize_start(db, user_id, 1280, 720, [], f"{worker}-{index}", T0)
            allowed[index] = 1
        except StreamRefused as refused:
            assert refused.code == "too_many_streams", refused

    _all_at_once(task, tasks)
    db.close()
    return sum(allowed)


def _all_at_once(task: Callable[[int], None], count: int) -> None:
    """Run ``task(0)`` … ``task(count - 1)`` on threads of their own; wait for all."""
    threads = [threading.Thread(target=task, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
