"""Avatar thumbnails for the avatar list: a PNG of the rest pose on a neutral background."""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from PIL import Image

from rigging.background import SolidColour
from rigging.framing import frame_avatar
from rigging.model import AvatarModel
from rigging.renderer import AvatarRenderer
from rigging.skeleton import world_matrices

NEUTRAL = SolidColour((214, 217, 222))  # light grey-blue: reads behind dark and light avatars
SUPERSAMPLE = 2  # render 2× and downscale: clean edges without MSAA support in the GL


def render_thumbnail(
    model: AvatarModel,
    renderer: AvatarRenderer,
    size: int = 256,
    humanoid: Mapping[str, int] | None = None,
    world: np.ndarray | None = None,
) -> bytes:
    """PNG bytes of a ``size``×``size`` picture of ``model``: head and shoulders when a head
    bone is known (``humanoid``, else the VRM's own), the full body otherwise.

    Uses ``renderer``'s context: ``model`` stays loaded in it afterwards (the previous model
    is released), while its output size, background and overlay are restored.
    """
    if humanoid is None and model.vrm is not None:
        humanoid = model.vrm.humanoid
    preset = "head" if humanoid and "head" in humanoid and "hips" in humanoid else "full_body"
    rest = world_matrices(model)
    camera = frame_avatar(model, rest, preset, 1.0, humanoid)
    world = rest if world is None else world  # ``world``: a pose to show (default: at rest)
    width, height = renderer.size
    background, overlay = renderer.background, renderer.overlay
    try:
        renderer.resize(size * SUPERSAMPLE, size * SUPERSAMPLE)
        renderer.set_background(NEUTRAL)
        renderer.set_overlay(None)
        renderer.load(model)
        renderer.render(world, camera=camera)
        picture = Image.fromarray(renderer.read_rgb().copy())
    finally:
        renderer.resize(width, height)
        renderer.set_background(background)
        renderer.set_overlay(overlay)
    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
