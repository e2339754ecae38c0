"""One stream's media path: camera → processing → output clock → encoder and preview.

The output runs on its own clock at the session's frame rate. Processing runs as fast as
the camera and CPU allow beside it (latest frame wins, nothing queues); CPU work happens on
worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rigging.avatar import open_avatar
from rigging.background import Background
from rigging.errors import AvatarError
from rigging.retarget import RetargetSettings
from rtmp import Destination, EncoderSettings, continuation
from rtmp.fanout import RETRY_DELAYS_S
from streamer.audio import TickAudio
from streamer.avatar_files import playable
from streamer.avatar_scene import AvatarScene, SceneSettings
from streamer.cutout_scene import CutoutScene
from streamer.live import LiveOutput
from streamer.preview import PreviewTrack
from streamer.processing import FrameProcessor
from streamer.stats import RateMeter, StageTimer
from streamer.tracking_worker import TrackingSettings, TrackingWorker
from tracking.tracker import Calibration, CalibrationError

log = logging.getLogger(__name__)


class CameraSilent(RuntimeError):
    """The camera track delivered no frame in time."""


class AlreadyLive(RuntimeError):
    """Go live was asked of a stream that is already live."""


class PipelineClosed(RuntimeError):
    """The stream was closed (its page went away) while something was still asked of it."""


@dataclass(frozen=True)
class PipelineSettings:
    """The output this pipeline produces."""

    width: int
    height: int
    fps: int
    preview_width: int = 640
    x264_preset: str = "superfast"
    camera_timeout_s: float = 5.0
    connect_timeout_s: float = 8.0
    # How much later audio arrives than video captured at the same instant (see TickAudio).
    audio_lag_s: float = 0.0
    rtmp_retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S
    tracking: TrackingSettings | None = None  # None: no tracking at all
    scene: SceneSettings | None = None  # the avatar; None: the camera (see ``cutout``)
    cutout: Background | None = None  # with no avatar: the streamer cut out over this
    watermark: bool = True  # the plan's white label turns it off (the avatar's: ``scene``)

    @property
    def preview_size(self) -> tuple[int, int]:
        """Preview size: the output scaled to ``preview_width`` (never up), even sides."""
        width = min(self.width, self.preview_width)
        return width // 2 * 2, round(self.height * width / self.width) // 2 * 2


@dataclass(frozen=True)
class ProcessedFrame:
    """A camera frame turned into output: the encoder's and the preview's copy."""

    video: av.VideoFrame
    preview: av.VideoFrame
    arrived: float


class StreamPipeline:
    """Owns the tasks and threads of one stream; ``close`` releases all of them."""

    def __init__(self, settings: PipelineSettings) -> None:
        self.settings = settings
        self._preview_size = settings.preview_size  # kept when the output is resized
        self.preview = PreviewTrack(*self._preview_size)
        self.process_time = StageTimer()
        self.frames_in = RateMeter()
        self.frames_repeated = 0
        self.camera_ended = False
        self.failure: str | None = None  # a task of this pipeline died: the stream is broken
        self.show_tracking = False  # draw the landmarks over the preview
        self.tracking: TrackingWorker | None = None
        self.scene: AvatarScene | None = None
        self.cutout: CutoutScene | None = None
        self.scene_problem: str | None = None  # the chosen avatar could not be shown
        self._scene_ready = False
        self._processor = FrameProcessor(settings.width, settings.height, self._preview_size)
        self._streamed_s = 0.0  # by live outputs this one replaced (see ``resize``)
        self._audio = TickAudio(settings.fps, settings.audio_lag_s)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vida-process")
        self._newest_camera: tuple[av.VideoFrame, float] | None = None
        self._camera_event = asyncio.Event()
        self._first_output = asyncio.Event()
        self._output: ProcessedFrame | None = None
        self._last_arrival: float | None = None
        self._started_at = time.monotonic()
        self._tasks: list[asyncio.Task[Any]] = []
        self._live: LiveOutput | None = None
        self._closed = False

    # --- inputs ---------------------------------------------------------------------------

    def attach_video(self, track: MediaStreamTrack) -> None:
        """Start reading camera frames from ``track``."""
        self._spawn(self._read_video(track), "camera")

    def attach_audio(self, track: MediaStreamTrack) -> None:
        """Start reading microphone audio from ``track``."""
        self._spawn(self._read_audio(track), "microphone")

    def start(self) -> None:
        """Start tracking, processing and the output clock."""
        self._started_at = time.monotonic()
        if self.settings.tracking is not None:
            self.tracking = TrackingWorker(self.settings.tracking)
        s = self.settings
        if s.scene is not None:
            self.scene = AvatarScene(s.width, s.height, s.scene)
            self._spawn(self._prepare_scene(s.scene), "avatar")
        elif s.cutout is not None:
            self.cutout = CutoutScene(s.width, s.height, s.cutout, s.watermark)
        self._spawn(self._process_loop(), "process")
        self._spawn(self._clock_loop(), "clock")

    # --- live output ----------------------------------------------------------------------

    @property
    def live(self) -> LiveOutput | None:
        """The running live output, if any."""
        return self._live

    async def go_live(self, destinations: list[Destination]) -> LiveOutput:
        """Start encoding to ``destinations``; returns once they all accepted the stream."""
        if self._closed:
            raise PipelineClosed("this session has ended")
        if self._live is not None:
            raise AlreadyLive("this session is already live; stop it first")
        s = self.settings
        try:
            await asyncio.wait_for(self._first_output.wait(), s.camera_timeout_s)
        except TimeoutError:
            raise CameraSilent(
                f"the camera has sent no video for {s.camera_timeout_s:.0f} s: check that the "
                "browser may use the camera and that no other app holds it"
            ) from None
        encoder = EncoderSettings.for_output(s.width, s.height, s.fps, x264_preset=s.x264_preset)
        caps = [d.bitrate_kbps * 1000 for d in destinations if d.bitrate_kbps]
        if caps:  # encoded once for all: the most that the strictest destination takes
            encoder = dataclasses.replace(encoder, video_bitrate=min(caps))
        live = LiveOutput(encoder, destinations, s.connect_timeout_s, s.rtmp_retry_delays_s)
        self._live = live  # the clock feeds it from now on, so the relay gets bytes to open with
        try:
            await live.start()
        except BaseException:
            self._live = None
            raise
        if self._closed:  # the session closed while the destination was connecting
            self._live = None
            await live.stop()
            raise PipelineClosed("this session ended while the destination was connecting")
        return live

    async def stop_live(self) -> float:
        """Stop the live output cleanly (trailers written); seconds streamed, 0 if not live."""
        live, self._live = self._live, None
        earlier, self._streamed_s = self._streamed_s, 0.0
        return earlier + await live.stop() if live is not None else earlier

    async def resize(self, width: int, height: int) -> None:
        """Produce ``width``×``height`` from the next frame on (the preview keeps its size).

        An encoder cannot change size, so a live output is stopped (trailers written) and
        started again at the new size: RTMP servers are published to anew, and a recording
        goes on in ``NAME-partN.flv``. Raises what ``go_live`` raises when that restart fails;
        the pipeline is then not live (``stop_live`` still reports every second streamed).
        """
        live, self._live = self._live, None
        if live is not None:
            self._streamed_s += await live.stop()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._resize_stages, width, height)
        self._output = None  # a frame of the old size must not reach the new encoder
        self._first_output.clear()  # going live waits for a frame of the new size
        if live is None:
            return
        restarted = await self.go_live([continuation(d) for d in live.targets])
        restarted.frames_out.total += live.frames_out.total  # the cost record counts them all
        restarted.frames_dropped += live.frames_dropped

    def _resize_stages(self, width: int, height: int) -> None:
        """On the processing thread, between two frames."""
        self.settings = dataclasses.replace(self.settings, width=width, height=height)
        self._processor = FrameProcessor(width, height, self._preview_size)
        for scene in (self.scene, self.cutout):
            if scene is not None:
                scene.resize(width, height)

    async def close(self) -> None:
        """Stop everything this pipeline started: tasks, threads, encoder, destinations."""
        if self._closed:
            return
        self._closed = True
        await self.stop_live()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for scene in (self.scene, self.cutout):
            if scene is not None:  # its GL context or graph belongs to the processing thread
                await asyncio.get_running_loop().run_in_executor(self._pool, scene.close)
        await asyncio.to_thread(self._pool.shutdown, wait=True)  # one frame at most, off the loop
        if self.tracking is not None:
            await asyncio.to_thread(self.tracking.close)
        self.preview.stop()

    # --- tracking -------------------------------------------------------------------------

    def calibrate(self) -> Calibration:
        """Take the streamer's face in view now as neutral (``CalibrationError`` if none)."""
        if self.tracking is None:
            raise CalibrationError("tracking is off for this stream")
        return self.tracking.calibrate()

    # --- avatar ---------------------------------------------------------------------------

    async def switch_avatar(self, path: Path, name: str = "") -> str:
        """Show the avatar in ``path`` (called ``name``) from the next frame on; its name.
        ``AvatarError`` if the file cannot be used (the current avatar stays)."""
        if self.scene is None:
            raise AvatarError("this stream shows the camera, not an avatar")
        avatar = await asyncio.to_thread(open_avatar, playable(path))
        if name:
            avatar = dataclasses.replace(avatar, name=name)
        self.scene.show(avatar)
        self.scene_problem = None
        return avatar.name

    def follow_plan(self, watermark: bool, retarget: RetargetSettings) -> None:
        """A plan change while live: the watermark and what the avatar follows, next frame."""
        if self.cutout is not None:
            self.cutout.watermark = watermark
        if self.scene is not None:
            self.scene.change(watermark=watermark, retarget=retarget)

    def change_look(self, background: Background, framing: str, mirror: bool) -> None:
        """The user's look changed: what this stream can show of it, from the next frame
        (an avatar takes all three; the cutout the background; the camera nothing)."""
        if self.scene is not None:
            self.scene.change(background=background, framing=framing, mirror=mirror)
        elif self.cutout is not None:
            self.cutout.change_background(background)

    def change_scene(self, **changes: object) -> None:
        """Change the background, framing or mirror from the next frame on."""
        if self.cutout is not None and set(changes) == {"background"}:
            self.cutout.change_background(changes["background"])  # type: ignore[arg-type]
            return
        if self.scene is None:
            raise AvatarError("this stream shows the camera as it is: it has no avatar to frame")
        self.scene.change(**changes)

    async def _prepare_scene(self, scene: SceneSettings) -> None:
        """Load the first avatar and build the renderer before the first frame needs them."""
        assert self.scene is not None
        try:
            await self.switch_avatar(scene.avatar, scene.avatar_name)
        except (AvatarError, OSError) as error:
            if scene.fallback_avatar is None or scene.fallback_avatar == scene.avatar:
                raise
            log.warning("avatar %s: %s", scene.avatar, error)
            await self.switch_avatar(scene.fallback_avatar)
            self.scene_problem = f"your avatar could not be shown ({error}); showing the default"
        await asyncio.get_running_loop().run_in_executor(self._pool, self.scene.prepare)
        self._scene_ready = True
        self._camera_event.set()  # render now, even if the camera is quiet

    # --- state for the page ---------------------------------------------------------------

    def camera_silence_s(self) -> float:
        """Seconds since the last camera frame (since start when none came yet)."""
        return time.monotonic() - (self._last_arrival or self._started_at)

    def stats(self) -> dict[str, Any]:
        """Numbers for the page and the API."""
        live = self._live
        stats: dict[str, Any] = {
            "live": live is not None,
            "input_fps": round(self.frames_in.rate(), 1),
            "frames_repeated": self.frames_repeated,
            "stages_ms": {"process": self.process_time.percentiles().to_dict()},
            "warnings": [],
        }
        if self.cutout is not None:
            stats["stages_ms"] |= self.cutout.stats()
        if self.scene is not None:
            stats["stages_ms"] |= self.scene.stats()
            stats["avatar"] = self.scene.avatar.name if self.scene.avatar else None
            if self.scene_problem:
                stats["warnings"].append(self.scene_problem)
        if self.tracking is not None:
            stats["tracking"] = self.tracking.stats() | {"shown": self.show_tracking}
            if self.tracking.failure:
                stats["warnings"].append(self.tracking.failure)
        silence = self.camera_silence_s()
        if self.failure:
            stats["warnings"].append(f"internal error: {self.failure}")
        if self.camera_ended:
            stats["warnings"].append("the camera stopped sending video")
        elif silence > self.settings.camera_timeout_s:
            stats["warnings"].append(f"no video from the camera for {silence:.0f} s")
        if live is not None and live.encode_errors:
            stats["warnings"].append(f"encoding failed {live.encode_errors} times (see the log)")
        if live is not None:
            for destination in live.destinations():
                if destination.state == "reconnecting":
                    stats["warnings"].append(
                        f"{destination.name} dropped the stream ({destination.error}); reconnecting"
                    )
            encode, latency = live.encode_time.percentiles(), live.latency.percentiles()
            stats["stages_ms"]["encode"] = encode.to_dict()
            stats |= {
                "output_fps": round(live.frames_out.rate(), 1),
                "bitrate_kbps": round(live.bytes_out.rate() * 8 / 1000),
                "frames_dropped": live.frames_dropped,
                "latency_ms": latency.to_dict(),
                "live_seconds": round(time.monotonic() - live.started_at, 1),
                "destinations": [dataclasses.asdict(d) for d in live.destinations()],
            }
        return stats

    # --- tasks ----------------------------------------------------------------------------

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"vida-{name}")
        task.add_done_callback(self._task_ended)
        self._tasks.append(task)

    def _task_ended(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.failure = f"{task.get_name()} stopped: {task.exception()!r}"
            log.error("stream task %s failed", task.get_name(), exc_info=task.exception())

    async def _read_video(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                self._last_arrival = now
                self.frames_in.add(now=now)
                self._newest_camera = (frame, now)  # an unprocessed older frame is skipped
                if self.tracking is not None:
                    self.tracking.offer(frame, now)
                self._camera_event.set()
        except MediaStreamError:
            self.camera_ended = True

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                self._audio.push(await track.recv())

    async def _process_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._camera_event.wait()
            self._camera_event.clear()
            if self._newest_camera is None or (self.scene is not None and not self._scene_ready):
                continue  # an avatar stream never shows the camera, not even while loading
            frame, arrived = self._newest_camera
            self._newest_camera = None
            try:
                video, preview = await loop.run_in_executor(self._pool, self._process, frame)
            except (av.FFmpegError, ValueError):
                log.exception("processing a camera frame failed; skipping it")
                continue
            self._output = ProcessedFrame(video, preview, arrived)
            self.preview.show(preview)
            self._first_output.set()

    def _process(self, frame: av.VideoFrame) -> tuple[av.VideoFrame, av.VideoFrame]:
        started = time.perf_counter()
        tracking = self.tracking.latest if self.tracking else None
        overlay = tracking if self.show_tracking else None
        output = None
        if self.scene is not None:
            output = self.scene.frame(tracking, time.monotonic())
        elif self.cutout is not None:
            output = self.cutout.frame(frame)
        result = self._processor(frame, overlay, output)
        self.process_time.add(time.perf_counter() - started)
        return result

    async def _clock_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.settings.fps
        start = loop.time()
        tick = 0
        last_sent: ProcessedFrame | None = None
        while True:
            delay = start + tick * period - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            # A stalled loop skips ticks to stay on the wall clock; their audio still goes out.
            missed = max(0, int(-delay / period)) if delay < 0 else 0
            for skipped in range(tick, tick + missed):
                self._emit_audio_only(skipped)
            tick += missed
            output = self._output
            live = self._live
            audio = self._audio.pull(tick)
            if live is not None:
                if missed:
                    live.frames_dropped += missed
                repeated = output is last_sent
                self.frames_repeated += repeated
                if output is not None and output.video.width == live.settings.width:
                    arrived = None if repeated else output.arrived  # latency of new frames only
                    live.submit(tick, output.video, arrived, audio)
            last_sent = output
            tick += 1

    def _emit_audio_only(self, tick: int) -> None:
        audio = self._audio.pull(tick)
        if self._live is not None:
            self._live.submit(tick, None, None, audio)
