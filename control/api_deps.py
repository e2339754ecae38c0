"""What every API route may ask for: the signed-in account, and a page of a list.

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside the router functions, and those must be real objects, not strings.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from control.accounts import Account, NotAuthenticated, authenticate
from control.api_keys import authenticate_key, is_api_key
from control.db import Database

SESSION_COOKIE = "vida_session"


class PageOnly(PermissionError):
    """Asked with an API key, but only the signed-in page may do it."""


def bearer_token(request: Request) -> str | None:
    """What follows ``Authorization: Bearer`` (scripts send their API key there)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


class AccountGate:
    """Finds the signed-in account of a request (``NotAuthenticated`` when there is none).

    The page signs in with its session cookie; scripts with an API key as the bearer token.
    A session token is not accepted as a bearer token: API access is a plan feature, and the
    page's script never sees its token (the cookie is http-only).

    The app keeps one in ``app.state.account_gate``; routes ask for ``SignedIn``.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock

    def __call__(self, request: Request) -> Account:
        key = bearer_token(request)
        if key is not None:
            if not is_api_key(key):
                raise NotAuthenticated(
                    "the bearer token must be an API key (vida_…, made on the account page); "
                    "the page signs in with its cookie"
                )
            return authenticate_key(self.db, key, self.clock())
        token = request.cookies.get(SESSION_COOKIE)
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
