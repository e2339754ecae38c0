"""The "show tracking" view: landmarks drawn over the preview (never over the stream)."""

from __future__ import annotations

import cv2
import numpy as np

from tracking.frame import TrackingFrame
from tracking.skeleton import BODY_CONNECTIONS, HAND_CONNECTIONS

FACE_COLOUR = (80, 220, 255)
BODY_COLOUR = (255, 170, 60)
HAND_COLOURS = {"left": (120, 255, 120), "right": (255, 110, 200)}
HELD_COLOUR = (150, 150, 150)  # parts that are held or easing after being lost


def draw_tracking(
    image: np.ndarray, frame: TrackingFrame, box: tuple[float, float, float, float]
) -> None:
    """Draw ``frame``'s landmarks onto ``image`` (RGB, changed in place).

    ``box`` is (x, y, w, h) of the camera picture inside ``image``, in pixels: landmarks are
    normalised to the camera frame, so they are mapped through it.
    """
    x0, y0, w, h = box

    def to_pixels(points: np.ndarray) -> np.ndarray:
        return np.round(points[:, :2] * (w, h) + (x0, y0)).astype(np.int32)

    if frame.body is not None:
        colour = BODY_COLOUR if frame.body.state == "tracked" else HELD_COLOUR
        visible = frame.body.visibility > 0.5
        _lines(image, to_pixels(frame.body.landmarks), BODY_CONNECTIONS, colour, visible)
    for hand in frame.hands:
        colour = HAND_COLOURS[hand.side] if hand.state == "tracked" else HELD_COLOUR
        _lines(image, to_pixels(hand.landmarks), HAND_CONNECTIONS, colour, None)
    if frame.face is not None:
        colour = FACE_COLOUR if frame.face.state == "tracked" else HELD_COLOUR
        _dots(image, to_pixels(frame.face.landmarks), colour)


def _dots(image: np.ndarray, points: np.ndarray, colour: tuple[int, int, int]) -> None:
    # 478 dots of 2×2 pixels (one pixel vanishes on a phone), set directly: one cv2 call
    # per point would cost a millisecond.
    height, width = image.shape[:2]
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        x, y = points[:, 0] + dx, points[:, 1] + dy
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        image[y[inside], x[inside]] = colour


def _lines(
    image: np.ndarray,
    points: np.ndarray,
    connections: tuple[tuple[int, int], ...],
    colour: tuple[int, int, int],
    visible: np.ndarray | None,
) -> None:
    for a, b in connections:
        if visible is None or (visible[a] and visible[b]):
            cv2.line(image, tuple(map(int, points[a])), tuple(map(int, points[b])), colour, 2)
