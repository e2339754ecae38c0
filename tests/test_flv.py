from fractions import Fraction

import av
import numpy as np
import pytest

from rtmp import EncoderSettings, FlvTagReader, StreamEncoder, video_bitrate_for
from rtmp.flv import TAG_AUDIO, TAG_SCRIPT, FlvFormatError


def encode_flv(frames: int, fps: int = 30) -> bytes:
    chunks: list[bytes] = []
    encoder = StreamEncoder(
        EncoderSettings.for_output(320, 180, fps, x264_preset="ultrafast"), chunks.append
    )
    for i in range(frames):
        picture = np.full((180, 320, 3), (i * 7) % 255, dtype=np.uint8)
        encoder.encode_video(av.VideoFrame.from_ndarray(picture, format="rgb24"), i)
        audio = av.AudioFrame.from_ndarray(
            np.zeros((1, 3200), np.int16), format="s16", layout="stereo"
        )
        audio.sample_rate, audio.pts, audio.time_base = 48000, i * 1600, Fraction(1, 48000)
        encoder.encode_audio(audio)
    encoder.close()
    return b"".join(chunks)


def test_reader_cuts_encoder_output_into_whole_tags_in_any_chunking() -> None:
    data = encode_flv(70)
    whole = FlvTagReader().feed(data)
    reader, pieces = FlvTagReader(), []
    for start in range(0, len(data), 777):
        pieces += reader.feed(data[start : start + 777])
    assert [t.data for t in pieces] == [t.data for t in whole]
    assert whole[0].kind == TAG_SCRIPT
    video = [t for t in whole if t.is_video_frame]
    assert len(video) == 70
    keyframes = [t.timestamp_ms for t in video if t.is_keyframe]
    assert len(keyframes) == 2  # GOP of 2 s at 30 fps: frames 0 and 60
    assert keyframes[1] - keyframes[0] == pytest.approx(2000, abs=2)
    assert any(t.kind == TAG_AUDIO and not t.is_sequence_header for t in whole)
    assert sum(len(t.data) for t in whole) + len(reader.header or b"") == len(data)


def test_reader_rejects_bytes_that_are_not_flv() -> None:
    with pytest.raises(FlvFormatError):
        FlvTagReader().feed(b"GIF89a" + bytes(20))


def test_bitrate_follows_resolution_and_rate() -> None:
    assert 2_500_000 <= video_bitrate_for(720, 30) <= 4_000_000
    assert video_bitrate_for(1080, 30) > video_bitrate_for(720, 30) > video_bitrate_for(360, 30)
    assert video_bitrate_for(720, 60) == video_bitrate_for(720, 30) * 3 // 2
