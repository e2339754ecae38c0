"""Measure the avatar renderer: render + readback per frame, as a stream worker runs it.

    python -m benchmarks.render [--frames 60] [--write benchmarks/RESULTS.md]

The avatar is synthetic, so the numbers do not depend on which files happen to be around: a
body-sized tube of ~20k or ~60k triangles in 4 primitives (lit, toon, textured toon, alpha
MASK), skinned to a 64-joint chain with 2 influences per vertex, 8 morph targets per
primitive of which 4 are active with changing weights. Every frame poses the chain anew
(``world_matrices``, timed apart), renders it at the upper-body framing and reads it back.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

from benchmarks.report import machine, percentiles, publish
from rigging.background import ImageBackground, SolidColour
from rigging.framing import frame_avatar
from rigging.model import (
    AvatarModel,
    Material,
    Mesh,
    MeshInstance,
    MorphTarget,
    Node,
    Primitive,
    Skin,
)
from rigging.renderer import AvatarRenderer, BackgroundCopy
from rigging.skeleton import node_order, world_matrices
from rigging.transforms import IDENTITY_QUAT, quat_from_axis_angle

OUTPUTS = {"720p": (1280, 720), "1080p": (1920, 1080)}
TRIANGLES = {"20k": 20_000, "60k": 60_000}
JOINTS, TARGETS, ACTIVE = 64, 8, 4
HEIGHT_M, RADIUS_M = 1.7, 0.22
WARMUP = 2  # untimed frames at the start of every turn
BLOCK = 10  # timed frames per turn


# --- the synthetic avatar -------------------------------------------------------------------


def synthetic_avatar(triangles: int) -> AvatarModel:
    """A skinned, morphable tube of about ``triangles`` triangles (see the module doc)."""
    segments = 128
    rings = max(8, round(triangles / (2 * segments)))
    step = HEIGHT_M / (JOINTS - 1)
    nodes = tuple(
        Node(f"j{i}", i - 1, np.array([0.0, step if i else 0.0, 0.0]), IDENTITY_QUAT, np.ones(3))
        for i in range(JOINTS)
    )
    rest = world_matrices(AvatarModel(nodes, (), (), (), ()))
    skin = Skin(tuple(range(JOINTS)), np.linalg.inv(rest).astype(np.float32))
    bands = np.array_split(np.arange(rings + 1), 4)
    edges = [(band[0], band[-1] + 1) for band in bands[:-1]] + [(bands[-1][0], rings)]
    primitives = tuple(
        _tube(first, last, rings, segments, material=i) for i, (first, last) in enumerate(edges)
    )
    texture = _checker()
    materials = (
        Material("lit", base_color=(0.8, 0.55, 0.4, 1.0)),
        Material("toon", base_color=(0.3, 0.4, 0.8, 1.0), unlit=True),
        Material("toon textured", texture=texture, unlit=True),
        Material("masked", texture=texture, alpha_mode="MASK", double_sided=True),
    )
    mesh = Mesh("body", primitives, tuple(f"t{i}" for i in range(TARGETS)))
    return AvatarModel(nodes, (mesh,), (skin,), materials, (MeshInstance(0, 0, 0),))


def _tube(first: int, last: int, rings: int, segments: int, material: int) -> Primitive:
    """Rings ``first`` … ``last`` of the tube, skinned to the two nearest chain joints."""
    ring = np.arange(first, last + 1)
    theta = np.linspace(0, 2 * np.pi, segments + 1)
    t, a = np.meshgrid(ring / rings, theta, indexing="ij")  # height fraction, angle
    radius = RADIUS_M * (1 + 0.25 * np.sin(7 * t))
    normals = np.stack([np.cos(a), np.zeros_like(a), np.sin(a)], -1).reshape(-1, 3)
    positions = np.stack([radius * np.cos(a), t * HEIGHT_M, radius * np.sin(a)], -1)
    positions = positions.reshape(-1, 3)
    joint = t.ravel() * (JOINTS - 1)
    low = np.minimum(np.floor(joint), JOINTS - 2).astype(np.uint16)
    joints = np.zeros((len(joint), 4), np.uint16)
    joints[:, 0], joints[:, 1] = low, low + 1
    weights = np.zeros((len(joint), 4), np.float32)
    weights[:, 1] = joint - low
    weights[:, 0] = 1 - weights[:, 1]
    uvs = np.stack([a / (2 * np.pi), t * 4], -1).reshape(-1, 2).astype(np.float32)
    targets = tuple(
        MorphTarget((0.02 * np.sin((k + 2) * a + 9 * t).reshape(-1, 1) * normals), None)
        for k in range(TARGETS)
    )
    return Primitive(
        positions.astype(np.float32),
        normals.astype(np.float32),
        uvs,
        joints,
        weights,
        _grid_triangles(last - first + 1, segments + 1),
        material,
        tuple(MorphTarget(p.positions.astype(np.float32), None) for p in targets),
    )


def _grid_triangles(rows: int, columns: int) -> np.ndarray:
    index = np.arange(rows * columns).reshape(rows, columns)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    # Counter-clockwise seen from outside the tube.
    return np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]).astype(np.uint32)


def _checker() -> np.ndarray:
    y, x = np.mgrid[0:512, 0:512]
    on = ((x // 32 + y // 32) % 2).astype(bool)
    texture = np.full((512, 512, 4), 255, np.uint8)
    texture[on, :3] = (240, 200, 150)
    texture[~on, :3] = (90, 60, 50)
    texture[(x // 64 + y // 64) % 3 == 0, 3] = 0  # holes for the MASK material
    return texture


# --- one run --------------------------------------------------------------------------------


class Animation:
    """A pose and morph weights per frame index: the chain sways, 4 targets pulse."""

    def __init__(self, model: AvatarModel) -> None:
        self.model = model
        self.order = node_order(model)
        self.pose_seconds: list[float] = []

    def world(self, frame: int) -> np.ndarray:
        """World matrices of frame ``frame`` (timed into ``pose_seconds``)."""
        started = time.perf_counter()
        rotations = {
            j: quat_from_axis_angle([1.0, 0.0, 1.0], 0.03 * np.sin(frame * 0.2 + j * 0.3))
            for j in range(1, JOINTS)
        }
        world = world_matrices(self.model, rotations, self.order)
        self.pose_seconds.append(time.perf_counter() - started)
        return world

    @staticmethod
    def morphs(frame: int) -> dict[int, np.ndarray]:
        """Morph weights of frame ``frame``: 4 of the 8 targets, never quite zero."""
        weights = np.zeros(TARGETS)
        weights[:ACTIVE] = 0.5 + 0.5 * np.sin(frame * 0.3 + np.arange(ACTIVE))
        return {0: weights + 1e-3}  # never exactly zero: always 4 active


@dataclass(frozen=True)
class Variant:
    """One row of a comparison: how to set the renderer up for it, and how to read a frame."""

    label: str
    setup: Callable[[], object]
    read: Callable[[], object]


def compare(
    renderer: AvatarRenderer, animation: Animation, variants: list[Variant], frames: int
) -> dict[str, dict[str, float]]:
    """p50/p95 of render + read per frame, and the p50 of each part, in ms, per variant.

    Variants take turns of ``BLOCK`` frames (each turn after ``WARMUP`` untimed ones), so a
    burst of load from elsewhere on this shared machine hits them all alike.
    """
    samples: dict[str, list[tuple[float, float, float]]] = {v.label: [] for v in variants}
    frame, block = 0, min(BLOCK, frames)
    for _ in range(-(-frames // block)):
        for variant in variants:
            variant.setup()
            width, height = renderer.size
            model = animation.model
            camera = frame_avatar(model, world_matrices(model), "upper_body", width / height)
            for turn in range(WARMUP + block):
                world, morphs = animation.world(frame), animation.morphs(frame)
                frame += 1
                started = time.perf_counter()
                renderer.render(world, morphs, camera)
                variant.read()
                if turn >= WARMUP:
                    stats = renderer.stats
                    total = time.perf_counter() - started
                    samples[variant.label].append(
                        (total, stats.render_ms / 1000, stats.readback_ms / 1000)
                    )
    results = {}
    for label, rows in samples.items():
        totals, renders, reads = zip(*rows[:frames], strict=True)
        p50, p95 = percentiles(list(totals))
        results[label] = {
            "p50": p50,
            "p95": p95,
            "render": percentiles(list(renders))[0],
            "read": percentiles(list(reads))[0],
        }
    return results


def _noise_picture(width: int, height: int) -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)


# --- the report -----------------------------------------------------------------------------

SOLID = SolidColour((40, 40, 48))


def _rgb_then_swscale(renderer: AvatarRenderer) -> Callable[[], object]:
    """The CPU alternative to ``read_yuv420p``: RGB readback, then swscale's conversion."""

    def read() -> object:
        rgb = renderer.read_rgb()
        return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")

    return read


def readback_rows(renderer: AvatarRenderer, models: dict[str, Animation], frames: int) -> list[str]:
    """Render + readback for each output size, model and readback path."""
    rows = []
    for output, size in OUTPUTS.items():
        renderer.resize(*size, samples=0)
        renderer.set_background(SOLID)
        for name, animation in models.items():
            renderer.load(animation.model)
            variants = [
                Variant("RGB", lambda: None, renderer.read_rgb),
                Variant("yuv420p (GPU)", lambda: None, renderer.read_yuv420p),
                Variant("RGB + swscale", lambda: None, _rgb_then_swscale(renderer)),
            ]
            for label, r in compare(renderer, animation, variants, frames).items():
                rows.append(
                    f"| {output} | {name} | {label} | {r['render']:.1f} | {r['read']:.1f} "
                    f"| {r['p50']:.1f} | {r['p95']:.1f} |"
                )
                print(rows[-1], file=sys.stderr)
    return rows


def background_rows(renderer: AvatarRenderer, animation: Animation, frames: int) -> list[str]:
    """The background's cost: a clear, a blit or a full-screen quad."""
    rows = []
    renderer.load(animation.model)
    for output, size in OUTPUTS.items():
        renderer.resize(*size, samples=0)
        picture = ImageBackground(_noise_picture(*size))

        def use(background: SolidColour | ImageBackground, copy: BackgroundCopy = "blit") -> None:
            if renderer.background is not background:
                renderer.set_background(background)  # uploads: outside the timed frames
            renderer.background_copy = copy

        variants = [
            Variant("clear", lambda: use(SOLID), renderer.read_yuv420p),
            Variant("blit", lambda p=picture: use(p, "blit"), renderer.read_yuv420p),
            Variant("quad", lambda p=picture: use(p, "quad"), renderer.read_yuv420p),
        ]
        for label, r in compare(renderer, animation, variants, frames).items():
            rows.append(
                f"| {output} | {label} | {r['render']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} |"
            )
            print(rows[-1], file=sys.stderr)
    renderer.background_copy = "blit"
    renderer.set_background(SOLID)
    return rows


def msaa_rows(renderer: AvatarRenderer, models: dict[str, Animation], frames: int) -> list[str]:
    """No MSAA against 4× MSAA at 720p."""
    rows = []
    for name, animation in models.items():
        renderer.load(animation.model)
        variants = [
            Variant(
                str(n),
                lambda n=n: renderer.resize(*OUTPUTS["720p"], samples=n),
                renderer.read_yuv420p,
            )
            for n in (0, 4)
        ]
        for label, r in compare(renderer, animation, variants, frames).items():
            rows.append(
                f"| 720p | {name} | {label} | {r['render']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} |"
            )
            print(rows[-1], file=sys.stderr)
    renderer.resize(*OUTPUTS["720p"], samples=0)
    return rows


def _stream_worker(frames: int, ready: object, go: object, results: object) -> None:
    """One stream's renderer in its own process: 720p, 20k triangles, yuv420p readback."""
    renderer = AvatarRenderer(*OUTPUTS["720p"], samples=0)
    animation = Animation(synthetic_avatar(TRIANGLES["20k"]))
    renderer.load(animation.model)
    renderer.set_background(SOLID)
    model = animation.model
    camera = frame_avatar(model, world_matrices(model), "upper_body", 16 / 9)
    for frame in range(WARMUP):
        renderer.render(animation.world(frame), animation.morphs(frame), camera)
        renderer.read_yuv420p()
    ready.release()  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    started = time.perf_counter()
    times = []
    for frame in range(frames):
        begun = time.perf_counter()
        renderer.render(animation.world(frame), animation.morphs(frame), camera)
        renderer.read_yuv420p()
        times.append(time.perf_counter() - begun)
    results.put((time.perf_counter() - started, times))  # type: ignore[attr-defined]
    renderer.close()


def parallel_rows(counts: list[int], frames: int) -> list[str]:
    """Streams rendering at once, each in its own process and GL context, as fast as they can.

    Each process poses, renders and reads back (yuv420p) its own avatar; the row reports the
    frames per second all of them sustained together and the per-frame times of all frames.
    """
    spawn = multiprocessing.get_context("spawn")
    rows = []
    for count in counts:
        ready, go, results = spawn.Semaphore(0), spawn.Event(), spawn.Queue()
        workers = [
            spawn.Process(target=_stream_worker, args=(frames, ready, go, results))
            for _ in range(count)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.acquire()  # every context made and warm before the clock starts
        go.set()
        finished = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = max(seconds for seconds, _ in finished)
        p50, p95 = percentiles([t for _, times in finished for t in times])
        fps = count * frames / elapsed
        rows.append(
            f"| {count} | {fps:.0f} | {fps / count:.0f} | {p50:.1f} | {p95:.1f} "
            f"| {int(fps // 30) if p95 < 1000 / 30 else '—'} |"
        )
        print(rows[-1], file=sys.stderr)
    return rows


def header(renderer: AvatarRenderer, context_ms: float, load_ms: dict[str, float],
           models: dict[str, Animation], frames: int) -> list[str]:  # fmt: skip
    """Where, what and how the numbers were taken."""
    loads = ", ".join(
        f"{name} ({models[name].model.triangle_count} triangles) {ms:.0f} ms"
        for name, ms in load_ms.items()
    )
    return [
        "## Avatar renderer (moderngl on EGL)",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; GL: {renderer.info}.",
        f"Model: a synthetic skinned tube ({JOINTS} joints, 2 influences per vertex, 4"
        f" primitives: lit, toon, textured toon, MASK), {TARGETS} morph targets per primitive"
        f" with {ACTIVE} active, posed and morphed anew every frame, upper-body framing."
        f" {frames} frames timed per row; the rows of a table take turns of {BLOCK} frames"
        f" (after {WARMUP} untimed), so load from elsewhere hits them alike."
        " *render*: `render()` until the GL has finished (background, avatar, no overlay);"
        " *read*: `read_rgb` (RGB readback), `read_yuv420p` (GPU conversion pass + 1.5"
        " bytes/pixel readback) or `read_rgb` then PyAV/swscale to yuv420p (*read* is then"
        " the RGB readback alone; the total includes swscale). Times in ms.",
        "",
        f"Context creation: {context_ms:.0f} ms. `load` (upload + one warm-up frame at 720p):"
        f" {loads}.",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print (or write) a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=60, help="frames timed per row")
    parser.add_argument("--write", type=Path, help="write the report to this Markdown file")
    parser.add_argument(
        "--section", default="render", help="the RESULTS.md section to write (e.g. render-gpu)"
    )
    parser.add_argument(
        "--streams",
        default="1,2",
        help="comma-separated counts of streams rendering at once, one process each",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    renderer = AvatarRenderer(*OUTPUTS["720p"], samples=0)
    context_ms = (time.perf_counter() - started) * 1000
    models = {name: Animation(synthetic_avatar(count)) for name, count in TRIANGLES.items()}
    load_ms = {}
    for name, animation in models.items():
        started = time.perf_counter()
        renderer.load(animation.model)
        load_ms[name] = (time.perf_counter() - started) * 1000

    lines = header(renderer, context_ms, load_ms, models, args.frames)
    lines += [
        "",
        "### Render + readback per frame (solid background, no MSAA)",
        "",
        "| output | triangles | readback | render p50 | read p50 | total p50 | total p95 |",
        "|---|---|---|---|---|---|---|",
        *readback_rows(renderer, models, args.frames),
        "",
        "### Background copy (20k triangles, yuv420p readback)",
        "",
        "*clear*: a solid colour or chroma key; *blit*: a picture copied with"
        " `glBlitFramebuffer` (the default); *quad*: the picture drawn as a full-screen"
        " textured triangle (what MSAA targets use).",
        "",
        "| output | background | render p50 | total p50 | total p95 |",
        "|---|---|---|---|---|",
        *background_rows(renderer, models["20k"], args.frames),
        "",
        "### MSAA (solid background, yuv420p readback)",
        "",
        "| output | triangles | samples | render p50 | total p50 | total p95 |",
        "|---|---|---|---|---|---|",
        *msaa_rows(renderer, models, args.frames),
    ]
    pose_p50, _ = percentiles(models["20k"].pose_seconds)
    lines += [
        "",
        f"Posing (`world_matrices`, {JOINTS} nodes, CPU, not in the totals): p50"
        f" {pose_p50:.2f} ms.",
    ]
    renderer.close()
    counts = [int(n) for n in args.streams.split(",")]
    lines += [
        "",
        "### Streams rendering at once (720p, 20k triangles, yuv420p readback)",
        "",
        "One process and GL context per stream, all rendering as fast as they can (posing"
        " included). *streams at 30 fps*: how many 30 fps streams that rate feeds, when the"
        " p95 frame still fits in 33 ms.",
        "",
        "| streams | frames/s, all | frames/s, each | frame p50 | frame p95 | streams at 30 fps |",
        "|---|---|---|---|---|---|",
        *parallel_rows(counts, args.frames * 3),
    ]
    return publish("\n".join(lines) + "\n", args.write, args.section)


if __name__ == "__main__":
    sys.exit(main())
