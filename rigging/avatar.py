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
    model = load_avatar(source, limits)
    humanoid = map_humanoid(model)
    name = model.vrm.title if model.vrm and model.vrm.title else ""
    if not name and isinstance(source, (str, Path)):
        name = Path(source).stem
    return Avatar(stand_upright(model, humanoid), humanoid, map_expressions(model), name)
