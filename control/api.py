"""The control plane's HTTP API (``/api/v1``): accounts, plans and minutes here; the admin
routes in ``api_admin``, users' own resources in ``api_resources``.

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside ``control_router``, and those must be real objects, not strings.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StrictBool

from control import api_keys, usage
from control.accounts import (
    Account,
    NotAuthenticated,
    authenticate,
    change_password,
    create_user,
    sign_in,
    sign_out,
)
from control.api_admin import admin_router
from control.api_deps import SESSION_COOKIE, PageNumber, PageOnly, PerPage, SignedIn
from control.api_resources import (
    AvatarSwitched,
    AvatarUploaded,
    LookChanged,
    avatars_router,
    backgrounds_router,
    destinations_router,
)
from control.db import Database
from control.destinations import KeyBox
from control.looks import change_look, look_of
from control.minutes import balance
from control.moderation import own_standing
from control.plans import catalogue
from control.subscriptions import current_plan, describe_subscription, set_auto_renew


class PasswordChange(BaseModel):
    """``POST /me/password``."""

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class KeyName(BaseModel):
    """``POST /me/api-keys``: what the key is for."""

    name: str = Field(max_length=64)


class LookChange(BaseModel):
    """``PATCH /me/look``: the parts given change (null background or framing: the studio's
    default)."""

    background_id: int | None = None
    framing: Literal["head", "upper_body", "full_body"] | None = None
    mirror: StrictBool = False


class Renewal(BaseModel):
    """``PATCH /me/subscription``: whether the plan renews itself at the period's end."""

    auto_renew: bool


class Credentials(BaseModel):
    """E-mail address and password, for signing up or in."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024, repr=False)


def control_router(
    db: Database,
    clock: Callable[[], datetime],
    box: KeyBox,
    avatars_dir: Path,
    avatar_switched: AvatarSwitched | None = None,
    avatar_uploaded: AvatarUploaded | None = None,
    look_changed: LookChanged | None = None,
    picture_check: Callable[[Path], object] | None = None,
) -> APIRouter:
    """Routes for accounts, plans and minutes over ``db``; ``clock`` gives naive UTC now.

    ``avatar_switched(user_id, active)`` is told when a user picks another active avatar,
    ``avatar_uploaded(avatar_id)`` when a file arrives to be processed, ``look_changed(user_id,
    look)`` when a user changes how their streams look; ``picture_check(path)`` decodes an
    uploaded background picture as streams will (the renderer's, so that this package needs
    no rendering library).

    The app must set ``app.state.account_gate`` (an ``AccountGate`` over the same ``db``).
    """
    router = APIRouter()

    def start_session(response: Response, request: Request, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=30 * 24 * 3600,
        )

    @router.post("/auth/signup", status_code=201)
    async def signup(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
        """Create an account on the free plan and sign it in."""
        account = create_user(db, body.email, body.password, clock())
        token = sign_in(db, account.email, body.password, _address(request), clock())
        start_session(response, request, token)
        return {"user": _user(account)}

    @router.post("/auth/login")
    async def login(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
        """Sign in: the session is an http-only cookie, which the page's script never sees
        (scripts use API keys)."""
        token = sign_in(db, body.email, body.password, _address(request), clock())
        account = authenticate(db, token, clock())
        start_session(response, request, token)
        return {"user": _user(account)}

    @router.post("/auth/logout", status_code=204)
    async def logout(request: Request, response: Response) -> None:
        """End this session (the token stops working everywhere)."""
        token = request.cookies.get(SESSION_COOKIE)
        if token is not None:
            sign_out(db, token)
        response.delete_cookie(SESSION_COOKIE)

    @router.get("/me")
    async def me(account: SignedIn) -> dict[str, Any]:
        """Who is signed in, their plan, their minutes and their standing: a suspension in
        force and admins' warnings (401 when nobody is)."""
        return describe(account)

    @router.post("/me/password", status_code=204)
    async def new_password(body: PasswordChange, request: Request, account: SignedIn) -> None:
        """Change your password (the current one is asked for); your other devices are
        signed out. Wrong current passwords count towards the sign-in limits."""
        token = request.cookies.get(SESSION_COOKIE)
        if token is None:
            raise NotAuthenticated("sign in on the page to change the password")
        change_password(
            db, token, body.current_password, body.new_password, _address(request), clock()
        )

    @router.get("/me/usage")
    async def my_usage(
        account: SignedIn, days: Annotated[int, Query(ge=1, le=usage.MAX_DAYS)] = 28
    ) -> dict[str, Any]:
        """Minutes streamed per UTC day over the last ``days`` days (today last), and the
        add-ons that have not expired."""
        now = clock()
        with db.read() as session:
            return {
                "days": usage.minutes_per_day(session, account.id, now, days),
                "addons": usage.addons_of(session, account.id, now),
            }

    @router.get("/me/look")
    async def my_look(account: SignedIn) -> dict[str, Any]:
        """How your streams look: background, framing, mirror (null: the studio's default)."""
        return look_of(db, account.id, clock()).to_dict()

    @router.patch("/me/look")
    async def change_my_look(body: LookChange, account: SignedIn) -> dict[str, Any]:
        """Change how your streams look, running ones too (from their next frame)."""
        changes = {name: getattr(body, name) for name in body.model_fields_set}
        look = change_look(db, account.id, changes, clock())
        if look_changed is not None:
            await look_changed(account.id, look)
        return look.to_dict()

    @router.get("/me/subscription")
    async def my_subscription(account: SignedIn) -> dict[str, Any]:
        """The paid plan in force: since when, and when it renews or ends (``null`` on
        Free)."""
        with db.read() as session:
            return {"subscription": describe_subscription(session, account.id, clock())}

    @router.patch("/me/subscription")
    async def change_renewal(body: Renewal, account: SignedIn) -> dict[str, Any]:
        """Turn renewal off (the plan lasts to the end of the period, then Free) or back on;
        409 on Free."""
        with db.write() as session:
            return {"subscription": set_auto_renew(session, account.id, body.auto_renew, clock())}

    @router.get("/me/api-keys")
    async def my_api_keys(
        account: SignedIn, page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Your API keys, newest first: name, first characters, when made and last used."""
        return api_keys.listing(db, account.id, page, per_page)

    @router.post("/me/api-keys", status_code=201)
    async def make_api_key(body: KeyName, request: Request, account: SignedIn) -> dict[str, Any]:
        """A new API key for scripts (``Authorization: Bearer …``), shown in full only in
        this answer; 403 on plans without API access. Made on the page only."""
        signed_in_on_the_page(request)
        return api_keys.create_key(db, account.id, body.name, clock())

    @router.delete("/me/api-keys/{key_id}", status_code=204)
    async def delete_api_key(key_id: int, request: Request, account: SignedIn) -> None:
        """Revoke a key: it stops working at once. On the page only."""
        signed_in_on_the_page(request)
        api_keys.revoke(db, account.id, key_id)

    @router.get("/auth/session")
    async def current_session(request: Request) -> dict[str, Any]:
        """Like ``/me``, but answers ``{"user": null}`` rather than 401 when signed out: the
        page asks this on every load, and being signed out is not an error there."""
        try:
            return describe(request.app.state.account_gate(request))
        except NotAuthenticated:
            return {"user": None}

    def describe(account: Account) -> dict[str, Any]:
        now = clock()
        with db.read() as session:
            plan = current_plan(session, account.id, now)
            left = balance(session, account.id, now)
            standing = own_standing(session, account.id, now)
            subscription = describe_subscription(session, account.id, now)
        return {
            "user": _user(account),
            "plan": plan.to_dict(),
            "subscription": subscription,
            "standing": standing,
            "minutes": {
                "weekly_allowance_s": left.weekly_allowance_s,
                "weekly_used_s": left.weekly_used_s,
                "addon_left_s": left.addon_left_s,
                "remaining_s": left.remaining_s,
                "resets_at": left.resets_at.isoformat() + "Z",
            },
        }

    admin_router(router, db, clock)
    destinations_router(router, db, clock, box)
    avatars_router(router, db, clock, avatars_dir, avatar_switched, avatar_uploaded)
    backgrounds_router(
        router, db, clock, avatars_dir.parent / "backgrounds", look_changed, picture_check
    )

    @router.get("/plans")
    async def plans() -> dict[str, Any]:
        """The plan catalogue, every limit, from free to goat."""
        return {"plans": [p.to_dict() for p in catalogue().values()]}

    return router


def signed_in_on_the_page(request: Request) -> None:
    """Refuse what a leaked API key must not do (make or revoke keys): the page's session
    cookie is asked for, not a bearer key."""
    if request.headers.get("authorization") or SESSION_COOKIE not in request.cookies:
        raise PageOnly("make and delete API keys on the account page, signed in there")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user(account: Account) -> dict[str, Any]:
    return {"id": account.id, "email": account.email, "role": account.role}
