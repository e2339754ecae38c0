"""Synthetic skeletons for the humanoid-mapping tests: one T-pose body, many naming schemes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rigging.model import AvatarModel, Material, Mesh, MeshInstance, Node, Primitive, Skin

# (VRM bone, parent bone, world position in metres) of a 1.7 m T-pose humanoid facing +Z.
T_POSE: list[tuple[str, str | None, tuple[float, float, float]]] = [
    ("hips", None, (0.0, 1.0, 0.0)),
    ("spine", "hips", (0.0, 1.1, 0.0)),
    ("chest", "spine", (0.0, 1.25, 0.0)),
    ("upperChest", "chest", (0.0, 1.38, 0.0)),
    ("neck", "upperChest", (0.0, 1.5, 0.0)),
    ("head", "neck", (0.0, 1.6, 0.0)),
    *[
        item
        for side, s in (("left", 1.0), ("right", -1.0))
        for item in [
            (f"{side}Shoulder", "upperChest", (0.05 * s, 1.45, 0.0)),
            (f"{side}UpperArm", f"{side}Shoulder", (0.18 * s, 1.45, 0.0)),
            (f"{side}LowerArm", f"{side}UpperArm", (0.45 * s, 1.45, 0.0)),
            (f"{side}Hand", f"{side}LowerArm", (0.70 * s, 1.45, 0.0)),
            (f"{side}IndexProximal", f"{side}Hand", (0.78 * s, 1.45, 0.03)),
            (f"{side}IndexIntermediate", f"{side}IndexProximal", (0.82 * s, 1.45, 0.03)),
            (f"{side}IndexDistal", f"{side}IndexIntermediate", (0.85 * s, 1.45, 0.03)),
            (f"{side}UpperLeg", "hips", (0.1 * s, 0.95, 0.0)),
            (f"{side}LowerLeg", f"{side}UpperLeg", (0.1 * s, 0.5, 0.0)),
            (f"{side}Foot", f"{side}LowerLeg", (0.1 * s, 0.08, 0.0)),
        ]
    ],
]

MIXAMO = {
    "hips": "Hips", "spine": "Spine", "chest": "Spine1", "upperChest": "Spine2", "neck": "Neck",
    "head": "Head", "Shoulder": "Shoulder", "UpperArm": "Arm", "LowerArm": "ForeArm",
    "Hand": "Hand", "IndexProximal": "HandIndex1", "IndexIntermediate": "HandIndex2",
    "IndexDistal": "HandIndex3", "UpperLeg": "UpLeg", "LowerLeg": "Leg", "Foot": "Foot",
}  # fmt: skip
UNREAL = {
    "hips": "pelvis", "spine": "spine_01", "chest": "spine_02", "upperChest": "spine_03",
    "neck": "neck_01", "head": "head", "Shoulder": "clavicle", "UpperArm": "upperarm",
    "LowerArm": "lowerarm", "Hand": "hand", "IndexProximal": "index_01",
    "IndexIntermediate": "index_02", "IndexDistal": "index_03", "UpperLeg": "thigh",
    "LowerLeg": "calf", "Foot": "foot",
}  # fmt: skip
BLENDER = {
    "hips": "hips", "spine": "spine", "chest": "spine.001", "upperChest": "spine.002",
    "neck": "neck", "head": "head", "Shoulder": "shoulder", "UpperArm": "upper_arm",
    "LowerArm": "forearm", "Hand": "hand", "IndexProximal": "f_index.01",
    "IndexIntermediate": "f_index.02", "IndexDistal": "f_index.03", "UpperLeg": "thigh",
    "LowerLeg": "shin", "Foot": "foot",
}  # fmt: skip


def mixamo_name(bone: str) -> str:
    """``mixamorig:LeftForeArm`` style."""
    side, part = _split(bone)
    return "mixamorig:" + (side.capitalize() if side else "") + MIXAMO[part]


def ready_player_me_name(bone: str) -> str:
    """Mixamo's names without the namespace, as Ready Player Me writes them."""
    return mixamo_name(bone).split(":")[1]


def unreal_name(bone: str) -> str:
    """``lowerarm_l`` style."""
    side, part = _split(bone)
    return UNREAL[part] + (f"_{side[0]}" if side else "")


def blender_name(bone: str) -> str:
    """``forearm.L`` style."""
    side, part = _split(bone)
    return BLENDER[part] + (f".{side[0].upper()}" if side else "")


def vroid_name(bone: str) -> str:
    """``J_Bip_L_LowerArm`` style."""
    side, part = _split(bone)
    centre = {"hips": "Hips", "spine": "Spine", "chest": "Chest", "upperChest": "UpperChest",
              "neck": "Neck", "head": "Head"}  # fmt: skip
    if not side:
        return f"J_Bip_C_{centre[part]}"
    names = {"IndexProximal": "Index1", "IndexIntermediate": "Index2", "IndexDistal": "Index3"}
    return f"J_Bip_{side[0].upper()}_{names.get(part, part)}"


def suffix_name(bone: str) -> str:
    """``UpperArmL`` style (RobotExpressive's)."""
    side, part = _split(bone)
    part = part[0].upper() + part[1:]
    return part + (side[0].upper() if side else "")


def skeleton_model(
    name_of: Callable[[str], str],
    positions: list[tuple[str, str | None, tuple[float, float, float]]] | None = None,
) -> AvatarModel:
    """A model whose skin joints are ``positions``' bones named by ``name_of``; one triangle."""
    bones = positions or T_POSE
    index = {b: i for i, (b, _, _) in enumerate(bones)}
    nodes = []
    for bone, parent, at in bones:
        parent_at = np.zeros(3) if parent is None else np.array(bones[index[parent]][2])
        nodes.append(
            Node(
                name_of(bone),
                -1 if parent is None else index[parent],
                np.array(at) - parent_at,
                np.array([0.0, 0.0, 0.0, 1.0]),
                np.ones(3),
            )
        )
    inverse_bind = np.repeat(np.eye(4, dtype=np.float32)[None], len(bones), axis=0)
    for i, (_, _, at) in enumerate(bones):
        inverse_bind[i, :3, 3] = -np.array(at)
    triangle = Primitive(
        positions=np.array([[0, 1, 0], [0.1, 1, 0], [0, 1.1, 0]], np.float32),
        normals=np.tile(np.float32([0, 0, 1]), (3, 1)),
        uvs=None,
        joints=np.zeros((3, 4), np.uint16),
        weights=np.tile(np.float32([1, 0, 0, 0]), (3, 1)),
        indices=np.array([[0, 1, 2]], np.uint32),
        material=0,
    )
    mesh_node = Node("Body", -1, np.zeros(3), np.array([0.0, 0, 0, 1]), np.ones(3))
    return AvatarModel(
        nodes=(*nodes, mesh_node),
        meshes=(Mesh("Body", (triangle,)),),
        skins=(Skin(tuple(range(len(bones))), inverse_bind),),
        materials=(Material("default"),),
        instances=(MeshInstance(len(nodes), 0, 0),),
    )


def quadruped_positions() -> list[tuple[str, str | None, tuple[float, float, float]]]:
    """A four-legged animal named like a humanoid: spine along +Z, all four legs down."""
    out = []
    for bone, parent, (x, y, _) in T_POSE:
        if bone in ("hips", "spine", "chest", "upperChest", "neck", "head"):
            z = {"hips": 0.0, "spine": 0.3, "chest": 0.6, "upperChest": 0.8, "neck": 1.0,
                 "head": 1.2}[bone]  # fmt: skip
            out.append((bone, parent, (0.0, 1.0, z)))
        elif "Leg" in bone or "Foot" in bone:
            out.append((bone, parent, (x, y, 0.0)))
        else:  # front legs where the arms were: hanging down under the chest
            drop = {"Shoulder": 0.95, "UpperArm": 0.9, "LowerArm": 0.5, "Hand": 0.1}
            part = next((p for p in drop if p in bone), "Hand")
            out.append((bone, parent, (0.15 if "left" in bone else -0.15, drop[part], 0.8)))
    return out


def _split(bone: str) -> tuple[str, str]:
    for side in ("left", "right"):
        if bone.startswith(side):
            return side, bone[len(side) :]
    return "", bone
