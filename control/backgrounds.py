"""Backgrounds: the catalogue (by category, some locked to bigger plans) and a user's own
images, colours and chroma green."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from control.avatars import allows
from control.db import Database
from control.models import Background, BackgroundCategory, StudioLook
from control.plans import PlanLacksFeature
from control.subscriptions import current_plan
from control.uploads import receive

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CHROMA_GREEN = "#00b140"
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
MAX_IMAGE_MB = 20  # a 4K JPEG is a few MB: more is a mistake, whatever the plan


class BackgroundError(ValueError):
    """A background that cannot be saved as given."""


class UnknownBackground(LookupError):
    """No background the user may see has that id."""


def catalogue(db: Database, user_id: int, now: datetime) -> list[dict[str, Any]]:
    """The catalogue and the user's own, each saying whether the plan unlocks it."""
    with db.read() as session:
        plan = current_plan(session, user_id, now)
        rows = session.execute(
            select(Background, BackgroundCategory.name)
            .outerjoin(BackgroundCategory, BackgroundCategory.id == Background.category_id)
            .where(or_(Background.user_id.is_(None), Background.user_id == user_id))
            .order_by(Background.user_id.is_(None), BackgroundCategory.name, Background.name)
        ).all()
        return [
            _describe(b)
            | {
                "category": category or ("Mine" if b.user_id else None),
                "locked": not allows(plan, b.required_plan),
                "unlocked_by": b.required_plan,
            }
            for b, category in rows
        ]


def stream_setting(db: Database, user_id: int, background_id: int, now: datetime) -> str:
    """What a stream draws for one of the backgrounds the user may use: ``"#rrggbb"``,
    ``"chroma"`` or an image's path (``UnknownBackground``; ``PlanLacksFeature`` if locked)."""

    with db.read() as session:
        row = session.get(Background, background_id)
        if row is None or row.user_id not in (None, user_id):
            raise UnknownBackground(f"no background {background_id}")
        plan = current_plan(session, user_id, now)
        if not allows(plan, row.required_plan):
            raise PlanLacksFeature(f"this background needs the {row.required_plan} plan or above")
        if row.kind == "chroma":
            return "chroma"
        return row.value


def add_colour(
    db: Database, user_id: int, name: str, kind: str, value: str, now: datetime
) -> dict[str, Any]:
    """A solid colour, or chroma green (for keying in OBS), of the user's own."""
    if kind == "chroma":
        value = value or CHROMA_GREEN
    if kind not in ("color", "chroma") or not COLOUR.match(value):
        raise BackgroundError(
            'a colour background needs kind "color" or "chroma" and a value like #1e90ff'
        )
    value = value.lower()
    with db.write() as session:
        row = Background(
            user_id=user_id,
            name=(name.strip() or value)[:100],
            kind=kind,
            value=value,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return _describe(row)


async def store_image(
    db: Database,
    user_id: int,
    name: str,
    chunks: AsyncIterator[bytes],
    folder: Path,
    now: datetime,
    check: Callable[[Path], object] | None = None,
) -> dict[str, Any]:
    """Save an uploaded PNG or JPEG (streamed; type checked by its first bytes, then by
    ``check``, which raises with the reason for a picture streams could not show)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{user_id}-{secrets.token_hex(8)}"
    too_large = f"background images can be up to {MAX_IMAGE_MB} MB"
    size, head = await receive(chunks, path, MAX_IMAGE_MB * 1024 * 1024, too_large, _image_kind)
    if not size:
        path.unlink(missing_ok=True)
        raise BackgroundError("the upload is empty: choose a PNG or JPEG image")
    final = path.rename(path.with_suffix(f".{_image_kind(head)}"))
    try:
        # Decoded as streams decode it (``check`` comes from the studio, which renders), so a
        # damaged or huge picture is refused now, with the reason, not when a stream starts.
        if check is not None:
            await asyncio.to_thread(check, final)
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    try:
        with db.write() as session:
            row = Background(
                user_id=user_id,
                name=(name.strip() or "My background")[:100],
                kind="image",
                value=str(final),
                created_at=now,
            )
            session.add(row)
            session.flush()
            return _describe(row)
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def _image_kind(start: bytes) -> str:
    """ "png" or "jpg" from a file's first bytes (``BackgroundError`` for anything else)."""
    kind = next((k for magic, k in IMAGE_MAGIC.items() if start.startswith(magic)), None)
    if kind is None:
        raise BackgroundError("upload a PNG or JPEG image")
    return kind


def picture_file(db: Database, user_id: int, background_id: int) -> Path:
    """The image of a catalogue background or of one of the user's own."""
    with db.read() as session:
        row = session.get(Background, background_id)
        if row is None or row.user_id not in (None, user_id) or row.kind != "image":
            raise UnknownBackground(f"no picture background {background_id}")
        return Path(row.value)


def delete_background(db: Database, user_id: int, background_id: int) -> bool:
    """Delete one of the user's own backgrounds (and its image); True when it was the one
    their streams showed (they go back to the studio's default)."""
    with db.write() as session:
        row = session.get(Background, background_id)
        if row is None or row.user_id != user_id:
            raise UnknownBackground(f"no background {background_id} of yours")
        image = row.value if row.kind == "image" else None
        look = session.get(StudioLook, user_id)
        in_use = look is not None and look.background_id == background_id
        session.delete(row)
    if image:
        with contextlib.suppress(OSError):
            Path(image).unlink()
    return in_use


def _describe(row: Background) -> dict[str, Any]:
    colour = row.value if row.kind in ("color", "chroma") else None
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "colour": colour,
        "own": row.user_id is not None,
    }
