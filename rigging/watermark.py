"""The "VIDA" watermark: a small RGBA picture the renderer blends over the bottom-right corner.

It is drawn once per output size (cached) and handed to ``AvatarRenderer.set_overlay``;
passing ``None`` there turns it off, so each stream decides whether it carries one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_NAMES = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf")  # Debian's fonts-dejavu-core


@dataclass(frozen=True, eq=False)
class Overlay:
    """An RGBA picture (straight alpha, top row first) placed with its top-left corner at
    pixel ``x``, ``y`` of the output frame (y counted from the top)."""

    rgba: np.ndarray  # (h, w, 4) uint8
    x: int
    y: int

    def __post_init__(self) -> None:
        rgba = self.rgba
        if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
            raise ValueError(f"an overlay is (h, w, 4) uint8, not {rgba.shape}")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_NAMES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    # Pillow ≥ 10.1 scales its built-in font; older ones only have the tiny bitmap one.
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def blend_overlay(picture: np.ndarray, overlay: Overlay) -> None:
    """Blend ``overlay`` into an (H, W, 3) uint8 RGB ``picture`` in place (the CPU path, for
    pictures the renderer does not draw: a few thousand pixels)."""
    h, w = overlay.rgba.shape[:2]
    region = picture[overlay.y : overlay.y + h, overlay.x : overlay.x + w]
    alpha = overlay.rgba[: region.shape[0], : region.shape[1], 3:].astype(np.float32) / 255
    colour = overlay.rgba[: region.shape[0], : region.shape[1], :3].astype(np.float32)
    region[:] = np.round(colour * alpha + region.astype(np.float32) * (1 - alpha)).astype(np.uint8)


@lru_cache(maxsize=8)
def watermark(width: int, height: int, text: str = "VIDA", opacity: float = 0.6) -> Overlay:
    """The watermark for a ``width``×``height`` frame: white text with a soft shadow, so it
    reads on light and dark backgrounds, ~3.5% of the frame height, in the bottom-right."""
    size = max(10, round(height * 0.035))
    font = _font(size)
    pad = max(2, size // 4)  # room for the shadow's blur
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font)
    box = (right - left + 2 * pad, bottom - top + 2 * pad)
    origin = (pad - left, pad - top)

    shadow = Image.new("L", box)
    ImageDraw.Draw(shadow).text((origin[0] + 1, origin[1] + 1), text, fill=255, font=font)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1.0, size / 12)))
    glyphs = Image.new("L", box)
    ImageDraw.Draw(glyphs).text(origin, text, fill=255, font=font)

    rgba = np.zeros((box[1], box[0], 4), np.uint8)
    ink = np.asarray(glyphs, np.float32) / 255
    dark = np.asarray(shadow, np.float32) / 255 * 0.6
    alpha = ink + dark * (1 - ink)  # white glyphs over their shadow
    rgba[..., :3] = np.round(255 * ink / np.maximum(alpha, 1e-6))[..., None]
    rgba[..., 3] = np.round(255 * alpha * opacity)
    margin = max(4, round(height * 0.025))
    rgba.flags.writeable = False  # shared through the cache
    return Overlay(rgba, width - box[0] - margin, height - box[1] - margin)
