"""Microphone audio on the output clock: exactly one tick's samples per video frame."""

from __future__ import annotations

import threading
from fractions import Fraction

import av
import numpy as np

SAMPLE_RATE = 48_000  # WebRTC's Opus rate; the encoder resamples to what RTMP wants
CHANNELS = 2
MAX_BUFFER_S = 0.3  # hard cap: beyond this the oldest samples go at once
# Every audio sample waits in the buffer as long as the buffer's lowest level: that level is
# how late audio runs behind video. Right after each pull the level should touch about zero
# now and then; if over half a second it never fell below SLACK_S (after a stall, a burst,
# or a mic clock running fast), the surplus is dropped: one short skip instead of a lasting
# lip-sync error.
SLACK_S = 0.015
SETTLE_TICKS = 15


class TickAudio:
    """A small jitter buffer between the microphone and the output clock.

    The mic pushes frames whenever they arrive; the output clock pulls the samples of each
    video tick. Missing samples become silence (a muted or absent mic still gives a valid AAC
    track, which FLV interleaving needs); a backlog that persists is trimmed so that audio
    never drifts behind video. Timestamps come from the tick, so A/V stay aligned.

    ``lag_s`` is how much later the microphone's audio reaches us than the camera frame
    captured at the same instant; its samples are stamped that much earlier.
    """

    def __init__(self, fps: int, lag_s: float = 0.0) -> None:
        self.fps = fps
        self._lag_samples = round(lag_s * SAMPLE_RATE)
        self._resampler = av.AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE)
        self._pending = np.zeros((0, CHANNELS), dtype=np.int16)
        self._lock = threading.Lock()
        self._lowest = 0  # lowest level after a pull in this window (samples)
        self._window_ticks = 0
        self.silence_samples = 0
        self.dropped_samples = 0

    @property
    def buffered_s(self) -> float:
        """Seconds of microphone audio waiting for the output clock."""
        return len(self._pending) / SAMPLE_RATE

    def push(self, frame: av.AudioFrame) -> None:
        """Add microphone audio (any rate or layout)."""
        chunks = [out.to_ndarray().reshape(-1, CHANNELS) for out in self._resampler.resample(frame)]
        if not chunks:
            return
        with self._lock:
            self._pending = np.concatenate([self._pending, *chunks])
            self._drop_oldest(len(self._pending) - int(MAX_BUFFER_S * SAMPLE_RATE))

    def _drop_oldest(self, samples: int) -> None:
        if samples > 0:
            self._pending = self._pending[samples:]
            self.dropped_samples += samples

    def samples_for(self, tick: int) -> tuple[int, int]:
        """(first sample, count) of output tick ``tick``."""
        start = tick * SAMPLE_RATE // self.fps
        return start, (tick + 1) * SAMPLE_RATE // self.fps - start

    def pull(self, tick: int) -> av.AudioFrame:
        """The audio of tick ``tick``, padded with silence when the mic is short."""
        start, count = self.samples_for(tick)
        with self._lock:
            take = self._pending[:count]
            self._pending = self._pending[count:]
            level = len(self._pending)
            self._lowest = level if self._window_ticks == 0 else min(self._lowest, level)
            self._window_ticks += 1
            if self._window_ticks >= SETTLE_TICKS:
                self._drop_oldest(self._lowest - int(SLACK_S * SAMPLE_RATE))
                self._window_ticks = 0
        if len(take) < count:
            self.silence_samples += count - len(take)
            take = np.concatenate([take, np.zeros((count - len(take), CHANNELS), np.int16)])
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(take).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts, frame.time_base = start - self._lag_samples, Fraction(1, SAMPLE_RATE)
        return frame
