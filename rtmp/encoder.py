"""Encode once: H.264 + AAC muxed into one FLV byte stream that every destination shares."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av

from rtmp.errors import EncoderUnavailable

log = logging.getLogger(__name__)

# Preferred first. NVENC is built into PyAV's FFmpeg but only opens where an NVIDIA GPU is.
H264_ENCODERS = ("h264_nvenc", "libx264", "h264")
AUDIO_SAMPLE_RATE = 44_100  # what X asks for; YouTube and Twitch accept it too
AUDIO_BITRATE = 128_000
# AAC encoders emit 1024 priming samples first: the packet holding input sample 0 is stamped
# 1024 samples later than the first packet, and FLV players play the priming too. Both streams
# are moved later by the priming, as FFmpeg's FLV muxer does when it sees negative audio
# timestamps, so that the first picture and the first real sample play together.
AAC_PRIMING_S = 1024 / AUDIO_SAMPLE_RATE
_PRIMING_MS = math.ceil(AAC_PRIMING_S * 1000)
_MS = Fraction(1, 1000)

# Video bit rate at 30 fps by output height, inside what X, YouTube and Twitch ask for.
# The stream is not seekable (no header rewrite at the end). A tiny interleave window: audio
# and video arrive in time order per tick already, and FFmpeg's default waits for an audio
# packet past each video frame, which with AAC's priming delay holds video back ~70 ms.
_MUXER_OPTIONS = {"flvflags": "no_duration_filesize", "max_interleave_delta": "1"}
_BITRATE_BY_HEIGHT = ((360, 1_000_000), (480, 1_500_000), (720, 3_000_000), (1080, 4_500_000))


def video_bitrate_for(height: int, fps: int) -> int:
    """Constant bit rate for an output: 720p30 is 3 Mb/s, 1080p30 4.5 Mb/s, 60 fps ×1.5."""
    bitrate = _BITRATE_BY_HEIGHT[-1][1] * height // 1080
    for max_height, rate in _BITRATE_BY_HEIGHT:
        if height <= max_height:
            bitrate = rate
            break
    return int(bitrate * (1.5 if fps > 30 else 1.0))


@dataclass(frozen=True)
class EncoderSettings:
    """What the encoded stream looks like."""

    width: int
    height: int
    fps: int
    video_bitrate: int
    keyframe_interval_s: float = 2.0
    x264_preset: str = "superfast"

    @classmethod
    def for_output(cls, width: int, height: int, fps: int, **extra: object) -> EncoderSettings:
        """Settings with the bit rate chosen for the resolution and frame rate."""
        return cls(width, height, fps, video_bitrate_for(height, fps), **extra)  # type: ignore[arg-type]

    @property
    def gop_size(self) -> int:
        """Frames between keyframes."""
        return max(1, round(self.fps * self.keyframe_interval_s))


@functools.cache
def select_h264_encoder() -> str:
    """The best H.264 encoder that actually opens here (probed once per process)."""
    for name in H264_ENCODERS:
        try:
            ctx = av.CodecContext.create(name, "w")
            ctx.width, ctx.height, ctx.pix_fmt = 256, 144, "yuv420p"
            ctx.time_base = Fraction(1, 30)
            ctx.open()
        except (av.FFmpegError, ValueError, av.codec.codec.UnknownCodecError):
            continue
        log.info("H.264 encoder: %s", name)
        return name
    raise EncoderUnavailable(
        "the installed FFmpeg has no working H.264 encoder (tried " + ", ".join(H264_ENCODERS) + ")"
    )


def _video_options(codec: str, settings: EncoderSettings) -> dict[str, str]:
    gop = settings.gop_size
    rate = str(settings.video_bitrate)
    common = {"g": str(gop), "maxrate": rate, "bufsize": rate, "profile": "main"}
    if codec == "libx264":
        return common | {
            "preset": settings.x264_preset,
            "tune": "zerolatency",
            # Fixed GOP, no scene-cut keyframes, CBR signalling: what Twitch and YouTube ask for.
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:nal-hrd=cbr:force-cfr=1",
        }
    if codec == "h264_nvenc":
        return common | {"preset": "p4", "tune": "ll", "rc": "cbr", "zerolatency": "1"}
    return common


class _ByteSink:
    """A write-only, non-seekable file object for PyAV: FFmpeg hands us each muxed chunk."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write

    def write(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)


class StreamEncoder:
    """H.264 + AAC encoders and an FLV muxer whose output bytes go to ``write``.

    Video frames are given a frame index (the output clock's tick); audio frames carry their
    own sample-accurate ``pts``. Not thread-safe: call it from one thread.
    """

    def __init__(self, settings: EncoderSettings, write: Callable[[bytes], None]) -> None:
        self.settings = settings
        self.codec_name = select_h264_encoder()
        self._time_base = Fraction(1, settings.fps)
        self._container = av.open(_ByteSink(write), mode="w", format="flv", options=_MUXER_OPTIONS)
        video = self._container.add_stream(self.codec_name, rate=settings.fps)
        video.width, video.height, video.pix_fmt = settings.width, settings.height, "yuv420p"
        video.bit_rate = settings.video_bitrate
        video.time_base = self._time_base
        video.options = _video_options(self.codec_name, settings)
        audio = self._container.add_stream("aac", rate=AUDIO_SAMPLE_RATE, layout="stereo")
        audio.bit_rate = AUDIO_BITRATE
        self._video, self._audio = video, audio
        # FLV stamps every tag relative to the first packet written, so the first packet must
        # be the earliest: the first AAC packet. Video waits for it once, at the start.
        self._held_video: list[av.Packet] | None = []
        self._closed = False

    def encode_video(self, frame: av.VideoFrame, index: int) -> None:
        """Encode the output frame for tick ``index`` and mux what comes out.

        The frame's timestamp is set here: never pass a frame another consumer (a WebRTC
        sender, say) also stamps.
        """
        frame.pts, frame.time_base = index, self._time_base
        self._mux_video([_delay_by_priming(p) for p in self._video.encode(frame)])

    def encode_audio(self, frame: av.AudioFrame) -> None:
        """Encode audio (any rate/layout; it is resampled to 44.1 kHz stereo) and mux it."""
        frame.pts = (frame.pts or 0) + math.ceil(AAC_PRIMING_S / frame.time_base)
        self._mux_audio(self._audio.encode(frame))

    def _mux_video(self, packets: list[av.Packet]) -> None:
        if self._held_video is not None:
            self._held_video += packets
        else:
            self._container.mux(packets)

    def _mux_audio(self, packets: list[av.Packet]) -> None:
        if packets and self._held_video is not None:
            held, self._held_video = self._held_video, None
            self._container.mux(packets[:1])
            self._container.mux(held)
            packets = packets[1:]
        self._container.mux(packets)

    def close(self) -> None:
        """Flush both encoders and write the FLV trailer. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._mux_video([_delay_by_priming(p) for p in self._video.encode(None)])
            self._mux_audio(self._audio.encode(None))
            held, self._held_video = self._held_video or [], None
            self._container.mux(held)  # only left when no audio ever came
        finally:
            self._container.close()


def _delay_by_priming(packet: av.Packet) -> av.Packet:
    """Restamp a video packet in milliseconds (FLV's unit), AAC's priming later."""
    base = packet.time_base
    for name in ("pts", "dts"):
        value = getattr(packet, name)
        if value is not None:
            setattr(packet, name, round(value * base * 1000) + _PRIMING_MS)
    packet.time_base = _MS
    return packet
