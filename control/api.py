"""The control plane's HTTP API: accounts, plans and minutes (``/api/v1``).

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside ``control_router``, and those must be real objects, not strings.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from control import avatars, backgrounds, destinations
from control.accounts import Account, authenticate, create_user, sign_in, sign_out
from control.accounts import NotAuthenticated as NotAuthenticated
from control.db import Database
from control.destinations import DestinationFields, KeyBox
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
from control.plans import catalogue
from control.subscriptions import current_plan

SESSION_COOKIE = "vida_session"


class Credentials(BaseModel):
    """E-mail address and password, for signing up or in."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024, repr=False)


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


def control_router(
    db: Database, clock: Callable[[], datetime], box: KeyBox, avatars_dir: Path
) -> APIRouter:
    """Routes for accounts, plans and minutes over ``db``; ``clock`` gives naive UTC now.

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
        return {"user": _user(account), "token": token}

    @router.post("/auth/login")
    async def login(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
        """Sign in; the token also comes back as an http-only cookie for the page."""
        token = sign_in(db, body.email, body.password, _address(request), clock())
        account = authenticate(db, token, clock())
        start_session(response, request, token)
        return {"user": _user(account), "token": token}

    @router.post("/auth/logout", status_code=204)
    async def logout(request: Request, response: Response) -> None:
        """End this session (the token stops working everywhere)."""
        token = bearer_or_cookie(request)
        if token is not None:
            sign_out(db, token)
        response.delete_cookie(SESSION_COOKIE)

    @router.get("/me")
    async def me(account: SignedIn) -> dict[str, Any]:
        """Who is signed in, their plan and their minutes (401 when nobody is)."""
        return describe(account)

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
        return {
            "user": _user(account),
            "plan": plan.to_dict(),
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
    avatars_router(router, db, clock, avatars_dir)
    backgrounds_router(router, db, clock, avatars_dir.parent / "backgrounds")

    @router.get("/plans")
    async def plans() -> dict[str, Any]:
        """The plan catalogue, every limit, from free to goat."""
        return {"plans": [p.to_dict() for p in catalogue().values()]}

    return router


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user(account: Account) -> dict[str, Any]:
    return {"id": account.id, "email": account.email, "role": account.role}


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


PageNumber = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=100)]


def admin_router(router: APIRouter, db: Database, clock: Callable[[], datetime]) -> None:
    """Admin routes (role ``admin``; every action lands in the audit log)."""

    def admin(account: Account) -> Account:
        require_admin(account)
        return account

    @router.get("/admin/users")
    async def users(
        account: SignedIn, q: str = "", page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Users, searched by e-mail address, with plan and standing."""
        admin(account)
        return list_users(db, q, page, per_page, clock()).to_dict()

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


class DestinationIn(BaseModel):
    """A destination's fields as OBS asks for them; the stream key is write-only."""

    name: str | None = Field(default=None, max_length=100)
    platform: str | None = Field(default=None, max_length=16)
    server_url: str | None = Field(default=None, max_length=2048)
    stream_key: str | None = Field(default=None, max_length=512, repr=False)
    bitrate_kbps: int | None = None
    is_default: bool | None = None

    def fields(self) -> DestinationFields:
        """As the control plane takes them."""
        return DestinationFields(**self.model_dump())


def destinations_router(
    router: APIRouter, db: Database, clock: Callable[[], datetime], box: KeyBox
) -> None:
    """A user's saved RTMP destinations (only ever their own)."""

    @router.get("/destinations")
    async def list_destinations(
        account: SignedIn, page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Your destinations, the default first; stream keys masked."""
        return destinations.listing(db, account.id, page, per_page)

    @router.post("/destinations", status_code=201)
    async def add_destination(body: DestinationIn, account: SignedIn) -> dict[str, Any]:
        """Save a destination (X, YouTube, Twitch or custom); the first becomes the default."""
        return destinations.save(db, box, account.id, body.fields(), clock())

    @router.patch("/destinations/{destination_id}")
    async def edit_destination(
        destination_id: int, body: DestinationIn, account: SignedIn
    ) -> dict[str, Any]:
        """Change a destination; a stream key sent replaces the saved one."""
        return destinations.change(db, box, account.id, destination_id, body.fields())

    @router.delete("/destinations/{destination_id}", status_code=204)
    async def remove_destination(destination_id: int, account: SignedIn) -> None:
        """Delete a destination."""
        destinations.delete(db, account.id, destination_id)


class ActiveChoice(BaseModel):
    """Which avatar goes live."""

    avatar_id: int


def avatars_router(
    router: APIRouter, db: Database, clock: Callable[[], datetime], folder: Path
) -> None:
    """My Avatars: uploads, presets, the active one (only ever the user's own)."""

    @router.get("/avatars")
    async def list_avatars(
        account: SignedIn, page: PageNumber = 1, per_page: PerPage = 50
    ) -> dict[str, Any]:
        """Your avatars, newest first, the active one marked, with the plan's slots."""
        return avatars.listing(db, account.id, page, per_page, clock())

    @router.post("/avatars", status_code=201)
    async def upload_avatar(
        request: Request,
        account: SignedIn,
        filename: Annotated[str, Query(max_length=255)],
        name: Annotated[str, Query(max_length=100)] = "",
    ) -> dict[str, Any]:
        """Upload a .glb/.vrm file as the request body (streamed; the plan's size limit).

        It waits in status ``pending`` until the avatar library checks and rigs it.
        """
        return await avatars.store_upload(
            db, account.id, name, filename, request.stream(), folder, clock()
        )

    @router.get("/avatars/presets")
    async def list_presets(account: SignedIn) -> dict[str, Any]:
        """The gallery's presets by category; ``locked`` ones need a bigger plan."""
        return {"items": avatars.presets(db, account.id, clock())}

    @router.post("/avatars/presets/{preset_id}", status_code=201)
    async def add_preset(preset_id: int, account: SignedIn) -> dict[str, Any]:
        """Add a preset to your avatars (it takes one of the plan's slots)."""
        return avatars.pick_preset(db, account.id, preset_id, clock())

    @router.put("/me/active-avatar")
    async def choose_active(body: ActiveChoice, account: SignedIn) -> dict[str, Any]:
        """Switch the avatar that goes live, in one call."""
        return avatars.set_active(db, account.id, body.avatar_id)

    @router.delete("/avatars/{avatar_id}", status_code=204)
    async def remove_avatar(avatar_id: int, account: SignedIn) -> None:
        """Delete one of your avatars."""
        avatars.delete_avatar(db, account.id, avatar_id)


class ColourBackground(BaseModel):
    """A solid colour or chroma green."""

    name: str = Field(default="", max_length=100)
    kind: str = Field(pattern="^(color|chroma)$")
    value: str = Field(default="", max_length=7)


def backgrounds_router(
    router: APIRouter, db: Database, clock: Callable[[], datetime], folder: Path
) -> None:
    """The background catalogue and the user's own backgrounds."""

    @router.get("/backgrounds")
    async def list_backgrounds(account: SignedIn) -> dict[str, Any]:
        """The catalogue by category (``locked`` ones name the plan that unlocks them), then
        your own."""
        return {"items": backgrounds.catalogue(db, account.id, clock())}

    @router.post("/backgrounds", status_code=201)
    async def add_colour(body: ColourBackground, account: SignedIn) -> dict[str, Any]:
        """Save a solid colour (``#rrggbb``) or chroma green background."""
        return backgrounds.add_colour(db, account.id, body.name, body.kind, body.value, clock())

    @router.post("/backgrounds/image", status_code=201)
    async def upload_image(
        request: Request, account: SignedIn, name: Annotated[str, Query(max_length=100)] = ""
    ) -> dict[str, Any]:
        """Upload a PNG or JPEG as the request body (streamed, 20 MB at most)."""
        return await backgrounds.store_image(
            db, account.id, name, request.stream(), folder, clock()
        )

    @router.delete("/backgrounds/{background_id}", status_code=204)
    async def remove_background(background_id: int, account: SignedIn) -> None:
        """Delete one of your own backgrounds."""
        backgrounds.delete_background(db, account.id, background_id)
