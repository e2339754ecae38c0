"""Measure the media spine: each stage per frame, and the whole path frame in → packet out.

    python -m benchmarks.pipeline [--seconds 10] [--write benchmarks/RESULTS.md]

Stages are timed in isolation (many iterations, p50/p95). The whole path runs the real
``StreamPipeline`` on a synthetic 30 fps camera for ``--seconds``, live to a file: latency is
from the moment a camera frame reaches the pipeline to the moment its FLV tag leaves the muxer
(matched frame by frame, not estimated). Then as many pipelines as the machine sustains run
side by side to find streams per machine.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

from benchmarks.report import machine, percentiles, publish
from rtmp import EncoderSettings, StreamEncoder, file_destination, select_h264_encoder
from streamer.pipeline import PipelineSettings, StreamPipeline
from streamer.processing import FrameProcessor

CAMERA = (1280, 720)
OUTPUTS = {"720p30": (1280, 720, 30), "1080p30": (1920, 1080, 30)}


class LoopedCamera(MediaStreamTrack):
    """Decoded frames played as a webcam: looped at ``fps`` on the wall clock."""

    kind = "video"

    def __init__(self, frames: list[av.VideoFrame], fps: int = 30) -> None:
        super().__init__()
        self._frames, self._fps, self._index = frames, fps, 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        self._start = self._start or loop.time()
        await asyncio.sleep(max(0.0, self._start + self._index / self._fps - loop.time()))
        frame = self._frames[self._index % len(self._frames)]
        frame.pts, frame.time_base = self._index * 3000, fractions.Fraction(1, 90000)
        self._index += 1
        return frame


class SyntheticCamera(LoopedCamera):
    """A 30 fps camera: a smooth scene panning and zooming, plus fresh sensor noise per frame.

    The noise matters: a noiseless synthetic picture compresses far more cheaply than a
    webcam's, which would flatter the encoder.
    """

    def __init__(self, width: int, height: int, fps: int = 30, frames: int = 30) -> None:
        rng = np.random.default_rng(7)
        coarse = rng.integers(0, 255, (height // 40 + 2, width // 40 + 2, 3), dtype=np.uint8)
        scene = av.VideoFrame.from_ndarray(np.ascontiguousarray(coarse), format="rgb24")
        big = scene.reformat(width=width + 2 * frames, height=height + frames).to_ndarray()
        pictures = []
        for i in range(frames):
            view = big[i // 2 : i // 2 + height, i : i + width].astype(np.int16)
            noisy = view + rng.normal(0, 4, view.shape).astype(np.int16)
            rgb = np.clip(noisy, 0, 255).astype(np.uint8)
            pictures.append(
                av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            )
        super().__init__(pictures, fps)


def time_stage(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    """p50/p95 of ``fn()`` over ``iterations`` runs after a warm-up."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def stage_rows(preset: str, iterations: int) -> list[tuple[str, str, float, float]]:
    """Per-stage cost for each output size."""
    camera = SyntheticCamera(*CAMERA)._frames
    rows = []
    for name, output in OUTPUTS.items():
        rows += _stages_for(name, output, camera, preset, iterations)
    return rows


def _stages_for(
    name: str,
    output: tuple[int, int, int],
    camera: list[av.VideoFrame],
    preset: str,
    iterations: int,
) -> list[tuple[str, str, float, float]]:
    width, height, fps = output
    process = FrameProcessor(width, height, (640, 360))
    processed = [process(frame)[0] for frame in camera]  # moving pictures: a real encoder load
    encoder = StreamEncoder(
        EncoderSettings.for_output(width, height, fps, x264_preset=preset), lambda _: None
    )
    ticks = iter(range(10**9))

    def encode_next() -> None:
        tick = next(ticks)
        encoder.encode_video(processed[tick % len(processed)], tick)

    rows = [
        (
            name,
            "process (letterbox, YUV, preview)",
            *time_stage(lambda: process(camera[0]), iterations),
        ),
        (
            name,
            f"encode ({select_h264_encoder()} {preset})",
            *time_stage(encode_next, iterations),
        ),
    ]
    encoder.close()
    return rows


@dataclass
class RunResult:
    """One pipeline's numbers over a run."""

    fps: float
    dropped: int
    latency_p50: float
    latency_p95: float
    process_p50: float
    encode_p50: float


async def run_pipelines(
    count: int, output: tuple[int, int, int], preset: str, seconds: float
) -> list[RunResult]:
    """``count`` pipelines live to files at once for ``seconds``."""
    width, height, fps = output
    folder = Path(tempfile.mkdtemp(prefix="vida-bench-"))
    pipelines = []
    for _ in range(count):
        pipeline = StreamPipeline(PipelineSettings(width, height, fps, x264_preset=preset))
        pipeline.attach_video(SyntheticCamera(*CAMERA))
        pipeline.start()
        pipelines.append(pipeline)
    lives = [
        await p.go_live([file_destination(folder / f"{i}.flv")]) for i, p in enumerate(pipelines)
    ]
    await asyncio.sleep(1.0)  # let the stream settle before counting
    frames_before = [live.frames_out.total for live in lives]
    dropped_before = [live.frames_dropped for live in lives]
    started = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    results = []
    for pipeline, live, before, dropped in zip(
        pipelines, lives, frames_before, dropped_before, strict=True
    ):
        latency = live.latency.percentiles()
        results.append(
            RunResult(
                fps=(live.frames_out.total - before) / elapsed,
                dropped=live.frames_dropped - dropped,
                latency_p50=latency.p50_ms,
                latency_p95=latency.p95_ms,
                process_p50=pipeline.process_time.percentiles().p50_ms,
                encode_p50=live.encode_time.percentiles().p50_ms,
            )
        )
        await pipeline.close()
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return results


def sustained(results: list[RunResult], fps: int, seconds: float) -> bool:
    """Every stream held 95% of its frame rate and dropped at most 1% of its frames."""
    return all(r.fps >= 0.95 * fps and r.dropped <= 0.01 * fps * seconds for r in results)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print (or write) a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each live run")
    parser.add_argument("--iterations", type=int, default=120, help="frames per stage timing")
    parser.add_argument("--preset", default="superfast", help="x264 preset")
    parser.add_argument("--max-streams", type=int, default=6)
    parser.add_argument("--write", type=Path, help="write the report to this Markdown file")
    args = parser.parse_args(argv)

    lines = [
        "## Media spine",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Camera: {CAMERA[0]}x{CAMERA[1]} at 30 fps, synthetic (a panning scene with fresh"
        " sensor noise in every frame), already decoded: WebRTC decoding of the camera and"
        " the preview's encode for the page are not included. x264 preset"
        f" `{args.preset}`.",
        "",
        "### Per stage (ms per frame)",
        "",
        "| output | stage | p50 | p95 |",
        "|---|---|---|---|",
    ]
    for name, stage, p50, p95 in stage_rows(args.preset, args.iterations):
        lines.append(f"| {name} | {stage} | {p50:.1f} | {p95:.1f} |")
        print(lines[-1], file=sys.stderr)
    lines += [
        "",
        f"### Whole path, live to a file for {args.seconds:.0f} s",
        "",
        "Latency: camera frame reaches the pipeline → its FLV tag leaves the muxer, per frame.",
        "",
        "| output | streams | fps (slowest) | dropped | latency p50 | latency p95 "
        "| process p50 | encode p50 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, output in OUTPUTS.items():
        best = 0
        for count in range(1, args.max_streams + 1):
            results = asyncio.run(run_pipelines(count, output, args.preset, args.seconds))
            ok = sustained(results, output[2], args.seconds)
            worst = min(results, key=lambda r: r.fps)
            lines.append(
                f"| {name} | {count} | {min(r.fps for r in results):.1f} | "
                f"{sum(r.dropped for r in results)} | "
                f"{max(r.latency_p50 for r in results):.0f} ms | "
                f"{max(r.latency_p95 for r in results):.0f} ms | "
                f"{worst.process_p50:.1f} ms | {worst.encode_p50:.1f} ms |"
            )
            print(lines[-1], file=sys.stderr)
            if not ok:
                break
            best = count
        lines.append(f"| {name} | **sustained: {best}** | | | | | | |")
    report = "\n".join(lines) + "\n"
    return publish(report, args.write, "pipeline")


if __name__ == "__main__":
    sys.exit(main())
