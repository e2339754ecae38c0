"""Encode once, send to many: one FLV byte stream to every destination."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rtmp.destination import Destination
from rtmp.flv import FlvTag, FlvTagReader
from rtmp.recorder import FileRecorder
from rtmp.relay import RtmpRelay
from rtmp.sink import Sink

log = logging.getLogger(__name__)


def open_sink(destination: Destination, connect_timeout_s: float = 8.0) -> Sink:
    """The writer for a destination: a file recorder or an RTMP relay process."""
    if destination.kind == "file":
        return FileRecorder(destination)
    return RtmpRelay(destination, connect_timeout_s=connect_timeout_s)


class RtmpFanout:
    """Cuts the muxer's bytes into FLV tags and hands each tag to every destination.

    A destination that joins late (or reconnects) first gets the stream header and codec
    configuration, then tags from the next keyframe on, so it always starts decodable.
    ``on_tag`` sees every tag as it leaves (the pipeline measures latency with it).
    """

    def __init__(self, on_tag: Callable[[FlvTag], None] | None = None) -> None:
        self._reader = FlvTagReader()
        self._preamble = bytearray()  # FLV header + metadata + sequence headers
        self._sinks: list[Sink] = []
        self._waiting_for_keyframe: set[int] = set()
        self._on_tag = on_tag

    def add(self, sink: Sink) -> None:
        """Start ``sink`` and send it the stream from here on (replaying the header if needed)."""
        sink.start()
        if self._preamble:
            sink.send(bytes(self._preamble))
            self._waiting_for_keyframe.add(id(sink))
        self._sinks.append(sink)

    def write(self, chunk: bytes) -> None:
        """Bytes from the muxer (called on the encoder thread)."""
        had_header = self._reader.header is not None
        tags = self._reader.feed(chunk)
        if not had_header and self._reader.header is not None:
            self._preamble += self._reader.header
            self._send_all(self._reader.header)
        for tag in tags:
            self._dispatch(tag)

    def close(self, timeout: float = 5.0) -> None:
        """Finish every destination (their trailers are written) and wait for them."""
        for sink in self._sinks:
            sink.close(timeout)

    def _dispatch(self, tag: FlvTag) -> None:
        if tag.is_sequence_header:
            self._preamble += tag.data
        for sink in self._sinks:
            if id(sink) in self._waiting_for_keyframe:
                if not tag.is_keyframe:
                    continue
                self._waiting_for_keyframe.discard(id(sink))
            sink.send(tag.data)
        if self._on_tag is not None:
            self._on_tag(tag)

    def _send_all(self, data: bytes) -> None:
        for sink in self._sinks:
            sink.send(data)
