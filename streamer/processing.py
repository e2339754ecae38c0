"""The processing stage: a camera frame in, the output frame and its preview out.

The avatar and compositing come here (issue 4); for now it letterboxes the camera, and draws
the tracked landmarks over the preview when the page asks to see them.
"""

from __future__ import annotations

import av

from streamer.letterbox import Letterbox
from streamer.tracking_overlay import draw_tracking
from tracking.frame import TrackingFrame


class FrameProcessor:
    """Turns camera frames into output frames (yuv420p, output size) and preview frames."""

    def __init__(self, width: int, height: int, preview_size: tuple[int, int]) -> None:
        self._letterbox = Letterbox(width, height)
        self._preview_size = preview_size

    def __call__(
        self, frame: av.VideoFrame, overlay: TrackingFrame | None = None
    ) -> tuple[av.VideoFrame, av.VideoFrame]:
        """(frame for the encoder, frame for the preview): never the same object.

        ``overlay``: tracking results to draw on the preview only.
        """
        canvas = self._letterbox.apply(frame)
        video = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p")
        width, height = self._preview_size
        if overlay is not None:
            picture = video.reformat(width=width, height=height, format="rgb24").to_ndarray()
            x, y, w, h = self._letterbox.fit(frame.width, frame.height)
            scale = width / self._letterbox.width
            draw_tracking(picture, overlay, (x * scale, y * scale, w * scale, h * scale))
            preview = av.VideoFrame.from_ndarray(picture, format="rgb24")
            return video, preview.reformat(format="yuv420p")
        preview = video.reformat(width=width, height=height)
        if preview is video:
            # Same size: PyAV hands back the same object. The encoder thread and aiortc's
            # sender each stamp their own timestamps on a frame, so they must not share one.
            preview = av.VideoFrame.from_ndarray(video.to_ndarray(), format="yuv420p")
        return video, preview
