"""``vida avatar inspect``: what VIDA makes of an avatar file, as one JSON-ready dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rigging.errors import AvatarError, NotHumanoidError
from rigging.expression_map import map_expressions
from rigging.gltf_reader import load_avatar
from rigging.humanoid import map_humanoid
from rigging.limits import AvatarLimits
from rigging.model import AvatarModel


def inspect_avatar(
    source: bytes | str | Path, limits: AvatarLimits | None = None
) -> dict[str, Any]:
    """``valid`` (a glTF VIDA can read), ``usable`` (a humanoid it can drive), and either the
    errors or the model's counts, bones, morphs and mapping."""
    try:
        model = load_avatar(source, limits)
    except AvatarError as error:
        return {"valid": False, "usable": False, "humanoid": False, "errors": [_error(error)]}
    report: dict[str, Any] = {"valid": True, "usable": False, "format": model.source}
    report |= counts(model)
    report["morph_targets"] = list(model.morph_target_names)
    report["warnings"] = list(model.warnings)
    expressions = map_expressions(model)
    report["expressions"] = {
        "perfect_sync": expressions.perfect_sync,
        "jaw_bone_fallback": expressions.needs_jaw_bone,
        "mapping": expressions.describe(model),
    }
    try:
        humanoid = map_humanoid(model)
    except NotHumanoidError as error:
        report |= {"humanoid": False, "errors": [_error(error)]}
        return report
    report["humanoid"] = report["usable"] = True
    report["humanoid_source"] = humanoid.source
    report["bones"] = {bone: model.nodes[node].name for bone, node in humanoid.bones.items()}
    report["bones_missing"] = humanoid.missing()
    return report


def counts(model: AvatarModel) -> dict[str, int]:
    """The sizes a plan limits and the renderer pays for."""
    return {
        "vertices": model.vertex_count,
        "triangles": model.triangle_count,
        "joints": model.joint_count,
        "morph_target_count": len(model.morph_target_names),
        "meshes": len(model.meshes),
        "materials": len(model.materials) - 1,  # without the implicit default
        "textures": sum(m.texture is not None for m in model.materials),
        "nodes": len(model.nodes),
    }


def _error(error: AvatarError) -> dict[str, str]:
    return {"kind": type(error).__name__, "where": error.where, "message": error.reason}
