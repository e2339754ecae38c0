"""What users own, over the API: saved destinations, avatars, backgrounds (only ever their
own; another user's answers 404).

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the routes defined inside the router functions, and those must be real objects, not strings.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from control import avatars, backgrounds, destinations
from control.api_deps import PageNumber, PerPage, SignedIn
from control.db import Database
from control.destinations import DestinationFields, KeyBox
from control.looks import Look, look_of


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
    """Which avatar goes live (null: the studio's default)."""

    avatar_id: int | None


AvatarSwitched = Callable[[int, avatars.ActiveFile | None], Awaitable[None]]
LookChanged = Callable[[int, Look], Awaitable[None]]
AvatarUploaded = Callable[[int], None]


def avatars_router(
    router: APIRouter,
    db: Database,
    clock: Callable[[], datetime],
    folder: Path,
    switched: AvatarSwitched | None = None,
    uploaded: AvatarUploaded | None = None,
) -> None:
    """My Avatars: uploads, presets, the active one (only ever the user's own).

    ``switched(user_id, active)`` runs after the active avatar changed, so that the user's
    running streams show the new one; ``uploaded(avatar_id)`` queues a new upload for
    checking, rigging and its thumbnail.
    """

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
        stored = await avatars.store_upload(
            db, account.id, name, filename, request.stream(), folder, clock()
        )
        if uploaded is not None:
            uploaded(stored["id"])
        return stored

    @router.get("/avatars/{avatar_id}/thumbnail", response_class=FileResponse)
    async def avatar_thumbnail(avatar_id: int, account: SignedIn) -> FileResponse:
        """The avatar's 256×256 PNG picture, once it is processed."""
        path = avatars.thumbnail_file(db, account.id, avatar_id)
        return FileResponse(path, media_type="image/png")

    @router.get("/avatars/{avatar_id}/preview", response_class=FileResponse)
    async def avatar_preview(avatar_id: int, account: SignedIn) -> FileResponse:
        """A few seconds of the avatar in its idle motion (MP4, H.264), once processed."""
        clip = avatars.preview_video(db, account.id, avatar_id)
        return FileResponse(clip, media_type="video/mp4")

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
        """Switch the avatar that goes live, in one call (running streams switch too);
        ``null`` goes back to the studio's default avatar."""
        if body.avatar_id is None:
            avatars.clear_active(db, account.id)
            chosen: dict[str, Any] = {"active": None}
        else:
            chosen = avatars.set_active(db, account.id, body.avatar_id)
        if switched is not None:
            await switched(account.id, avatars.active_avatar_file(db, account.id))
        return chosen

    @router.delete("/avatars/{avatar_id}", status_code=204)
    async def remove_avatar(avatar_id: int, account: SignedIn) -> None:
        """Delete one of your avatars (running streams of it go back to the default)."""
        if avatars.delete_avatar(db, account.id, avatar_id) and switched is not None:
            await switched(account.id, None)


class ColourBackground(BaseModel):
    """A solid colour or chroma green."""

    name: str = Field(default="", max_length=100)
    kind: str = Field(pattern="^(color|chroma)$")
    value: str = Field(default="", max_length=7)


def backgrounds_router(
    router: APIRouter,
    db: Database,
    clock: Callable[[], datetime],
    folder: Path,
    look_changed: LookChanged | None = None,
    picture_check: Callable[[Path], object] | None = None,
) -> None:
    """The background catalogue and the user's own backgrounds. ``look_changed(user_id,
    look)`` hears when deleting one changed the look of the user's streams;
    ``picture_check(path)`` decodes an uploaded picture as streams will (raising why not)."""

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
            db, account.id, name, request.stream(), folder, clock(), picture_check
        )

    @router.get("/backgrounds/{background_id}/picture", response_class=FileResponse)
    async def background_picture(background_id: int, account: SignedIn) -> FileResponse:
        """The picture of an image background (the catalogue's or your own)."""
        return FileResponse(backgrounds.picture_file(db, account.id, background_id))

    @router.delete("/backgrounds/{background_id}", status_code=204)
    async def remove_background(background_id: int, account: SignedIn) -> None:
        """Delete one of your own backgrounds (streams showing it go back to the default)."""
        if backgrounds.delete_background(db, account.id, background_id) and look_changed:
            await look_changed(account.id, look_of(db, account.id, clock()))
