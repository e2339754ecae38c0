"""What every API route may ask for: the signed-in account, and a page of a list.

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside the router functions, and those must be real objects, not strings.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from control.accounts import Account, NotAuthenticated, authenticate
from control.db import Database

SESSION_COOKIE = "vida_session"


def bearer_or_cookie(request: Request) -> str | None:
    """The session token: ``Authorization: Bearer …`` (API clients) or the page's cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


class AccountGate:
    """Finds the signed-in account of a request (``NotAuthenticated`` when there is none).

    The app keeps one in ``app.state.account_gate``; routes ask for ``SignedIn``.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock

    def __call__(self, request: Request) -> Account:
        token = bearer_or_cookie(request)
        if token is None:
            raise NotAuthenticated("sign in first")
        return authenticate(self.db, token, self.clock())


def signed_in_account(request: Request) -> Account:
    """The dependency behind ``SignedIn``."""
    gate: AccountGate = request.app.state.account_gate
    return gate(request)


SignedIn = Annotated[Account, Depends(signed_in_account)]


PageNumber = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=100)]
