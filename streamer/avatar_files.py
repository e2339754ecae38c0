"""Where an avatar's derived files live: beside the upload, named after it."""

from __future__ import annotations

from pathlib import Path


def rigged_path(upload: Path) -> Path:
    """The skeleton VIDA fitted to an unrigged upload."""
    return upload.with_name(f"{upload.stem}-rigged.glb")


def lighter_path(avatar: Path) -> Path:
    """The lighter level of detail of an avatar over the triangle budget."""
    return avatar.with_name(f"{avatar.stem}-lod.glb")


def playable(avatar: Path) -> Path:
    """The file a stream renders: the lighter copy when there is one."""
    lighter = lighter_path(avatar)
    return lighter if lighter.is_file() else avatar
