"""Frame in → RTMP out → nginx-rtmp → a viewer's decoder, timed by stamps in the pixels.

    python -m benchmarks.rtmp_path [--seconds 15] [--resolution 1280x720] [--write FILE]

Every camera frame carries its index as a row of black and white blocks. The real pipeline
streams through an RTMP relay into nginx-rtmp (Debian, started here on 127.0.0.1); a viewer in
this process plays the stream back, reads each decoded frame's index and looks up when that
frame entered the pipeline. That is the whole path a platform's ingest sees, plus nginx and a
decoder, measured frame by frame. The pipeline's own measure (frame in → FLV tag out) is taken
in the same run for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import av
from aiortc.mediastreams import MediaStreamTrack

from benchmarks.pipeline import SyntheticCamera
from benchmarks.report import machine, percentiles, publish
from config.settings import parse_resolution
from rtmp import rtmp_destination
from streamer.pipeline import PipelineSettings, StreamPipeline
from tests.support.nginx import start_nginx

BITS, BLOCK = 16, 32  # 16-bit frame index in 32x32 blocks along the top edge


class StampedCamera(MediaStreamTrack):
    """:class:`SyntheticCamera`'s frames with the frame index drawn in, and when each left."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: int = 30) -> None:
        super().__init__()
        self._source = SyntheticCamera(width, height, fps)
        self.sent_at: dict[int, float] = {}

    async def recv(self) -> av.VideoFrame:
        frame = await self._source.recv()
        index = self._source._index - 1
        planes = frame.to_ndarray()  # yuv420p: Y rows first
        for bit in range(BITS):
            value = 235 if (index >> bit) & 1 else 16
            planes[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value
        stamped = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        stamped.pts, stamped.time_base = frame.pts, fractions.Fraction(1, 90000)
        self.sent_at[index % (1 << BITS)] = time.monotonic()
        return stamped


def read_stamp(frame: av.VideoFrame) -> int:
    """The index drawn by :class:`StampedCamera`, read back from a decoded frame."""
    luma = frame.to_ndarray(format="gray")
    centre = BLOCK // 2
    return sum((1 << bit) for bit in range(BITS) if luma[centre, bit * BLOCK + centre] > 128)


def watch(
    url: str,
    sent_at: dict[int, float],
    latencies: list[float],
    playing: threading.Event,
    stop: threading.Event,
) -> None:
    """A viewer: play ``url``, time every decoded frame against its stamp."""
    options = {
        "fflags": "nobuffer",
        "flags": "low_delay",
        "probesize": "2000000",  # until the first keyframe has given the picture size
        "analyzeduration": "2000000",
        "fpsprobesize": "0",
    }
    with av.open(url, options=options, timeout=10) as container:
        for frame in container.decode(video=0):
            arrived = time.monotonic()
            sent = sent_at.get(read_stamp(frame))
            if sent is not None:
                latencies.append(arrived - sent)
            playing.set()
            if stop.is_set():
                return


async def measure(
    width: int, height: int, fps: int, seconds: float, preset: str
) -> dict[str, float]:
    """Stream for ``seconds`` through nginx to the viewer; latency percentiles in ms."""
    nginx = start_nginx(Path(tempfile.mkdtemp(prefix="vida-bench-nginx-")))
    camera = StampedCamera(width, height, fps)
    pipeline = StreamPipeline(PipelineSettings(width, height, fps, x264_preset=preset))
    latencies: list[float] = []
    stop, playing = threading.Event(), threading.Event()
    try:
        pipeline.attach_video(camera)
        pipeline.start()
        live = await pipeline.go_live([rtmp_destination(nginx.url(), "bench")])
        viewer = threading.Thread(
            target=watch,
            args=(nginx.url("bench"), camera.sent_at, latencies, playing, stop),
            daemon=True,
        )
        viewer.start()
        if not await asyncio.to_thread(playing.wait, 20):
            raise RuntimeError("the viewer got no picture from nginx within 20 s")
        await asyncio.sleep(1.0)  # past the viewer's start-up burst
        latencies.clear()
        await asyncio.sleep(seconds)
        stop.set()
        tag = live.latency.percentiles()
        await pipeline.stop_live()
        viewer.join(10)
    finally:
        await pipeline.close()
        nginx.stop()
    viewer_p50, viewer_p95 = percentiles(latencies) if latencies else (0.0, 0.0)
    return {
        "frames": len(latencies),
        "tag_p50": tag.p50_ms,
        "tag_p95": tag.p95_ms,
        "viewer_p50": viewer_p50,
        "viewer_p95": viewer_p95,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print (or write) the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--resolution", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--preset", default="superfast")
    parser.add_argument("--write", type=Path, help="update this Markdown file's section")
    args = parser.parse_args(argv)
    width, height = parse_resolution(args.resolution)
    result = asyncio.run(measure(width, height, args.fps, args.seconds, args.preset))
    report = "\n".join(
        [
            "## Through RTMP: frame in → nginx-rtmp → viewer decoded",
            "",
            f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
            f"{width}x{height} at {args.fps} fps, x264 `{args.preset}`, one stream, relay process"
            " into Debian nginx-rtmp on 127.0.0.1, viewer (PyAV, `nobuffer`) in the same process;"
            f" {result['frames']} frames matched by the index stamped in their pixels.",
            "",
            "| path | p50 | p95 |",
            "|---|---|---|",
            f"| frame in → FLV tag out (pipeline's own measure) | {result['tag_p50']:.0f} ms"
            f" | {result['tag_p95']:.0f} ms |",
            f"| frame in → decoded by an RTMP viewer via nginx | {result['viewer_p50']:.0f} ms"
            f" | {result['viewer_p95']:.0f} ms |",
        ]
    )
    return publish(report, args.write, "rtmp-path")


if __name__ == "__main__":
    sys.exit(main())
