"""Publish an FLV byte stream to one RTMP(S) server from a child process.

FFmpeg's RTMP client cannot be interrupted once PyAV opens an output (no timeout reaches
``avio_open``): a server that accepts TCP and never answers the handshake would hang a thread
for ever. So each destination gets its own small process that re-muxes the shared FLV bytes
(no re-encode) with PyAV, and the parent can always kill it. The stream key travels on the
child's stdin, never on its command line (which every local user can read).

The child is :mod:`rtmp.relay_child`. Parent to child on stdin: one JSON line
``{"url": ...}``, then raw FLV bytes until EOF. Child to parent on stdout: JSON lines
``{"event": "connected" | "finished" | "error", ...}``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

from rtmp.destination import Destination
from rtmp.sink import ByteQueue, SinkState

log = logging.getLogger(__name__)
MAX_BACKLOG_BYTES = 8 * 1024 * 1024  # ~15 s of 4 Mb/s: past this the destination is stuck


class RtmpRelay:
    """One RTMP(S) destination, served by a killable child process."""

    def __init__(
        self, destination: Destination, connect_timeout_s: float = 8.0, resumed: bool = False
    ) -> None:
        self.destination = destination
        self.connect_timeout_s = connect_timeout_s
        self.state = SinkState.CONNECTING
        self.error: str | None = None
        self.was_live = False  # the server accepted the stream at some point
        self._resumed = resumed  # a reconnect: the server had accepted this stream before
        self._queue = ByteQueue(MAX_BACKLOG_BYTES)
        self._process: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._settled = threading.Event()  # set once live or failed
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child process and its three pipe threads, and the connect timer."""
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "rtmp.relay_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C on the studio must not cut streams mid-GOP
            )
        except OSError as exc:
            self._fail(f"cannot start the relay process: {exc.strerror}")
            return
        config = json.dumps({"url": self.destination.publish_url}).encode() + b"\n"
        self._queue.put(config)
        for target, name in (
            (self._feed_stdin, "relay-in"),
            (self._read_events, "relay-events"),
            (self._read_stderr, "relay-log"),
            (self._watch_connect, "relay-connect"),
        ):
            thread = threading.Thread(target=target, name=f"vida-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def send(self, data: bytes) -> None:
        """Queue FLV bytes for the child; a destination that stops reading fails."""
        if self.state in (SinkState.CONNECTING, SinkState.LIVE) and not self._queue.put(data):
            self._fail("stopped accepting data (the connection stalled)")

    def wait_ready(self, timeout: float) -> bool:
        """Block until the server accepted the stream (True) or it failed (False)."""
        self._settled.wait(timeout)
        return self.state is SinkState.LIVE

    def close(self, timeout: float = 5.0) -> None:
        """End the stream: the child writes the FLV trailer and exits, or is killed."""
        self._queue.end()
        process = self._process
        if process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s: relay did not finish in %.0f s; killed", self._name, timeout)
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            if self.state is not SinkState.FAILED:
                self.state = SinkState.CLOSED
        self._settled.set()

    @property
    def _name(self) -> str:
        return self.destination.display

    def _fail(self, message: str) -> None:
        with self._lock:
            if self.state in (SinkState.FAILED, SinkState.CLOSED):
                return
            self.state, self.error = SinkState.FAILED, self.destination.redact(message)
        log.warning("%s: %s", self._name, self.error)
        self._settled.set()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def _feed_stdin(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        stdin = self._process.stdin

        def write(data: bytes) -> None:
            stdin.write(data)
            stdin.flush()  # a tag must not wait in Python's buffer for the next one

        try:
            self._queue.drain(write)
            stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child is gone; _read_events reports why

    def _read_events(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "connected":
                with self._lock:
                    if self.state is SinkState.CONNECTING:
                        self.state, self.was_live = SinkState.LIVE, True
                self._settled.set()
                log.info("%s: live", self._name)
            elif event.get("event") == "error":
                tls = self.destination.server_url.startswith("rtmps:")
                message = str(event.get("message", ""))
                self._fail(explain_ffmpeg_error(message, self.was_live or self._resumed, tls))
        code = self._process.wait()
        if code != 0:
            self._fail(f"the RTMP connection ended unexpectedly (relay exit code {code})")

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            log.debug(  # FFmpeg's own lines; the reason reaches the caller as the error
                "%s relay: %s",
                self._name,
                self.destination.redact(line.decode(errors="replace").rstrip()),
            )

    def _watch_connect(self) -> None:
        if not self._settled.wait(self.connect_timeout_s):
            self._fail(
                f"the server did not accept the stream within {self.connect_timeout_s:.0f} s "
                "(no RTMP answer: check the server URL and port)"
            )


def explain_ffmpeg_error(message: str, was_live: bool = False, tls: bool = False) -> str:
    """Turn an FFmpeg error into words a streamer can act on (message already redacted).

    The advice depends on when it happened: a server that drops a running stream is not
    telling us the key is wrong.
    """
    lowered = message.lower()
    if "connection refused" in lowered:
        return "the server refused the connection (nothing listens at that address and port)"
    if "name or service not known" in lowered or "resolve" in lowered or "no address" in lowered:
        return "the server's host name could not be found"
    if "network is unreachable" in lowered or "no route" in lowered or "timed out" in lowered:
        return "the server is unreachable from here"
    if "input/output error" in lowered or "broken pipe" in lowered or "end of file" in lowered:
        if was_live:
            return "the server closed the connection"
        hint = "the stream key and application name"
        hint += ", and that the port speaks TLS for rtmps://" if tls else ""
        return f"the server closed the connection (check {hint})"
    return f"RTMP error: {message}"
