"""Person segmentation: which pixels of a camera picture are the streamer.

MediaPipe's selfie segmentation (the landscape model, 256×144 input, inside the wheel) runs on
the CPU in a few milliseconds. It tracks from frame to frame, so one ``PersonSegmenter`` per
stream, used from one thread.
"""

from __future__ import annotations

import os

import numpy as np

from tracking.mediapipe_import import import_mediapipe

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's graph start-up chatter


class PersonSegmenter:
    """``mask(rgb)`` → float32 (H, W) in [0, 1]: how sure each pixel is the person."""

    def __init__(self) -> None:
        import_mediapipe()
        from mediapipe.python.solutions import selfie_segmentation

        self._graph = selfie_segmentation.SelfieSegmentation(model_selection=1)

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        """The person mask of an (H, W, 3) uint8 RGB picture, at the picture's size."""
        result = self._graph.process(np.ascontiguousarray(rgb))
        if result.segmentation_mask is None:
            return np.zeros(rgb.shape[:2], np.float32)
        return np.asarray(result.segmentation_mask, dtype=np.float32)

    def close(self) -> None:
        """Release the graph."""
        self._graph.close()
