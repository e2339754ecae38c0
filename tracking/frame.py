"""The result of tracking one camera frame: ``TrackingFrame`` and its parts.

Coordinates: landmarks are MediaPipe's normalised image coordinates (x, y in [0, 1] of the
frame's width and height, z in the same scale as x, smaller = nearer the camera); body and hand
``world`` landmarks are metres around the hips / the hand's centre. Left and right are the
streamer's own (an unmirrored camera shows the streamer's left hand on the image's right).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

# "tracked": seen in this frame; "held": lost a moment ago, last value kept;
# "easing": lost for a while, values easing to neutral.
PartState = Literal["tracked", "held", "easing"]
Side = Literal["left", "right"]


@dataclass(frozen=True)
class HeadPose:
    """Head rotation (degrees, the streamer's view: yaw left +, pitch up +, roll to their left
    shoulder... see ``solve_head_pose``) and translation (centimetres, camera axes)."""

    yaw: float
    pitch: float
    roll: float
    translation: tuple[float, float, float]
    rotation: np.ndarray = field(repr=False)  # 3x3, camera-from-head, OpenCV axes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: degrees and centimetres."""
        return {
            "yaw": round(self.yaw, 2),
            "pitch": round(self.pitch, 2),
            "roll": round(self.roll, 2),
            "translation_cm": [round(v, 2) for v in self.translation],
        }


@dataclass(frozen=True)
class FaceTrack:
    """One face: 478 landmarks (468 when the eye feature is off), pose and expression."""

    landmarks: np.ndarray = field(repr=False)  # (478, 3) normalised
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 normalised
    head_pose: HeadPose
    blendshapes: dict[str, float]  # ARKit names; only the parts the features ask for
    visemes: dict[str, float]  # aa, ih, ou, ee, oh
    confidence: float
    state: PartState = "tracked"
    faces_seen: int = 1  # more than one: the largest, most central was chosen

    def to_dict(self, landmarks: bool = False) -> dict[str, Any]:
        """JSON-ready; the 478 landmarks only when asked (they dominate the size)."""
        out: dict[str, Any] = {
            "state": self.state,
            "confidence": round(self.confidence, 3),
            "box": [round(v, 4) for v in self.box],
            "faces_seen": self.faces_seen,
            "head_pose": self.head_pose.to_dict(),
            "blendshapes": {k: round(v, 3) for k, v in self.blendshapes.items()},
            "visemes": {k: round(v, 3) for k, v in self.visemes.items()},
        }
        if landmarks:
            out["landmarks"] = _rounded(self.landmarks)
        return out


@dataclass(frozen=True)
class BodyTrack:
    """33 body landmarks (MediaPipe Pose order) with world coordinates and visibility."""

    landmarks: np.ndarray = field(repr=False)  # (33, 3) normalised
    world: np.ndarray = field(repr=False)  # (33, 3) metres, origin between the hips
    visibility: np.ndarray = field(repr=False)  # (33,) in [0, 1]
    confidence: float
    state: PartState = "tracked"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, landmarks included (the avatar needs them)."""
        return {
            "state": self.state,
            "confidence": round(self.confidence, 3),
            "landmarks": _rounded(self.landmarks),
            "world": _rounded(self.world),
            "visibility": [round(float(v), 3) for v in self.visibility],
        }


@dataclass(frozen=True)
class HandTrack:
    """21 hand landmarks, which hand, and how far each finger is curled (0 open, 1 fist)."""

    side: Side
    landmarks: np.ndarray = field(repr=False)  # (21, 3) normalised
    world: np.ndarray = field(repr=False)  # (21, 3) metres around the hand
    finger_curl: dict[str, float]  # thumb..pinky; empty when the finger feature is off
    confidence: float
    state: PartState = "tracked"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, landmarks included."""
        return {
            "side": self.side,
            "state": self.state,
            "confidence": round(self.confidence, 3),
            "finger_curl": {k: round(v, 3) for k, v in self.finger_curl.items()},
            "landmarks": _rounded(self.landmarks),
            "world": _rounded(self.world),
        }


@dataclass(frozen=True)
class TrackingFrame:
    """Everything tracked in one camera frame. A part is None when it is off or lost."""

    timestamp_s: float  # capture time of the camera frame
    width: int
    height: int
    face: FaceTrack | None = None
    body: BodyTrack | None = None
    hands: tuple[HandTrack, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage run this frame
    calibrated: bool = False
    problem: str | None = None  # why nothing could be tracked in this frame (bad input)

    def hand(self, side: Side) -> HandTrack | None:
        """The streamer's ``side`` hand, if tracked."""
        return next((h for h in self.hands if h.side == side), None)

    def found(self) -> list[str]:
        """Parts present, e.g. ``["face", "body", "left_hand"]``."""
        parts = ["face"] if self.face else []
        parts += ["body"] if self.body else []
        return parts + [f"{h.side}_hand" for h in self.hands]

    def to_dict(self, landmarks: bool = False) -> dict[str, Any]:
        """One JSON object (the CLI prints one per line); face landmarks only when asked."""
        return {
            "timestamp_s": round(self.timestamp_s, 4),
            "size": [self.width, self.height],
            "found": self.found(),
            "calibrated": self.calibrated,
            "problem": self.problem,
            "face": self.face.to_dict(landmarks) if self.face else None,
            "body": self.body.to_dict() if self.body else None,
            "hands": [h.to_dict() for h in self.hands],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def _rounded(points: np.ndarray) -> list[list[float]]:
    return np.round(points, 4).tolist()


def frame_from_dict(data: dict[str, Any]) -> TrackingFrame:
    """A ``TrackingFrame`` back from ``to_dict`` (``vida track --json`` lines): what an
    avatar needs of it (face landmarks only when they were written)."""
    from tracking.head_pose import rotation_from_angles  # head_pose imports this module

    face = body = None
    if data.get("face"):
        f = data["face"]
        pose = f["head_pose"]
        angles = (float(pose["yaw"]), float(pose["pitch"]), float(pose["roll"]))
        face = FaceTrack(
            landmarks=np.asarray(f.get("landmarks", np.zeros((0, 3))), dtype=np.float64),
            box=tuple(f.get("box", (0.0, 0.0, 0.0, 0.0))),  # type: ignore[arg-type]
            head_pose=HeadPose(
                *angles,
                translation=tuple(pose.get("translation_cm", (0.0, 0.0, 0.0))),  # type: ignore[arg-type]
                rotation=rotation_from_angles(*angles),
            ),
            blendshapes={k: float(v) for k, v in f.get("blendshapes", {}).items()},
            visemes={k: float(v) for k, v in f.get("visemes", {}).items()},
            confidence=float(f.get("confidence", 1.0)),
            state=f.get("state", "tracked"),
        )
    if data.get("body"):
        b = data["body"]
        body = BodyTrack(
            landmarks=np.asarray(b["landmarks"], dtype=np.float64),
            world=np.asarray(b["world"], dtype=np.float64),
            visibility=np.asarray(b["visibility"], dtype=np.float64),
            confidence=float(b.get("confidence", 1.0)),
            state=b.get("state", "tracked"),
        )
    hands = tuple(
        HandTrack(
            side=h["side"],
            landmarks=np.asarray(h["landmarks"], dtype=np.float64),
            world=np.asarray(h["world"], dtype=np.float64),
            finger_curl={k: float(v) for k, v in h.get("finger_curl", {}).items()},
            confidence=float(h.get("confidence", 1.0)),
            state=h.get("state", "tracked"),
        )
        for h in data.get("hands", [])
    )
    width, height = data.get("size", (0, 0))
    return TrackingFrame(
        timestamp_s=float(data.get("timestamp_s", 0.0)),
        width=int(width),
        height=int(height),
        face=face,
        body=body,
        hands=hands,
        calibrated=bool(data.get("calibrated", False)),
        problem=data.get("problem"),
    )
