"""How a user's streams look: the background they chose, the framing and mirror mode.

Kept per user, so that every stream starts with it and a change from any tab reaches running
streams at once. Unset parts are the studio's defaults (``VIDA_BACKGROUND``, ``VIDA_FRAMING``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from control.backgrounds import UnknownBackground, stream_setting
from control.db import Database
from control.minutes import lock_user
from control.models import StudioLook
from control.plans import PlanLacksFeature

FRAMINGS = ("head", "upper_body", "full_body")


@dataclass(frozen=True)
class Look:
    """A user's look as streams use it (None: the studio's default)."""

    background_id: int | None
    background: str | None  # what a stream draws: "#rrggbb", "chroma" or an image's path
    framing: str | None
    mirror: bool = False

    def to_dict(self) -> dict[str, Any]:
        """For the user's pages (no file paths)."""
        return {"background_id": self.background_id, "framing": self.framing, "mirror": self.mirror}


DEFAULT_LOOK = Look(None, None, None)


def look_of(db: Database, user_id: int, now: datetime) -> Look:
    """The user's look now. A background their plan no longer unlocks (or that was deleted)
    falls back to the studio's default rather than failing the stream."""
    with db.read() as session:
        row = session.get(StudioLook, user_id)
        if row is None:
            return DEFAULT_LOOK
        background_id, framing, mirror = row.background_id, row.framing, row.mirror
    background = None
    if background_id is not None:
        try:
            background = stream_setting(db, user_id, background_id, now)
        except (UnknownBackground, PlanLacksFeature):
            background_id = None
    return Look(background_id, background, framing, mirror)


def change_look(db: Database, user_id: int, changes: dict[str, Any], now: datetime) -> Look:
    """Change the parts named in ``changes`` (``background_id``, ``framing``, ``mirror``; a
    None background or framing goes back to the studio's default). A background must be one
    the user may use (``UnknownBackground``, ``PlanLacksFeature``)."""
    if changes.get("background_id") is not None:
        stream_setting(db, user_id, changes["background_id"], now)
    if changes.get("framing") not in (None, *FRAMINGS):
        raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}")
    with db.write() as session:
        lock_user(session, user_id)  # two tabs saving a first look must not both insert it
        row = session.get(StudioLook, user_id)
        if row is None:
            row = StudioLook(user_id=user_id, mirror=False)
            session.add(row)
        for name in ("background_id", "framing", "mirror"):
            if name in changes:
                setattr(row, name, changes[name])
    return look_of(db, user_id, now)
