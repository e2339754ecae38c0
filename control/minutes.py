"""Stream minutes: a weekly allowance (Monday 00:00 UTC), plus add-on pools, minus use.

Everything is counted in seconds. A debit takes from the week's allowance first, then from
add-on pools in the order they expire. Debits are atomic (``Database.write`` serialises them
per database on SQLite and per user on PostgreSQL), idempotent (one ledger row per
(stream, tick)) and never overdraw: a tick that wants more than is left is charged what is
left, and the stream is told to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control.clock import week_start
from control.db import Database
from control.models import AddOn, StreamSession, UsageDebit, User
from control.moderation import active_suspension
from control.subscriptions import current_plan

LEASE = timedelta(seconds=60)  # a stream with no debit for this long is taken as dead


@dataclass(frozen=True)
class Balance:
    """Where a user's minutes stand at one moment."""

    weekly_allowance_s: int
    weekly_used_s: int
    addon_left_s: int
    week_start: datetime
    plan_id: str  # the plan in force at that moment

    @property
    def weekly_left_s(self) -> int:
        """What is left of this week's allowance."""
        return max(0, self.weekly_allowance_s - self.weekly_used_s)

    @property
    def remaining_s(self) -> int:
        """Everything left to stream with."""
        return self.weekly_left_s + self.addon_left_s

    @property
    def resets_at(self) -> datetime:
        """When the weekly allowance starts again."""
        return self.week_start + timedelta(days=7)


@dataclass(frozen=True)
class Debit:
    """The outcome of one tick's debit."""

    charged_s: int
    remaining_s: int
    repeated: bool  # this tick was charged before: nothing more was taken
    stream_ended: bool  # the stream has ended: nothing was taken, the worker must stop
    end_reason: str | None = None  # why it ended (e.g. "suspended", "lease_expired")
    plan_id: str = "free"  # the user's plan now: a change applies to running streams too


def _active_addons(session: Session, user_id: int, now: datetime) -> list[AddOn]:
    return list(
        session.scalars(
            select(AddOn)
            .where(AddOn.user_id == user_id, AddOn.kind == "extra_minutes", AddOn.expires_at > now)
            .order_by(AddOn.expires_at, AddOn.id)
        )
    )


def balance(session: Session, user_id: int, now: datetime) -> Balance:
    """The user's minutes at ``now``."""
    start = week_start(now)
    used = session.scalar(
        select(func.coalesce(func.sum(UsageDebit.weekly_s), 0)).where(
            UsageDebit.user_id == user_id, UsageDebit.week_start == start
        )
    )
    addon_left = sum(
        max(0, a.quantity * 60 - a.used_s) for a in _active_addons(session, user_id, now)
    )
    plan = current_plan(session, user_id, now)
    return Balance(plan.weekly_stream_minutes * 60, int(used), addon_left, start, plan.id)


def lock_user(session: Session, user_id: int) -> User:
    """Hold the user's row until the transaction ends (PostgreSQL; SQLite holds the
    database's write lock already), so balance checks and debits of one user never overlap."""
    user = session.scalars(select(User).where(User.id == user_id).with_for_update()).first()
    if user is None:
        raise LookupError(f"no user {user_id}")
    return user


def debit(db: Database, stream_id: str, tick: int, seconds: int, now: datetime) -> Debit:
    """Charge ``seconds`` streamed in tick number ``tick`` of stream ``stream_id``."""
    if seconds < 0 or tick < 0:
        raise ValueError("a debit needs a tick number and seconds of 0 or more")
    with db.write() as session:
        stream = session.get(StreamSession, stream_id)
        if stream is None:
            raise LookupError(f"no stream {stream_id!r}")
        user = lock_user(session, stream.user_id)
        session.refresh(stream)  # as of the lock: another worker may have ended it
        left = balance(session, stream.user_id, now)
        done = session.scalars(
            select(UsageDebit).where(
                UsageDebit.stream_session_id == stream_id, UsageDebit.tick == tick
            )
        ).first()
        if done is not None:
            return Debit(
                done.weekly_s + done.addon_s, left.remaining_s, True, False, None, left.plan_id
            )
        if stream.ended_at is None and (user.blocked or active_suspension(session, user.id, now)):
            # An admin blocked or suspended them while live: the stream ends at this tick.
            stream.ended_at = now
            stream.end_reason = "blocked" if user.blocked else "suspended"
        if stream.ended_at is not None:
            return Debit(0, left.remaining_s, False, True, stream.end_reason, left.plan_id)
        weekly = min(seconds, left.weekly_left_s)
        from_addons = _take_from_addons(session, stream.user_id, seconds - weekly, now)
        session.add(
            UsageDebit(
                user_id=stream.user_id,
                stream_session_id=stream_id,
                tick=tick,
                week_start=left.week_start,
                weekly_s=weekly,
                addon_s=from_addons,
                at=now,
            )
        )
        stream.seconds += weekly + from_addons
        stream.lease_expires_at = now + LEASE
        charged = weekly + from_addons
        return Debit(charged, left.remaining_s - charged, False, False, None, left.plan_id)


def _take_from_addons(session: Session, user_id: int, wanted: int, now: datetime) -> int:
    taken = 0
    for addon in _active_addons(session, user_id, now):
        if taken >= wanted:
            break
        step = min(wanted - taken, max(0, addon.quantity * 60 - addon.used_s))
        addon.used_s += step
        taken += step
    return taken


def add_minutes(
    db: Database, user_id: int, minutes: int, now: datetime, valid_for: timedelta
) -> None:
    """Give the user an extra-minutes add-on (bought, or granted by an admin)."""
    if minutes <= 0:
        raise ValueError("an add-on needs at least one minute")
    with db.write() as session:
        session.add(
            AddOn(
                user_id=user_id,
                kind="extra_minutes",
                quantity=minutes,
                used_s=0,
                created_at=now,
                expires_at=now + valid_for,
            )
        )
