"""``vida track``: run the trackers over a photo or a video and print what they found."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from config import ConfigError, Settings
from tracking.features import FeatureError, Features, TrackingQuality
from tracking.frame import TrackingFrame


def add_track_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``vida track`` and its flags (defaults: the VIDA_TRACKING_* settings)."""
    track = commands.add_parser(
        "track",
        help="track face, body and hands in a photo or video",
        description="Print what the trackers find in a photo or a video, one line per frame. "
        "Defaults come from VIDA_TRACKING_* (see the README).",
    )
    track.add_argument("--input", required=True, help="an image (PNG, JPEG…) or a video file")
    track.add_argument(
        "--features",
        help="comma-separated: face,eye,expression,body,hand,finger, or all, or none "
        "(default: VIDA_TRACKING_FEATURES, all)",
    )
    track.add_argument("--json", action="store_true", help="one JSON TrackingFrame per line")
    track.add_argument(
        "--landmarks", action="store_true", help="with --json: include the 478 face landmarks"
    )
    track.add_argument("--max-frames", type=int, help="stop after this many video frames")
    for name in ("precision", "smoothness", "responsiveness"):
        track.add_argument(
            f"--{name}",
            type=float,
            help=f"tracking {name}, 0–1 (default: VIDA_TRACKING_{name.upper()}, 0.5)",
        )


def tracking_choice(
    args: argparse.Namespace, settings: Settings
) -> tuple[Features, TrackingQuality]:
    """Features and quality: flags first, then the settings (config + VIDA_TRACKING_*)."""
    features = args.features
    if features is None:
        features = ",".join(settings.tracking_features) or "none"
    triple = [
        getattr(args, name) if getattr(args, name) is not None else getattr(settings, setting)
        for name, setting in (
            ("precision", "tracking_precision"),
            ("smoothness", "tracking_smoothness"),
            ("responsiveness", "tracking_responsiveness"),
        )
    ]
    try:
        return Features.parse(features), TrackingQuality(*triple)
    except FeatureError as exc:
        raise ConfigError(str(exc)) from None


def check_track_args(args: argparse.Namespace) -> Path:
    """The input path, once the flags make sense together."""
    if args.landmarks and not args.json:
        raise ConfigError("--landmarks only applies to --json output")
    if args.max_frames is not None and args.max_frames < 1:
        raise ConfigError(f"--max-frames must be at least 1, got {args.max_frames}")
    path = Path(args.input)
    if path.is_dir():
        raise ConfigError(f"--input {path} is a folder: give a photo or a video file")
    if not path.is_file():
        raise ConfigError(f"--input {path}: no such file")
    return path


def run_track(args: argparse.Namespace, settings: Settings) -> int:
    """Track every frame of ``--input``; prints to stdout, progress to stderr."""
    features, quality = tracking_choice(args, settings)
    path = check_track_args(args)
    quiet = contextlib.nullcontext() if args.verbose else native_logs_silenced()
    try:
        with quiet:
            return _track_file(path, features, quality, args)
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error. Point stdout at /dev/null so
        # Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


@contextlib.contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Send what C++ libraries write to file descriptor 2 to /dev/null; Python's stderr stays.

    MediaPipe logs a dozen lines of model-loading chatter per run ("GPU support is not
    available", "Feedback manager requires…") that mean nothing to a user. ``-v`` shows them.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


def _track_file(
    path: Path, features: Features, quality: TrackingQuality, args: argparse.Namespace
) -> int:
    from tracking.tracker import Tracker

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
            line = json.dumps(frame.to_dict(args.landmarks)) if args.json else None
            print(line or _summary(frame, video=photo is None), flush=not args.json)
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
        reason = (exc.strerror or "unreadable").lower()
        raise ConfigError(f"--input {path} is neither an image nor a video ({reason})") from None
    with container:
        if not container.streams.video:
            raise ConfigError(f"--input {path} has no video stream")
        for index, frame in enumerate(container.decode(video=0)):
            if limit is not None and index >= limit:
                break
            yield frame.to_ndarray(format="rgb24"), float(frame.time or 0.0)


def _summary(frame: TrackingFrame, video: bool) -> str:
    """One human-readable line per frame."""
    parts = [f"{frame.timestamp_s:7.3f} s"] if video else []
    parts.append("found: " + (", ".join(frame.found()) or "nothing"))
    if frame.problem:
        parts.append(f"problem: {frame.problem}")
    if frame.face:
        pose = frame.face.head_pose
        parts.append(f"head yaw {pose.yaw:+.1f}° pitch {pose.pitch:+.1f}° roll {pose.roll:+.1f}°")
        top = sorted(frame.face.blendshapes.items(), key=lambda kv: -kv[1])[:3]
        if top:
            parts.append(", ".join(f"{name} {value:.2f}" for name, value in top))
    parts.append(f"took {frame.timings_ms.get('total', 0.0):.0f} ms")
    return "  ".join(parts)
