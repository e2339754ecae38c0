"""Admin routes of the API (role ``admin``; every action lands in the audit log).

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside the router functions, and those must be real objects, not strings.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from control.accounts import Account
from control.api_deps import PageNumber, PerPage, SignedIn
from control.db import Database
from control.minutes import balance
from control.moderation import (
    audit_log,
    change_plan,
    end_live_stream,
    lift_suspensions,
    list_users,
    live_streams,
    require_admin,
    set_blocked,
    suspend,
    warn,
)
from control.operations import system_logs, usage_per_user


class Suspend(BaseModel):
    """A suspension: its level (1–7) and why."""

    level: int = Field(ge=1, le=7)
    reason: str = Field(min_length=1, max_length=2000)


class Warn(BaseModel):
    """A warning's message to the user."""

    message: str = Field(min_length=1, max_length=2000)


class PlanChange(BaseModel):
    """The plan to move to."""

    plan: str = Field(max_length=32)


def admin_router(router: APIRouter, db: Database, clock: Callable[[], datetime]) -> None:
    """Admin routes (role ``admin``; every action lands in the audit log)."""

    def admin(account: Account) -> Account:
        require_admin(account)
        return account

    @router.get("/admin/users")
    async def users(
        account: SignedIn, q: str = "", page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Users, searched by e-mail address, with plan, standing and this week's minutes."""
        admin(account)
        now = clock()
        listed = list_users(db, q, page, per_page, now).to_dict()
        with db.read() as session:
            for user in listed["items"]:
                user["weekly_used_s"] = balance(session, user["id"], now).weekly_used_s
        return listed

    @router.post("/admin/users/{user_id}/plan")
    async def user_plan(user_id: int, body: PlanChange, account: SignedIn) -> dict[str, Any]:
        """Move a user to another plan now (a running stream follows at its next tick)."""
        return {"plan": change_plan(db, admin(account), user_id, body.plan, clock())}

    @router.post("/admin/users/{user_id}/block")
    async def block(user_id: int, account: SignedIn) -> dict[str, Any]:
        """Block a user: no sign-in, and a live stream ends at its next minute tick."""
        set_blocked(db, admin(account), user_id, True, clock())
        return {"blocked": True}

    @router.post("/admin/users/{user_id}/unblock")
    async def unblock(user_id: int, account: SignedIn) -> dict[str, Any]:
        """Let a blocked user back in."""
        set_blocked(db, admin(account), user_id, False, clock())
        return {"blocked": False}

    @router.post("/admin/users/{user_id}/suspend")
    async def suspend_user(user_id: int, body: Suspend, account: SignedIn) -> dict[str, Any]:
        """Suspend from streaming: level 1–7 is 1, 3, 7, 14, 30, 180 days or for good."""
        row = suspend(db, admin(account), user_id, body.level, body.reason, clock())
        until = None if row.ends_at is None else row.ends_at.isoformat() + "Z"
        return {"level": row.level, "until": until}

    @router.post("/admin/users/{user_id}/lift-suspension")
    async def lift(user_id: int, account: SignedIn) -> dict[str, Any]:
        """Lift every suspension in force."""
        return {"lifted": lift_suspensions(db, admin(account), user_id, clock())}

    @router.post("/admin/users/{user_id}/warn", status_code=201)
    async def warn_user(user_id: int, body: Warn, account: SignedIn) -> dict[str, Any]:
        """Give a user a warning."""
        warn(db, admin(account), user_id, body.message, clock())
        return {"warned": True}

    @router.get("/admin/streams")
    async def streams(
        account: SignedIn, page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Streams live now, on every worker."""
        admin(account)
        return live_streams(db, page, per_page).to_dict()

    @router.post("/admin/streams/{stream_id}/end", status_code=202)
    async def end(stream_id: str, account: SignedIn) -> dict[str, Any]:
        """End a live stream: its worker stops it cleanly at its next minute tick."""
        end_live_stream(db, admin(account), stream_id, clock())
        return {"ending": True}

    @router.get("/admin/logs")
    async def logs(
        account: SignedIn,
        level: Annotated[str | None, Query(pattern="^(?i:warning|error|critical)$")] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> dict[str, Any]:
        """The studio's logged warnings and errors, newest first."""
        admin(account)
        return system_logs(db, level, page, per_page)

    @router.get("/admin/usage")
    async def usage(
        account: SignedIn, days: Annotated[int, Query(ge=1, le=366)] = 7
    ) -> dict[str, Any]:
        """Streamed seconds and compute per user over the last ``days`` days."""
        admin(account)
        return {"days": days, "users": usage_per_user(db, clock() - timedelta(days=days))}

    @router.get("/admin/audit")
    async def audit(
        account: SignedIn, page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Every admin action, newest first."""
        admin(account)
        return audit_log(db, page, per_page).to_dict()
