"""Control plane throughput: minute debits and stream starts, on SQLite and on PostgreSQL.

Every debit and every start runs in ``Database.write()``: on SQLite one writer at a time for
the whole database (``BEGIN IMMEDIATE``), on PostgreSQL one at a time per user (a row lock).
This measures what that costs: calls per second and per-call latency from the calling thread,
for one thread alone and for 2 worker processes x 8 threads (``multiprocessing`` spawn, like
real workers) debiting different users (many streamers, the normal case) or one user (every
call serialised, the worst case), and for ``authorize_start`` + ``end_stream`` pairs.

    python -m benchmarks.control [--seconds 4] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import DateTime, bindparam, insert, text

from benchmarks.report import machine, publish
from control.db import SQLITE_BUSY_TIMEOUT_MS, Database
from control.migrate import upgrade
from control.minutes import add_minutes, debit
from control.models import UsageDebit
from control.streams import authorize_start, end_stream
from tests.support.control import T0, add_stream, new_user

TICK_S = 10  # seconds charged per debit: a stream worker's tick
PLAN = "goat"  # 6000 minutes a week, 5 streams at a time
SPARE_MINUTES = 1_000_000  # an add-on on top, so no debit ever finds the balance empty
WEEK = datetime(2026, 11, 23)  # the Monday 00:00 of T0's week
HISTORY = 30_000  # debits already this week for the "long week" row: 83 h at 10 s ticks


@dataclass
class Outcome:
    """What one workload did: the latency (s) of every call started in the measured seconds
    (a call still waiting at the end is waited for), failures by message, and how many calls
    finished in time (the rate: a call that waits past the end counts in the latencies only)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    in_time: int = 0  # calls that finished within the measured seconds
    seconds: float = 0.0

    def merge(self, other: Outcome) -> None:
        self.latencies += other.latencies
        self.errors.update(other.errors)
        self.in_time += other.in_time
        self.seconds = max(self.seconds, other.seconds)


def _operation(db: Database, kind: str, target: str | int, name: str) -> Callable[[], float]:
    """One call of the workload, returning its latency in seconds.

    ``debit``: ``target`` is a stream id; each call charges a new tick. ``start``: ``target`` is
    a user id; each call is ``authorize_start`` (timed) then ``end_stream`` (not timed, but
    counted in the rate: it takes the same lock)."""
    if kind == "debit":
        ticks = iter(range(10**9))

        def call() -> float:
            begin = time.perf_counter()
            debit(db, str(target), next(ticks), TICK_S, T0)
            return time.perf_counter() - begin

        return call

    def start() -> float:
        begin = time.perf_counter()
        grant = authorize_start(db, int(target), 1280, 720, ["bench"], name, T0)
        latency = time.perf_counter() - begin
        end_stream(db, grant.stream_id, "benchmark", T0)
        return latency

    return start


def run_threads(
    url: str,
    kind: str,
    targets: list[str | int],
    seconds: float,
    ready: Callable[[], None] = lambda: None,
    wait_go: Callable[[], None] = lambda: None,
) -> Outcome:
    """One thread per target, calling until ``seconds`` after the go (after one warm-up call
    each, which opens its connection and is not counted)."""
    db = Database(url)
    outcomes = [Outcome() for _ in targets]
    warmed = threading.Barrier(len(targets) + 1)
    go = threading.Event()
    deadline = [0.0]

    def task(index: int) -> None:
        call = _operation(db, kind, targets[index], f"bench-{index}")
        outcome = outcomes[index]
        try:
            call()
        except Exception as error:  # counted, and the benchmark goes on
            outcome.errors[_describe(error)] += 1
        warmed.wait()
        go.wait()
        while time.perf_counter() < deadline[0]:
            try:
                outcome.latencies.append(call())
                outcome.in_time += time.perf_counter() <= deadline[0]
            except Exception as error:
                outcome.errors[_describe(error)] += 1

    threads = [threading.Thread(target=task, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    warmed.wait()
    ready()
    wait_go()
    begin = time.perf_counter()
    deadline[0] = begin + seconds
    go.set()
    for thread in threads:
        thread.join()
    total = Outcome(seconds=seconds)
    for outcome in outcomes:
        total.merge(outcome)
    db.close()
    return total


def _describe(error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first[:100]}"


def _process_main(
    url: str,
    kind: str,
    targets: list[str | int],
    seconds: float,
    ready: Any,  # a spawn context's Semaphore, Event and Queue
    go: Any,
    results: Any,
) -> None:
    """A worker process (spawned): its threads, started together with the other process's."""
    outcome = run_threads(url, kind, targets, seconds, ready.release, go.wait)
    results.put((outcome.latencies, dict(outcome.errors), outcome.in_time, outcome.seconds))


def run_processes(
    url: str, kind: str, targets: list[str | int], processes: int, seconds: float
) -> Outcome:
    """``targets`` split over ``processes`` spawned processes, one thread per target."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    share = len(targets) // processes
    workers = [
        context.Process(
            target=_process_main,
            args=(url, kind, targets[i * share : (i + 1) * share], seconds, ready, go, results),
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:  # every process imported, connected and warmed up
        if not ready.acquire(timeout=120):
            raise RuntimeError("a worker process did not get ready in 120 s")
    go.set()
    total = Outcome()
    for _ in workers:
        latencies, errors, in_time, measured = results.get(timeout=seconds + 180)
        total.merge(Outcome(latencies, Counter(errors), in_time, measured))
    for worker in workers:
        worker.join(timeout=30)
    return total


# --- the workloads -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    database: str
    workload: str
    workers: str
    outcome: Outcome


def _user(db: Database, label: str) -> int:
    user_id = new_user(db, f"{label}@example.com", plan=PLAN)
    add_minutes(db, user_id, SPARE_MINUTES, T0, timedelta(days=30))
    return user_id


def _prefill(db: Database, user_id: int, stream_id: str, count: int) -> None:
    """``count`` debits of this week already charged to ``user_id`` (on a stream of its own)."""
    add_stream(db, user_id, stream_id)
    with db.write() as session:
        for first in range(0, count, 5_000):
            session.execute(
                insert(UsageDebit),
                [
                    {
                        "user_id": user_id,
                        "stream_session_id": stream_id,
                        "tick": tick,
                        "week_start": WEEK,
                        "weekly_s": 1,  # leave the week's allowance for the measured debits
                        "addon_s": 0,
                        "at": T0 - timedelta(seconds=count - tick),
                    }
                    for tick in range(first, min(first + 5_000, count))
                ],
            )


def balance_plan(db: Database, user_id: int) -> str:
    """How the database finds a user's debits of the week (the sum every debit and start
    runs): the query plan of ``minutes.balance``'s ledger sum."""
    query = (
        "SELECT coalesce(sum(weekly_s), 0) FROM usage_debits"
        " WHERE user_id = :user AND week_start = :week"
    )
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    statement = text(explain + query).bindparams(
        bindparam("user", user_id), bindparam("week", WEEK, type_=DateTime())
    )
    with db.read() as session:
        lines = [
            str(line[-1]).strip(" ->").split("  (cost")[0] for line in session.execute(statement)
        ]
    return "; ".join(line for line in lines if "Scan" in line or "SCAN" in line or "SEARCH" in line)


def measure(url: str, name: str, args: argparse.Namespace) -> tuple[list[Row], str]:
    """Every workload on one (empty) database, and the plan of the balance's ledger sum once
    the week holds ``args.history`` debits."""
    upgrade(url)
    db = Database(url)
    many = args.processes * args.threads
    crowd = [_user(db, f"crowd{i}") for i in range(many)]
    single, shared = _user(db, "single"), _user(db, "shared")
    heavy, fresh = _user(db, "heavy"), _user(db, "fresh")
    crowd_streams = [add_stream(db, user, f"crowd-{i}") for i, user in enumerate(crowd)]
    shared_streams = [add_stream(db, shared, f"shared-{i}") for i in range(many)]
    for user, stream in ((single, "single-0"), (heavy, "heavy-0"), (fresh, "fresh-0")):
        add_stream(db, user, stream)

    alone, together = "1 thread", f"{args.processes} processes × {args.threads} threads"
    rows = []

    def row(workload: str, workers: str, outcome: Outcome) -> None:
        rows.append(Row(name, workload, workers, outcome))
        print(f"  {name}: {workload}, {workers}: {_rate(outcome):.0f}/s", flush=True)

    seconds, processes = args.seconds, args.processes
    row("debit, one user", alone, run_threads(url, "debit", ["single-0"], seconds))
    row(
        "debit, different users",
        together,
        run_processes(url, "debit", list(crowd_streams), processes, seconds),
    )
    row(
        f"debit, one user ({many} streams)",
        together,
        run_processes(url, "debit", list(shared_streams), processes, seconds),
    )
    row("start + end, one user", alone, run_threads(url, "start", [single], seconds))
    row(
        "start + end, different users",
        together,
        run_processes(url, "start", list(crowd), processes, seconds),
    )

    # A long week: one user has streamed for days (its ledger holds args.history debits).
    _prefill(db, heavy, "heavy-history", args.history)
    if not db.is_sqlite:
        with db.write() as session:  # what autovacuum would have done by then
            session.execute(text("ANALYZE"))
    plan = balance_plan(db, fresh)
    db.close()
    row(
        f"debit, the user with {args.history:,} debits this week",
        alone,
        run_threads(url, "debit", ["heavy-0"], seconds),
    )
    row(
        "debit, another user (none yet) in that week",
        alone,
        run_threads(url, "debit", ["fresh-0"], seconds),
    )
    return rows, plan


# --- the report ----------------------------------------------------------------------------


def _rate(outcome: Outcome) -> float:
    return outcome.in_time / max(outcome.seconds, 1e-9)


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| database | workload | workers | calls/s | p50 ms | p95 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        outcome = row.outcome
        lines.append(
            f"| {row.database} | {row.workload} | {row.workers} | {_rate(outcome):.0f} |"
            f" {_ms(outcome.latencies, 0.5)} | {_ms(outcome.latencies, 0.95)} |"
            f" {_ms(outcome.latencies, 1.0)} | {sum(outcome.errors.values())} |"
        )
    errors = [
        f"- {row.database}, {row.workload}, {row.workers}: {count} × `{message}`"
        for row in rows
        for message, count in row.outcome.errors.most_common()
    ]
    if errors:
        lines += ["", "Errors:", "", *errors]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure on SQLite and PostgreSQL and print (or write) the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each workload")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--history", type=int, default=HISTORY, help="debits already this week")
    parser.add_argument("--write", type=Path, help="write the report to this Markdown file")
    args = parser.parse_args(argv)

    from tests.support.postgres import start_postgres

    taken = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="vida-bench-control-") as folder:
        print("SQLite", flush=True)
        sqlite_rows, sqlite_plan = measure(f"sqlite:///{folder}/control.db", "SQLite", args)
        print("PostgreSQL", flush=True)
        server = start_postgres(Path(folder))
        try:
            url = server.create_database("bench")
            with server.connect() as conn:
                pg_version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            pg_rows, pg_plan = measure(url, "PostgreSQL", args)
        finally:
            server.stop()

    lines = [
        "## Control plane: minute debits and stream starts",
        "",
        f"Taken {taken:%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"SQLite {sqlite3.sqlite_version} (a file on local disk, WAL, synchronous=FULL: every"
        " commit syncs the WAL; writes in `BEGIN IMMEDIATE`, busy timeout"
        f" {SQLITE_BUSY_TIMEOUT_MS / 1000:g} s); PostgreSQL {pg_version} (the tests' throwaway"
        " cluster on 127.0.0.1, fsync and synchronous_commit off, so commits cost less than on"
        " a durable server) on the same cores; SQLAlchemy"
        f" {sqlalchemy.__version__}, psycopg {psycopg.__version__}. Each row runs"
        f" {args.seconds:g} s after one uncounted warm-up call per thread. A debit charges"
        f" {TICK_S} s for a new tick of the thread's own stream; users are on the {PLAN} plan"
        " with spare add-on minutes, so no debit finds the balance empty. *start + end*:"
        " `authorize_start` (timed) then `end_stream` (in the rate, not the latency)."
        " *calls/s*: calls finished within the run's seconds; the latencies also count calls"
        " still waiting at the end (waited for). Latency is per call from the calling thread:"
        " waiting for the lock, the GIL and the cores included. Workers are spawned processes;"
        " every thread has its own user (*different users*) or every thread a stream of one"
        " user (*one user*).",
        "",
        *table(sqlite_rows + pg_rows),
        "",
        f"The last two rows come after {args.history:,} debits of one user were written into"
        " this week's ledger. Plan of the ledger sum in `minutes.balance` (run by every debit"
        f" and start) for a user with none of them: SQLite `{sqlite_plan}`; PostgreSQL"
        f" (after ANALYZE) `{pg_plan}`.",
    ]
    report = "\n".join(lines) + "\n"
    return publish(report, args.write, "control")


if __name__ == "__main__":
    raise SystemExit(main())
