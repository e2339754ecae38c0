"""Which plan a user is on, and changing it (which applies at once, running streams too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from control.models import Subscription
from control.plans import Plan, plan


def current_plan(session: Session, user_id: int, now: datetime) -> Plan:
    """The plan in force: the newest active subscription that has not ended; else free.

    A subscription past its end date goes on while it renews itself (``auto_renew``, the
    default); one whose renewal was turned off ends there, and the user is on free. VIDA has
    no billing: renewing costs nothing here, a payment system would hook in at that date.
    """
    row = session.scalars(
        select(Subscription)
        .where(
            Subscription.user_id == user_id,
            Subscription.status == "active",
            Subscription.started_at <= now,
            or_(
                Subscription.ends_at.is_(None),
                Subscription.ends_at > now,
                Subscription.auto_renew.is_(True),
            ),
        )
        .order_by(Subscription.started_at.desc(), Subscription.id.desc())
        .limit(1)
    ).first()
    return plan(row.plan if row else "free")


def set_plan(session: Session, user_id: int, plan_id: str, now: datetime) -> Plan:
    """Move the user to ``plan_id`` from now on; the old subscription ends now."""
    new = plan(plan_id)  # PlanError for a name that does not exist
    for old in session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.status == "active")
    ):
        old.status, old.ends_at = "ended", now
    session.add(Subscription(user_id=user_id, plan=new.id, started_at=now, status="active"))
    return new
