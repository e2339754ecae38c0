"""Telling the default avatar from the robot in received video, by their colours."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from tests.support.media import SHARED_ASSETS

ROBOT = SHARED_ASSETS / "models" / "RobotExpressive.glb"
BACKGROUND = (0x26, 0x2C, 0x3A)  # VIDA_BACKGROUND's default


def shirt_blue(rgb: np.ndarray) -> float:
    """Share of pixels in the default avatar's blue shirt."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return float(((b > r + 80) & (b > g + 40) & (b > 150)).mean())


def robot_orange(rgb: np.ndarray) -> float:
    """Share of pixels in the robot's orange paint."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return float(((r > 150) & (r > b + 90) & (g > b + 30)).mean())


def decoded_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """(time in seconds, RGB) of every video frame of a recording."""
    with av.open(str(path)) as container:
        return [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


def shows_background(rgb: np.ndarray, colour: tuple[int, int, int] = BACKGROUND) -> bool:
    """The top-left corner is the virtual background (so the camera is not shown)."""
    corner = rgb[:20, :20].reshape(-1, 3).mean(axis=0)
    return bool(np.abs(corner - colour).max() < 12)
