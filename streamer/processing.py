"""The processing stage: a camera frame in, the output frame and its preview out.

Later milestones put tracking, the avatar and compositing here; for now it letterboxes.
"""

from __future__ import annotations

import av

from streamer.letterbox import Letterbox


class FrameProcessor:
    """Turns camera frames into output frames (yuv420p, output size) and preview frames."""

    def __init__(self, width: int, height: int, preview_size: tuple[int, int]) -> None:
        self._letterbox = Letterbox(width, height)
        self._preview_size = preview_size

    def __call__(self, frame: av.VideoFrame) -> tuple[av.VideoFrame, av.VideoFrame]:
        """(frame for the encoder, frame for the preview): never the same object."""
        canvas = self._letterbox.apply(frame)
        video = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p")
        width, height = self._preview_size
        preview = video.reformat(width=width, height=height)
        if preview is video:
            # Same size: PyAV hands back the same object. The encoder thread and aiortc's
            # sender each stamp their own timestamps on a frame, so they must not share one.
            preview = av.VideoFrame.from_ndarray(video.to_ndarray(), format="yuv420p")
        return video, preview
