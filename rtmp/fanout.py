"""Encode once, send to many: one FLV byte stream to every destination, with reconnects."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rtmp.destination import Destination
from rtmp.flv import FlvTag, FlvTagReader
from rtmp.recorder import FileRecorder
from rtmp.relay import RtmpRelay
from rtmp.sink import Sink, SinkState

log = logging.getLogger(__name__)
# Waits before each reconnect of a destination that dropped mid-stream (OBS-like backoff).
RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 15.0)
# Live this long after a reconnect before the retry budget is refilled: a server that accepts
# and drops again at once (a duplicate key, a bitrate cap) must run out of retries.
STABLE_S = 30.0


def open_sink(
    destination: Destination, connect_timeout_s: float = 8.0, resumed: bool = False
) -> Sink:
    """The writer for a destination: a file recorder or an RTMP relay process.

    ``resumed``: a reconnect of a stream the server had accepted (its errors read so).
    """
    if destination.kind == "file":
        return FileRecorder(destination)
    return RtmpRelay(destination, connect_timeout_s=connect_timeout_s, resumed=resumed)


@dataclass(frozen=True)
class DestinationStatus:
    """What a person is shown of one destination."""

    name: str
    state: str  # connecting, live, reconnecting, failed, closed
    error: str | None
    reconnects: int


@dataclass
class _Slot:
    """One destination and the sink currently serving it."""

    destination: Destination
    sink: Sink
    reconnects: int = 0
    attempts: int = 0  # reconnect attempts since it was last live
    retry_at: float | None = None
    live_since: float | None = None
    waiting_for_keyframe: bool = False
    closed: bool = False


class RtmpFanout:
    """Cuts the muxer's bytes into FLV tags and hands each tag to every destination.

    A destination that joins late, or reconnects after dropping mid-stream, first gets the
    stream header and codec configuration, then tags from the next keyframe on, so it always
    starts decodable. A destination that never connected is not retried: that is a wrong URL
    or key, which the streamer must fix. ``on_tag`` sees every tag as it leaves.
    Everything runs on the encoder's thread but :meth:`statuses` and :meth:`all_failed`,
    which read under the lock that every change to the slots takes.
    """

    def __init__(
        self,
        connect_timeout_s: float = 8.0,
        on_tag: Callable[[FlvTag], None] | None = None,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = FlvTagReader()
        self._preamble = bytearray()  # FLV header + metadata + sequence headers
        self._slots: list[_Slot] = []
        self._connect_timeout_s = connect_timeout_s
        self._retry_delays_s = tuple(retry_delays_s)
        self._on_tag = on_tag
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def sinks(self) -> list[Sink]:
        """The sink serving each destination right now."""
        return [slot.sink for slot in self._slots]

    def add(self, destination: Destination) -> Sink:
        """Start sending to ``destination`` from here on."""
        slot = _Slot(destination, self._start_sink(destination))
        with self._lock:
            self._slots.append(slot)
            self._join(slot)
        return slot.sink

    def write(self, chunk: bytes) -> None:
        """Bytes from the muxer."""
        had_header = self._reader.header is not None
        tags = self._reader.feed(chunk)
        if not had_header and self._reader.header is not None:
            self._preamble += self._reader.header
            for slot in self._slots:
                slot.sink.send(self._reader.header)
        for tag in tags:
            self._dispatch(tag)
        self._reconnect_due()

    def statuses(self) -> list[DestinationStatus]:
        """The state of every destination (safe from any thread)."""
        with self._lock:
            return [self._status(slot) for slot in self._slots]

    def all_failed(self) -> bool:
        """True when destinations were added and none is live, connecting or reconnecting."""
        with self._lock:
            return bool(self._slots) and all(
                slot.sink.state is SinkState.FAILED and not self._retrying(slot)
                for slot in self._slots
            )

    def close(self, timeout: float = 5.0) -> None:
        """Finish every destination (their trailers are written) and wait for them."""
        with self._lock:
            for slot in self._slots:
                slot.retry_at, slot.closed = None, True
        for slot in self._slots:
            slot.sink.close(timeout)

    def _status(self, slot: _Slot) -> DestinationStatus:
        sink = slot.sink
        retrying = self._retrying(slot) or (slot.attempts and sink.state is SinkState.CONNECTING)
        return DestinationStatus(
            name=slot.destination.display,
            state="reconnecting" if retrying else sink.state.value,
            error=sink.error,
            reconnects=slot.reconnects,
        )

    def _start_sink(self, destination: Destination, resumed: bool = False) -> Sink:
        sink = open_sink(destination, self._connect_timeout_s, resumed)
        sink.start()
        return sink

    def _join(self, slot: _Slot) -> None:
        if self._preamble:
            slot.sink.send(bytes(self._preamble))
            slot.waiting_for_keyframe = True

    def _dispatch(self, tag: FlvTag) -> None:
        if tag.is_sequence_header:
            self._preamble += tag.data
        for slot in self._slots:
            if slot.waiting_for_keyframe:
                if not tag.is_keyframe:
                    continue
                slot.waiting_for_keyframe = False
            slot.sink.send(tag.data)
        if self._on_tag is not None:
            self._on_tag(tag)

    def _reconnect_due(self) -> None:
        now = self._clock()
        for slot in self._slots:
            sink = slot.sink
            if sink.state is SinkState.LIVE:
                slot.live_since = slot.live_since or now
                if now - slot.live_since >= STABLE_S:
                    slot.attempts = 0
                continue
            slot.live_since = None
            if sink.state is not SinkState.FAILED:
                continue
            with self._lock:
                if slot.retry_at is None and self._may_retry(slot):
                    slot.retry_at = now + self._retry_delays_s[slot.attempts]
                    log.warning("%s: %s; reconnecting", slot.destination.display, sink.error)
            if slot.retry_at is not None and now >= slot.retry_at:
                self._reconnect(slot)

    def _may_retry(self, slot: _Slot) -> bool:
        """Retry an RTMP destination that dropped mid-stream (or whose retry failed), a few
        times; never one that refused from the start: that is a wrong URL or key."""
        sink = slot.sink
        if not isinstance(sink, RtmpRelay) or slot.closed:
            return False
        dropped = sink.was_live or slot.attempts > 0
        return dropped and slot.attempts < len(self._retry_delays_s)

    def _retrying(self, slot: _Slot) -> bool:
        """Waiting to reconnect (or about to decide to)."""
        return slot.retry_at is not None or (
            slot.sink.state is SinkState.FAILED and self._may_retry(slot)
        )

    def _reconnect(self, slot: _Slot) -> None:
        fresh = self._start_sink(slot.destination, resumed=True)
        with self._lock:  # readers never see a slot between its old and new sink
            dead, slot.sink = slot.sink, fresh
            slot.retry_at = None
            slot.attempts += 1
            slot.reconnects += 1
            self._join(slot)
        dead.close(timeout=1.0)
