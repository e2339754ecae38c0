"""The interface a tracking backend fills: raw detections from one RGB image.

MediaPipe on the CPU is the one backend today (``tracking.mediapipe_backend``); an ONNX Runtime
backend for GPUs implements the same three calls and nothing above it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tracking.frame import Side


@dataclass(frozen=True)
class FaceDetection:
    """One face as the detector saw it (unfiltered)."""

    landmarks: np.ndarray  # (478, 3) or (468, 3) normalised
    blendshapes: dict[str, float] | None  # from a blendshape network; None → solve from geometry


@dataclass(frozen=True)
class BodyDetection:
    """One body (unfiltered)."""

    landmarks: np.ndarray  # (33, 3) normalised
    world: np.ndarray  # (33, 3) metres
    visibility: np.ndarray  # (33,)


@dataclass(frozen=True)
class HandDetection:
    """One hand (unfiltered); ``side`` is the streamer's own, for an unmirrored camera."""

    side: Side
    landmarks: np.ndarray  # (21, 3) normalised
    world: np.ndarray  # (21, 3) metres
    score: float


class TrackerBackend(Protocol):
    """Detectors for one stream. Not thread-safe: one thread calls it, frames in time order."""

    def detect_faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        """Faces in an RGB uint8 image (up to two: the caller picks one)."""
        ...

    def detect_body(self, image: np.ndarray, timestamp_ms: int) -> BodyDetection | None:
        """The body in an RGB uint8 image, if any."""
        ...

    def detect_hands(self, image: np.ndarray, timestamp_ms: int) -> list[HandDetection]:
        """Up to two hands in an RGB uint8 image."""
        ...

    def close(self) -> None:
        """Release the models."""
        ...
