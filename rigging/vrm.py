"""The VRM extensions (0.x ``VRM`` and 1.0 ``VRMC_vrm``): humanoid bones and expressions.

Both versions are read into VRM 1.0's vocabulary, so the rest of VIDA knows one set of bone
and expression names.
"""

from __future__ import annotations

from typing import Any

from rigging.errors import AvatarFormatError
from rigging.model import VrmExpressionBind, VrmInfo

# VRM 0.x counted the thumb from the proximal bone; 1.0 starts at the metacarpal.
VRM0_BONE_RENAMES = {
    f"{side}Thumb{old}": f"{side}Thumb{new}"
    for side in ("left", "right")
    for old, new in (("Proximal", "Metacarpal"), ("Intermediate", "Proximal"))
}
VRM0_PRESETS = {
    "a": "aa",
    "i": "ih",
    "u": "ou",
    "e": "ee",
    "o": "oh",
    "blink": "blink",
    "blink_l": "blinkLeft",
    "blink_r": "blinkRight",
    "joy": "happy",
    "angry": "angry",
    "sorrow": "sad",
    "fun": "relaxed",
    "lookup": "lookUp",
    "lookdown": "lookDown",
    "lookleft": "lookLeft",
    "lookright": "lookRight",
    "neutral": "neutral",
}


def read_vrm(doc: dict[str, Any], node_count: int, mesh_of_node: dict[int, int]) -> VrmInfo | None:
    """The file's VRM data, or None for plain glTF."""
    extensions = doc.get("extensions") or {}
    if not isinstance(extensions, dict):
        raise AvatarFormatError("must be an object", "extensions")
    if isinstance(extensions.get("VRMC_vrm"), dict):
        return _read_vrm1(extensions["VRMC_vrm"], node_count, mesh_of_node)
    if isinstance(extensions.get("VRM"), dict):
        return _read_vrm0(extensions["VRM"], node_count, len(doc.get("meshes", [])))
    return None


def _read_vrm1(vrm: dict[str, Any], node_count: int, mesh_of_node: dict[int, int]) -> VrmInfo:
    where = "extensions.VRMC_vrm"
    bones = ((vrm.get("humanoid") or {}).get("humanBones")) or {}
    if not isinstance(bones, dict):
        raise AvatarFormatError("humanoid.humanBones must be an object", where)
    humanoid = {
        str(name): _node(spec.get("node") if isinstance(spec, dict) else None, node_count, where)
        for name, spec in bones.items()
    }
    expressions: dict[str, tuple[VrmExpressionBind, ...]] = {}
    groups = vrm.get("expressions") or {}
    for group in ("preset", "custom"):
        for name, spec in (groups.get(group) or {}).items():
            binds = []
            for bind in (spec or {}).get("morphTargetBinds") or []:
                mesh = mesh_of_node.get(_node(bind.get("node"), node_count, where))
                if mesh is not None and isinstance(bind.get("index"), int):
                    binds.append(
                        VrmExpressionBind(mesh, bind["index"], float(bind.get("weight", 1)))
                    )
            expressions[str(name)] = tuple(binds)
    title = str((vrm.get("meta") or {}).get("name", ""))
    return VrmInfo("1.0", humanoid, expressions, title)


def _read_vrm0(vrm: dict[str, Any], node_count: int, mesh_count: int) -> VrmInfo:
    where = "extensions.VRM"
    humanoid: dict[str, int] = {}
    for bone in ((vrm.get("humanoid") or {}).get("humanBones")) or []:
        if isinstance(bone, dict) and isinstance(bone.get("bone"), str):
            name = VRM0_BONE_RENAMES.get(bone["bone"], bone["bone"])
            humanoid[name] = _node(bone.get("node"), node_count, where)
    expressions: dict[str, tuple[VrmExpressionBind, ...]] = {}
    for group in ((vrm.get("blendShapeMaster") or {}).get("blendShapeGroups")) or []:
        if not isinstance(group, dict):
            continue
        preset = str(group.get("presetName", "unknown")).lower()
        name = VRM0_PRESETS.get(preset) or str(group.get("name", preset))
        binds = tuple(
            VrmExpressionBind(b["mesh"], b["index"], float(b.get("weight", 100)) / 100.0)
            for b in group.get("binds") or []
            if isinstance(b, dict)
            and isinstance(b.get("mesh"), int)
            and 0 <= b["mesh"] < mesh_count
            and isinstance(b.get("index"), int)
        )
        expressions[name] = binds
    title = str((vrm.get("meta") or {}).get("title", ""))
    return VrmInfo("0.x", humanoid, expressions, title)


def _node(value: object, node_count: int, where: str) -> int:
    if not isinstance(value, int) or not 0 <= value < node_count:
        raise AvatarFormatError(f"names node {value!r}, which does not exist", where)
    return value
