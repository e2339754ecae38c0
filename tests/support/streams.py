"""Push synthetic streams through the real encoder and fan-out."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from rtmp import Destination, EncoderSettings, RtmpFanout, Sink, StreamEncoder


def push_frames(
    destinations: list[Destination], frames: int, fps: int = 30, size=(320, 180), timeout=5.0
) -> list[Sink]:
    """Encode ``frames`` frames (and their audio) once, send them everywhere, close; the sinks."""
    fanout = RtmpFanout(connect_timeout_s=timeout)
    for destination in destinations:
        fanout.add(destination)
    settings = EncoderSettings.for_output(*size, fps, x264_preset="ultrafast")
    encoder = StreamEncoder(settings, fanout.write)
    for i in range(frames):
        encode_tick(encoder, i, fps, size)
    encoder.close()
    fanout.close()
    return fanout.sinks


def encode_tick(encoder: StreamEncoder, i: int, fps: int, size=(320, 180)) -> None:
    """One tick: a frame that changes every time, and its audio."""
    picture = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    picture[:, : (i * 4) % size[0]] = (200, 120, 40)
    encoder.encode_video(av.VideoFrame.from_ndarray(picture, format="rgb24"), i)
    samples = 48000 // fps
    audio = av.AudioFrame.from_ndarray(
        np.zeros((1, samples * 2), np.int16), format="s16", layout="stereo"
    )
    audio.sample_rate, audio.pts, audio.time_base = 48000, i * samples, Fraction(1, 48000)
    encoder.encode_audio(audio)
