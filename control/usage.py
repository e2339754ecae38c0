"""A user's own usage, for the account page: minutes streamed per day, and add-ons."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control.models import AddOn, UsageDebit

MAX_DAYS = 90


def minutes_per_day(session: Session, user_id: int, now: datetime, days: int) -> list[dict]:
    """Seconds streamed on each of the last ``days`` UTC days, oldest first, today last;
    days without streaming are there with 0."""
    first = now.date() - timedelta(days=days - 1)
    totals: dict[date, int] = {first + timedelta(days=i): 0 for i in range(days)}
    rows = session.execute(
        select(UsageDebit.at, UsageDebit.weekly_s + UsageDebit.addon_s).where(
            UsageDebit.user_id == user_id,
            UsageDebit.at >= datetime.combine(first, datetime.min.time()),
        )
    )
    for at, seconds in rows:  # a tick is ~10 s: at most a few thousand rows a day
        if at.date() in totals:
            totals[at.date()] += int(seconds)
    return [{"date": day.isoformat(), "seconds": s} for day, s in totals.items()]


def addons_of(session: Session, user_id: int, now: datetime) -> list[dict[str, Any]]:
    """The user's add-ons that have not expired, soonest expiry first."""
    rows = session.scalars(
        select(AddOn)
        .where(AddOn.user_id == user_id, AddOn.expires_at > now)
        .order_by(AddOn.expires_at, AddOn.id)
    )
    return [
        {
            "kind": row.kind,
            "quantity": row.quantity,
            "left": row.quantity - row.used_s // 60 if row.kind == "extra_minutes" else None,
            "expires_at": row.expires_at.isoformat() + "Z",
        }
        for row in rows
    ]
