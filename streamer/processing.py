"""The processing stage: a camera frame in, the output frame and its preview out.

The output is the camera letterboxed into the output size (``camera`` scene) or the rendered
avatar (``streamer.avatar_scene``). With "show tracking" on, the preview shows the camera
with the tracked landmarks drawn on it instead, whatever the output is: it is the streamer's
view of what the trackers see, never streamed.
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
        self,
        frame: av.VideoFrame,
        overlay: TrackingFrame | None = None,
        output: av.VideoFrame | None = None,
    ) -> tuple[av.VideoFrame, av.VideoFrame]:
        """(frame for the encoder, frame for the preview): never the same object.

        ``output``: the frame to stream (the avatar); None streams the camera letterboxed.
        ``overlay``: tracking results to draw over the camera on the preview.
        """
        video = output if output is not None else self._camera(frame)
        if overlay is not None:
            return video, self._tracking_view(frame, overlay)
        width, height = self._preview_size
        preview = video.reformat(width=width, height=height)
        if preview is video:
            # Same size: PyAV hands back the same object. The encoder thread and aiortc's
            # sender each stamp their own timestamps on a frame, so they must not share one.
            preview = av.VideoFrame.from_ndarray(video.to_ndarray(), format="yuv420p")
        return video, preview

    def _camera(self, frame: av.VideoFrame) -> av.VideoFrame:
        canvas = self._letterbox.apply(frame)
        return av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p")

    def _tracking_view(self, frame: av.VideoFrame, overlay: TrackingFrame) -> av.VideoFrame:
        width, height = self._preview_size
        camera = self._camera(frame)
        picture = camera.reformat(width=width, height=height, format="rgb24").to_ndarray()
        x, y, w, h = self._letterbox.fit(frame.width, frame.height)
        scale = width / self._letterbox.width
        draw_tracking(picture, overlay, (x * scale, y * scale, w * scale, h * scale))
        return av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
