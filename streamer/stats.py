"""Per-stage timings and rates, cheap enough to record on every frame."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Percentiles:
    """p50/p95 of recent samples, in milliseconds."""

    p50_ms: float
    p95_ms: float
    count: int

    def to_dict(self) -> dict[str, float]:
        """``{"p50": …, "p95": …}``, as the page and the API show a stage."""
        return {"p50": self.p50_ms, "p95": self.p95_ms}


class StageTimer:
    """Keeps the last ``window`` durations of one stage (thread-safe)."""

    def __init__(self, window: int = 300) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Record one duration."""
        with self._lock:
            self._samples.append(seconds)

    def percentiles(self) -> Percentiles:
        """p50/p95 of the window (zeros when empty)."""
        with self._lock:
            ordered = sorted(self._samples)
        if not ordered:
            return Percentiles(0.0, 0.0, 0)
        pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
        return Percentiles(round(pick(0.5) * 1000, 2), round(pick(0.95) * 1000, 2), len(ordered))


class RateMeter:
    """Events (or bytes) per second over a sliding window of ``window_s`` seconds."""

    def __init__(self, window_s: float = 2.0) -> None:
        self._events: deque[tuple[float, float]] = deque()
        self._window = window_s
        self._lock = threading.Lock()
        self.total = 0.0

    def add(self, amount: float = 1.0, now: float | None = None) -> None:
        """Count ``amount`` at ``now`` (monotonic seconds)."""
        stamp = time.monotonic() if now is None else now
        with self._lock:
            self._events.append((stamp, amount))
            self.total += amount
            self._trim(stamp)

    def rate(self, now: float | None = None) -> float:
        """Amount per second over the window."""
        stamp = time.monotonic() if now is None else now
        with self._lock:
            self._trim(stamp)
            return sum(amount for _, amount in self._events) / self._window

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self._window:
            self._events.popleft()
