"""Where the camera stands: a perspective ``Camera`` and presets that frame an avatar.

The camera looks at the avatar from the front (from +Z toward −Z, no tilt, so verticals stay
vertical). ``frame_avatar`` is meant to run once per model and preset, on the rest pose: the
avatar then moves inside a fixed frame, as a person does in front of a webcam, instead of the
frame chasing every nod.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from rigging.model import AvatarModel
from rigging.skeleton import corners, posed_vertices

Preset = Literal["head", "upper_body", "full_body"]
PRESETS: tuple[Preset, ...] = ("head", "upper_body", "full_body")
DEFAULT_FOV_Y = 30.0  # degrees: a ~65 mm lens on full frame, flattering and little distortion


@dataclass(frozen=True, eq=False)
class Camera:
    """View and projection matrices (column vectors, OpenGL clip space, 4×4 float64)."""

    view: np.ndarray
    projection: np.ndarray
    eye: np.ndarray  # (3,)
    target: np.ndarray  # (3,)

    @classmethod
    def look_at(
        cls,
        eye: np.ndarray,
        target: np.ndarray,
        aspect: float,
        fov_y: float = DEFAULT_FOV_Y,
        near: float = 0.05,
        far: float = 100.0,
    ) -> Camera:
        """A camera at ``eye`` looking at ``target`` with +Y up, ``fov_y`` degrees tall."""
        eye, target = np.asarray(eye, np.float64), np.asarray(target, np.float64)
        return cls(_look_at(eye, target), perspective(fov_y, aspect, near, far), eye, target)

    def project(self, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """Pixel coordinates (x right, y down from the top row) of (..., 3) world points."""
        points = np.asarray(points, np.float64)
        homogeneous = np.concatenate([points, np.ones((*points.shape[:-1], 1))], axis=-1)
        clip = homogeneous @ (self.projection @ self.view).T
        ndc = clip[..., :2] / clip[..., 3:4]
        return np.stack([(ndc[..., 0] + 1) * width / 2, (1 - ndc[..., 1]) * height / 2], -1)


def perspective(fov_y: float, aspect: float, near: float, far: float) -> np.ndarray:
    """The OpenGL perspective matrix (``fov_y`` in degrees, depth to −1…1)."""
    f = 1.0 / np.tan(np.radians(fov_y) / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = f / aspect, f
    m[2, 2], m[2, 3] = (far + near) / (near - far), 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = target - eye
    forward /= max(float(np.linalg.norm(forward)), 1e-12)
    up = np.array([0.0, 1.0, 0.0]) if abs(forward[1]) < 0.999 else np.array([0.0, 0.0, -1.0])
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = right, true_up, -forward
    m[:3, 3] = -m[:3, :3] @ eye
    return m


@dataclass(frozen=True)
class _Shot:
    """What must be visible: a vertical span, a width, and the plane to frame them in."""

    top: float
    bottom: float
    centre_x: float
    plane_z: float
    width: float = 0.0  # fitted too when the aspect makes it the tighter constraint
    keep_top: bool = True  # widening for ``width`` keeps the head near the top edge


def frame_avatar(
    model: AvatarModel,
    world: np.ndarray,
    preset: Preset = "upper_body",
    aspect: float = 16 / 9,
    humanoid: Mapping[str, int] | None = None,
    fov_y: float = DEFAULT_FOV_Y,
) -> Camera:
    """A camera framing ``preset`` of the avatar posed by ``world`` (pass the rest pose).

    ``humanoid`` maps VRM 1.0 bone names ("head", "neck", "chest", "hips", …) to node
    indices; with a head bone the shot is built around the bones, otherwise it falls back
    to fractions of the rest-pose vertex bounds.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown framing preset {preset!r}; one of {', '.join(PRESETS)}")
    positions = posed_vertices(model, world)
    low, high = corners(positions)
    bones = _bone_positions(world, humanoid or {})
    shot = (
        _bone_shot(preset, bones, low, high, positions)
        if "head" in bones and "hips" in bones
        else _bounds_shot(preset, low, high)
    )
    return _camera_for(shot, aspect, fov_y, high[2] - low[2])


def _bone_positions(world: np.ndarray, humanoid: Mapping[str, int]) -> dict[str, np.ndarray]:
    return {
        name: world[index][:3, 3] for name, index in humanoid.items() if 0 <= index < len(world)
    }


def _bone_shot(
    preset: Preset,
    bones: dict[str, np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
    positions: list[np.ndarray],
) -> _Shot:
    head, hips = bones["head"], bones["hips"]
    torso = max(float(head[1] - hips[1]), 1e-3)  # hips → head: the unit of this avatar
    # The head bone sits at the base of the skull; the top of the mesh (hair, ears) is the
    # top of the head, however big a stylised head is.
    top = max(float(high[1]), float(head[1]) + 0.15 * torso)
    if preset == "head":
        chest = bones.get("chest", bones.get("upperChest"))
        bottom = float(chest[1]) if chest is not None else float(head[1]) - 0.45 * torso
        width = 1.15 * _head_width(positions, head)
        return _with_headroom(_Shot(top, bottom, float(head[0]), float(head[2]), width))
    if preset == "upper_body":
        bottom = float(hips[1]) - 0.12 * torso
        return _with_headroom(_Shot(top, bottom, float(head[0]), float(hips[2]), 0.9 * torso))
    width = 1.05 * float(high[0] - low[0])
    shot = _Shot(top, float(low[1]), float(hips[0]), float(hips[2]), width, keep_top=False)
    return _with_headroom(shot, below=0.03)


def _head_width(positions: list[np.ndarray], head: np.ndarray) -> float:
    """Twice the farthest sideways reach of the vertices above the head bone: big cartoon
    heads must fit a narrow (square, portrait) frame too."""
    reach = [np.abs(p[p[:, 1] >= head[1], 0] - head[0]) for p in positions]
    return 2 * max((float(r.max()) for r in reach if len(r)), default=0.0)


def _with_headroom(shot: _Shot, above: float = 0.05, below: float = 0.0) -> _Shot:
    """The shot grown by fractions of its height above (air over the head) and below."""
    span = shot.top - shot.bottom
    return replace(shot, top=shot.top + above * span, bottom=shot.bottom - below * span)


def _bounds_shot(preset: Preset, low: np.ndarray, high: np.ndarray) -> _Shot:
    height = max(float(high[1] - low[1]), 1e-3)
    centre = (low + high) / 2
    top = float(high[1])
    if preset == "full_body":
        width = 1.05 * float(high[0] - low[0])
        shot = _Shot(top, float(low[1]), float(centre[0]), float(centre[2]), width, False)
        return _with_headroom(shot, 0.03, 0.03)
    share = 0.25 if preset == "head" else 0.55  # of a human's height: head, head to hips
    return _with_headroom(_Shot(top, top - share * height, float(centre[0]), float(centre[2])))


def _camera_for(shot: _Shot, aspect: float, fov_y: float, depth: float) -> Camera:
    span = max(shot.top - shot.bottom, shot.width / aspect, 1e-3)
    centre_y = shot.top - span / 2 if shot.keep_top else (shot.top + shot.bottom) / 2
    distance = (span / 2) / np.tan(np.radians(fov_y) / 2)
    target = np.array([shot.centre_x, centre_y, shot.plane_z])
    eye = target + np.array([0.0, 0.0, distance])
    near = max(distance * 0.01, min(distance * 0.1, distance - depth))
    return Camera.look_at(eye, target, aspect, fov_y, near, distance * 10 + depth * 4)
