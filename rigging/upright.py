"""Making any humanoid stand in VIDA's space: +Y up, facing +Z, metres, feet on y = 0.

Files disagree: VRM 0.x faces −Z, some exporters write Z-up, some centimetres. The humanoid
bones say which way is up (hips → head) and which side is left (the avatar's left arm is at
+X when it faces +Z), so the correction is read from them and snapped to the nearest axes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rigging.humanoid import HumanoidMap
from rigging.model import AvatarModel
from rigging.skeleton import bounds, world_matrices

PLAUSIBLE_HEIGHT_M = (0.3, 3.0)  # outside this the file's unit is not metres
STANDARD_HEIGHT_M = 1.7


def stand_upright(model: AvatarModel, humanoid: HumanoidMap) -> AvatarModel:
    """``model`` with ``root`` set so that it stands upright, faces +Z and is in metres."""
    plain = dataclasses.replace(model, root=np.eye(4))
    world = world_matrices(plain)
    at = {b: world[n][:3, 3] for b, n in humanoid.bones.items()}
    up = _snap(at["head"] - at["hips"])
    left = at["leftUpperArm"] - at["rightUpperArm"]
    left = _snap(left - np.dot(left, up) * up, exclude=up)
    rotation = np.eye(4)
    rotation[:3, :3] = np.stack([left, up, np.cross(left, up)])  # rows: new x, y, z
    turned = dataclasses.replace(model, root=rotation)
    low, high = bounds(turned, world_matrices(turned))
    height = float(high[1] - low[1])
    scale = 1.0
    if not PLAUSIBLE_HEIGHT_M[0] <= height <= PLAUSIBLE_HEIGHT_M[1]:
        scale = STANDARD_HEIGHT_M / max(height, 1e-9)
    hips = rotation[:3, :3] @ at["hips"] * scale
    root = np.eye(4)
    root[:3, :3] = rotation[:3, :3] * scale
    root[:3, 3] = (-hips[0], -low[1] * scale, -hips[2])
    return dataclasses.replace(model, root=root)


def _snap(vector: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """The signed coordinate axis nearest to ``vector`` (never ``exclude``'s axis)."""
    scores = np.abs(vector).astype(np.float64)
    if exclude is not None:
        scores[int(np.argmax(np.abs(exclude)))] = -1.0
    axis = int(np.argmax(scores))
    out = np.zeros(3)
    out[axis] = 1.0 if vector[axis] >= 0 else -1.0
    return out
