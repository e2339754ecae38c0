"""Head pose from face landmarks: a perspective-n-point fit against the canonical face."""

from __future__ import annotations

import math

import cv2
import numpy as np

from tracking.face_model import canonical_face, rigid_landmark_ids
from tracking.frame import HeadPose

# A webcam's horizontal field of view is 55–70°; a focal length of one image width (53°) is
# close enough for rotation, which barely depends on it, and keeps translation plausible.
FOCAL_IN_WIDTHS = 1.0

# The canonical face has y up and z towards the viewer; OpenCV's camera has y down, z away.
_TO_CAMERA_AXES = np.diag([1.0, -1.0, -1.0])


def camera_matrix(width: int, height: int) -> np.ndarray:
    """Pinhole intrinsics for a ``width``×``height`` frame, principal point at the centre."""
    focal = FOCAL_IN_WIDTHS * width
    return np.array([[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]])


def solve_head_pose(
    landmarks: np.ndarray, width: int, height: int, previous: HeadPose | None = None
) -> HeadPose:
    """Fit the canonical face's rigid points to ``landmarks`` (normalised, ≥ 468 points).

    ``previous`` seeds the solver so a moving head gives a continuous answer. Angles follow the
    streamer's view: yaw > 0 turning to their left, pitch > 0 looking up, roll > 0 tilting
    towards their left shoulder (clockwise in an unmirrored image).
    """
    ids = rigid_landmark_ids()
    model = canonical_face()[ids] @ _TO_CAMERA_AXES
    image = (landmarks[ids, :2] * (width, height)).astype(np.float64)
    intrinsics = camera_matrix(width, height)
    if previous is not None:
        rvec0, _ = cv2.Rodrigues(previous.rotation)
        tvec0 = np.array(previous.translation, dtype=np.float64).reshape(3, 1)
        ok, rvec, tvec = cv2.solvePnP(
            model, image, intrinsics, None, rvec0, tvec0, True, cv2.SOLVEPNP_ITERATIVE
        )
    else:
        ok, rvec, tvec = cv2.solvePnP(model, image, intrinsics, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        raise ValueError("head pose did not converge for these landmarks")
    rotation, _ = cv2.Rodrigues(rvec)
    return pose_from_rotation(rotation, tuple(float(v) for v in tvec.ravel()))


def pose_from_rotation(rotation: np.ndarray, translation: tuple[float, ...]) -> HeadPose:
    """A ``HeadPose`` for a camera-from-head rotation, as R = Ry(yaw) · Rx(pitch) · Rz(roll)."""
    r = rotation
    pitch = math.asin(max(-1.0, min(1.0, -r[1, 2])))
    roll = math.atan2(r[1, 0], r[1, 1])
    yaw = math.atan2(r[0, 2], r[2, 2])
    # Rotations about OpenCV's axes (y down, z away) turn the face the other way from the
    # streamer's "left" and "up": flip yaw and pitch so positive means left and up.
    return HeadPose(
        yaw=-math.degrees(yaw),
        pitch=-math.degrees(pitch),
        roll=math.degrees(roll),
        translation=(translation[0], translation[1], translation[2]),
        rotation=np.array(rotation, dtype=np.float64),
    )


def relative_pose(pose: HeadPose, neutral: np.ndarray) -> HeadPose:
    """``pose`` relative to a calibrated neutral rotation (the streamer's "straight ahead")."""
    return pose_from_rotation(pose.rotation @ neutral.T, pose.translation)


def rotation_from_angles(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The camera-from-head rotation for angles in ``HeadPose``'s convention (degrees)."""
    a, b, c = (math.radians(v) for v in (-yaw, -pitch, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return ry @ rx @ rz
