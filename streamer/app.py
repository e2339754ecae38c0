"""The studio's ASGI app: the page, the signaling API and the session lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, StrictBool
from starlette.exceptions import HTTPException

from config import Settings
from control.accounts import (
    AccountError,
    EmailTaken,
    NotAuthenticated,
    RateLimited,
    WrongPassword,
)
from control.api import control_router
from control.api_deps import AccountGate, PageOnly, SignedIn
from control.api_keys import ApiKeyError, UnknownApiKey
from control.avatars import (
    ActiveFile,
    AvatarError,
    AvatarLimitReached,
    PresetAlreadyAdded,
    UnknownAvatar,
    active_avatar_file,
)
from control.backgrounds import BackgroundError, UnknownBackground, stream_setting
from control.catalogue import seed_catalogue
from control.clock import utcnow
from control.db import Database
from control.destinations import (
    DestinationError,
    KeyBox,
    SecretKeyError,
    UnknownDestination,
    unlock,
)
from control.looks import Look, look_of
from control.migrate import upgrade
from control.moderation import ModerationError, NotAdmin, UnknownStream, UnknownUser
from control.operations import DatabaseLogHandler
from control.plans import PlanError, PlanLacksFeature
from control.streams import StreamRefused
from control.subscriptions import AlreadyOnPlan, NoSubscription, current_plan
from control.uploads import UploadTooLarge
from rigging.background import BackgroundError as PictureError
from rigging.background import load_background_image
from rigging.errors import AvatarError as RiggingAvatarError
from rtmp import (
    Destination,
    DestinationFailed,
    EncoderUnavailable,
    InvalidDestination,
    file_destination,
    rtmp_destination,
)
from streamer.avatar_jobs import AvatarJobs
from streamer.events import EventHub
from streamer.ice import limit_host_addresses
from streamer.pipeline import AlreadyLive, CameraSilent, PipelineClosed
from streamer.sdp import MAX_SDP_BYTES, InvalidOffer
from streamer.session import (
    OUTPUT_SIZES,
    WORKER,
    MediaNotConnected,
    Owner,
    SessionNotFound,
    SessionRegistry,
    StreamChoices,
    StudioFull,
    load_look_background,
    parse_background,
)
from tracking.tracker import CalibrationError

log = logging.getLogger(__name__)
API = "/api/v1"
SWEEP_INTERVAL_S = 1.0

# Each error a client can cause, with its status and a stable code for the page.
ERRORS: dict[type[Exception], tuple[int, str]] = {
    InvalidOffer: (400, "invalid_offer"),
    SessionNotFound: (404, "unknown_session"),
    AlreadyLive: (409, "already_live"),
    CameraSilent: (409, "camera_silent"),
    MediaNotConnected: (409, "webrtc_not_connected"),
    PipelineClosed: (409, "session_closed"),
    CalibrationError: (409, "no_face_to_calibrate"),
    NotAuthenticated: (401, "not_signed_in"),
    EmailTaken: (409, "email_taken"),
    WrongPassword: (422, "wrong_password"),
    AccountError: (422, "invalid_account"),
    PlanError: (422, "unknown_plan"),
    NoSubscription: (409, "no_subscription"),
    PageOnly: (403, "page_only"),
    AlreadyOnPlan: (409, "already_on_plan"),
    ApiKeyError: (422, "invalid_api_key_request"),
    UnknownApiKey: (404, "unknown_api_key"),
    NotAdmin: (403, "admin_only"),
    UnknownUser: (404, "unknown_user"),
    UnknownStream: (404, "unknown_stream"),
    ModerationError: (422, "invalid_moderation"),
    DestinationError: (422, "invalid_destination"),
    UnknownDestination: (404, "unknown_destination"),
    SecretKeyError: (409, "secret_key_changed"),
    AvatarLimitReached: (409, "avatar_limit"),
    PresetAlreadyAdded: (409, "preset_already_added"),
    UploadTooLarge: (413, "upload_too_large"),
    AvatarError: (422, "invalid_avatar"),
    RiggingAvatarError: (422, "invalid_avatar"),
    PlanLacksFeature: (403, "plan_lacks_feature"),
    UnknownAvatar: (404, "unknown_avatar"),
    BackgroundError: (422, "invalid_background"),
    PictureError: (422, "invalid_background"),
    UnknownBackground: (404, "unknown_background"),
    InvalidDestination: (422, "invalid_destination"),
    DestinationFailed: (502, "destination_failed"),
    StudioFull: (503, "studio_full"),
    EncoderUnavailable: (503, "encoder_unavailable"),
}


class Offer(BaseModel):
    """The page's WebRTC offer, and the output size it asks for (None: the studio's)."""

    sdp: str = Field(max_length=MAX_SDP_BYTES)
    type: str
    resolution: Literal["360p", "480p", "720p", "1080p"] | None = None


class GoLive(BaseModel):
    """Where to stream: an RTMP(S) server and key as OBS asks for them, one of the user's saved
    destinations, or a local recording."""

    kind: Literal["rtmp", "record", "saved"]
    server_url: str = Field(default="", max_length=2048)
    stream_key: str = Field(default="", max_length=512, repr=False)
    destination_id: int | None = None  # with kind "saved": one
    destination_ids: list[int] = Field(default=[], max_length=10)  # or several at once


class SessionView(BaseModel):
    """What the page changes in a running session; fields left out stay as they are.

    ``show_tracking`` draws landmarks on the preview; ``background`` is ``"#rrggbb"`` or
    ``"chroma"``, ``background_id`` one of the user's backgrounds; ``framing`` and ``mirror``
    set how the avatar is shown.
    """

    show_tracking: StrictBool | None = None  # "yes" or 1 is a mistake, not a wish
    background: str | None = Field(default=None, pattern=r"^(#[0-9a-fA-F]{6}|chroma)$")
    background_id: int | None = None
    framing: Literal["head", "upper_body", "full_body"] | None = None
    mirror: StrictBool | None = None


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """Every API error has this shape."""
    return {"error": {"code": code, "message": message}}


def create_app(settings: Settings) -> FastAPI:
    """Build the studio app for ``settings``."""
    limit_host_addresses(settings.ice_host_addresses)
    database = open_database(settings)
    events = EventHub()
    registry = SessionRegistry(settings, database, events)
    avatar_jobs = AvatarJobs(
        database,
        settings.data_dir / "thumbnails",
        utcnow,
        settings.avatar_triangles,
        notify=events.publish,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        system_log = DatabaseLogHandler(database, WORKER)
        front = system_log.start()
        logging.getLogger().addHandler(front)  # warnings and errors, for the admin pages
        events.bind(asyncio.get_running_loop())
        sweeper = asyncio.create_task(_sweep_forever(registry), name="vida-sweep")
        seed_catalogue(database, settings.default_avatar, utcnow())
        avatar_jobs.resume()  # new presets and uploads left waiting
        yield
        sweeper.cancel()
        await asyncio.to_thread(avatar_jobs.close)
        await registry.close_all("server shutting down")
        logging.getLogger().removeHandler(front)
        system_log.stop()
        database.close()

    app = FastAPI(title="VIDA studio", version="0.1.0", lifespan=lifespan)
    app.state.registry = registry
    app.state.events = events
    app.state.avatar_jobs = avatar_jobs
    web = Path(str(resources.files("web")))
    app.mount("/static", StaticFiles(directory=web), name="static")

    for exc_type, (status, code) in ERRORS.items():
        app.add_exception_handler(exc_type, _handler(status, code))
    app.add_exception_handler(RateLimited, _rate_limited_handler)
    app.add_exception_handler(StreamRefused, _stream_refused_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(HTTPException, _http_handler)

    app.state.account_gate = AccountGate(database, utcnow)
    box = (
        KeyBox(settings.secret_key.encode())
        if settings.secret_key
        else KeyBox.from_file(settings.secret_key_file)
    )
    avatars_dir = settings.data_dir / "avatars"

    async def avatar_switched(user_id: int, active: ActiveFile | None) -> None:
        path, name = (active.path, active.name) if active else (settings.default_avatar, "")
        for session in registry.of_user(user_id):
            await session.pipeline.switch_avatar(path, name)
        events.publish(
            user_id, {"type": "active_avatar", "avatar_id": active.avatar_id if active else None}
        )

    async def look_changed(user_id: int, look: Look) -> None:
        background = await asyncio.to_thread(load_look_background, look)
        if background is None:  # none chosen, or it cannot be read: the studio's own
            background = await asyncio.to_thread(parse_background, settings.background)
        for session in registry.of_user(user_id):
            session.pipeline.change_look(background, look.framing or settings.framing, look.mirror)
        events.publish(user_id, {"type": "look", **look.to_dict()})

    app.include_router(
        control_router(
            database,
            utcnow,
            box,
            avatars_dir,
            avatar_switched,
            avatar_jobs.submit,
            look_changed,
            load_background_image,
        ),
        prefix=API,
    )

    @app.get("/", include_in_schema=False)
    async def studio_page() -> FileResponse:
        return FileResponse(web / "index.html")

    @app.get(f"{API}/config")
    async def config() -> dict[str, object]:
        """What the page needs to know before it connects."""
        return {
            "width": settings.width,
            "height": settings.height,
            "fps": settings.fps,
            "ice_servers": list(settings.ice_servers),
            "scene": settings.scene,
            # The sizes a page may ask for: none larger than this studio streams.
            "resolutions": [n for n, (_, h) in OUTPUT_SIZES.items() if h <= settings.height],
        }

    @app.get(f"{API}/events")
    async def event_stream(account: SignedIn) -> StreamingResponse:
        """Server-Sent Events for the signed-in user's pages: ``minutes_warning``,
        ``stream_ended``, ``avatar`` (an upload's status and progress), ``active_avatar``."""
        return StreamingResponse(
            events.stream(account.id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get(f"{API}/health")
    async def health() -> dict[str, object]:
        """Liveness for load balancers."""
        return {"ok": True, "sessions": len(registry)}

    @app.post(f"{API}/sessions", status_code=201)
    async def create_session(offer: Offer, account: SignedIn) -> dict[str, object]:
        """Start a session from the page's offer; the answer carries every ICE candidate.

        The output size and what is tracked follow the account's plan.
        """
        with database.read() as db:
            plan = current_plan(db, account.id, utcnow())
        look = await asyncio.to_thread(look_of, database, account.id, utcnow())
        choices = StreamChoices(
            avatar=active_avatar_file(database, account.id),
            look=look,
            size=OUTPUT_SIZES[offer.resolution] if offer.resolution else None,
            background=await asyncio.to_thread(load_look_background, look),
        )
        session = registry.create(Owner(account, plan), choices)
        try:
            answer = await session.accept_offer(offer.sdp, offer.type)
        except BaseException:
            await registry.close(session.id, "invalid offer")
            raise
        s = session.pipeline.settings
        return {
            "session_id": session.id,
            "sdp": answer,
            "type": "answer",
            "plan": plan.id,
            "output": {"width": s.width, "height": s.height, "fps": s.fps},
            "tracking": s.tracking.features.names() if s.tracking else [],
            "scene": "avatar" if s.scene else "cutout" if s.cutout else "camera",
        }

    @app.post(f"{API}/sessions/{{session_id}}/live")
    async def go_live(session_id: str, body: GoLive, account: SignedIn) -> dict[str, object]:
        """Go live to the destination (or several saved ones at once: the output is encoded once
        and sent to each); fails within seconds if one does not accept the stream."""
        session = registry.get(session_id, account)
        if body.kind == "saved":
            single = [body.destination_id] if body.destination_id is not None else []
            ids = list(dict.fromkeys(body.destination_ids or single))  # each once, in order
            if not ids:
                raise InvalidDestination("choose one or more of your saved destinations")
            unlocked = [unlock(database, box, account.id, i) for i in ids]
            destinations = [
                dataclasses.replace(rtmp_destination(url, key), bitrate_kbps=kbps)
                for _, url, key, kbps in unlocked
            ]
        else:
            destinations = [_destination(body, settings, session_id)]
        try:
            return await session.go_live(destinations)
        except (DestinationFailed, CameraSilent, MediaNotConnected) as exc:
            session.last_error = str(exc)
            raise

    @app.post(f"{API}/sessions/{{session_id}}/stop")
    async def stop_live(session_id: str, account: SignedIn) -> dict[str, object]:
        """Stop streaming; the trailer is written before this returns."""
        return await registry.get(session_id, account).stop_live()

    @app.get(f"{API}/sessions/{{session_id}}/recordings/{{index}}", response_class=FileResponse)
    async def recording(session_id: str, index: int, account: SignedIn) -> FileResponse:
        """Download a file this session recorded (0: the first), for streamers whose studio
        runs on another machine."""
        recordings = registry.get(session_id, account).recordings
        if not 0 <= index < len(recordings) or not recordings[index].is_file():
            raise SessionNotFound(f"this session has no recording {index}")
        path = recordings[index]
        return FileResponse(path, media_type="video/x-flv", filename=path.name)

    @app.patch(f"{API}/sessions/{{session_id}}")
    async def change_view(
        session_id: str, body: SessionView, account: SignedIn
    ) -> dict[str, object]:
        """Change what the session shows, from the next frame on: the tracking view (landmarks
        over the preview, never in the stream), the background, the framing, mirror mode."""
        pipeline = registry.get(session_id, account).pipeline
        changes: dict[str, object] = {}
        setting = body.background
        if body.background_id is not None:
            setting = stream_setting(database, account.id, body.background_id, utcnow())
        if setting is not None:
            changes["background"] = await asyncio.to_thread(parse_background, setting)
        if body.framing is not None:
            changes["framing"] = body.framing
        if body.mirror is not None:
            changes["mirror"] = body.mirror
        if changes:
            pipeline.change_scene(**changes)
        if body.show_tracking is not None:
            pipeline.show_tracking = body.show_tracking
        scene = pipeline.scene.settings if pipeline.scene else None
        return {
            "show_tracking": pipeline.show_tracking,
            "framing": scene.framing if scene else None,
            "mirror": scene.mirror if scene else None,
        }

    @app.post(f"{API}/sessions/{{session_id}}/calibrate")
    async def calibrate(session_id: str, account: SignedIn) -> dict[str, object]:
        """Take the face in view now as the streamer's neutral face and head orientation."""
        registry.get(session_id, account).pipeline.calibrate()
        return {"calibrated": True}

    @app.get(f"{API}/sessions/{{session_id}}/stats")
    async def stats(session_id: str, account: SignedIn) -> dict[str, object]:
        """Live numbers: fps, bit rate, dropped frames, latency, destination states."""
        return registry.get(session_id, account).stats()

    @app.delete(f"{API}/sessions/{{session_id}}", status_code=204)
    async def close_session(session_id: str, account: SignedIn) -> None:
        """Close the session (the page calls this when it goes away)."""
        await registry.close(session_id, "closed by the page", account)

    return app


def open_database(settings: Settings) -> Database:
    """The control plane's database, created or migrated to the newest schema first."""
    if not settings.database_url:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # accounts live here
    upgrade(settings.database)
    return Database(settings.database)


def _destination(body: GoLive, settings: Settings, session_id: str) -> Destination:
    if body.kind == "record":
        settings.recordings_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        return file_destination(settings.recordings_dir / f"vida-{stamp}-{session_id[:6]}.flv")
    if not body.server_url.strip():
        raise InvalidDestination("enter the RTMP server URL (rtmp:// or rtmps://)")
    return rtmp_destination(body.server_url, body.stream_key)


def _handler(status: int, code: str):
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(code, str(exc)), status_code=status)

    return handle


async def _rate_limited_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(error_body("rate_limited", str(exc)), 429, headers=headers)


async def _stream_refused_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StreamRefused)
    return JSONResponse(error_body(exc.code, str(exc)), 403)


HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _http_handler(request: Request, exc: HTTPException) -> JSONResponse:
    """Routing errors in the API's own error shape."""
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = f"{request.method} {request.url.path}: {str(exc.detail).lower()}"
    return JSONResponse(error_body(code, message), exc.status_code, headers=exc.headers)


async def _validation_handler(_: Request, exc: RequestValidationError) -> JSONResponse:
    if any(err["type"] == "json_invalid" for err in exc.errors()):
        return JSONResponse(
            error_body("invalid_request", "the request body is not valid JSON"), 422
        )
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'] if p != 'body') or 'body'}: {err['msg']}"
        for err in exc.errors()
    )
    return JSONResponse(error_body("invalid_request", problems), status_code=422)


async def _sweep_forever(registry: SessionRegistry) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            await registry.sweep()
        except Exception:
            log.exception("session sweep failed")
