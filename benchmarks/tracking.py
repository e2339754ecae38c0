"""Measure tracking: each MediaPipe tracker alone, the whole ``Tracker``, and its cost live.

    python -m benchmarks.tracking [--seconds 10] [--frames 100] [--write benchmarks/RESULTS.md]

All three parts use the real clip ``woman_face_thumbs_up_8s.mp4`` (1280x720, 25 fps, a face
and, from its second second on, one hand). Parts 1 and 2 feed ``--frames`` consecutive frames
in video (tracking) mode with increasing timestamps after ``--warmup`` frames that are not
counted (model load, the graphs' first detection). Part 3 runs the real ``StreamPipeline`` at
720p30 live to a file with the clip as a looping 30 fps camera, once without tracking and once
with every feature on, one after the other, so the cost of tracking is read against a
baseline taken a few seconds apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from benchmarks.pipeline import LoopedCamera
from benchmarks.report import machine, percentiles, publish
from rigging.background import Background
from rtmp import file_destination
from streamer.avatar_scene import SceneSettings
from streamer.pipeline import PipelineSettings, StreamPipeline
from streamer.tracking_worker import TRACKING_NICE, TrackingSettings
from tracking.features import Features, TrackingQuality
from tracking.mediapipe_backend import MediaPipeBackend
from tracking.tracker import Tracker

SHARED_ASSETS = Path(__file__).resolve().parents[2] / "shared" / "assets"
CLIP = SHARED_ASSETS / "video" / "woman_face_thumbs_up_8s.mp4"
# The hand enters the clip at frame 24: from here on every frame shows the face and the hand,
# so each tracker's steady tracking cost is measured, not its search of an empty picture.
FIRST_FRAME = 25
SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}
LIVE_OUTPUT = (1280, 720, 30)
FACE_ONLY = "face,eye,expression"
FACE_STAGES = {"face", "head_pose", "expression", "total"}
FACE_ONLY_LABEL = f"face only ({FACE_ONLY})"
FACE_NETWORK_LABEL = "face network, 52 blendshapes"
STAGE_WINDOW = 300  # samples a StageTimer keeps (its default window)


@dataclass(frozen=True)
class Alone:
    """One tracker run on its own through ``MediaPipeBackend``."""

    label: str
    features: str
    precision: float
    method: str  # the backend's detect_* call


ALONE = (
    Alone("face mesh + iris (geometric blendshapes)", "face,eye", 0.2, "detect_faces"),
    Alone(FACE_NETWORK_LABEL, FACE_ONLY, 0.8, "detect_faces"),
    Alone("body (pose, complexity 1)", "body", 0.8, "detect_body"),
    Alone("hands, full model", "hand", 0.8, "detect_hands"),
    Alone("hands, lite model", "hand", 0.2, "detect_hands"),
)


# --- the clip -------------------------------------------------------------------------------


def load_clip(first: int = 0, count: int | None = None) -> list[av.VideoFrame]:
    """Decoded frames ``first`` … ``first + count`` of the clip, looping if it is too short."""
    with av.open(str(CLIP)) as container:
        frames = list(container.decode(video=0))
    wanted = len(frames) - first if count is None else count
    return [frames[(first + i) % len(frames)] for i in range(wanted)]


def rgb_at(frames: list[av.VideoFrame], size: tuple[int, int]) -> list[np.ndarray]:
    """RGB arrays at ``size``: stretched with ``cv2.resize`` (aspect not kept) when needed."""
    out = []
    for frame in frames:
        rgb = frame.to_ndarray(format="rgb24")
        if (rgb.shape[1], rgb.shape[0]) != size:
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        out.append(rgb)
    return out


# --- parts 1 and 2: trackers on frames, one after the other ------------------------------------


@dataclass
class Timing:
    """Per-frame times (seconds) of one configuration, and how often it found something."""

    samples: list[float] = field(default_factory=list)
    found: int = 0
    stage_runs: dict[str, int] = field(default_factory=dict)
    face_ms: list[float] = field(default_factory=list)  # the tracker's own face stage

    def p50_p95(self) -> tuple[float, float]:
        """(p50, p95) in milliseconds."""
        return percentiles(self.samples)

    def mean_ms(self) -> float:
        """Mean in milliseconds: what sets the rate one thread can sustain."""
        return statistics.fmean(self.samples) * 1000

    def found_pct(self) -> float:
        """Share of counted frames in which the tracker found its part."""
        return 100.0 * self.found / max(1, len(self.samples))


def time_alone(spec: Alone, images: list[np.ndarray], warmup: int) -> Timing:
    """``spec``'s detect call on every image in order (25 fps timestamps), warm-up not counted."""
    backend = MediaPipeBackend(Features.parse(spec.features), TrackingQuality(spec.precision))
    detect: Callable[[np.ndarray, int], Any] = getattr(backend, spec.method)
    timing = Timing()
    try:
        for index, image in enumerate(images):
            started = time.perf_counter()
            result = detect(image, index * 40)
            elapsed = time.perf_counter() - started
            if index >= warmup:
                timing.samples.append(elapsed)
                timing.found += bool(result)
    finally:
        backend.close()
    return timing


def time_tracker(
    features: Features, images: list[np.ndarray], warmup: int, every_step: bool
) -> Timing:
    """``Tracker.step`` on every image with 30 fps timestamps; stage keys counted per frame."""
    tracker = Tracker(features, TrackingQuality(), every_step=every_step)
    timing = Timing()
    try:
        for index, image in enumerate(images):
            started = time.perf_counter()
            result = tracker.step(image, index / 30)
            elapsed = time.perf_counter() - started
            if index < warmup:
                continue
            timing.samples.append(elapsed)
            timing.found += result.face is not None
            timing.face_ms.append(result.timings_ms.get("face", 0.0))
            for stage in result.timings_ms:
                timing.stage_runs[stage] = timing.stage_runs.get(stage, 0) + 1
    finally:
        tracker.close()
    return timing


def alone_rows(
    clips: dict[str, list[np.ndarray]], warmup: int, p50s: dict[tuple[str, str], float]
) -> list[str]:
    """Part 1's table rows: each tracker alone at every size (p50 also into ``p50s``)."""
    rows = []
    for spec in ALONE:
        cells, found = [], []
        for size, images in clips.items():
            timing = time_alone(spec, images, warmup)
            cells += [f"{value:.1f}" for value in timing.p50_p95()]
            found.append(f"{timing.found_pct():.0f}%")
            p50s[spec.label, size] = timing.p50_p95()[0]
        row = f"| {spec.label} | {spec.precision} | {' | '.join(cells)} | {' / '.join(found)} |"
        rows.append(row)
        print(rows[-1], file=sys.stderr)
    return rows


def tracker_rows(
    clips: dict[str, list[np.ndarray]], warmup: int, p50s: dict[tuple[str, str], float]
) -> list[str]:
    """Part 2's table rows: the whole tracker, live schedule and every step, and face only."""
    rows = []
    runs = (
        ("all features, live schedule", Features(), False),
        ("all features, every step", Features(), True),
        (FACE_ONLY_LABEL, Features.parse(FACE_ONLY), False),
    )
    for label, features, every_step in runs:
        for size, images in clips.items():
            timing = time_tracker(features, images, warmup, every_step)
            if not features.body and not features.needs_hands:
                # Switched-off trackers must not run at all, not merely go unreported.
                assert set(timing.stage_runs) <= FACE_STAGES, timing.stage_runs
            p50, p95 = timing.p50_p95()
            p50s[label, size] = p50
            share = {
                stage: f"{100 * timing.stage_runs.get(stage, 0) / len(timing.samples):.0f}%"
                for stage in ("body", "hands")
            }
            rows.append(
                f"| {label} | {size} | {p50:.1f} | {p95:.1f} | {timing.mean_ms():.1f} | "
                f"{statistics.median(timing.face_ms):.1f} | "
                f"{1000 / timing.mean_ms():.0f} | {share['body']} | {share['hands']} |"
            )
            print(rows[-1], file=sys.stderr)
    return rows


# --- part 3: the live pipeline ----------------------------------------------------------------


def process_cpu_s() -> float:
    """CPU seconds this process has used, all its threads (MediaPipe's and x264's included)."""
    times = os.times()
    return times.user + times.system


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine from /proc/stat: other tenants show here."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class LiveResult:
    """One live run's numbers over its measured window."""

    output_fps: float
    dropped: int
    repeated: int
    latency_p50: float
    latency_p95: float
    cpu_core_pct: float  # of one core
    machine_busy_pct: float  # the whole machine, every process
    tracking_fps: float = 0.0  # tracked frames / window
    stats_fps: list[float] = field(default_factory=list)  # stats()["tracking"]["fps"] samples
    stages_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    stage_counts: dict[str, int] = field(default_factory=dict)  # runs, up to the timer window
    pipeline_stages_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0


async def run_live(
    camera: list[av.VideoFrame],
    tracking: TrackingSettings | None,
    seconds: float,
    settle: float,
    scene: SceneSettings | None = None,
    cutout: Background | None = None,
) -> LiveResult:
    """One 720p30 pipeline live to a file for ``seconds`` after ``settle`` seconds of start-up
    (``scene``: the avatar it shows; ``cutout``: the camera's person over this; neither: the
    camera)."""
    width, height, fps = LIVE_OUTPUT
    folder = Path(tempfile.mkdtemp(prefix="vida-bench-tracking-"))
    settings = PipelineSettings(width, height, fps, tracking=tracking, scene=scene, cutout=cutout)
    pipeline = StreamPipeline(settings)
    pipeline.attach_video(LoopedCamera(camera, fps))
    pipeline.start()
    try:
        live = await pipeline.go_live([file_destination(folder / "live.flv")])
        await asyncio.sleep(settle)  # models loaded, encoder and tracking in their stride
        worker = pipeline.tracking
        if worker is not None:
            worker.stage_times.clear()  # so the first (model-loading) step is not counted
        frames, dropped = live.frames_out.total, live.frames_dropped
        repeated = pipeline.frames_repeated
        tracked = worker.rate.total if worker else 0.0
        cpu, (busy, total) = process_cpu_s(), machine_jiffies()
        started = time.monotonic()
        samples = []
        while (left := started + seconds - time.monotonic()) > 0:
            await asyncio.sleep(min(1.0, left))
            if worker is not None:
                samples.append(pipeline.stats()["tracking"]["fps"])
        elapsed = time.monotonic() - started
        cpu_used = process_cpu_s() - cpu
        busy_after, total_after = machine_jiffies()
        latency = live.latency.percentiles()
        result = LiveResult(
            output_fps=(live.frames_out.total - frames) / elapsed,
            dropped=live.frames_dropped - dropped,
            repeated=pipeline.frames_repeated - repeated,
            latency_p50=latency.p50_ms,
            latency_p95=latency.p95_ms,
            cpu_core_pct=100 * cpu_used / elapsed,
            machine_busy_pct=100 * (busy_after - busy) / max(1, total_after - total),
        )
        if worker is not None:
            result.tracking_fps = (worker.rate.total - tracked) / elapsed
            result.stats_fps = samples
            result.stages_ms = pipeline.stats()["tracking"]["stages_ms"]
            result.pipeline_stages_ms = pipeline.stats()["stages_ms"]
            result.stage_counts = {
                name: timer.percentiles().count for name, timer in worker.stage_times.items()
            }
            result.seconds = elapsed
        return result
    finally:
        await pipeline.close()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def live_rows(off: LiveResult, on: LiveResult) -> list[str]:
    """Part 3's main table: the same stream without and with tracking."""
    cores = os.cpu_count() or 1
    rows = []
    for label, r in (("off", off), ("on (all features)", on)):
        tracking = "–"
        if r.stats_fps:
            tracking = f"{r.tracking_fps:.1f} (stats {min(r.stats_fps):.1f}–{max(r.stats_fps):.1f})"
        rows.append(
            f"| {label} | {r.output_fps:.1f} | {r.dropped} | {r.repeated} | "
            f"{r.latency_p50:.0f} / {r.latency_p95:.0f} ms | {tracking} | "
            f"{r.cpu_core_pct:.0f}% | {r.cpu_core_pct / cores:.0f}% | "
            f"{max(0.0, r.machine_busy_pct - r.cpu_core_pct / cores):.0f}% |"
        )
    return rows


def stage_rows(result: LiveResult) -> list[str]:
    """Part 3's per-stage tracking times, with how often each stage ran."""
    order = ("convert", "face", "head_pose", "expression", "body", "hands", "total")
    rows = []
    for name in order:
        if name in result.stages_ms:
            times = result.stages_ms[name]
            count = result.stage_counts.get(name, 0)
            # A StageTimer keeps its last WINDOW samples: a full one only bounds the rate.
            bound = "≥ " if count >= STAGE_WINDOW else ""
            rate = f"{bound}{count / max(result.seconds, 1e-9):.1f}"
            rows.append(f"| {name} | {times['p50']:.1f} | {times['p95']:.1f} | {rate} |")
    return rows


# --- the report -------------------------------------------------------------------------------


def header(args: argparse.Namespace) -> list[str]:
    """The section's title and what was measured how."""
    last = FIRST_FRAME + args.warmup + args.frames - 1
    return [
        "## Tracking (MediaPipe 0.10.21 on the CPU)",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Input: `{CLIP.name}` (1280x720, 25 fps, a face and one hand). Parts 1 and 2: frames"
        f" {FIRST_FRAME + args.warmup}–{last} of the clip in order (face and hand in view"
        f" throughout), after {args.warmup} uncounted warm-up frames; 640x480 is the clip"
        " stretched with `cv2.resize` (INTER_AREA, 16:9 squeezed to 4:3), 1280x720 the clip"
        " itself. Times are per frame, in ms, on this process's main thread.",
    ]


def alone_section(
    clips: dict[str, list[np.ndarray]], warmup: int, p50s: dict[tuple[str, str], float]
) -> list[str]:
    """Part 1 as Markdown."""
    sizes = " | ".join(f"{size} p50 | {size} p95" for size in clips)
    return [
        "",
        "### 1. Each tracker alone (`MediaPipeBackend`, video mode)",
        "",
        f"| tracker | precision | {sizes} | found |",
        "|---|---|" + "---|" * (2 * len(clips)) + "---|",
        *alone_rows(clips, warmup, p50s),
    ]


def tracker_section(
    clips: dict[str, list[np.ndarray]], warmup: int, p50s: dict[tuple[str, str], float]
) -> list[str]:
    """Part 2 as Markdown, with the face-only tracker set against the face network alone."""
    rows = tracker_rows(clips, warmup, p50s)
    versus = "; ".join(
        f"{size} {p50s[FACE_ONLY_LABEL, size]:.1f} vs {p50s[FACE_NETWORK_LABEL, size]:.1f}"
        for size in clips
    )
    return [
        "",
        "### 2. `Tracker.step`, default quality (precision 0.5: face network, full hands)",
        "",
        "Timestamps at 30 fps. Live schedule: the face every step, body or hands (the more"
        " overdue, 15 Hz each) at most one per step; every step: all of them on every frame."
        " *Face stage*: the face detector's share of a step (`timings_ms['face']`). *Rate* is"
        " 1000 / mean, what one thread sustains.",
        "",
        "| tracker | input | p50 | p95 | mean | face stage p50 | rate (fps) | body ran"
        " | hands ran |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Switched-off features cost nothing: face-only `Tracker.step` p50 vs the face network"
        f" alone, ms: {versus} (the difference: head pose, blendshape filters, output); body"
        " and hands never ran (checked on every frame's `timings_ms`).",
    ]


def live_section(args: argparse.Namespace) -> list[str]:
    """Part 3 as Markdown (both runs, back to back)."""
    camera = load_clip()
    off = asyncio.run(run_live(camera, None, args.seconds, args.settle))
    on = asyncio.run(run_live(camera, TrackingSettings(), args.seconds, args.settle))
    width, height, fps = LIVE_OUTPUT
    cores = os.cpu_count() or 1
    return [
        "",
        f"### 3. Live pipeline, {width}x{height} at {fps} fps to a local FLV, {args.seconds:.0f} s",
        "",
        f"Camera: the clip looped at {fps} fps (played 1.2x fast), already decoded. Tracking"
        " at default settings: all features, quality 0.5, frames scaled to 640 wide (640x360)"
        f" on the tracking thread (nice {TRACKING_NICE}). Measured after {args.settle:.0f} s"
        " of start-up; tracking off, then on, seconds apart. CPU: this process (all threads) from"
        f" `os.times()`, as % of one core and of the machine's {cores} cores; *other processes*:"
        " the rest of the machine's busy time (/proc/stat) over the same window, i.e. noise.",
        "",
        "| tracking | output fps | dropped | repeated | latency p50 / p95 | tracking fps |"
        " CPU (% of one core) | CPU (% of machine) | other processes (% of machine) |",
        "|---|---|---|---|---|---|---|---|---|",
        *live_rows(off, on),
        "",
        "Tracking stages in the live run (ms; *runs/s*: how often the stage ran):",
        "",
        "| stage | p50 | p95 | runs/s |",
        "|---|---|---|---|",
        *stage_rows(on),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run all three parts and print (or write) the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each live run")
    parser.add_argument("--frames", type=int, default=100, help="counted frames per timing")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted frames first")
    parser.add_argument("--settle", type=float, default=2.0, help="live start-up not counted")
    parser.add_argument("--write", type=Path, help="write the report to this Markdown file")
    args = parser.parse_args(argv)

    frames = load_clip(FIRST_FRAME, args.warmup + args.frames)
    clips = {name: rgb_at(frames, size) for name, size in SIZES.items()}
    p50s: dict[tuple[str, str], float] = {}
    lines = header(args)
    lines += alone_section(clips, args.warmup, p50s)
    lines += tracker_section(clips, args.warmup, p50s)
    del frames, clips  # ~0.5 GB of pictures the live part does not need
    lines += live_section(args)
    report = "\n".join(lines) + "\n"
    return publish(report, args.write, "tracking")


if __name__ == "__main__":
    sys.exit(main())
