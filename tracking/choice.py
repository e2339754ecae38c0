"""Which face is the streamer's when several are in view."""

from __future__ import annotations


def streamer_score(x0: float, y0: float, x1: float, y1: float) -> float:
    """Larger and more central scores higher (normalised box corners in, any scale out).

    A guest walking past behind the streamer is smaller and off-centre: they never win.
    """
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    offset = (((x0 + x1) / 2 - 0.5) ** 2 + ((y0 + y1) / 2 - 0.5) ** 2) ** 0.5
    return area * (1.0 - offset)
