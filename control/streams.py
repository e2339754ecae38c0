"""Starting and ending streams under the plan's limits, across every worker process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from control.avatars import allows
from control.db import Database
from control.minutes import LEASE, balance, lock_user
from control.models import ActiveAvatar, Avatar, StreamSession
from control.moderation import active_suspension
from control.plans import Plan
from control.subscriptions import current_plan


class StreamRefused(PermissionError):
    """The user may not start a stream now; ``code`` says why, for the page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StreamGrant:
    """Permission to stream: the stream's id and what the plan allows it."""

    stream_id: str
    width: int
    height: int
    remaining_s: int
    plan: Plan
    notice: str | None  # e.g. the resolution was lowered to the plan's maximum


def end_expired(session: Session, user_id: int, now: datetime) -> int:
    """End the user's streams whose worker stopped renewing the lease; how many ended.

    They keep exactly what was charged tick by tick: the time they actually streamed.
    """
    expired = session.scalars(
        select(StreamSession).where(
            StreamSession.user_id == user_id,
            StreamSession.ended_at.is_(None),
            StreamSession.lease_expires_at <= now,
        )
    ).all()
    for stream in expired:
        stream.ended_at, stream.end_reason = stream.lease_expires_at, "lease_expired"
    return len(expired)


def authorize_start(
    db: Database,
    user_id: int,
    width: int,
    height: int,
    destinations: list[str],
    worker: str,
    now: datetime,
) -> StreamGrant:
    """Check every rule in one transaction and record the new stream, or refuse it."""
    with db.write() as session:
        user = lock_user(session, user_id)
        if user.blocked:
            raise StreamRefused("blocked", "this account is blocked: contact support")
        suspension = active_suspension(session, user_id, now)
        if suspension is not None:
            until = (
                "for good"
                if suspension.ends_at is None
                else f"until {suspension.ends_at:%Y-%m-%d %H:%M} UTC"
            )
            # The admin's reason is what the streamer can act on (or appeal): say it.
            reason = f": {suspension.reason.strip()}" if suspension.reason.strip() else ""
            raise StreamRefused("suspended", f"this account is suspended {until}{reason}")
        plan = current_plan(session, user_id, now)
        left = balance(session, user_id, now)
        if left.remaining_s <= 0:
            raise StreamRefused(
                "no_minutes",
                f"no stream minutes left this week: they reset on {left.resets_at:%A %-d %B} "
                "at 00:00 UTC",
            )
        end_expired(session, user_id, now)
        live = session.scalars(
            select(StreamSession.destinations).where(
                StreamSession.user_id == user_id, StreamSession.ended_at.is_(None)
            )
        )
        # One stream to X and YouTube at once is two streams to the plan (as two OBS
        # instances would be): every destination counts, across every worker.
        busy = sum(_destination_count(d) for d in live)
        wanted = max(1, len(destinations))
        if busy + wanted > plan.max_concurrent_streams:
            limit = plan.max_concurrent_streams
            raise StreamRefused(
                "too_many_streams",
                f"the {plan.name} plan streams to {limit} destination{'s' * (limit != 1)} at a "
                f"time ({busy} live now, {wanted} asked for): stop another stream or choose "
                "fewer destinations",
            )
        avatar_id = _usable_avatar(session, user_id, plan)
        size, notice = clamp_resolution(width, height, plan)
        stream = StreamSession(
            id=secrets.token_hex(12),
            user_id=user_id,
            worker=worker,
            width=size[0],
            height=size[1],
            destinations=", ".join(destinations),
            avatar_id=avatar_id,
            started_at=now,
            lease_expires_at=now + LEASE,
            seconds=0,
        )
        session.add(stream)
        return StreamGrant(stream.id, size[0], size[1], left.remaining_s, plan, notice)


def _destination_count(destinations: str) -> int:
    """How many destinations a recorded stream went to (at least one: older rows, tests)."""
    return max(1, len([d for d in destinations.split(", ") if d]))


def _usable_avatar(session: Session, user_id: int, plan: Plan) -> int | None:
    """The active avatar's id, if the plan allows it (after a downgrade it may not)."""
    active = session.get(ActiveAvatar, user_id)
    if active is None:
        return None
    avatar = session.get(Avatar, active.avatar_id)
    source = session.get(Avatar, avatar.source_id) if avatar and avatar.source_id else avatar
    if source is not None and not allows(plan, source.required_plan):
        raise StreamRefused(
            "avatar_not_in_plan",
            f"your active avatar needs the {source.required_plan} plan: choose another",
        )
    return active.avatar_id


def clamp_resolution(width: int, height: int, plan: Plan) -> tuple[tuple[int, int], str | None]:
    """The size to stream at, and a notice when the plan lowered it."""
    max_width, max_height = plan.max_size
    if width <= max_width and height <= max_height:
        return (width, height), None
    scale = min(max_width / width, max_height / height)
    size = (int(width * scale) // 2 * 2, int(height * scale) // 2 * 2)
    return size, (
        f"the {plan.name} plan streams up to {plan.max_resolution}: "
        f"{width}x{height} lowered to {size[0]}x{size[1]}"
    )


def end_stream(db: Database, stream_id: str, reason: str, now: datetime) -> StreamSession:
    """Record that a stream ended and why (a second call changes nothing)."""
    with db.write() as session:
        stream = session.get(StreamSession, stream_id)
        if stream is None:
            raise LookupError(f"no stream {stream_id!r}")
        if stream.ended_at is None:
            stream.ended_at, stream.end_reason = now, reason
        return stream
