"""An avatar in its idle motion (breathing, blinking), as frames for a short looping clip:
what the avatar list plays so a streamer sees their avatar move before going live."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

from rigging.avatar import Avatar
from rigging.renderer import AvatarRenderer
from rigging.retarget import Retargeter
from rigging.skeleton import world_matrices
from rigging.thumbnail import SUPERSAMPLE, portrait_camera, portrait_setup

# Long enough for a blink (the idle motion blinks every 4 s) and a breath.
CLIP_SECONDS = 4.0
CLIP_FPS = 15


def idle_frames(
    avatar: Avatar,
    renderer: AvatarRenderer,
    size: int = 256,
    seconds: float = CLIP_SECONDS,
    fps: int = CLIP_FPS,
) -> Iterator[np.ndarray]:
    """``size``×``size`` RGB portraits of ``avatar`` with nothing tracked, ``fps`` a second for
    ``seconds`` (the same framing as its thumbnail)."""
    retargeter = Retargeter(avatar)
    camera = portrait_camera(avatar.model, avatar.humanoid.bones)
    with portrait_setup(renderer, avatar.model, size * SUPERSAMPLE):
        for index in range(round(seconds * fps)):
            pose = retargeter.pose(None, index / fps)
            world = world_matrices(avatar.model, pose.rotations)
            renderer.render(world, pose.morph_weights, camera)
            picture = Image.fromarray(renderer.read_rgb())
            yield np.asarray(picture.resize((size, size), Image.Resampling.LANCZOS))
