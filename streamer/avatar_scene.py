"""The avatar stage of one stream: tracking → pose → render over the background → yuv420p.

It runs on the pipeline's processing thread (one thread, so the GL context is only ever
used by one). Changes asked for from the event loop (another avatar, background, framing,
mirror) are queued and applied before the next frame, so a switch takes effect within one
frame of the new avatar being loaded; loading and checking the file happens off that thread.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av

from rigging.avatar import Avatar
from rigging.background import Background, SolidColour
from rigging.framing import Camera, Preset, frame_avatar
from rigging.renderer import AvatarRenderer
from rigging.retarget import Retargeter, RetargetSettings
from rigging.skeleton import node_order, world_matrices
from rigging.watermark import watermark
from streamer.stats import StageTimer
from tracking.frame import TrackingFrame

DEFAULT_BACKGROUND = SolidColour((38, 44, 58))


@dataclass(frozen=True)
class SceneSettings:
    """What the output shows: which avatar, over what, framed how."""

    avatar: Path
    avatar_name: str = ""  # as the user named it (default: the file's own name)
    fallback_avatar: Path | None = None  # shown when ``avatar`` cannot be
    background: Background = DEFAULT_BACKGROUND
    framing: Preset = "upper_body"
    mirror: bool = False
    watermark: bool = True
    retarget: RetargetSettings = dataclasses.field(default_factory=RetargetSettings)


class AvatarScene:
    """Renders one stream's avatar. ``frame`` runs on the processing thread only."""

    def __init__(self, width: int, height: int, settings: SceneSettings) -> None:
        self.width, self.height = width, height
        self.settings = settings
        self.avatar: Avatar | None = None
        self.stage_times = {name: StageTimer() for name in ("pose", "render", "readback")}
        self._renderer: AvatarRenderer | None = None
        self._retargeter: Retargeter | None = None
        self._camera: Camera | None = None
        self._order: list[int] = []
        self._pending_avatar: Avatar | None = None
        self._pending_settings: SceneSettings | None = settings
        self._lock = threading.Lock()

    # --- asked from the event loop ------------------------------------------------------------

    def show(self, avatar: Avatar) -> None:
        """Show ``avatar`` from the next frame on."""
        with self._lock:
            self._pending_avatar = avatar

    def change(self, **changes: object) -> None:
        """Change background, framing, mirror or watermark from the next frame on."""
        with self._lock:
            base = self._pending_settings or self.settings
            self.settings = dataclasses.replace(base, **changes)  # type: ignore[arg-type]
            self._pending_settings = self.settings

    # --- on the processing thread ---------------------------------------------------------------

    def resize(self, width: int, height: int) -> None:
        """Render at ``width``×``height`` from the next frame on."""
        self.width, self.height = width, height
        if self._renderer is not None:
            self._renderer.resize(width, height)
        with self._lock:  # the watermark and the framing are made for the size
            self._pending_settings = self._pending_settings or self.settings

    def frame(self, tracking: TrackingFrame | None, now_s: float) -> av.VideoFrame:
        """The output frame (yuv420p) for the newest ``tracking`` result."""
        renderer = self._apply_pending()
        started = time.perf_counter()
        if self._retargeter is None or self.avatar is None:
            raise RuntimeError("no avatar loaded yet")
        pose = self._retargeter.pose(tracking, now_s)
        world = world_matrices(self.avatar.model, pose.rotations, self._order)
        posed = time.perf_counter()
        renderer.render(world, pose.morph_weights, self._camera)
        rendered = time.perf_counter()
        planes = renderer.read_yuv420p()
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        done = time.perf_counter()
        for name, seconds in (
            ("pose", posed - started),
            ("render", rendered - posed),
            ("readback", done - rendered),
        ):
            self.stage_times[name].add(seconds)
        return frame

    def prepare(self) -> None:
        """Create the renderer and upload what is queued, before the first frame needs it."""
        self._apply_pending()

    def close(self) -> None:
        """Release the GL context (on the processing thread, or after it stopped)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def _apply_pending(self) -> AvatarRenderer:
        with self._lock:
            avatar, self._pending_avatar = self._pending_avatar, None
            settings, self._pending_settings = self._pending_settings, None
        if self._renderer is None:
            self._renderer = AvatarRenderer(self.width, self.height)
        renderer = self._renderer
        if avatar is not None:
            renderer.load(avatar.model)
            self.avatar = avatar
            self._order = node_order(avatar.model)
        if settings is not None:
            renderer.set_background(settings.background)
            renderer.set_overlay(watermark(self.width, self.height) if settings.watermark else None)
        if (avatar is not None or settings is not None) and self.avatar is not None:
            s = self.settings
            retarget = dataclasses.replace(s.retarget, mirror=s.mirror)
            self._retargeter = Retargeter(self.avatar, retarget)
            rest = world_matrices(self.avatar.model, order=self._order)
            aspect = self.width / self.height
            self._camera = frame_avatar(
                self.avatar.model, rest, s.framing, aspect, self.avatar.humanoid.bones
            )
        return renderer

    def stats(self) -> dict[str, dict[str, float]]:
        """p50/p95 per stage, in milliseconds."""
        return {f"avatar_{name}": t.percentiles().to_dict() for name, t in self.stage_times.items()}
