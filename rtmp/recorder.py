"""'Record to file': the encoded FLV stream written to a local file, off the encoder thread."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import BinaryIO

from rtmp.destination import Destination
from rtmp.sink import ByteQueue, SinkState

log = logging.getLogger(__name__)
MAX_BACKLOG_BYTES = 64 * 1024 * 1024


class FileRecorder:
    """Writes the FLV bytes to ``destination.server_url`` (a path) from its own thread."""

    def __init__(self, destination: Destination) -> None:
        self.destination = destination
        self.state = SinkState.CONNECTING
        self.error: str | None = None
        self._queue = ByteQueue(MAX_BACKLOG_BYTES)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Create the file (and its folder) and start the writer thread."""
        path = Path(self.destination.server_url)
        try:
            handle = path.open("xb")  # never overwrite an earlier recording
        except FileExistsError:
            self._fail(f"recording {path} exists already; choose another name")
            return
        except OSError as exc:
            self._fail(f"cannot write recording {path}: {exc.strerror}")
            return
        self.state = SinkState.LIVE
        self._thread = threading.Thread(
            target=self._write_all, args=(handle,), name="vida-recorder", daemon=True
        )
        self._thread.start()

    def send(self, data: bytes) -> None:
        """Queue bytes for the file."""
        if self.state is SinkState.LIVE and not self._queue.put(data):
            self._fail("the disk is not keeping up with the stream")

    def wait_ready(self, timeout: float) -> bool:
        """A file is ready as soon as it is open."""
        return self.state is SinkState.LIVE

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, close the file."""
        self._queue.end()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.state is SinkState.LIVE:
            self.state = SinkState.CLOSED

    def _write_all(self, handle: BinaryIO) -> None:
        with handle:
            try:
                self._queue.drain(handle.write)
            except OSError as exc:
                self._fail(f"writing the recording failed: {exc.strerror}")

    def _fail(self, message: str) -> None:
        self.state, self.error = SinkState.FAILED, message
        log.warning("recording %s failed: %s", self.destination.server_url, message)
