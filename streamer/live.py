"""A live stream's encoder and destinations, on a thread of their own."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import av

from rtmp import (
    Destination,
    DestinationFailed,
    DestinationStatus,
    EncoderSettings,
    FlvTag,
    RtmpFanout,
    StreamEncoder,
)
from rtmp.fanout import RETRY_DELAYS_S
from streamer.stats import RateMeter, StageTimer

log = logging.getLogger(__name__)
MAX_PENDING_VIDEO = 2  # frames queued for the encoder before new ones are dropped


class LiveOutput:
    """Encodes the output once and fans it out; owns one encoder thread.

    ``submit`` is called on the event loop once per output tick and never blocks: when the
    encoder is behind, the tick's video is dropped (counted) but its audio is still encoded.
    """

    def __init__(
        self,
        settings: EncoderSettings,
        destinations: list[Destination],
        connect_timeout_s: float,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        self.settings = settings
        self.encode_time = StageTimer()
        self.latency = StageTimer()  # camera frame arrival → its FLV tag leaves the muxer
        self.frames_out = RateMeter()
        self.bytes_out = RateMeter()
        self.frames_dropped = 0
        self.encode_errors = 0
        self.started_at = time.monotonic()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vida-encode")
        self._fanout = RtmpFanout(connect_timeout_s, self._on_tag, retry_delays_s)
        self._connect_timeout_s = connect_timeout_s
        self.targets = list(destinations)  # where it streams to (keys inside: never show)
        # Arrival time of each frame inside the encoder (None: a repeated frame, not timed).
        self._in_flight: deque[float | None] = deque()
        self._pending_video = 0
        self._lock = threading.Lock()
        self._encoder: StreamEncoder | None = None
        self._stopped = False
        self._first_tick: int | None = None  # stream timestamps start at 0 when going live

    async def start(self) -> None:
        """Open the encoder and destinations; return once every destination is live.

        Raises :class:`DestinationFailed` when any destination fails; whatever fails, what
        was started is stopped again before the error propagates.
        """
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._open)
            sinks = self._fanout.sinks
            ready = await asyncio.gather(
                *(asyncio.to_thread(s.wait_ready, self._connect_timeout_s + 1) for s in sinks)
            )
        except BaseException:
            await asyncio.shield(self.stop())
            raise
        if not all(ready):
            failed = next(s for s, ok in zip(sinks, ready, strict=True) if not ok)
            await self.stop()
            raise DestinationFailed(f"{failed.destination.display}: {failed.error}")

    def submit(
        self, tick: int, video: av.VideoFrame | None, arrived: float | None, audio: av.AudioFrame
    ) -> None:
        """Queue one tick's frames for the encoder thread."""
        if self._stopped or self._encoder is None:
            return  # the stream starts once the encoder is open, with nothing dropped
        if self._first_tick is None:
            self._first_tick = tick
        # Audio and video are rebased by the same instant, so their alignment survives.
        start_s = Fraction(self._first_tick, self.settings.fps)
        tick -= self._first_tick
        audio.pts = (audio.pts or 0) - round(start_s / audio.time_base)
        if video is not None:
            with self._lock:
                if self._pending_video >= MAX_PENDING_VIDEO:
                    video = None
                    self.frames_dropped += 1
                else:
                    self._pending_video += 1
        self._pool.submit(self._encode, tick, video, arrived, audio)

    def destinations(self) -> list[DestinationStatus]:
        """The state of every destination."""
        return self._fanout.statuses()

    def all_failed(self) -> bool:
        """True when no destination is left to stream to (reconnects included)."""
        return self._fanout.all_failed()

    @property
    def encoder_name(self) -> str:
        """The H.264 encoder in use ("h264_nvenc", "libx264"), or "" before it opened."""
        return self._encoder.codec_name if self._encoder is not None else ""

    async def stop(self) -> float:
        """Flush the encoder, write trailers, close destinations; returns seconds streamed."""
        if not self._stopped:
            self._stopped = True
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._pool, self._close)
            self._pool.shutdown(wait=True)
        return time.monotonic() - self.started_at

    def _open(self) -> None:
        for destination in self.targets:
            self._fanout.add(destination)
        self._encoder = StreamEncoder(self.settings, self._fanout.write)
        self.started_at = time.monotonic()

    def _encode(
        self, tick: int, video: av.VideoFrame | None, arrived: float | None, audio: av.AudioFrame
    ) -> None:
        encoder = self._encoder
        if encoder is None:
            return
        try:
            if video is not None:
                started = time.perf_counter()
                self._in_flight.append(arrived)
                encoder.encode_video(video, tick)
                self.encode_time.add(time.perf_counter() - started)
            if audio.pts >= 0:  # earlier audio belongs to before the stream began
                encoder.encode_audio(audio)
        except Exception:  # nothing else would see it: this runs on the encoder thread
            self.encode_errors += 1
            if self.encode_errors == 1:
                log.exception("encoding failed (further failures are only counted)")
        finally:
            if video is not None:
                with self._lock:
                    self._pending_video -= 1

    def _close(self) -> None:
        try:
            if self._encoder is not None:
                self._encoder.close()
        except Exception:
            log.exception("flushing the encoder failed")
        finally:
            self._fanout.close()  # destinations end (and their processes exit) whatever happened

    def _on_tag(self, tag: FlvTag) -> None:
        self.bytes_out.add(len(tag.data))
        if tag.is_video_frame and self._in_flight:
            # No B-frames (zerolatency): video tags leave in the order frames went in.
            arrived = self._in_flight.popleft()
            if arrived is not None:
                self.latency.add(time.monotonic() - arrived)
            self.frames_out.add()
