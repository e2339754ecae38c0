"""A short looping MP4 (H.264) of an avatar's idle motion, for its card in My Avatars.

H.264 in MP4 plays in every browser streamers use (Chrome, Firefox, Safari); "faststart"
puts the index first, so the page starts playing before the file has arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_mp4(frames: Iterable[np.ndarray], fps: int, path: Path) -> None:
    """RGB ``frames`` (all the same even size) at ``fps`` into an MP4 at ``path``, which
    appears whole or not at all. (A file, not memory: faststart rewrites it at the end.)"""
    partial = path.with_name(path.name + ".partial")
    try:
        _encode(frames, fps, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


def _encode(frames: Iterable[np.ndarray], fps: int, partial: Path) -> None:
    with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = None
        for index, rgb in enumerate(frames):
            if stream is None:
                stream = container.add_stream("libx264", rate=fps)
                stream.height, stream.width = rgb.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.time_base = Fraction(1, fps)
                stream.options = {"preset": "veryfast", "crf": "23", "profile": "main"}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        if stream is not None:
            container.mux(stream.encode())
