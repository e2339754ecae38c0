"""Test media from real pictures: a moving astronaut, a tone, and ffprobe on what arrived."""

from __future__ import annotations

import asyncio
import fractions
import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import AUDIO_PTIME, MediaStreamTrack

SHARED_ASSETS = Path(__file__).resolve().parents[3] / "shared" / "assets"
ASTRONAUT = SHARED_ASSETS / "images" / "astronaut_face_upper_body.png"
WOMAN_VIDEO = SHARED_ASSETS / "video" / "woman_face_thumbs_up_8s.mp4"


def load_rgb(path: Path) -> np.ndarray:
    """Decode an image file to an RGB array."""
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def moving_person_frames(width: int, height: int, count: int) -> list[np.ndarray]:
    """The astronaut photo sliding and bobbing across a grey room, one RGB array per frame."""
    person = av.VideoFrame.from_ndarray(load_rgb(ASTRONAUT), format="rgb24")
    size = height * 9 // 10 // 2 * 2
    person_rgb = person.reformat(width=size, height=size).to_ndarray(format="rgb24")
    frames = []
    for i in range(count):
        canvas = np.full((height, width, 3), 90, dtype=np.uint8)
        phase = 2 * math.pi * i / count
        x = int((width - size) / 2 + (width - size) / 3 * math.sin(phase))
        y = int((height - size) / 2 + (height - size) / 3 * math.cos(phase))
        canvas[y : y + size, x : x + size] = person_rgb
        frames.append(canvas)
    return frames


def write_y4m(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    """Write RGB frames as a 4:2:0 Y4M file, the fake webcam format Chromium reads."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            out.write(b"FRAME\n" + yuv.to_ndarray().tobytes())
    return path


class PictureTrack(MediaStreamTrack):
    """A camera for aiortc clients: loops pre-rendered frames at ``fps``."""

    kind = "video"

    def __init__(self, frames: list[np.ndarray], fps: int = 30) -> None:
        super().__init__()
        self._frames = [av.VideoFrame.from_ndarray(f, format="rgb24") for f in frames]
        self._fps, self._index, self._start = fps, 0, None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._index / self._fps - loop.time()))
        frame = self._frames[self._index % len(self._frames)]
        frame.pts, frame.time_base = self._index * 3000, fractions.Fraction(1, 90000)
        self._index += 1
        return frame


class SilentCamera(MediaStreamTrack):
    """A camera that never delivers a frame."""

    kind = "video"

    async def recv(self) -> av.VideoFrame:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class ToneTrack(MediaStreamTrack):
    """A microphone playing a 440 Hz tone in 20 ms frames."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._samples, self._start = 0, None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._samples / 48000 - loop.time()))
        count = int(48000 * AUDIO_PTIME)
        t = (self._samples + np.arange(count)) / 48000
        tone = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, self._samples
        frame.time_base = fractions.Fraction(1, 48000)
        self._samples += count
        return frame


@dataclass(frozen=True)
class Probe:
    """What ffprobe found in a recording."""

    codecs: dict[str, str]
    width: int
    height: int
    video_packets: int
    video_span_s: float
    duration_s: float
    audio_sample_rate: int

    @property
    def fps(self) -> float:
        """Frame rate measured from packet timestamps (not the header's claim)."""
        return (self.video_packets - 1) / self.video_span_s if self.video_span_s else 0.0


def ffprobe(path: Path) -> Probe:
    """Inspect a recording with Debian's ffprobe (a real client, not our own code)."""
    info = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    streams = {s["codec_type"]: s for s in info["streams"]}
    times = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    stamps = sorted(float(t) for t in times if t not in ("", "N/A"))
    video = streams.get("video", {})
    return Probe(
        codecs={kind: s["codec_name"] for kind, s in streams.items()},
        width=int(video.get("width", 0)),
        height=int(video.get("height", 0)),
        video_packets=len(stamps),
        video_span_s=stamps[-1] - stamps[0] if stamps else 0.0,
        duration_s=float(info["format"].get("duration", 0.0)),
        audio_sample_rate=int(streams.get("audio", {}).get("sample_rate", 0)),
    )


class FlashTrack(MediaStreamTrack):
    """A camera that is dark grey and flashes white for ``flash_s`` every second after 1 s."""

    kind = "video"

    def __init__(self, t0: float, width: int = 640, height: int = 360, fps: int = 30) -> None:
        super().__init__()
        self._dark = av.VideoFrame.from_ndarray(np.full((height, width, 3), 40, np.uint8), "rgb24")
        self._light = av.VideoFrame.from_ndarray(
            np.full((height, width, 3), 230, np.uint8), "rgb24"
        )
        self._t0, self._fps, self._index = t0, fps, 0

    async def recv(self) -> av.VideoFrame:
        at = self._index / self._fps
        await asyncio.sleep(max(0.0, self._t0 + at - asyncio.get_running_loop().time()))
        frame = self._light if is_flash(at) else self._dark
        frame.pts, frame.time_base = self._index * 3000, fractions.Fraction(1, 90000)
        self._index += 1
        return frame


class BeepTrack(MediaStreamTrack):
    """A microphone that is silent and beeps at exactly the moments :class:`FlashTrack` flashes."""

    kind = "audio"

    def __init__(self, t0: float) -> None:
        super().__init__()
        self._t0, self._samples = t0, 0

    async def recv(self) -> av.AudioFrame:
        await asyncio.sleep(
            max(0.0, self._t0 + self._samples / 48000 - asyncio.get_running_loop().time())
        )
        count = int(48000 * AUDIO_PTIME)
        t = (self._samples + np.arange(count)) / 48000
        on = np.array([is_flash(x) for x in t])
        tone = (np.sin(2 * math.pi * 1000 * t) * 12000 * on).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, self._samples
        frame.time_base = fractions.Fraction(1, 48000)
        self._samples += count
        return frame


def is_flash(at: float, flash_s: float = 0.1) -> bool:
    """True during the first ``flash_s`` of every second from the second second on."""
    return at >= 1.0 and at % 1.0 < flash_s


def flash_and_beep_onsets(path: Path) -> tuple[list[float], list[float]]:
    """Times (s) where the recorded picture turns bright and where the sound turns loud."""
    flashes, beeps = [], []
    with av.open(str(path)) as container:
        bright = False
        for frame in container.decode(video=0):
            level = frame.to_ndarray(format="gray").mean()
            if level > 135 and not bright:
                flashes.append(float(frame.time))
            bright = level > 135
    with av.open(str(path)) as container:
        loud = False
        for frame in container.decode(audio=0):
            samples = frame.to_ndarray()[0]
            step = frame.sample_rate // 200  # 5 ms windows
            for start in range(0, len(samples) - step + 1, step):
                rms = float(np.sqrt(np.mean(samples[start : start + step] ** 2)))
                if rms > 0.05 and not loud:
                    beeps.append(float(frame.time) + start / frame.sample_rate)
                loud = rms > 0.05
    return flashes, beeps


def write_flash_beep_file(path: Path, seconds: float = 6.0, fps: int = 30) -> Path:
    """A media file whose picture flashes exactly when its sound beeps (see :func:`is_flash`)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        audio = container.add_stream("aac", rate=48000, layout="mono")
        for i in range(int(seconds * fps)):
            level = 230 if is_flash(i / fps) else 40
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), level, np.uint8), "rgb24")
            frame.pts, frame.time_base = i, fractions.Fraction(1, fps)
            container.mux(video.encode(frame))
        step = 1024
        for start in range(0, int(seconds * 48000), step):
            t = (start + np.arange(step)) / 48000
            on = np.array([is_flash(x) for x in t])
            tone = (np.sin(2 * math.pi * 1000 * t) * 0.4 * on).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, start
            container.mux(audio.encode(frame))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path
