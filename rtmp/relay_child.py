"""The relay's child process: re-mux FLV from stdin to one RTMP(S) URL (see :mod:`rtmp.relay`)."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import IO
from urllib.parse import urlsplit

import av
import av.logging

from rtmp.destination import redact

# Probing reads until the first keyframe has given the picture size (a 720p keyframe can be
# 100 kB, hence the byte limit), without waiting for frames to estimate the rate (the FLV
# metadata has it). Not "nobuffer": that drops the packets read while probing.
PROBE_OPTIONS = {"probesize": "2000000", "analyzeduration": "2000000", "fpsprobesize": "0"}
# The input is interleaved already: pass packets on as they come instead of holding each one
# until the other stream catches up (that would add a frame of latency again).
SINK_OPTIONS = {"flvflags": "no_duration_filesize", "max_interleave_delta": "1"}


class _StdinReader:
    """Raw reads from fd 0 that return whatever is there (BufferedReader.read(n) waits for n)."""

    def read(self, size: int) -> bytes:
        return os.read(0, size)


def _read_config_line() -> dict[str, str]:
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            raise EOFError("no relay configuration on stdin")
        line += byte
    return json.loads(line)


def _emit(out: IO[str], **event: str) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def _exit_with_parent(poll_s: float = 1.0) -> None:
    """End this process if the studio dies while FFmpeg is stuck in a handshake (stdin's EOF
    is only seen between packets)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(3)

    threading.Thread(target=watch, name="vida-relay-parent", daemon=True).start()


def _resolve(url: str) -> None:
    """Fail with a clear reason for an unknown host (FFmpeg only says "I/O error")."""
    host = urlsplit(url).hostname
    if host:
        try:
            socket.getaddrinfo(host, None)
        except socket.gaierror as exc:
            raise ConnectionError(f"cannot resolve host {host}: {exc.strerror}") from None


def main() -> int:
    """Child process: re-mux FLV from stdin to the URL given on stdin's first line."""
    _exit_with_parent()
    av.logging.set_level(av.logging.ERROR)  # FFmpeg's reason then ends up in the exception
    out = sys.stdout
    url = ""
    try:
        url = _read_config_line()["url"]
        source = av.open(
            _StdinReader(),
            mode="r",
            format="flv",
            options=PROBE_OPTIONS,
        )
        _resolve(url)
        sink = av.open(url, mode="w", format="flv", options=SINK_OPTIONS)
        streams = {s.index: sink.add_stream_from_template(s) for s in source.streams}
        connected = False
        for packet in source.demux():
            if packet.dts is None:
                continue  # the demuxer's end-of-stream marker
            packet.stream = streams[packet.stream.index]
            sink.mux(packet)
            if not connected:
                connected = True
                _emit(out, event="connected")
        sink.close()
        _emit(out, event="finished")
        return 0
    except Exception as exc:  # the parent turns any failure into a destination error
        _emit(out, event="error", message=redact(str(exc), url))
        return 1


if __name__ == "__main__":
    sys.exit(main())
