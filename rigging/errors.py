"""What can go wrong with an avatar, in words a streamer can act on."""

from __future__ import annotations


class AvatarError(ValueError):
    """An avatar file that VIDA cannot use. ``where`` names the part of the file at fault."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message
        self.where = where


class AvatarFormatError(AvatarError):
    """The file is not valid glTF/GLB/VRM, or points outside itself."""


class AvatarLimitError(AvatarError):
    """The file is valid but larger than allowed (by the plan or by VIDA's safety limits)."""


class NotHumanoidError(AvatarError):
    """The skeleton is not a humanoid one VIDA can drive (e.g. a quadruped, or no skeleton)."""
