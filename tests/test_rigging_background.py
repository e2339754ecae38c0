"""Backgrounds: fitting pictures to the frame, and refusing uploads that are not safe to decode."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from rigging.background import (
    CHROMA_GREEN,
    BackgroundError,
    ChromaKey,
    ImageBackground,
    SolidColour,
    load_background_image,
    prepare,
)
from rigging.watermark import watermark


def encoded(picture: np.ndarray, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format=fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header says ``width``×``height`` (CRC fixed, so it parses)."""
    data = bytearray(encoded(np.zeros((1, 1, 3), np.uint8)))
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def test_solid_colours_fill_the_frame() -> None:
    assert (prepare(SolidColour((1, 2, 3)), 8, 4) == (1, 2, 3)).all()
    assert prepare(ChromaKey(), 8, 4).shape == (4, 8, 3)
    assert ChromaKey().rgb == CHROMA_GREEN == (0, 177, 64)
    with pytest.raises(ValueError):
        SolidColour((0, 0, 256))


def test_cover_crops_and_contain_letterboxes() -> None:
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, :100] = 255  # a white left quarter
    wide[:, 150:250] = 128  # and a grey middle
    cover = prepare(ImageBackground(wide, "cover"), 160, 90)
    assert cover.shape == (90, 160, 3)
    assert cover[:, :10].mean() < 5  # the white quarter is cropped away
    contain = prepare(ImageBackground(wide, "contain"), 160, 90)
    assert contain[:20].max() == 0 and contain[-20:].max() == 0  # black bars
    assert contain[45, :35].min() > 250  # the white quarter is all there
    blurred = prepare(ImageBackground(wide, "contain", letterbox="blur"), 160, 90)
    assert blurred[:20].max() > 0  # bars filled from the picture itself


def test_a_picture_of_the_output_size_is_used_as_is() -> None:
    picture = np.random.default_rng(1).integers(0, 256, (90, 160, 3), dtype=np.uint8)
    assert (prepare(ImageBackground(picture), 160, 90) == picture).all()


def test_loads_png_and_jpeg() -> None:
    picture = np.full((30, 40, 3), (200, 100, 50), np.uint8)
    assert (load_background_image(encoded(picture)) == picture).all()
    jpeg = load_background_image(encoded(picture, "JPEG", quality=95))
    assert jpeg.shape == (30, 40, 3) and np.abs(jpeg.astype(int) - picture).max() < 8


def test_exif_orientation_is_applied() -> None:
    picture = np.zeros((30, 40, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise when shown
    upright = load_background_image(encoded(picture, "JPEG", exif=exif.tobytes()))
    assert upright.shape == (40, 30, 3)


def test_oversized_header_is_refused_before_decoding() -> None:
    with pytest.raises(BackgroundError, match="MP"):
        load_background_image(png_claiming(6000, 6000), max_pixels=25_000_000)
    with pytest.raises(BackgroundError, match="MP"):  # past Pillow's own bomb limit too
        load_background_image(png_claiming(100_000, 100_000))


def test_non_images_and_truncated_files_are_refused() -> None:
    with pytest.raises(BackgroundError, match="not a PNG"):
        load_background_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(BackgroundError, match="not a PNG"):
        load_background_image(encoded(np.zeros((4, 4, 3), np.uint8), "BMP"))
    whole = encoded(np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    with pytest.raises(BackgroundError):
        load_background_image(whole[: len(whole) // 2])


def test_watermark_sits_bottom_right_and_scales_with_the_frame() -> None:
    small, large = watermark(1280, 720), watermark(1920, 1080)
    assert large.rgba.shape[0] > small.rgba.shape[0]
    h, w = small.rgba.shape[:2]
    assert 1280 - 60 < small.x + w <= 1280 and 720 - 40 < small.y + h <= 720
    assert 0 < small.rgba[..., 3].max() < 255  # translucent
