"""How far each finger is curled, from MediaPipe's 21 hand landmarks, by geometry alone."""

from __future__ import annotations

import numpy as np

FINGERS: tuple[str, ...] = ("thumb", "index", "middle", "ring", "pinky")

_WRIST = 0
# Each finger's chain from its base joint to its tip (MediaPipe hand landmark indices).
_CHAINS: dict[str, tuple[int, int, int, int]] = {
    "thumb": (1, 2, 3, 4),  # CMC, MCP, IP, tip
    "index": (5, 6, 7, 8),  # MCP, PIP, DIP, tip
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "pinky": (17, 18, 19, 20),
}
# Total bend, in degrees over a finger's three joints, that reads 0 and 1. An open relaxed hand
# keeps a little bend (and landmarks jitter), hence the rest; a fist bends a finger
# ~90° at the MCP, ~100° at the PIP and ~60° at the DIP, a thumb far less.
_REST_DEG = {"thumb": 25.0, "index": 15.0, "middle": 15.0, "ring": 15.0, "pinky": 15.0}
_FULL_DEG = {"thumb": 150.0, "index": 240.0, "middle": 240.0, "ring": 240.0, "pinky": 240.0}


def finger_curl(landmarks: np.ndarray) -> dict[str, float]:
    """0 (straight) to 1 (fully curled) per finger, from (21, 3) MediaPipe hand landmarks.

    Any consistent units (world metres or pixels). The sum of the bend angles at each finger's
    joints (MCP/PIP/DIP; thumb CMC/MCP/IP), so scale- and rotation-invariant.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (21, 3):
        raise ValueError(f"expected (21, 3) hand landmarks, got {points.shape}")
    palm_normal = np.cross(points[5] - points[_WRIST], points[17] - points[_WRIST])
    curls: dict[str, float] = {}
    for name, chain in _CHAINS.items():
        bones = np.diff(points[[_WRIST, *chain]], axis=0)
        bend = sum(_angle(bones[i], bones[i + 1]) for i in range(1, 3))
        # At a finger's MCP only flexion toward the palm counts: spreading the fingers (a turn
        # within the palm's plane) does not curl them. The thumb's CMC moves in every direction;
        # a degenerate palm (wrist and MCPs in a line) has no plane to measure against.
        if name == "thumb" or not np.any(palm_normal):
            bend += _angle(bones[0], bones[1])
        else:
            bend += _out_of_plane(bones[1], palm_normal)
        rest, full = _REST_DEG[name], _FULL_DEG[name]
        curls[name] = float(np.clip((bend - rest) / (full - rest), 0.0, 1.0))
    return curls


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors, degrees; 0 when either is zero."""
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 0.0
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b) / norms, -1.0, 1.0))))


def _out_of_plane(bone: np.ndarray, normal: np.ndarray) -> float:
    """Angle between a bone and the plane with this normal, degrees (0 to 90)."""
    # Unsigned: which side of the palm the normal points to depends on the hand (left/right).
    return abs(90.0 - _angle(bone, normal))
