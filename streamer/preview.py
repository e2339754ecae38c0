"""The track sent back to the page: what goes out, scaled down to save a second full encode."""

from __future__ import annotations

import av
from aiortc import VideoStreamTrack


class PreviewTrack(VideoStreamTrack):
    """Returns the newest output frame at aiortc's video pace (30 fps)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self._frame = av.VideoFrame(width, height, "yuv420p")
        for plane, value in zip(self._frame.planes, (16, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)  # black until the first frame
        self.frames_sent = 0

    def show(self, frame: av.VideoFrame) -> None:
        """Make ``frame`` the one the page sees next."""
        self._frame = frame

    async def recv(self) -> av.VideoFrame:
        """The next preview frame (called by aiortc's sender)."""
        pts, time_base = await self.next_timestamp()
        frame = self._frame
        frame.pts, frame.time_base = pts, time_base
        self.frames_sent += 1
        return frame
