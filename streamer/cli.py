"""The ``vida`` command: ``vida serve`` runs the studio, ``vida stream`` streams a media file,
``vida track`` shows what the trackers see, ``vida avatar`` checks and renders avatars."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import socket
import sys
import time
from importlib.metadata import version

import uvicorn

from config import ConfigError, Settings, load_settings
from config.settings import parse_resolution
from control.db import DatabaseError
from control.destinations import SecretKeyError
from rtmp import DestinationFailed, InvalidDestination, parse_output
from streamer.avatar_commands import add_avatar_parser, run_avatar
from streamer.control_commands import add_control_parsers, run_control
from streamer.pipeline import CameraSilent, StreamPipeline
from streamer.session import pipeline_settings
from streamer.track_command import add_track_parser, run_track

log = logging.getLogger("vida")
SHUTDOWN_GRACE_S = 3
# What an open page asks for by itself: its stats once a second, and the event stream each time
# it (re)connects. Answered 200 they say nothing; logged, they bury every other request.
ROUTINE_REQUESTS = re.compile(r"/api/v1/(?:sessions/[^/]+/stats|events)")


def build_parser() -> argparse.ArgumentParser:
    """Arguments of every sub-command; defaults come from config/ and VIDA_* variables."""
    parser = argparse.ArgumentParser(prog="vida", description="VIDA avatar streaming studio")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"vida {version('vida')}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the studio (web page + API)")
    serve.add_argument("--host", help="address to listen on (VIDA_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (VIDA_PORT)")
    serve.add_argument("--data-dir", help="where recordings go (VIDA_DATA_DIR)")
    _add_output_args(serve)

    stream = commands.add_parser("stream", help="stream a media file without a browser")
    stream.add_argument("--input", required=True, help="video file (any format FFmpeg reads)")
    stream.add_argument(
        "--output", required=True, help="rtmp:// or rtmps:// URL, or a new .flv file to record to"
    )
    stream.add_argument("--stream-key", default="", help="stream key, if not in the URL")
    stream.add_argument("--duration", type=float, help="seconds to stream (default: the file)")
    stream.add_argument("--loop", action="store_true", help="loop the input until --duration")
    _add_output_args(stream)
    add_track_parser(commands)
    add_avatar_parser(commands)
    add_control_parsers(commands)
    return parser


def _add_output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fps", type=int, help="output frame rate (VIDA_FPS)")
    parser.add_argument("--resolution", help="output size, e.g. 1280x720 (VIDA_RESOLUTION)")
    parser.add_argument(
        "--scene", choices=("avatar", "cutout", "camera"), help="what the output shows (VIDA_SCENE)"
    )


def apply_args(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line flags win over the environment and the defaults."""
    changes: dict[str, object] = {}
    for name in ("host", "port", "fps", "scene"):
        if getattr(args, name, None) is not None:
            changes[name] = getattr(args, name)
    if getattr(args, "data_dir", None):
        from pathlib import Path

        changes["data_dir"] = Path(args.data_dir).expanduser()
    if args.resolution:
        changes["width"], changes["height"] = parse_resolution(args.resolution)
    if "fps" in changes and not 1 <= int(changes["fps"]) <= 60:  # type: ignore[call-overload]
        raise ConfigError(f"--fps must be between 1 and 60, got {changes['fps']}")
    return settings.replace(**changes)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vida`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("aioice", "aiortc", "libav", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "track":
            return run_track(args, load_settings())
        if args.command in ("db", "admin"):
            return run_control(args, load_settings())
        if args.command == "avatar":
            return run_avatar(args, load_settings())
        settings = apply_args(load_settings(), args)
        if args.command == "serve":
            return serve(settings)
        check_stream_args(args)
        if not args.verbose:  # the command reports failures itself, once, at the end
            logging.getLogger("rtmp").setLevel(logging.ERROR)
        return asyncio.run(stream_file(settings, args))
    except (
        ConfigError,
        InvalidDestination,
        DestinationFailed,
        CameraSilent,
        DatabaseError,
        SecretKeyError,
    ) as exc:
        print(f"vida: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def check_stream_args(args: argparse.Namespace) -> None:
    """Reject ``vida stream`` flags that cannot mean anything."""
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--duration must be more than 0 seconds, got {args.duration}")
    if args.loop and args.duration is None:
        raise ConfigError("--loop needs --duration (how long to keep looping)")


def serve(settings: Settings) -> int:
    """Run the studio until interrupted."""
    from streamer.app import create_app

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"data_dir {settings.data_dir}: {exc.strerror}") from None
    ensure_port_free(settings.host, settings.port)
    app = create_app(settings)  # database and keys first: a bad one fails before the banner
    scheme = "https" if settings.tls_cert else "http"
    print(f"VIDA studio on {scheme}://{settings.host}:{settings.port}/", file=sys.stderr)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        log_level="info",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,  # a last resort: see StudioServer
    )
    # After uvicorn.Config, which sets up uvicorn's loggers; the filter then stays on.
    logging.getLogger("uvicorn.access").addFilter(RoutineRequestFilter())
    StudioServer(config).run()
    return 0


class RoutineRequestFilter(logging.Filter):
    """Drops uvicorn access lines of the page's routine polls (``ROUTINE_REQUESTS``) that
    answered 200; a failed poll and every other request are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a routine request that succeeded."""
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with (client, method, path?query, version,
        # status); anything else is not an access line and passes.
        if not isinstance(record.args, tuple) or len(record.args) != 5:
            return True
        _, method, full_path, _, status = record.args
        path = str(full_path).partition("?")[0]
        routine = method == "GET" and ROUTINE_REQUESTS.fullmatch(path) is not None
        return not (routine and status == 200)


class StudioServer(uvicorn.Server):
    """uvicorn's server, ending the pages' event streams as soon as it is asked to stop:
    uvicorn waits for open responses before it shuts down, and those never end by themselves."""

    def handle_exit(self, sig: int, frame: object) -> None:
        """Close the event streams, then stop as uvicorn does."""
        self.config.app.state.events.close()
        super().handle_exit(sig, frame)  # type: ignore[arg-type]


def ensure_port_free(host: str, port: int) -> None:
    """Fail before announcing an address that something else already holds."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


async def stream_file(settings: Settings, args: argparse.Namespace) -> int:
    """Run the live pipeline from a media file to one output (``vida stream``)."""
    from aiortc.contrib.media import MediaPlayer

    destination = parse_output(args.output, args.stream_key)
    try:
        player = MediaPlayer(args.input, loop=args.loop)
    except Exception as exc:  # PyAV raises many kinds for unreadable input
        print(f"vida: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    if player.video is None:
        print(f"vida: {args.input} has no video stream", file=sys.stderr)
        return 2
    pipeline = StreamPipeline(pipeline_settings(settings))
    pipeline.attach_video(player.video)
    if player.audio is not None:
        pipeline.attach_audio(player.audio)
    pipeline.start()
    try:
        live = await pipeline.go_live([destination])
        print(f"live to {destination.display}", file=sys.stderr)
        while not pipeline.camera_ended and not live.all_failed():
            elapsed = time.monotonic() - live.started_at  # the stream's clock, not ours
            if args.duration is not None and elapsed >= args.duration:
                break
            _print_progress(pipeline, elapsed, args.duration)
            await asyncio.sleep(min(1.0, _remaining(args.duration, elapsed)))
        failed = [d for d in live.destinations() if d.error]
        seconds = await pipeline.stop_live()
        print(f"\nstreamed {seconds:.1f} s to {destination.display}", file=sys.stderr)
        for status in failed:
            print(f"vida: {status.name}: {status.error}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        await pipeline.close()
        for track in (player.video, player.audio):
            if track is not None:
                track.stop()


def _remaining(duration: float | None, elapsed: float) -> float:
    return 1.0 if duration is None else max(0.0, duration - elapsed)


def _print_progress(pipeline: StreamPipeline, elapsed: float, duration: float | None) -> None:
    stats = pipeline.stats()
    total = f" / {duration:.0f} s" if duration is not None else ""
    line = (
        f"\r{elapsed:5.1f} s{total}  {stats.get('output_fps', 0):4.1f} fps  "
        f"{stats.get('bitrate_kbps', 0):5d} kb/s  dropped {stats.get('frames_dropped', 0)}  "
        f"latency p50 {stats.get('latency_ms', {}).get('p50', 0):.0f} ms"
    )
    if sys.stderr.isatty():
        print(line, end="", file=sys.stderr, flush=True)
    elif int(elapsed) % 5 == 0:  # a log, not a display: a line every five seconds
        print(line.lstrip("\r"), file=sys.stderr, flush=True)
