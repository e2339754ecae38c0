"""Avatars a user owns: uploads, presets picked from the gallery, the one active avatar, and
the plan's avatar count limit.

Checking, rigging and picturing the files is the avatar library's work, which ``control``
does not import: an upload is handed over as an ``AvatarJob`` to whatever the app plugged in
(``streamer.avatar_jobs``), which reports back through ``mark_progress``/``mark_ready``/
``mark_failed``. Uploads wait in status ``pending`` until a worker takes them.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control.db import Database
from control.minutes import lock_user
from control.models import ActiveAvatar, AddOn, Avatar, AvatarCategory
from control.paging import Page, fetch_page
from control.plans import PLAN_ORDER, Plan, PlanLacksFeature
from control.plans import plan as plan_by_id
from control.subscriptions import current_plan
from control.uploads import receive

KINDS = {".glb": "glb", ".vrm": "vrm"}  # binary glTF containers; .gltf with buffers later


@dataclass(frozen=True)
class AvatarJob:
    """An uploaded file to check, rig and picture, within its owner's plan."""

    avatar_id: int
    user_id: int | None  # None: a preset
    path: Path
    max_bones: int
    max_morph_targets: int
    max_bytes: int


class AvatarError(ValueError):
    """An avatar request that cannot be done (the message says why)."""


class AvatarLimitReached(AvatarError):
    """The plan's avatar slots are all taken."""


class PresetAlreadyAdded(AvatarError):
    """The user has a copy of this preset already (a second one would only take a slot)."""


class UnknownAvatar(LookupError):
    """No avatar of this user (or preset) has that id."""


def allows(plan: Plan, required: str) -> bool:
    """Whether ``plan`` is ``required`` or above it."""
    return PLAN_ORDER.index(plan.id) >= PLAN_ORDER.index(required)


def avatar_slots(session: Session, user_id: int, plan: Plan, now: datetime) -> int:
    """How many avatars the user may own: the plan's, plus extra-slot add-ons in force."""
    extra = session.scalar(
        select(func.coalesce(func.sum(AddOn.quantity), 0)).where(
            AddOn.user_id == user_id, AddOn.kind == "extra_avatars", AddOn.expires_at > now
        )
    )
    return plan.max_avatars + int(extra)


def avatars_used(session: Session, user_id: int) -> int:
    """How many of the user's avatars take a slot: all but failed uploads, which stay listed
    (so the user sees why they failed) without costing a slot."""
    return session.scalar(
        select(func.count())
        .select_from(Avatar)
        .where(Avatar.user_id == user_id, Avatar.status != "failed")
    )


def _check_room(session: Session, user_id: int, now: datetime) -> Plan:
    lock_user(session, user_id)  # two uploads at once must not both take the last slot
    plan = current_plan(session, user_id, now)
    owned = avatars_used(session, user_id)
    slots = avatar_slots(session, user_id, plan, now)
    if owned >= slots:
        raise AvatarLimitReached(
            f"the {plan.name} plan holds {slots} avatar{'s' * (slots != 1)}: delete one, "
            "or move to a bigger plan"
        )
    return plan


def _kind(filename: str) -> str:
    kind = KINDS.get(Path(filename).suffix.lower())
    if kind is None:
        raise AvatarError("upload a .glb or .vrm file (binary glTF)")
    return kind


async def store_upload(
    db: Database,
    user_id: int,
    name: str,
    filename: str,
    chunks: AsyncIterator[bytes],
    folder: Path,
    now: datetime,
) -> dict[str, Any]:
    """Save an uploaded avatar file (streamed, never whole in memory) as a pending avatar."""
    kind = _kind(filename)
    with db.read() as session:
        plan = current_plan(session, user_id, now)
    if not plan.custom_avatars:
        raise PlanLacksFeature(
            f"the {plan.name} plan has no custom avatars: pick a preset, or move to Reply Guy "
            "or above to upload your own"
        )
    limit = plan.max_upload_mb * 1024 * 1024
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{user_id}-{secrets.token_hex(8)}.{kind}"
    too_large = f"the {plan.name} plan takes avatar files up to {plan.max_upload_mb} MB"
    size, _ = await receive(chunks, path, limit, too_large, _check_gltf)
    try:
        if size < 12:
            raise AvatarError("the file is empty or cut short")
        with db.write() as session:
            _check_room(session, user_id, now)
            avatar = Avatar(
                user_id=user_id,
                name=(name.strip() or Path(filename).stem)[:100],
                kind=kind,
                file_path=str(path),
                size_bytes=size,
                status="pending",
                progress=0,
                created_at=now,
            )
            session.add(avatar)
            session.flush()
            return describe(avatar, active=False)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def job_for(db: Database, avatar_id: int, now: datetime) -> AvatarJob:
    """What processing avatar ``avatar_id`` needs to know (its owner's plan limits; a
    preset, owned by no one, is held to the largest plan's)."""
    with db.read() as session:
        avatar = session.get(Avatar, avatar_id)
        if avatar is None:
            raise UnknownAvatar(f"no avatar {avatar_id}")
        if avatar.user_id is None:
            plan = plan_by_id(PLAN_ORDER[-1])
        else:
            plan = current_plan(session, avatar.user_id, now)
        return AvatarJob(
            avatar.id,
            avatar.user_id,
            Path(avatar.file_path),
            plan.max_bones,
            plan.max_morph_targets,
            plan.max_upload_mb * 1024 * 1024,
        )


def waiting_jobs(db: Database) -> list[int]:
    """Avatars still pending or interrupted mid-way (a restart picks them up again)."""
    with db.read() as session:
        waiting = Avatar.status.in_(("pending", "processing"))
        rows = session.scalars(select(Avatar.id).where(waiting).order_by(Avatar.id))
        return list(rows)


def mark_progress(db: Database, avatar_id: int, percent: int) -> None:
    """Processing is ``percent`` done."""
    with db.write() as session:
        avatar = session.get(Avatar, avatar_id)
        if avatar is not None:
            avatar.status, avatar.progress = "processing", max(0, min(99, percent))


def mark_ready(db: Database, avatar_id: int, thumbnail: Path) -> None:
    """Processing succeeded: the avatar can go live."""
    with db.write() as session:
        avatar = session.get(Avatar, avatar_id)
        if avatar is not None:
            avatar.status, avatar.progress, avatar.error = "ready", 100, None
            avatar.thumbnail_path = str(thumbnail)


def mark_failed(db: Database, avatar_id: int, error: str) -> None:
    """Processing failed; ``error`` tells the user why, in their words. The upload and what
    was made from it are removed: a failed avatar takes no slot, so it must take no disk."""
    with db.write() as session:
        avatar = session.get(Avatar, avatar_id)
        if avatar is None:
            return
        avatar.status, avatar.error = "failed", error[:2000]
        upload = Path(avatar.file_path) if avatar.source_id is None else None
    if upload is not None:
        for path in [upload, *upload.parent.glob(f"{upload.stem}-*")]:
            with contextlib.suppress(OSError):
                path.unlink()


def preview_file(thumbnail: Path) -> Path:
    """Where the idle-motion clip of an avatar is kept: beside its thumbnail."""
    return thumbnail.with_name(f"{thumbnail.stem}-idle.mp4")


def thumbnail_file(db: Database, user_id: int, avatar_id: int) -> Path:
    """The PNG thumbnail of one of the user's avatars or of a public preset
    (``UnknownAvatar`` if it has none)."""
    with db.read() as session:
        avatar = session.get(Avatar, avatar_id)
        if avatar is None or not (avatar.user_id is None and avatar.public):
            avatar = _owned(session, user_id, avatar_id)
        if avatar.thumbnail_path is None:
            raise UnknownAvatar(f"avatar {avatar_id} has no thumbnail yet ({avatar.status})")
        return Path(avatar.thumbnail_path)


def preview_video(db: Database, user_id: int, avatar_id: int) -> Path:
    """The idle-motion MP4 of one of the user's avatars or of a public preset."""
    clip = preview_file(thumbnail_file(db, user_id, avatar_id))
    if not clip.exists():  # processed before VIDA made clips: the thumbnail still shows
        raise UnknownAvatar(f"avatar {avatar_id} has no moving preview")
    return clip


def _check_gltf(start: bytes) -> None:
    if not start.startswith(b"glTF"[: len(start)]):
        raise AvatarError("this is not a binary glTF file (.glb/.vrm start with 'glTF')")


def pick_preset(db: Database, user_id: int, preset_id: int, now: datetime) -> dict[str, Any]:
    """Add a preset from the gallery to the user's avatars."""
    with db.write() as session:
        preset = session.get(Avatar, preset_id)
        if preset is None or preset.user_id is not None or not preset.public:
            raise UnknownAvatar(f"no preset avatar {preset_id}")
        lock_user(session, user_id)  # two clicks at once must not both add a copy
        if preset.id in _presets_added(session, user_id):  # said first: it is the real reason
            raise PresetAlreadyAdded(f"you have {preset.name} already: it is in My Avatars")
        plan = _check_room(session, user_id, now)
        if not allows(plan, preset.required_plan):
            raise PlanLacksFeature(f"this avatar needs the {preset.required_plan} plan or above")
        copy = Avatar(
            user_id=user_id,
            category_id=preset.category_id,
            source_id=preset.id,
            name=preset.name,
            kind=preset.kind,
            file_path=preset.file_path,
            thumbnail_path=preset.thumbnail_path,
            size_bytes=preset.size_bytes,
            status=preset.status,
            progress=preset.progress,
            created_at=now,
        )
        preset.usage_count += 1
        session.add(copy)
        session.flush()
        return describe(copy, active=False)


def _presets_added(session: Session, user_id: int) -> set[int]:
    """The ids of the presets the user has a copy of."""
    rows = session.scalars(
        select(Avatar.source_id).where(Avatar.user_id == user_id, Avatar.source_id.is_not(None))
    )
    return set(rows)


def _owned(session: Session, user_id: int, avatar_id: int) -> Avatar:
    avatar = session.get(Avatar, avatar_id)
    if avatar is None or avatar.user_id != user_id:  # someone else's is "not found" too
        raise UnknownAvatar(f"no avatar {avatar_id}")
    return avatar


def set_active(db: Database, user_id: int, avatar_id: int) -> dict[str, Any]:
    """Make one of the user's ready avatars the one that goes live."""
    with db.write() as session:
        avatar = _owned(session, user_id, avatar_id)
        if avatar.status != "ready":
            raise AvatarError(f"this avatar is {avatar.status}: it can go live once it is ready")
        row = session.get(ActiveAvatar, user_id)
        if row is None:
            session.add(ActiveAvatar(user_id=user_id, avatar_id=avatar_id))
        else:
            row.avatar_id = avatar_id
        return describe(avatar, active=True)


@dataclass(frozen=True)
class ActiveFile:
    """The file and name of the avatar a user goes live with."""

    avatar_id: int
    path: Path
    name: str


def active_avatar_file(db: Database, user_id: int) -> ActiveFile | None:
    """The user's active avatar, if it is ready (None: the studio's default)."""
    with db.read() as session:
        row = session.get(ActiveAvatar, user_id)
        avatar = session.get(Avatar, row.avatar_id) if row is not None else None
        if avatar is None or avatar.status != "ready" or not avatar.file_path:
            return None
        return ActiveFile(avatar.id, Path(avatar.file_path), avatar.name)


def delete_avatar(db: Database, user_id: int, avatar_id: int) -> bool:
    """Delete one of the user's avatars, its upload and the files made from it (named
    ``NAME-*`` beside it: rigged and lighter copies) and its thumbnail; True when it was the
    active one (the user then goes live with the studio's default)."""
    with db.write() as session:
        avatar = _owned(session, user_id, avatar_id)
        upload = Path(avatar.file_path) if avatar.source_id is None else None
        thumbnail = avatar.thumbnail_path if avatar.source_id is None else None
        active = session.get(ActiveAvatar, user_id)
        was_active = active is not None and active.avatar_id == avatar_id
        if was_active:
            session.delete(active)
        session.delete(avatar)
    files = [upload, *upload.parent.glob(f"{upload.stem}-*")] if upload else []
    pictures = [Path(thumbnail), preview_file(Path(thumbnail))] if thumbnail else []
    for path in [*files, *pictures]:
        with contextlib.suppress(OSError):
            path.unlink()
    return was_active


def clear_active(db: Database, user_id: int) -> None:
    """Go live with the studio's default avatar again."""
    with db.write() as session:
        row = session.get(ActiveAvatar, user_id)
        if row is not None:
            session.delete(row)


def listing(db: Database, user_id: int, page: int, per_page: int, now: datetime) -> dict[str, Any]:
    """The user's avatars, newest first, with the active one marked, the plan's slots and how
    many of them are used (failed uploads are listed but use none)."""
    with db.read() as session:
        plan = current_plan(session, user_id, now)
        active = session.get(ActiveAvatar, user_id)
        active_id = active.avatar_id if active else None
        statement = select(Avatar).where(Avatar.user_id == user_id).order_by(Avatar.id.desc())
        rows, total = fetch_page(session, statement, page, per_page)
        items = [describe(a, active=a.id == active_id) for a in rows]
        return Page(items, page, per_page, total).to_dict() | {
            "slots": avatar_slots(session, user_id, plan, now),
            "used": avatars_used(session, user_id),
            "active_avatar_id": active_id,
        }


def presets(db: Database, user_id: int, now: datetime) -> list[dict[str, Any]]:
    """The gallery's preset avatars, each saying whether the user's plan unlocks it and
    whether the user has added it already."""
    with db.read() as session:
        plan = current_plan(session, user_id, now)
        added = _presets_added(session, user_id)
        rows = session.execute(
            select(Avatar, AvatarCategory.name)
            .outerjoin(AvatarCategory, AvatarCategory.id == Avatar.category_id)
            .where(Avatar.user_id.is_(None), Avatar.public.is_(True))
            .order_by(AvatarCategory.name, Avatar.name)
        ).all()
        return [
            describe(a, active=False)
            | {
                "category": category,
                "locked": not allows(plan, a.required_plan),
                "added": a.id in added,
            }
            for a, category in rows
        ]


def describe(avatar: Avatar, active: bool) -> dict[str, Any]:
    """An avatar as the API shows it (no file paths)."""
    return {
        "id": avatar.id,
        "name": avatar.name,
        "kind": avatar.kind,
        "status": avatar.status,
        "progress": avatar.progress,
        "error": avatar.error,
        "size_bytes": avatar.size_bytes,
        "has_thumbnail": avatar.thumbnail_path is not None,
        "has_preview": avatar.thumbnail_path is not None
        and preview_file(Path(avatar.thumbnail_path)).exists(),
        "preset_id": avatar.source_id,
        "required_plan": avatar.required_plan,
        "premium": avatar.premium,
        "active": active,
        "created_at": avatar.created_at.isoformat() + "Z",
    }
