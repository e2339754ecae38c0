"""The processing stage of this milestone: fit the camera frame into the output, bars around it."""

from __future__ import annotations

import av
import numpy as np


class Letterbox:
    """Scales a frame to fit ``width``×``height`` keeping its aspect ratio, centred on black.

    The canvas is reused between calls; the returned array is only valid until the next call
    (callers copy it into a new ``VideoFrame``, which they must do anyway).
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._canvas = np.zeros((height, width, 3), dtype=np.uint8)
        self._last_box: tuple[int, int, int, int] | None = None

    def fit(self, source_width: int, source_height: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the picture inside the output; sizes even for yuv420p sources."""
        scale = min(self.width / source_width, self.height / source_height)
        w = max(2, min(self.width, round(source_width * scale) // 2 * 2))
        h = max(2, min(self.height, round(source_height * scale) // 2 * 2))
        return (self.width - w) // 2, (self.height - h) // 2, w, h

    def apply(self, frame: av.VideoFrame) -> np.ndarray:
        """The frame scaled into the output canvas, as an RGB array."""
        box = self.fit(frame.width, frame.height)
        x, y, w, h = box
        if box != self._last_box:
            self._canvas[:] = 0  # bars change when the camera changes resolution
            self._last_box = box
        picture = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
        self._canvas[y : y + h, x : x + w] = picture
        return self._canvas
