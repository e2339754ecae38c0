"""The interface every destination output implements, and the byte queue they share."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from rtmp.destination import Destination


class SinkState(StrEnum):
    """Where an output is in its life."""

    CONNECTING = "connecting"
    LIVE = "live"
    CLOSED = "closed"
    FAILED = "failed"


class Sink(Protocol):
    """One destination's writer: takes FLV bytes without blocking the encoder."""

    destination: Destination
    state: SinkState
    error: str | None

    def start(self) -> None:
        """Open the destination in the background."""

    def send(self, data: bytes) -> None:
        """Queue bytes; never blocks. A sink that cannot keep up fails instead."""

    def wait_ready(self, timeout: float) -> bool:
        """Block until live or failed; True when live."""

    def close(self, timeout: float = 5.0) -> None:
        """Finish the stream cleanly (trailer written), then release everything."""


class ByteQueue:
    """A bounded FIFO of byte chunks between the encoder thread and one writer thread.

    ``put`` never blocks: past ``max_bytes`` it returns False and the sink fails, because a
    destination that has fallen that far behind will not catch up in real time.
    """

    _END = b""

    def __init__(self, max_bytes: int) -> None:
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self.max_bytes = max_bytes

    def put(self, data: bytes) -> bool:
        """Queue ``data``; False when the backlog is over the limit."""
        with self._lock:
            if self._pending + len(data) > self.max_bytes:
                return False
            self._pending += len(data)
        self._queue.put(data)
        return True

    def end(self) -> None:
        """Tell the writer there is nothing more."""
        self._queue.put(self._END)

    def drain(self, write: Callable[[bytes], None]) -> None:
        """Call ``write`` for each chunk until :meth:`end`; runs in the writer thread."""
        while (data := self._queue.get()) is not self._END:
            with self._lock:
                self._pending -= len(data)
            write(data)
