"""``vida track``: run the trackers over a photo or a video and print what they found."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from config import ConfigError
from tracking.features import FeatureError, Features, TrackingQuality
from tracking.frame import TrackingFrame


def add_track_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``vida track`` and its flags."""
    track = commands.add_parser("track", help="track face, body and hands in a photo or video")
    track.add_argument("--input", required=True, help="an image (PNG, JPEG…) or a video file")
    track.add_argument(
        "--features", default="all", help="comma-separated: face,eye,expression,body,hand,finger"
    )
    track.add_argument("--json", action="store_true", help="one JSON TrackingFrame per line")
    track.add_argument("--landmarks", action="store_true", help="include the 478 face landmarks")
    track.add_argument("--max-frames", type=int, help="stop after this many video frames")
    for name in ("precision", "smoothness", "responsiveness"):
        track.add_argument(f"--{name}", type=float, default=0.5, help=f"tracking {name}, 0–1")


def run_track(args: argparse.Namespace) -> int:
    """Track every frame of ``--input``; prints to stdout, progress to stderr."""
    from tracking.tracker import Tracker

    try:
        features = Features.parse(args.features)
        quality = TrackingQuality(args.precision, args.smoothness, args.responsiveness)
    except FeatureError as exc:
        raise ConfigError(str(exc)) from None
    path = Path(args.input)
    if not path.is_file():
        raise ConfigError(f"--input {path}: no such file")
    photo = _read_photo(path)
    tracker = Tracker(features, quality, every_step=True, still_images=photo is not None)
    if photo is not None:
        frames, total = iter([(photo, 0.0)]), 1
    else:
        frames, total = _video_frames(path, args.max_frames), _frame_count(path, args.max_frames)
    progress = total > 1 and sys.stderr.isatty()
    try:
        for index, (image, timestamp) in enumerate(frames, start=1):
            frame = tracker.step(image, timestamp)
            print(json.dumps(frame.to_dict(args.landmarks)) if args.json else _summary(frame))
            if progress:
                print(f"\rtracking frame {index}/{total or '?'}", end="", file=sys.stderr)
    finally:
        tracker.close()
        if progress:
            print(file=sys.stderr)
    return 0


def _frame_count(path: Path, limit: int | None) -> int:
    """Frames the video declares (0 when it does not say), capped at ``limit``."""
    import av

    try:
        with av.open(str(path)) as container:
            count = container.streams.video[0].frames if container.streams.video else 0
    except av.FFmpegError:
        count = 0  # _video_frames says what is wrong
    return min(count, limit) if limit is not None and count else count


def _read_photo(path: Path) -> np.ndarray | None:
    """The picture as RGB, or None when the file is not a still image OpenCV reads."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        return None
    if image.dtype != np.uint8:  # 16-bit PNGs: trackers want 8 bits
        image = (image / 257).astype(np.uint8)
    if image.ndim == 2:
        return image
    code = cv2.COLOR_BGRA2RGBA if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(image, code)


def _video_frames(path: Path, limit: int | None) -> Iterator[tuple[np.ndarray, float]]:
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise ConfigError(f"--input {path} is neither an image nor a video: {exc}") from None
    with container:
        if not container.streams.video:
            raise ConfigError(f"--input {path} has no video stream")
        for index, frame in enumerate(container.decode(video=0)):
            if limit is not None and index >= limit:
                break
            yield frame.to_ndarray(format="rgb24"), float(frame.time or 0.0)


def _summary(frame: TrackingFrame) -> str:
    """One human-readable line per frame."""
    parts = [f"{frame.timestamp_s:7.3f} s", "found: " + (", ".join(frame.found()) or "nothing")]
    if frame.problem:
        parts.append(f"problem: {frame.problem}")
    if frame.face:
        pose = frame.face.head_pose
        parts.append(f"head yaw {pose.yaw:+.1f}° pitch {pose.pitch:+.1f}° roll {pose.roll:+.1f}°")
        top = sorted(frame.face.blendshapes.items(), key=lambda kv: -kv[1])[:3]
        if top:
            parts.append(", ".join(f"{name} {value:.2f}" for name, value in top))
    parts.append(f"{frame.timings_ms.get('total', 0.0):.0f} ms")
    return "  ".join(parts)
