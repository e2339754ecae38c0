"""Moderation: suspensions (levels 1–7), warnings, blocking, and the audit log of it all."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from control.accounts import Account
from control.db import Database
from control.models import AuditEntry, Caution, StreamSession, Suspension, User
from control.paging import Page, fetch_page
from control.subscriptions import current_plan, set_plan

# Level → how long the suspension lasts; level 7 never ends (only an admin lifts it).
SUSPENSION_DAYS: dict[int, int | None] = {1: 1, 2: 3, 3: 7, 4: 14, 5: 30, 6: 180, 7: None}


class NotAdmin(PermissionError):
    """The signed-in account may not use the admin tools."""


class ModerationError(ValueError):
    """An admin action that cannot be done as asked."""


class UnknownUser(LookupError):
    """No user has that id."""


class UnknownStream(LookupError):
    """No live stream has that id."""


def require_admin(account: Account) -> None:
    """Refuse anyone but an admin."""
    if not account.is_admin:
        raise NotAdmin("only admins may do this")


def active_suspension(session: Session, user_id: int, now: datetime) -> Suspension | None:
    """The suspension in force, if any: ended or lifted ones have lapsed by themselves."""
    return session.scalars(
        select(Suspension)
        .where(
            Suspension.user_id == user_id,
            Suspension.starts_at <= now,
            Suspension.lifted_at.is_(None),
            or_(Suspension.ends_at.is_(None), Suspension.ends_at > now),
        )
        .order_by(Suspension.ends_at.is_(None).desc(), Suspension.ends_at.desc())
        .limit(1)
    ).first()


def _audit(
    session: Session, admin: Account | None, action: str, user_id: int | None, **details: Any
) -> None:
    session.add(
        AuditEntry(
            at=details.pop("now"),
            admin_id=admin.id if admin is not None else None,
            action=action,
            target_user_id=user_id,
            details=json.dumps(details, default=str, sort_keys=True),
        )
    )


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UnknownUser(f"no user {user_id}")
    return user


def suspend(
    db: Database, admin: Account, user_id: int, level: int, reason: str, now: datetime
) -> Suspension:
    """Suspend a user from streaming for the level's time (7: until lifted)."""
    require_admin(admin)
    if level not in SUSPENSION_DAYS:
        raise ModerationError("suspension level must be 1–7 (1 day, 3, 7, 14, 30, 180, permanent)")
    if user_id == admin.id:
        raise ModerationError("admins cannot suspend themselves")
    days = SUSPENSION_DAYS[level]
    with db.write() as session:
        _target(session, user_id)
        suspension = Suspension(
            user_id=user_id,
            level=level,
            reason=reason,
            starts_at=now,
            ends_at=None if days is None else now + timedelta(days=days),
        )
        session.add(suspension)
        _audit(session, admin, "suspend", user_id, level=level, reason=reason, now=now)
        return suspension


def lift_suspensions(db: Database, admin: Account, user_id: int, now: datetime) -> int:
    """Lift every suspension in force; how many were lifted."""
    require_admin(admin)
    with db.write() as session:
        _target(session, user_id)
        lifted = 0
        while (suspension := active_suspension(session, user_id, now)) is not None:
            suspension.lifted_at = now
            session.flush()
            lifted += 1
        _audit(session, admin, "lift_suspensions", user_id, lifted=lifted, now=now)
        return lifted


def warn(db: Database, admin: Account, user_id: int, message: str, now: datetime) -> None:
    """Give a user a warning."""
    require_admin(admin)
    if not message.strip():
        raise ModerationError("a warning needs a message that says what was wrong")
    with db.write() as session:
        _target(session, user_id)
        session.add(Caution(user_id=user_id, message=message.strip(), at=now))
        _audit(session, admin, "warn", user_id, message=message.strip(), now=now)


def set_blocked(db: Database, admin: Account, user_id: int, blocked: bool, now: datetime) -> None:
    """Block (no sign-in, no streaming) or unblock a user."""
    require_admin(admin)
    if blocked and user_id == admin.id:
        raise ModerationError("admins cannot block themselves")
    with db.write() as session:
        _target(session, user_id).blocked = blocked
        _audit(session, admin, "block" if blocked else "unblock", user_id, now=now)


def change_plan(db: Database, admin: Account, user_id: int, plan_id: str, now: datetime) -> str:
    """Move a user to another plan, from now on (running streams included)."""
    require_admin(admin)
    with db.write() as session:
        _target(session, user_id)
        plan = set_plan(session, user_id, plan_id, now)
        _audit(session, admin, "set_plan", user_id, plan=plan.id, now=now)
        return plan.id


def record(
    db: Database, admin: Account, action: str, user_id: int | None, now: datetime, **details: Any
) -> None:
    """Audit an admin action done elsewhere (e.g. ending a live stream in the studio)."""
    require_admin(admin)
    with db.write() as session:
        _audit(session, admin, action, user_id, now=now, **details)


def list_users(db: Database, query: str, page: int, per_page: int, now: datetime) -> Page:
    """Users whose address contains ``query``, newest first, with their standing."""
    with db.read() as session:
        statement = select(User).order_by(User.id.desc())
        if query.strip():
            statement = statement.where(User.email.contains(query.strip().lower()))
        users, total = fetch_page(session, statement, page, per_page)
        return Page([standing(session, user, now) for user in users], page, per_page, total)


def standing(session: Session, user: User, now: datetime) -> dict[str, Any]:
    """A user as the admin pages show them."""
    suspension = active_suspension(session, user.id, now)
    cautions = session.scalar(
        select(func.count()).select_from(Caution).where(Caution.user_id == user.id)
    )
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "blocked": user.blocked,
        "plan": current_plan(session, user.id, now).id,
        "suspended_until": None
        if suspension is None
        else ("permanent" if suspension.ends_at is None else suspension.ends_at.isoformat() + "Z"),
        "warnings": cautions,
        "created_at": user.created_at.isoformat() + "Z",
    }


def own_standing(session: Session, user_id: int, now: datetime) -> dict[str, Any]:
    """What a user is told about themselves: a suspension in force (until when, why) and the
    warnings admins gave them, newest first."""
    suspension = active_suspension(session, user_id, now)
    cautions = session.scalars(
        select(Caution).where(Caution.user_id == user_id).order_by(Caution.at.desc()).limit(20)
    )
    return {
        "suspension": None
        if suspension is None
        else {
            "until": None if suspension.ends_at is None else suspension.ends_at.isoformat() + "Z",
            "permanent": suspension.ends_at is None,
            "reason": suspension.reason,
        },
        "warnings": [{"message": c.message, "at": c.at.isoformat() + "Z"} for c in cautions],
    }


def live_streams(db: Database, page: int, per_page: int) -> Page:
    """Streams live now on any worker, newest first."""
    with db.read() as session:
        statement = (
            select(StreamSession, User.email)
            .join(User, User.id == StreamSession.user_id)
            .where(StreamSession.ended_at.is_(None))
            .order_by(StreamSession.started_at.desc())
        )
        rows, total = fetch_page(session, statement, page, per_page)
        items = [
            {
                "id": stream.id,
                "user_id": stream.user_id,
                "email": email,
                "worker": stream.worker,
                "size": [stream.width, stream.height],
                "destinations": stream.destinations,
                "started_at": stream.started_at.isoformat() + "Z",
                "seconds": stream.seconds,
            }
            for stream, email in rows
        ]
    return Page(items, page, per_page, total)


def end_live_stream(db: Database, admin: Account, stream_id: str, now: datetime) -> None:
    """End a live stream; its worker stops it at its next minute tick."""
    require_admin(admin)
    with db.write() as session:
        stream = session.get(StreamSession, stream_id)
        if stream is None or stream.ended_at is not None:
            raise UnknownStream(f"no live stream {stream_id!r}")
        stream.ended_at, stream.end_reason = now, "ended_by_admin"
        _audit(session, admin, "end_stream", stream.user_id, stream=stream_id, now=now)


def audit_command_line(
    session: Session, action: str, user_id: int, now: datetime, **details: Any
) -> None:
    """Record an action an operator took with ``vida admin`` (no admin account: the
    operating-system user and host stand in for one)."""
    operator = f"{getpass.getuser()}@{socket.gethostname()}"
    _audit(session, None, action, user_id, now=now, via="command line", by=operator, **details)


def audit_log(db: Database, page: int, per_page: int) -> Page:
    """Admin actions, newest first."""
    with db.read() as session:
        admin, target = aliased(User), aliased(User)
        statement = (
            select(AuditEntry, admin.email, target.email)
            .outerjoin(admin, admin.id == AuditEntry.admin_id)
            .outerjoin(target, target.id == AuditEntry.target_user_id)
            .order_by(AuditEntry.id.desc())
        )
        rows, total = fetch_page(session, statement, page, per_page)
        items = [
            {
                "at": row.at.isoformat() + "Z",
                "admin_id": row.admin_id,
                "admin_email": admin_email,  # None: the command line (vida admin)
                "action": row.action,
                "user_id": row.target_user_id,
                "user_email": user_email,
                "details": json.loads(row.details or "{}"),
            }
            for row, admin_email, user_email in rows
        ]
    return Page(items, page, per_page, total)
