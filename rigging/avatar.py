"""An avatar ready to drive: the loaded model standing upright, its bones and expressions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rigging.expression_map import ExpressionMap, map_expressions
from rigging.gltf_reader import load_avatar
from rigging.humanoid import HumanoidMap, map_humanoid
from rigging.limits import AvatarLimits
from rigging.model import AvatarModel
from rigging.upright import stand_upright


@dataclass(frozen=True)
class Avatar:
    """A humanoid model in VIDA's space with what tracking drives on it."""

    model: AvatarModel
    humanoid: HumanoidMap
    expressions: ExpressionMap
    name: str = ""


def open_avatar(source: bytes | str | Path, limits: AvatarLimits | None = None) -> Avatar:
    """Load, validate and map an avatar file; ``AvatarError`` subclasses say what is wrong."""
    name = Path(source).stem if isinstance(source, (str, Path)) else ""
    return avatar_from_model(load_avatar(source, limits), name)


def avatar_from_model(model: AvatarModel, fallback_name: str = "") -> Avatar:
    """Map and stand up a loaded model, named by its VRM title or else ``fallback_name``."""
    humanoid = map_humanoid(model)
    name = model.vrm.title if model.vrm and model.vrm.title else fallback_name
    return Avatar(stand_upright(model, humanoid), humanoid, map_expressions(model), name)
