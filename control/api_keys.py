"""API keys: what scripts sign in with, on plans that include API access.

The page signs in with an http-only session cookie. Scripts send ``Authorization: Bearer
vida_…``: a key made once on the account page, shown once, stored as its SHA-256 only and
revoked by deleting it. The plan is checked on every request, so a downgrade to a plan
without API access stops the user's keys at once (they work again after an upgrade).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from control.accounts import Account, NotAuthenticated, account_of, token_hash
from control.db import Database
from control.models import ApiKey, User
from control.paging import Page, fetch_page
from control.plans import PLAN_ORDER, PlanLacksFeature, plan
from control.subscriptions import current_plan

KEY_PREFIX = "vida_"
SHOWN_CHARACTERS = 12  # "vida_" and 7 more: enough to tell a user's keys apart
MAX_KEYS = 20
# Writing "last used" on every request would put a write on every script's call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A request about API keys that cannot be granted (the message says why)."""


class UnknownApiKey(LookupError):
    """No API key of this user has that id."""


def is_api_key(token: str) -> bool:
    """True for what looks like an API key rather than a session token."""
    return token.startswith(KEY_PREFIX)


def _lowest_plan_with_api() -> str:
    return next(plan(p).name for p in PLAN_ORDER if plan(p).api_access)


def create_key(db: Database, user_id: int, name: str, now: datetime) -> dict[str, Any]:
    """A new key, returned in full this once (``PlanLacksFeature`` without API access)."""
    name = name.strip()
    if not name:
        raise ApiKeyError("name the key after what will use it, e.g. 'chat bot'")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.write() as session:
        current = current_plan(session, user_id, now)
        if not current.api_access:
            raise PlanLacksFeature(
                f"the {current.name} plan has no API access: it comes with "
                f"{_lowest_plan_with_api()} and above"
            )
        count = session.scalar(select(func.count()).where(ApiKey.user_id == user_id))
        if (count or 0) >= MAX_KEYS:
            raise ApiKeyError(f"you have {MAX_KEYS} keys already: delete one you no longer use")
        row = ApiKey(
            user_id=user_id,
            name=name,
            prefix=key[:SHOWN_CHARACTERS],
            key_hash=token_hash(key),
            created_at=now,
        )
        session.add(row)
        session.flush()
        return describe(row) | {"key": key}


def describe(row: ApiKey) -> dict[str, Any]:
    """A key as its owner sees it later: never the key itself."""
    return {
        "id": row.id,
        "name": row.name,
        "shown": row.prefix + "…",
        "created_at": row.created_at.isoformat() + "Z",
        "last_used_at": row.last_used_at.isoformat() + "Z" if row.last_used_at else None,
    }


def listing(db: Database, user_id: int, page: int, per_page: int) -> dict[str, Any]:
    """The user's keys, newest first, one page of them."""
    with db.read() as session:
        statement = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
        rows, total = fetch_page(session, statement, page, per_page)
        return Page([describe(r) for r in rows], page, per_page, total).to_dict()


def revoke(db: Database, user_id: int, key_id: int) -> None:
    """Delete one of the user's keys: it stops working at once."""
    with db.write() as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.user_id != user_id:
            raise UnknownApiKey(f"no API key {key_id} of yours")
        session.delete(row)


def authenticate_key(db: Database, key: str, now: datetime) -> Account:
    """The account behind an API key, while its plan includes API access."""
    with db.read() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.key_hash == token_hash(key))).first()
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None:
            raise NotAuthenticated("this API key is not valid (deleted, or mistyped)")
        current = current_plan(session, user.id, now)
        stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION
    account = account_of(user)
    if account.blocked:
        raise NotAuthenticated("this account is blocked: contact support")
    if not current.api_access:
        raise PlanLacksFeature(
            f"the {current.name} plan has no API access, so its keys do not work: sign in on "
            f"the page, or move to {_lowest_plan_with_api()} or above"
        )
    if stale:
        with db.write() as session:
            session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return account
