"""Accounts: sign up, sign in (rate-limited), opaque session tokens stored hashed, roles."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from control.db import Database
from control.models import AuthFailure, AuthToken, Subscription, User
from control.plans import plan as find_plan

TOKEN_LIFETIME = timedelta(days=30)
MIN_PASSWORD = 10
RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # in RATE_WINDOW: then that account waits
MAX_FAILURES_PER_ADDRESS = 20  # in RATE_WINDOW: then that address waits
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("user", "admin")

_hasher = PasswordHasher()  # argon2id, the library's recommended cost


class AccountError(ValueError):
    """Sign-up details that cannot be used (the message says which and why)."""


class EmailTaken(AccountError):
    """An account with that e-mail address exists."""


class WrongPassword(AccountError):
    """The current password given to change it is not the account's."""


class NotAuthenticated(PermissionError):
    """No valid session: wrong password, unknown or expired token, or a blocked account."""


class RateLimited(PermissionError):
    """Too many failed sign-ins; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Account:
    """What the rest of the system needs to know about a signed-in user."""

    id: int
    email: str
    role: str
    blocked: bool

    @property
    def is_admin(self) -> bool:
        """May use the admin endpoints."""
        return self.role == "admin"


def account_of(user: User) -> Account:
    """The ``Account`` of a user row."""
    return Account(user.id, user.email, user.role, user.blocked)


def token_hash(token: str) -> str:
    """What is stored for a token: a leaked table grants no sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; ``AccountError`` if it is not an address."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError("enter a valid e-mail address, like name@example.com")
    return email


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"choose a password of at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("that password is too long (1024 characters at most)")


def create_user(
    db: Database, email: str, password: str, now: datetime, role: str = "user", plan: str = "free"
) -> Account:
    """A new account on ``plan`` (free unless an admin says otherwise)."""
    email = normalise_email(email)
    check_password(password)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    find_plan(plan)  # PlanError for a plan that does not exist
    try:
        with db.write() as session:
            user = User(
                email=email,
                password_hash=_hasher.hash(password),
                role=role,
                blocked=False,
                created_at=now,
            )
            session.add(user)
            session.flush()
            session.add(Subscription(user_id=user.id, plan=plan, started_at=now, status="active"))
            return account_of(user)
    except IntegrityError:
        raise EmailTaken(f"an account with {email} exists already: sign in instead") from None


def sign_in(db: Database, email: str, password: str, address: str, now: datetime) -> str:
    """A new session token for the right password; failures count towards the limits."""
    email = email.strip().lower()
    keys = _limit_keys(email, address)
    with db.write() as session:
        _refuse_when_limited(session, keys, now)
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is None or not _verify(user.password_hash, password):
            session.add_all(AuthFailure(key=key, at=now) for key in keys)
            failed = True
        else:
            failed = False
            if user.blocked:
                raise NotAuthenticated("this account is blocked: contact support")
            token = secrets.token_urlsafe(32)
            session.add(
                AuthToken(
                    token_hash=token_hash(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + TOKEN_LIFETIME,
                )
            )
    if failed:  # raised after the commit, so that the failure is counted
        raise NotAuthenticated("wrong e-mail address or password")
    return token


def _limit_keys(email: str, address: str) -> tuple[str, str]:
    return (f"account:{email}", f"ip:{address}")


def _refuse_when_limited(session: Session, keys: tuple[str, str], now: datetime) -> None:
    """``RateLimited`` when the account or the address failed too often lately."""
    session.execute(delete(AuthFailure).where(AuthFailure.at < now - RATE_WINDOW))
    for key, limit in zip(keys, (MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS), strict=True):
        failures = session.scalar(
            select(func.count()).select_from(AuthFailure).where(AuthFailure.key == key)
        )
        if failures >= limit:
            oldest = session.scalar(select(func.min(AuthFailure.at)).where(AuthFailure.key == key))
            wait = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
            raise RateLimited(
                f"too many failed sign-ins: try again in {math.ceil(wait / 60)} minutes", wait
            )


def change_password(
    db: Database, token: str, current: str, new: str, address: str, now: datetime
) -> None:
    """Set a new password for the account of session ``token``, when ``current`` is right
    (failures count towards the sign-in limits); every other session of it ends."""
    check_password(new)
    account = authenticate(db, token, now)
    keys = _limit_keys(account.email, address)
    with db.write() as session:
        _refuse_when_limited(session, keys, now)
        user = session.get(User, account.id)
        if user is None or not _verify(user.password_hash, current):
            session.add_all(AuthFailure(key=key, at=now) for key in keys)
            wrong = True
        else:
            wrong = False
            user.password_hash = _hasher.hash(new)
            session.execute(
                delete(AuthToken).where(
                    AuthToken.user_id == account.id, AuthToken.token_hash != token_hash(token)
                )
            )
    if wrong:  # raised after the commit, so that the failure is counted
        raise WrongPassword("the current password is not right")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, token: str, now: datetime) -> Account:
    """The account behind a session token (``NotAuthenticated`` when there is none)."""
    with db.read() as session:
        row = session.get(AuthToken, token_hash(token))
        user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or row.expires_at <= now:
        raise NotAuthenticated("sign in first (the session is missing or has expired)")
    if user.blocked:
        raise NotAuthenticated("this account is blocked: contact support")
    return account_of(user)


def sign_out(db: Database, token: str) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    with db.write() as session:
        session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))


def find_user(db: Database, email: str) -> Account:
    """The account with that address (``LookupError`` when there is none)."""
    with db.read() as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise LookupError(f"no account with the e-mail address {email}")
    return account_of(user)
