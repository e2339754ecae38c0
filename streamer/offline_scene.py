"""Rendering an avatar from recorded tracking (``vida avatar render``), as a stream would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import av

from rigging.avatar import Avatar
from streamer.avatar_scene import AvatarScene, SceneSettings
from tracking.frame import TrackingFrame, frame_from_dict


def render_frames(
    avatar: Avatar,
    scene: SceneSettings,
    tracking: list[dict[str, Any]],
    width: int,
    height: int,
    fps: int,
) -> Iterator[av.VideoFrame]:
    """One yuv420p frame per 1/``fps`` s from the first tracking frame to the last; each
    shows the newest tracking frame captured by then (as the live output clock does)."""
    frames = [frame_from_dict(item) for item in tracking]
    if not frames:
        return
    renderer = AvatarScene(width, height, scene)
    renderer.show(avatar)
    try:
        start = frames[0].timestamp_s
        count = round((frames[-1].timestamp_s - start) * fps) + 1
        newest: TrackingFrame | None = None
        pending = iter(frames)
        upcoming = next(pending, None)
        for tick in range(count):
            now = start + tick / fps
            while upcoming is not None and upcoming.timestamp_s <= now + 1e-6:
                newest, upcoming = upcoming, next(pending, None)
            yield renderer.frame(newest, now)
    finally:
        renderer.close()
