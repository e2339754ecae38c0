"""Where an avatar's derived files live: beside the upload, named ``NAME-*.glb`` after it
(``control.avatars.delete_avatar`` removes them with the upload)."""

from __future__ import annotations

from pathlib import Path


def rigged_path(upload: Path) -> Path:
    """The skeleton VIDA fitted to an unrigged upload."""
    return upload.with_name(f"{upload.stem}-rigged.glb")


def lighter_path(avatar: Path) -> Path:
    """The lighter level of detail of an avatar over the triangle budget."""
    return avatar.with_name(f"{avatar.stem}-lod.glb")


def playable(upload: Path) -> Path:
    """The file a stream renders: the lighter copy, else the rigged one, else the upload."""
    for candidate in (lighter_path(upload), rigged_path(upload)):
        if candidate.is_file():
            return candidate
    return upload
