"""Auto-rigging: a humanoid skeleton and skin weights for a static mesh of a person.

The mesh must stand in a T- or A-pose, +Y up (glTF's convention), arms apart. The skeleton
is fitted from the mesh itself: the body's height sets human proportions, the arms are found
as the vertices farthest out to each side above the hips, the legs as the two clusters below
them, and each joint sits in the middle of the flesh around it (the centroid of its slice).
Each vertex is then weighted to its nearest bone and that bone's neighbours in the chain only,
so an arm never pulls at the torso beside it, nor one leg at the other.

The result is written with ``glb_writer`` using VRM's bone names ("LeftUpperArm"), so the
name-based humanoid mapping finds every bone again when it is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rigging.errors import AvatarFormatError, NotHumanoidError
from rigging.glb_writer import write_skinned_glb
from rigging.gltf_reader import load_avatar
from rigging.limits import AvatarLimits
from rigging.model import AvatarModel, Mesh, Node
from rigging.skeleton import posed_mesh, world_matrices

Progress = Callable[[float, str], None]

# Joint heights as fractions of the body's height (standing, feet at 0): adult proportions.
HEIGHTS = {
    "hips": 0.53, "spine": 0.60, "chest": 0.68, "upperChest": 0.75, "neck": 0.84,
    "head": 0.875, "upperLeg": 0.50, "lowerLeg": 0.28, "foot": 0.045,
}  # fmt: skip
ARM_SHARES = (0.186, 0.146, 0.108)  # upper arm, forearm, hand: of the arm's reach
SIDES = {"Left": 1.0, "Right": -1.0}  # the avatar's left is +X when it faces +Z
BLEND_WIDTH = 0.025  # of the height: how far weights blend across a joint


@dataclass(frozen=True)
class FittedBone:
    """One bone of the fitted skeleton: where it starts and where its segment ends."""

    name: str  # VRM-style node name, e.g. "LeftUpperArm"
    parent: int
    head: np.ndarray  # the joint (world, metres)
    tail: np.ndarray  # the end of the bone's segment (its child, or a tip)


def needs_rig(model: AvatarModel) -> bool:
    """True when ``model`` has no skeleton to drive (no skin)."""
    return not model.skins


def rig_file(
    source: Path,
    output: Path,
    progress: Progress | None = None,
    limits: AvatarLimits | None = None,
) -> dict[str, Any]:
    """Rig the static humanoid in ``source`` and write the rigged GLB to ``output``."""
    progress = progress or (lambda _f, _s: None)
    model = load_avatar(source, limits)
    progress(0.1, "loaded")
    data, report = rig_model(model, progress)
    output.write_bytes(data)
    progress(1.0, "written")
    return report | {"output": str(output), "bytes": len(data)}


def rig_model(model: AvatarModel, progress: Progress | None = None) -> tuple[bytes, dict[str, Any]]:
    """(GLB bytes, report) for ``model`` rigged with a fitted humanoid skeleton."""
    progress = progress or (lambda _f, _s: None)
    if model.skins:
        raise AvatarFormatError("this model is rigged already; VIDA uses its own skeleton")
    world = world_matrices(model)  # a static model: each mesh where its node puts it
    meshes = [posed_mesh(model, world, instance) for instance in model.instances]
    points = np.vstack([p.positions for m in meshes for p in m.primitives])
    if len(points) < 50:
        raise NotHumanoidError("too few vertices to be a person (at least 50 are needed)")
    progress(0.2, "measuring the body")
    bones = fit_skeleton(points)
    progress(0.5, "fitting the skeleton")
    rigged = tuple(_skinned(mesh, bones, points) for mesh in meshes)
    progress(0.85, "weighting the skin")
    joints = [_joint_node(bone, bones) for bone in bones]
    data = write_skinned_glb(joints, rigged, model.materials[:-1] or model.materials)
    report = {
        "bones": [b.name for b in bones],
        "vertices": len(points),
        "triangles": model.triangle_count,
        "height_m": round(float(points[:, 1].max() - points[:, 1].min()), 3),
    }
    return data, report


# --- fitting ------------------------------------------------------------------------------------


def fit_skeleton(points: np.ndarray) -> list[FittedBone]:
    """A humanoid skeleton for a standing body given by its vertices (+Y up, facing +Z)."""
    low, high = points.min(axis=0), points.max(axis=0)
    height = float(high[1] - low[1])
    if height <= 0:
        raise NotHumanoidError("the mesh is flat: it has no height")
    centre_x = float(np.median(points[:, 0]))

    def at(fraction: float, x: float = centre_x, half_width: float | None = None) -> np.ndarray:
        """The centre of the flesh at ``fraction`` of the height, near ``x``."""
        y = low[1] + fraction * height
        band = np.abs(points[:, 1] - y) < 0.02 * height
        near = band & (np.abs(points[:, 0] - x) < (half_width or 0.12 * height))
        chosen = points[near] if near.any() else points[band] if band.any() else points
        return np.array([float(np.median(chosen[:, 0])), y, float(np.median(chosen[:, 2]))])

    bones: list[FittedBone] = []

    def add(name: str, parent: int, head: np.ndarray, tail: np.ndarray) -> int:
        bones.append(FittedBone(name, parent, head, tail))
        return len(bones) - 1

    spine_points = [at(HEIGHTS[n], half_width=0.08 * height) for n in
                    ("hips", "spine", "chest", "upperChest", "neck", "head")]  # fmt: skip
    top = np.array([spine_points[-1][0], high[1], spine_points[-1][2]])
    parent = -1
    for name, head, tail in zip(
        ("Hips", "Spine", "Chest", "UpperChest", "Neck", "Head"),
        spine_points,
        [*spine_points[1:], top],
        strict=True,
    ):
        parent = add(name, parent, head, tail)
    upper_chest = 3
    for side, sign in SIDES.items():
        _fit_arm(points, add, side, sign, upper_chest, spine_points[3], height, low)
        _fit_leg(points, at, add, side, sign, height, low, centre_x)
    return bones


def _fit_arm(
    points: np.ndarray,
    add: Callable[[str, int, np.ndarray, np.ndarray], int],
    side: str,
    sign: float,
    parent: int,
    chest: np.ndarray,
    height: float,
    low: np.ndarray,
) -> None:
    # Arms hang between the hips and the chin in a T- or A-pose; a wide hat or hair is higher.
    relative = (points[:, 1] - low[1]) / height
    above_hips = points[(relative > 0.55) & (relative < 0.86)]
    outward = (above_hips[:, 0] - chest[0]) * sign
    if outward.max() < 0.15 * height:
        raise NotHumanoidError(
            "no arm reaches out to the side: stand the model in a T- or A-pose to rig it"
        )
    tip = above_hips[np.argmax(outward)]
    shoulder_y = low[1] + 0.81 * height
    clavicle = np.array([chest[0] + sign * 0.02 * height, shoulder_y, chest[2]])
    shoulder = np.array([chest[0] + sign * 0.11 * height, shoulder_y, chest[2]])
    reach = tip - shoulder
    # The arm runs along the shoulder→fingertip line: place the joints on it by proportion,
    # then move each to the middle of the flesh around it.
    total = sum(ARM_SHARES)
    elbow = _flesh_centre(points, shoulder + reach * ARM_SHARES[0] / total, 0.05 * height)
    wrist = _flesh_centre(points, shoulder + reach * sum(ARM_SHARES[:2]) / total, 0.04 * height)
    clavicle_bone = add(f"{side}Shoulder", parent, clavicle, shoulder)
    upper = add(f"{side}UpperArm", clavicle_bone, shoulder, elbow)
    lower = add(f"{side}LowerArm", upper, elbow, wrist)
    add(f"{side}Hand", lower, wrist, tip)


def _fit_leg(
    points: np.ndarray,
    at: Callable[..., np.ndarray],
    add: Callable[[str, int, np.ndarray, np.ndarray], int],
    side: str,
    sign: float,
    height: float,
    low: np.ndarray,
    centre_x: float,
) -> None:
    knee_band = np.abs(points[:, 1] - (low[1] + HEIGHTS["lowerLeg"] * height)) < 0.03 * height
    this_side = knee_band & ((points[:, 0] - centre_x) * sign > 0.005 * height)
    if not this_side.any():
        raise NotHumanoidError(f"no {side.lower()} leg found below the hips")
    leg_x = float(np.median(points[this_side, 0]))
    hip = at(HEIGHTS["upperLeg"], leg_x, 0.06 * height)
    knee = at(HEIGHTS["lowerLeg"], leg_x, 0.06 * height)
    ankle = at(HEIGHTS["foot"] + 0.02, leg_x, 0.06 * height)
    sole = points[(np.abs(points[:, 0] - leg_x) < 0.07 * height) & (points[:, 1] < ankle[1])]
    toe_z = float(sole[:, 2].max()) if len(sole) else ankle[2] + 0.1 * height
    ball = np.array([ankle[0], low[1] + 0.01 * height, ankle[2] + 0.6 * (toe_z - ankle[2])])
    tip = np.array([ankle[0], low[1] + 0.01 * height, toe_z])
    upper = add(f"{side}UpperLeg", 0, hip, knee)
    lower = add(f"{side}LowerLeg", upper, knee, ankle)
    foot = add(f"{side}Foot", lower, ankle, ball)
    add(f"{side}Toes", foot, ball, tip)


def _flesh_centre(points: np.ndarray, guess: np.ndarray, radius: float) -> np.ndarray:
    near = np.linalg.norm(points - guess, axis=1) < radius
    return points[near].mean(axis=0) if near.sum() >= 3 else guess


# --- skinning -----------------------------------------------------------------------------------


def _skinned(mesh: Mesh, bones: list[FittedBone], all_points: np.ndarray) -> Mesh:
    height = float(all_points[:, 1].max() - all_points[:, 1].min())
    neighbours = _chain_neighbours(bones)
    primitives = []
    for primitive in mesh.primitives:
        joints, weights = skin_weights(primitive.positions, bones, neighbours, height)
        primitives.append(dataclasses.replace(primitive, joints=joints, weights=weights))
    return dataclasses.replace(mesh, primitives=tuple(primitives))


def skin_weights(
    positions: np.ndarray,
    bones: list[FittedBone],
    neighbours: list[list[int]],
    height: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) joints and weights: the nearest bone and its chain neighbours, blended by how
    much farther each is than the nearest (a soft band ``BLEND_WIDTH`` of the height wide)."""
    distances = np.stack([_segment_distance(positions, b.head, b.tail) for b in bones], axis=1)
    _keep_head_off_the_arms(positions, bones, distances, height)
    nearest = distances.argmin(axis=1)
    allowed = np.zeros_like(distances, dtype=bool)
    for bone, group in enumerate(neighbours):
        allowed[np.ix_(nearest == bone, group)] = True
    extra = distances - distances.min(axis=1, keepdims=True)
    raw = np.where(allowed, np.exp(-extra / (BLEND_WIDTH * height)), 0.0)
    order = np.argsort(-raw, axis=1)[:, :4]
    weights = np.take_along_axis(raw, order, axis=1)
    weights = weights / weights.sum(axis=1, keepdims=True)
    weights[weights < 0.01] = 0.0
    weights = weights / weights.sum(axis=1, keepdims=True)
    return order.astype(np.uint16), weights.astype(np.float32)


def _keep_head_off_the_arms(
    positions: np.ndarray, bones: list[FittedBone], distances: np.ndarray, height: float
) -> None:
    """Ears and hair beside the head are often as near a shoulder bone as the head's: a
    vertex above the neck and inside the shoulders' width never follows an arm."""
    neck = next(b for b in bones if b.name == "Neck")
    inside = np.abs(positions[:, 0] - neck.head[0]) < 0.1 * height
    above = positions[:, 1] > neck.head[1] - 0.01 * height
    for index, bone in enumerate(bones):
        if any(part in bone.name for part in ("Shoulder", "Arm", "Hand")):
            distances[inside & above, index] = np.inf


def _chain_neighbours(bones: list[FittedBone]) -> list[list[int]]:
    groups = []
    for index, bone in enumerate(bones):
        children = [i for i, b in enumerate(bones) if b.parent == index]
        groups.append([index, *([bone.parent] if bone.parent >= 0 else []), *children])
    return groups


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


# --- model plumbing -----------------------------------------------------------------------------


def _joint_node(bone: FittedBone, bones: list[FittedBone]) -> Node:
    origin = bones[bone.parent].head if bone.parent >= 0 else np.zeros(3)
    return Node(bone.name, bone.parent, bone.head - origin, np.array([0.0, 0, 0, 1]), np.ones(3))
