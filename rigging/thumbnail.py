"""Avatar pictures for the avatar list: a portrait PNG on a neutral background."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping

import numpy as np
from PIL import Image

from rigging.background import SolidColour
from rigging.framing import Camera, frame_avatar
from rigging.model import AvatarModel
from rigging.renderer import AvatarRenderer
from rigging.skeleton import world_matrices

NEUTRAL = SolidColour((214, 217, 222))  # light grey-blue: reads behind dark and light avatars
SUPERSAMPLE = 2  # render 2× and downscale: clean edges on llvmpipe too, where MSAA is off


def portrait_camera(model: AvatarModel, humanoid: Mapping[str, int] | None = None) -> Camera:
    """Head and shoulders when a head bone is known (``humanoid``, else the VRM's own), the
    full body otherwise; square."""
    if humanoid is None and model.vrm is not None:
        humanoid = model.vrm.humanoid
    preset = "head" if humanoid and "head" in humanoid and "hips" in humanoid else "full_body"
    return frame_avatar(model, world_matrices(model), preset, 1.0, humanoid)


@contextlib.contextmanager
def portrait_setup(renderer: AvatarRenderer, model: AvatarModel, pixels: int) -> Iterator[None]:
    """``renderer`` set for pictures of ``model`` (``pixels`` square, neutral background, no
    overlay); its size, background and overlay come back afterwards. ``model`` stays loaded
    (the previous model is released)."""
    width, height = renderer.size
    background, overlay = renderer.background, renderer.overlay
    try:
        renderer.resize(pixels, pixels)
        renderer.set_background(NEUTRAL)
        renderer.set_overlay(None)
        renderer.load(model)
        yield
    finally:
        renderer.resize(width, height)
        renderer.set_background(background)
        renderer.set_overlay(overlay)


def render_thumbnail(
    model: AvatarModel,
    renderer: AvatarRenderer,
    size: int = 256,
    humanoid: Mapping[str, int] | None = None,
    world: np.ndarray | None = None,
) -> bytes:
    """PNG bytes of a ``size``×``size`` portrait of ``model`` (``portrait_camera``), at rest
    or in the pose ``world``."""
    camera = portrait_camera(model, humanoid)
    with portrait_setup(renderer, model, size * SUPERSAMPLE):
        renderer.render(world_matrices(model) if world is None else world, camera=camera)
        picture = Image.fromarray(renderer.read_rgb().copy())
    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
