"""Which plan a user is on, and changing it (which applies at once, running streams too)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from control.models import Subscription, User
from control.plans import Plan, plan

# What a paid plan's price buys (the page says "per month"). Renewal and turning it off work
# in whole periods from the subscription's start.
BILLING_PERIOD = timedelta(days=30)


class NoSubscription(LookupError):
    """The user is on Free, which has no subscription to renew or stop renewing."""


class AlreadyOnPlan(ValueError):
    """The user is on the plan asked for already: nothing was changed."""


def current_plan(session: Session, user_id: int, now: datetime) -> Plan:
    """The plan in force: the newest active subscription that has not ended; else free.

    A subscription past its end date goes on while it renews itself (``auto_renew``, the
    default); one whose renewal was turned off ends there, and the user is on free. VIDA has
    no billing: renewing costs nothing here, a payment system would hook in at that date.
    """
    row = _in_force(session, user_id, now)
    return plan(row.plan if row else "free")


def _in_force(session: Session, user_id: int, now: datetime) -> Subscription | None:
    return session.scalars(
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


def period_end(subscription: Subscription, now: datetime) -> datetime:
    """The end of the billing period that ``now`` falls in (renewals counted)."""
    periods = (now - subscription.started_at) // BILLING_PERIOD + 1
    end = subscription.started_at + periods * BILLING_PERIOD
    if subscription.ends_at is not None and subscription.ends_at > now:
        return min(end, subscription.ends_at)
    return end


def _paid(session: Session, user_id: int, now: datetime) -> Subscription | None:
    row = _in_force(session, user_id, now)
    return row if row is not None and plan(row.plan).price_usd > 0 else None


def describe_subscription(session: Session, user_id: int, now: datetime) -> dict | None:
    """The paid subscription in force, for its owner (None on Free)."""
    row = _paid(session, user_id, now)
    if row is None:
        return None
    end = period_end(row, now)
    return {
        "plan": row.plan,
        "started_at": row.started_at.isoformat() + "Z",
        "auto_renew": row.auto_renew,
        "renews_at": end.isoformat() + "Z" if row.auto_renew else None,
        "ends_at": None if row.auto_renew else end.isoformat() + "Z",
    }


def set_auto_renew(session: Session, user_id: int, on: bool, now: datetime) -> dict:
    """Turn renewal of the plan in force on or off; off keeps the plan to the period's end."""
    row = _paid(session, user_id, now)
    if row is None:
        raise NoSubscription("you are on the Free plan: there is no subscription to renew")
    if not on and row.auto_renew:
        row.ends_at = period_end(row, now)
    row.auto_renew = on
    session.flush()
    described = describe_subscription(session, user_id, now)
    assert described is not None  # still in force: the period has not ended
    return described


def set_plan(session: Session, user_id: int, plan_id: str, now: datetime) -> Plan:
    """Move the user to ``plan_id`` from now on; the old subscription ends now.

    ``AlreadyOnPlan`` when that plan is in force already: restarting it would move the
    subscription's renewal date, and the caller's audit entry would record a change that
    never happened (raising rolls the caller's transaction back, entry included).
    """
    new = plan(plan_id)  # PlanError for a name that does not exist
    if current_plan(session, user_id, now).id == new.id:
        user = session.get(User, user_id)
        who = user.email if user is not None else f"user {user_id}"
        raise AlreadyOnPlan(f"{who} is on {new.name} already")
    for old in session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.status == "active")
    ):
        old.status, old.ends_at = "ended", now
    session.add(Subscription(user_id=user_id, plan=new.id, started_at=now, status="active"))
    return new
