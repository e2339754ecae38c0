"""What the avatar is drawn over: a solid colour, a chroma-key green, or a picture.

A background is prepared once, when it or the output size changes (``prepare``), into an
(H, W, 3) uint8 picture that the renderer uploads and copies into its framebuffer every frame.
Solid colours skip that: the renderer clears to them, which is exact and costs nothing.

Uploaded pictures are untrusted: ``load_background_image`` reads the header first and refuses
anything too large before a single pixel is decoded (a 100-byte PNG can claim 100 000² pixels).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

# The usual broadcast chroma-key green (what OBS' "Chroma Key" filter and most green screens
# target): far from every skin tone, and keyed cleanly even after 4:2:0 chroma subsampling.
CHROMA_GREEN: tuple[int, int, int] = (0, 177, 64)

# Decoders allowed for uploads: the formats people actually have, and fewer parsers exposed.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
DEFAULT_MAX_PIXELS = 25_000_000  # a 24 MP phone photo passes; decoding it needs ~75 MB

Fit = Literal["cover", "contain"]
Letterbox = Literal["black", "blur"]


class BackgroundError(ValueError):
    """A background picture that cannot be used; the message says why, for the uploader."""


def _check_rgb(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    if len(rgb) != 3 or any(not 0 <= int(c) <= 255 for c in rgb):
        raise ValueError(f"a colour is three integers 0–255, not {rgb!r}")
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


@dataclass(frozen=True)
class SolidColour:
    """One colour everywhere, as 8-bit sRGB."""

    rgb: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rgb", _check_rgb(self.rgb))


@dataclass(frozen=True)
class ChromaKey:
    """Chroma-key green (``CHROMA_GREEN``, 0 177 64) for keying the avatar out downstream."""

    rgb: tuple[int, int, int] = CHROMA_GREEN

    def __post_init__(self) -> None:
        object.__setattr__(self, "rgb", _check_rgb(self.rgb))


@dataclass(frozen=True, eq=False)
class ImageBackground:
    """A picture: ``cover`` fills the frame and crops, ``contain`` shows it all, letterboxed
    onto black or onto a blurred, enlarged copy of itself."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, top row first
    fit: Fit = "cover"
    letterbox: Letterbox = "black"

    def __post_init__(self) -> None:
        image = self.image
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"a background image is (H, W, 3) uint8, not {image.shape}")
        if self.fit not in ("cover", "contain") or self.letterbox not in ("black", "blur"):
            raise ValueError(f"unknown fit {self.fit!r} or letterbox {self.letterbox!r}")


Background = SolidColour | ChromaKey | ImageBackground


def prepare(background: Background, width: int, height: int) -> np.ndarray:
    """The (height, width, 3) uint8 picture of ``background`` at the output size.

    Costs a resample of the picture: call it when the background or the size changes, not
    per frame.
    """
    if isinstance(background, SolidColour | ChromaKey):
        return np.broadcast_to(np.array(background.rgb, np.uint8), (height, width, 3)).copy()
    if background.image.shape[:2] == (height, width):
        return np.ascontiguousarray(background.image)  # already the output's size: exact
    picture = Image.fromarray(background.image)
    if background.fit == "cover":
        out = _cover(picture, width, height)
    else:
        out = _contain(picture, width, height, background.letterbox)
    return np.asarray(out, dtype=np.uint8).copy()


def _cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to fill, cropping the middle: one resample straight from the cropped box."""
    w, h = picture.size
    scale = max(width / w, height / h)
    box_w, box_h = width / scale, height / scale
    left, top = (w - box_w) / 2, (h - box_h) / 2
    box = (left, top, left + box_w, top + box_h)
    return picture.resize((width, height), Image.Resampling.LANCZOS, box=box)


def _contain(picture: Image.Image, width: int, height: int, letterbox: Letterbox) -> Image.Image:
    """Scale to fit whole, centred on black or on a blurred cover of itself."""
    w, h = picture.size
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if letterbox == "blur":
        # Blur a small copy, then enlarge: the same look for a fraction of the cost.
        small = _cover(picture, max(1, width // 8), max(1, height // 8))
        canvas = small.filter(ImageFilter.GaussianBlur(radius=max(2.0, width / 300)))
        canvas = canvas.resize((width, height), Image.Resampling.BILINEAR)
        canvas = Image.eval(canvas, lambda v: int(v * 0.7))  # darker, so the avatar stands out
    else:
        canvas = Image.new("RGB", (width, height))
    canvas.paste(picture.resize(size, Image.Resampling.LANCZOS), _centre(size, width, height))
    return canvas


def _centre(size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    return ((width - size[0]) // 2, (height - size[1]) // 2)


def load_background_image(
    source: str | Path | bytes, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Decode an uploaded PNG, JPEG or WebP to (H, W, 3) uint8 RGB, upright (EXIF applied).

    The size in the header is checked against ``max_pixels`` before decoding; anything that
    is not one of those formats, too large, or truncated raises ``BackgroundError``.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
    try:
        # Pillow's own bomb check only warns below 2× its limit: ours is the one that counts.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(stream, formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise BackgroundError(
            f"the picture is far larger than the {max_pixels / 1e6:.0f} MP allowed: "
            "scale it down first"
        ) from exc
    except UnidentifiedImageError as exc:
        raise BackgroundError(
            f"not a PNG, JPEG or WebP picture ({', '.join(IMAGE_FORMATS)} are accepted)"
        ) from exc
    except OSError as exc:
        raise BackgroundError(f"cannot read the picture: {exc}") from exc
    with picture:
        _check_size(picture.size, max_pixels)
        try:
            upright = ImageOps.exif_transpose(picture).convert("RGB")
        except (OSError, SyntaxError, ValueError) as exc:
            raise BackgroundError(f"the picture is damaged or truncated: {exc}") from exc
    return np.asarray(upright, dtype=np.uint8).copy()


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise BackgroundError("the picture has no pixels")
    if width * height > max_pixels:
        raise BackgroundError(
            f"the picture is {width}×{height} ({width * height / 1e6:.0f} MP); "
            f"backgrounds can be at most {max_pixels / 1e6:.0f} MP: scale it down first"
        )
