"""The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) over numpy arrays.

A low-pass filter whose cutoff rises with speed: still values are smoothed hard (no jitter),
fast moves pass with little lag. Unlike a moving average it adds almost no delay in motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroSettings:
    """``min_cutoff`` (Hz) sets smoothing at rest; ``beta`` how fast the cutoff rises with speed."""

    min_cutoff: float
    beta: float
    d_cutoff: float = 1.0


def _alpha(cutoff: float | np.ndarray, dt: float) -> float | np.ndarray:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters a value (scalar or array) sampled at irregular times."""

    def __init__(self, settings: OneEuroSettings) -> None:
        self.settings = settings
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._time: float | None = None
        self._trend: np.ndarray | None = None

    @property
    def value(self) -> np.ndarray | None:
        """The last filtered value, or None before the first sample."""
        return self._value

    @property
    def trend(self) -> np.ndarray | None:
        """Change of the filtered value per second over the last two samples.

        What to extrapolate with between samples. (The filter's own speed estimate compares a
        raw sample with the lagging filtered value, so it overstates steady motion.)
        """
        return self._trend

    @property
    def time(self) -> float | None:
        """When the last sample was taken."""
        return self._time

    def reset(self, value: np.ndarray | None = None, now: float | None = None) -> None:
        """Forget the history; start again from ``value`` at ``now`` when given."""
        self._value = None if value is None else np.array(value, dtype=np.float64)
        self._speed = None if value is None else np.zeros_like(self._value)
        self._trend = None if value is None else np.zeros_like(self._value)
        self._time = now

    def __call__(self, value: np.ndarray | float, now: float) -> np.ndarray:
        """Add a sample taken at ``now`` (seconds); returns the filtered value."""
        sample = np.array(value, dtype=np.float64)
        if self._value is None or self._time is None or self._value.shape != sample.shape:
            self.reset(sample, now)
            return sample.copy()
        dt = now - self._time
        if dt <= 0.0:  # the same instant again: nothing new to learn
            return self._value.copy()
        s = self.settings
        speed = (sample - self._value) / dt
        assert self._speed is not None
        self._speed = self._speed + _alpha(s.d_cutoff, dt) * (speed - self._speed)
        cutoff = s.min_cutoff + s.beta * np.abs(self._speed)
        alpha = _alpha(cutoff, dt)  # per element: each coordinate opens up with its own speed
        filtered = self._value + alpha * (sample - self._value)
        self._trend = (filtered - self._value) / dt
        self._value, self._time = filtered, now
        return self._value.copy()


def filter_settings(smoothness: float, responsiveness: float, scale: float) -> OneEuroSettings:
    """One Euro settings for a signal whose typical motion is about ``scale`` units per second.

    smoothness 0 → min_cutoff 4 Hz (light), 1 → 0.3 Hz (heavy) at rest; responsiveness 0 → beta
    that opens the cutoff slowly, 1 → fast. ``beta`` is divided by ``scale`` so the same plan
    values behave alike for degrees, normalised landmarks and blendshape weights.
    """
    min_cutoff = 4.0 * (0.3 / 4.0) ** smoothness
    beta = (0.05 * (40.0**responsiveness)) / scale
    return OneEuroSettings(min_cutoff=min_cutoff, beta=beta)
