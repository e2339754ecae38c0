"""Just enough FLV to cut a muxer's byte stream into tags.

The encoder muxes once into an FLV byte stream; every destination gets the same bytes. Knowing
where tags start lets the fan-out replay the stream header to a late joiner and lets the
pipeline see the moment a video frame leaves the muxer (its end-to-end latency).
"""

from __future__ import annotations

from dataclasses import dataclass

FLV_HEADER_SIZE = 9 + 4  # signature/version/flags/offset + PreviousTagSize0
TAG_HEADER_SIZE = 11
TAG_AUDIO, TAG_VIDEO, TAG_SCRIPT = 8, 9, 18


class FlvFormatError(ValueError):
    """The byte stream is not FLV (only raised for bytes our own muxer wrote: a bug)."""


@dataclass(frozen=True)
class FlvTag:
    """One FLV tag, complete with its trailing PreviousTagSize field."""

    kind: int
    timestamp_ms: int
    data: bytes

    @property
    def is_video(self) -> bool:
        """True for a video tag."""
        return self.kind == TAG_VIDEO

    @property
    def is_video_frame(self) -> bool:
        """True for a video tag carrying a coded picture (not configuration or end of stream)."""
        return (
            self.is_video
            and len(self.data) > TAG_HEADER_SIZE + 1
            and (self.data[TAG_HEADER_SIZE + 1] == 1)
        )

    @property
    def is_keyframe(self) -> bool:
        """True for a video tag that starts a GOP."""
        return (
            self.is_video
            and len(self.data) > TAG_HEADER_SIZE
            and (self.data[TAG_HEADER_SIZE] >> 4) == 1
        )

    @property
    def is_sequence_header(self) -> bool:
        """True for codec configuration (AVC SPS/PPS, AAC AudioSpecificConfig) and metadata."""
        if self.kind == TAG_SCRIPT:
            return True
        body = self.data[TAG_HEADER_SIZE:]
        return len(body) > 1 and body[1] == 0


class FlvTagReader:
    """Accumulates FLV bytes and returns the header and each tag once complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.header: bytes | None = None

    def feed(self, chunk: bytes) -> list[FlvTag]:
        """Add bytes; return the tags they completed, in order."""
        self._buffer += chunk
        if self.header is None:
            if len(self._buffer) < FLV_HEADER_SIZE:
                return []
            if bytes(self._buffer[:3]) != b"FLV":
                raise FlvFormatError("stream does not start with an FLV signature")
            self.header = bytes(self._buffer[:FLV_HEADER_SIZE])
            del self._buffer[:FLV_HEADER_SIZE]
        tags = []
        while len(self._buffer) >= TAG_HEADER_SIZE:
            size = int.from_bytes(self._buffer[1:4], "big")
            total = TAG_HEADER_SIZE + size + 4
            if len(self._buffer) < total:
                break
            raw = bytes(self._buffer[:total])
            del self._buffer[:total]
            timestamp = int.from_bytes(raw[4:7], "big") | (raw[7] << 24)
            tags.append(FlvTag(kind=raw[0] & 0x1F, timestamp_ms=timestamp, data=raw))
        return tags
