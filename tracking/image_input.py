"""Turning whatever a caller hands in into the RGB image the trackers need, or saying why not."""

from __future__ import annotations

import numpy as np

MIN_SIDE = 32  # below this no model finds anything; refuse cheaply instead of guessing


def prepare_image(image: np.ndarray | None) -> tuple[np.ndarray | None, str | None]:
    """(contiguous RGB uint8 image, None) or (None, what is wrong with the input)."""
    if image is None or image.size == 0:
        return None, "empty frame"
    if image.dtype != np.uint8:
        return None, f"expected 8-bit pixels, got {image.dtype}"
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)  # grayscale
    elif image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        return None, f"expected a grayscale, RGB or RGBA image, got shape {image.shape}"
    elif image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]  # alpha carries nothing a tracker can use
    height, width = image.shape[:2]
    if min(width, height) < MIN_SIDE:
        return None, f"frame too small to track ({width}×{height}; need {MIN_SIDE}×{MIN_SIDE})"
    return np.ascontiguousarray(image), None
