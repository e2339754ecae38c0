"""What every studio offers out of the box: the preset avatar gallery and stock backgrounds.

Seeded at start, idempotently (matched by file path or value), so an operator's own additions
and the users' picks are never touched. The shipped preset is VIDA's generated default avatar;
its thumbnail is made by the avatar worker like any upload's (``status`` pending → ready).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from control.db import Database
from control.models import Avatar, AvatarCategory, Background, BackgroundCategory

VIDA_CATEGORY = "VIDA"
STOCK_BACKGROUNDS = (  # (name, kind, value, plan that unlocks it)
    ("Night blue", "color", "#262c3a", "free"),
    ("Studio grey", "color", "#3b3f46", "free"),
    ("Warm sand", "color", "#c8a97e", "free"),
    ("Chroma green", "chroma", "#00b140", "free"),
)


def seed_catalogue(db: Database, default_avatar: Path, now: datetime) -> None:
    """Add what is missing (a new preset waits as ``pending`` for the avatar worker)."""
    with db.write() as session:
        avatars = _category(session, AvatarCategory, VIDA_CATEGORY)
        backgrounds = _category(session, BackgroundCategory, VIDA_CATEGORY)
        for name, kind, value, required in STOCK_BACKGROUNDS:
            known = session.scalar(
                select(Background.id).where(Background.user_id.is_(None), Background.value == value)
            )
            if known is None:
                session.add(
                    Background(
                        user_id=None,
                        category_id=backgrounds,
                        name=name,
                        kind=kind,
                        value=value,
                        required_plan=required,
                        created_at=now,
                    )
                )
        preset = session.scalar(
            select(Avatar).where(Avatar.user_id.is_(None), Avatar.file_path == str(default_avatar))
        )
        if preset is None and default_avatar.is_file():
            preset = Avatar(
                user_id=None,
                category_id=avatars,
                name="VIDA default",
                kind="glb",
                file_path=str(default_avatar),
                size_bytes=default_avatar.stat().st_size,
                status="pending",
                progress=0,
                public=True,
                required_plan="free",
                created_at=now,
            )
            session.add(preset)


def _category(session: Session, model: type[AvatarCategory | BackgroundCategory], name: str) -> int:
    found = session.scalar(select(model.id).where(model.name == name))
    if found is not None:
        return found
    row = model(name=name)
    session.add(row)
    session.flush()
    return row.id
