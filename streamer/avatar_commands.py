"""``vida avatar``: inspect, rig, thumbnail and render avatar files from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from config import ConfigError, Settings
from config.settings import parse_resolution


def add_avatar_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``vida avatar inspect|rig|thumbnail|render``."""
    avatar = commands.add_parser("avatar", help="check, rig, picture and render avatar files")
    sub = avatar.add_subparsers(dest="avatar_command", required=True)
    inspect = sub.add_parser(
        "inspect", help="JSON: valid or the errors, bones found, morph targets, mapping, counts"
    )
    inspect.add_argument("file", type=Path)
    rig = sub.add_parser("rig", help="fit a humanoid skeleton to an unrigged mesh, save a GLB")
    rig.add_argument("input", type=Path)
    rig.add_argument("output", type=Path)
    thumbnail = sub.add_parser("thumbnail", help="a 256×256 PNG of the avatar")
    thumbnail.add_argument("file", type=Path)
    thumbnail.add_argument("output", type=Path)
    thumbnail.add_argument("--size", type=int, default=256, help="side in pixels (default 256)")
    render = sub.add_parser(
        "render", help="render the avatar moved by tracking frames (vida track --json) to MP4"
    )
    render.add_argument("file", type=Path)
    render.add_argument("output", type=Path, help="an .mp4 file to write")
    render.add_argument(
        "--tracking", type=Path, required=True, help="JSON lines from `vida track --json`"
    )
    render.add_argument("--resolution", default="1280x720", help="e.g. 1280x720 or 1080p")
    render.add_argument("--fps", type=int, default=30)
    render.add_argument("--framing", choices=("head", "upper_body", "full_body"))
    render.add_argument("--background", help="#rrggbb, chroma or a picture (VIDA_BACKGROUND)")
    render.add_argument("--mirror", action="store_true", help="move like a mirror image")
    render.add_argument(
        "--calibrate",
        action="store_true",
        help="take the first frame's head pose as straight ahead (as Calibrate does live)",
    )


def run_avatar(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``vida avatar`` command; 0 on success, 1 when the avatar is unusable."""
    from rigging.background import BackgroundError
    from rigging.errors import AvatarError

    try:
        if args.avatar_command == "inspect":
            return _inspect(args.file)
        if args.avatar_command == "thumbnail":
            return _thumbnail(args.file, args.output, args.size)
        if args.avatar_command == "render":
            return _render(args, settings)
        return _rig(args.input, args.output)
    except AvatarError as error:
        print(f"vida: {_name(args)}: {error}", file=sys.stderr)
        return 1
    except BackgroundError as error:
        raise ConfigError(f"--background: {error}") from None
    except FileNotFoundError as error:
        raise ConfigError(f"no such file: {error.filename}") from None


def _inspect(path: Path) -> int:
    from rigging.report import inspect_avatar

    if not path.exists():
        raise ConfigError(f"no such file: {path}")
    if not path.is_file():
        raise ConfigError(f"{path} is not a file")
    report = inspect_avatar(path)
    print(json.dumps(report, indent=2))
    return 0 if report["usable"] else 1


def _thumbnail(path: Path, output: Path, size: int) -> int:
    from rigging.avatar import open_avatar
    from rigging.renderer import AvatarRenderer
    from rigging.retarget import idle_world
    from rigging.thumbnail import render_thumbnail

    if not 16 <= size <= 2048:
        raise ConfigError(f"--size must be between 16 and 2048, got {size}")
    avatar = open_avatar(path)
    with AvatarRenderer(size, size) as renderer:
        picture = render_thumbnail(
            avatar.model, renderer, size, avatar.humanoid.bones, idle_world(avatar)
        )
        output.write_bytes(picture)
    print(f"wrote {output} ({size}×{size})", file=sys.stderr)
    return 0


def _rig(source: Path, output: Path) -> int:
    from rigging.autorig import rig_file

    def progress(fraction: float, stage: str) -> None:
        _progress(f"rigging: {stage}", fraction)

    report = rig_file(source, output, progress)
    print(file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


def _render(args: argparse.Namespace, settings: Settings) -> int:
    import av

    from rigging.avatar import open_avatar
    from streamer.avatar_scene import SceneSettings
    from streamer.offline_scene import render_frames
    from streamer.session import parse_background

    width, height = parse_resolution(args.resolution)
    if not 1 <= args.fps <= 60:
        raise ConfigError(f"--fps must be between 1 and 60, got {args.fps}")
    if args.output.suffix.lower() != ".mp4":
        raise ConfigError(f"the output is written as MP4: name it NAME.mp4, not {args.output}")
    frames = list(_tracking_lines(args.tracking))
    if args.calibrate:
        frames = straight_ahead(frames)
    avatar = open_avatar(args.file)
    scene = SceneSettings(
        avatar=args.file,
        background=parse_background(args.background or settings.background),
        framing=args.framing or settings.framing,
        mirror=args.mirror,
        watermark=False,
    )
    with av.open(str(args.output), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=args.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(
            render_frames(avatar, scene, frames, width, height, args.fps)
        ):
            frame.pts = index
            container.mux(stream.encode(frame))
            _progress("rendering", (index + 1) / max(1, _frame_total(frames, args.fps)))
        container.mux(stream.encode(None))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


def straight_ahead(frames: list[dict]) -> list[dict]:
    """Head poses relative to the first tracked face's: what Calibrate does in the studio."""
    import copy

    from tracking.frame import HeadPose
    from tracking.head_pose import relative_pose, rotation_from_angles

    first = next((f["face"]["head_pose"] for f in frames if f.get("face")), None)
    if first is None:
        return frames
    neutral = rotation_from_angles(first["yaw"], first["pitch"], first["roll"])
    out = copy.deepcopy(frames)
    for frame in out:
        if frame.get("face"):
            pose = frame["face"]["head_pose"]
            angles = (pose["yaw"], pose["pitch"], pose["roll"])
            seen = HeadPose(*angles, (0.0, 0.0, 0.0), rotation_from_angles(*angles))
            relative = relative_pose(seen, neutral)
            pose |= {"yaw": relative.yaw, "pitch": relative.pitch, "roll": relative.roll}
    return out


def _tracking_lines(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{path}:{number}: not a JSON line ({error.msg})") from None
            if not isinstance(data, dict) or "timestamp_s" not in data:
                raise ConfigError(f"{path}:{number}: not a `vida track --json` frame")
            yield data


def _frame_total(frames: list[dict], fps: int) -> int:
    if not frames:
        return 0
    return round(float(frames[-1]["timestamp_s"]) * fps) + 1


_last_step: dict[str, int] = {}


def _progress(label: str, fraction: float) -> None:
    """A bar on a terminal; in a log, one line per quarter."""
    fraction = min(1.0, max(0.0, fraction))
    if sys.stderr.isatty():
        bar = "#" * int(fraction * 30)
        print(f"\r{label:<32} [{bar:<30}] {fraction:4.0%}", end="", file=sys.stderr, flush=True)
        return
    step = int(fraction * 4)
    if _last_step.get(label) != step:
        _last_step[label] = step
        print(f"{label}: {fraction:.0%}", file=sys.stderr, flush=True)


def _name(args: argparse.Namespace) -> str:
    return str(getattr(args, "file", None) or getattr(args, "input", ""))
