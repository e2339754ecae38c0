"""Tracking beside the output clock: its own thread, the newest camera frame, nothing queued."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import av
from av.video.reformatter import VideoReformatter

from streamer.stats import RateMeter, StageTimer
from tracking.features import Features, TrackingQuality
from tracking.frame import TrackingFrame
from tracking.tracker import Calibration, CalibrationError, Tracker

log = logging.getLogger(__name__)

# Tracking yields the CPU to encoding and WebRTC: a late avatar pose is better than a
# dropped output frame. Linux applies nice values per thread.
TRACKING_NICE = 5


@dataclass(frozen=True)
class TrackingSettings:
    """What one stream tracks and at what input size."""

    features: Features = field(default_factory=Features)
    quality: TrackingQuality = field(default_factory=TrackingQuality)
    max_width: int = 640  # frames are scaled down to this before the models see them

    def input_size(self, width: int, height: int) -> tuple[int, int]:
        """The tracking size for a ``width``×``height`` camera: never up, even sides."""
        target = min(width, self.max_width)
        return target // 2 * 2, max(2, round(height * target / width) // 2 * 2)


class TrackingWorker:
    """Runs a ``Tracker`` on the newest camera frame, as often as the CPU allows.

    ``offer`` never blocks: a frame waiting to be tracked is replaced by a newer one.
    ``latest`` is the newest result (None until the first).
    """

    def __init__(self, settings: TrackingSettings) -> None:
        self.settings = settings
        self.latest: TrackingFrame | None = None
        self.rate = RateMeter()
        self.stage_times: dict[str, StageTimer] = {}
        self.failure: str | None = None
        self._tracker: Tracker | None = None
        # A reformatter of our own: ``frame.reformat`` uses one cached on the frame, and the
        # processing thread converts the same frame at the same time (seen: swscale deadlock).
        self._reformatter = VideoReformatter()
        self._waiting: tuple[av.VideoFrame, float] | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="vida-tracking", daemon=True)
        self._thread.start()

    def offer(self, frame: av.VideoFrame, captured: float) -> None:
        """Hand over the newest camera frame (``captured``: monotonic seconds)."""
        with self._wake:
            self._waiting = (frame, captured)
            self._wake.notify()

    def calibrate(self) -> Calibration:
        """Take the face in view as neutral (raises ``CalibrationError`` without one)."""
        tracker = self._tracker
        if tracker is None:
            raise CalibrationError("tracking has not started yet: wait for the camera")
        return tracker.calibrate()

    def reconfigure(self, settings: TrackingSettings) -> None:
        """Track other features or at another quality (a plan change), from the next frame."""
        self.settings = settings
        # Times of stages no longer run would otherwise be shown as if they still were.
        self.stage_times = {}
        tracker = self._tracker
        if tracker is not None:
            tracker.reconfigure(settings.features, settings.quality)

    def stats(self) -> dict[str, Any]:
        """Tracking rate, per-stage times and what is in view, for the page."""
        latest = self.latest
        stages = {name: t.percentiles().to_dict() for name, t in list(self.stage_times.items())}
        return {
            "fps": round(self.rate.rate(), 1),
            "features": self.settings.features.names(),
            "stages_ms": stages,
            "found": latest.found() if latest else [],
            "calibrated": bool(latest and latest.calibrated),
        }

    def close(self) -> None:
        """Stop the thread (after the frame in hand) and release the models."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # not permitted, or not Linux: run at normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRACKING_NICE)
        s = self.settings
        try:
            self._tracker = Tracker(s.features, s.quality)
            while (job := self._next()) is not None:
                self._track(*job)
        except Exception as exc:  # a broken model must not take the stream down with it
            self.failure = f"tracking stopped: {exc!r}"
            log.exception("tracking failed; the stream goes on without it")
        finally:
            if self._tracker is not None:
                self._tracker.close()

    def _next(self) -> tuple[av.VideoFrame, float] | None:
        with self._wake:
            while self._waiting is None and not self._stopping:
                self._wake.wait()
            if self._stopping:
                return None
            job, self._waiting = self._waiting, None
            return job

    def _track(self, frame: av.VideoFrame, captured: float) -> None:
        assert self._tracker is not None
        started = time.perf_counter()
        width, height = self.settings.input_size(frame.width, frame.height)
        image = self._reformatter.reformat(
            frame, width=width, height=height, format="rgb24", threads=1
        ).to_ndarray()
        convert_ms = (time.perf_counter() - started) * 1000
        result = self._tracker.step(image, captured)
        self.latest = result
        self.rate.add()
        for name, ms in (("convert", convert_ms), *result.timings_ms.items()):
            self.stage_times.setdefault(name, StageTimer()).add(ms / 1000)
