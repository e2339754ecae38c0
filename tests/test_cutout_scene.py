"""The cutout scene on a real video frame: the room replaced, the person kept, the watermark
drawn unless the plan is white-label."""

from __future__ import annotations

import av
import numpy as np

from rigging.background import SolidColour
from streamer.cutout_scene import CutoutScene
from tests.support.media import WOMAN_VIDEO

GREEN = (0, 177, 64)


def test_the_room_goes_the_person_stays_and_the_watermark_follows_the_plan() -> None:
    with av.open(str(WOMAN_VIDEO)) as video:
        frames = [f for _, f in zip(range(5), video.decode(video=0), strict=False)]
    pictures = {}
    for watermark in (True, False):
        scene = CutoutScene(640, 360, SolidColour(GREEN), watermark)
        try:
            for frame in frames:  # segmentation tracks: a few frames to settle
                output = scene.frame(frame)
        finally:
            scene.close()
        pictures[watermark] = output.to_ndarray(format="rgb24").astype(int)
    plain = pictures[False]
    assert np.abs(plain[:20, :20].mean(axis=(0, 1)) - GREEN).max() < 12  # the room is gone
    face = plain[60:160, 260:380]  # the woman's face, in the middle of the clip
    assert np.abs(face - GREEN).sum(axis=2).mean() > 100  # she is still there
    corner = (slice(-30, None), slice(-90, None))
    assert np.abs(pictures[True][corner] - plain[corner]).max() > 60  # "VIDA" drawn
    assert np.abs(pictures[True][:300, :500] - plain[:300, :500]).max() < 30  # only there
