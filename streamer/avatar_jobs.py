"""Processing uploaded avatars: check within the plan, rig when needed, make a lighter copy
when over the renderer's triangle budget, picture and film its idle motion, mark ready.

One worker thread takes uploads one at a time (rigging and rendering are CPU-heavy; streams
come first), with its own GL context for thumbnails. Progress goes to the database as the
job runs, so the page sees it; a restart picks up uploads that were waiting or cut short.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from control import avatars
from control.db import Database
from rigging.autorig import needs_rig, rig_model
from rigging.avatar import Avatar, avatar_from_model
from rigging.decimate import decimate
from rigging.errors import AvatarError
from rigging.gltf_reader import load_avatar
from rigging.idle_clip import CLIP_FPS, CLIP_SECONDS, idle_frames
from rigging.limits import AvatarLimits
from rigging.model_writer import write_model_glb
from rigging.renderer import AvatarRenderer, RendererUnavailable
from rigging.retarget import idle_world
from rigging.thumbnail import render_thumbnail
from streamer.avatar_clip import write_mp4
from streamer.avatar_files import lighter_path, rigged_path

log = logging.getLogger(__name__)
# What llvmpipe draws at 720p30 beside tracking and encoding (benchmarks/RESULTS.md, "Avatar").
DEFAULT_TRIANGLE_BUDGET = 30_000


class AvatarJobs:
    """A queue of uploaded avatars and the thread that processes them.

    The thread runs only while there is work: it starts on ``submit`` and ends when the queue
    is empty, releasing its GL context, so an idle studio holds no worker. ``idle`` is set
    whenever nothing is queued or running.
    """

    def __init__(
        self,
        db: Database,
        folder: Path,
        clock: Callable[[], datetime],
        triangle_budget: int = DEFAULT_TRIANGLE_BUDGET,
        notify: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        """``notify(user_id, event)`` hears every change of an upload's status and progress
        (``EventHub.publish``: the user's pages show it as it happens)."""
        self._db = db
        self._notify = notify
        self._folder = folder
        self._clock = clock
        self._budget = triangle_budget
        self._queue: deque[int] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._renderer: AvatarRenderer | None = None
        self._closed = False
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, avatar_id: int) -> None:
        """Queue an uploaded avatar (returns at once)."""
        with self._lock:
            if self._closed:
                return  # shutting down: it stays pending for the next start
            self._queue.append(avatar_id)
            self.idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="vida-avatar-jobs", daemon=True
                )
                self._thread.start()

    def resume(self) -> None:
        """Queue every avatar left waiting by an earlier run."""
        for avatar_id in avatars.waiting_jobs(self._db):
            self.submit(avatar_id)

    def close(self) -> None:
        """Finish the current job, drop the rest (they stay pending for the next start)."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    # Release the GL context before a new thread may create its own.
                    if self._renderer is not None:
                        self._renderer.close()
                        self._renderer = None
                    self._thread = None
                    self.idle.set()
                    return
                avatar_id = self._queue.popleft()
            try:
                self.process(avatar_id)
            except Exception:
                log.exception("processing avatar %s failed", avatar_id)
                avatars.mark_failed(self._db, avatar_id, "VIDA could not process this file")

    def process(self, avatar_id: int) -> None:
        """Check, rig if needed and picture one avatar; its status says how it went."""
        job = avatars.job_for(self._db, avatar_id, self._clock())
        limits = AvatarLimits().merged(
            max_joints=job.max_bones,
            max_morph_targets=job.max_morph_targets,
            max_file_bytes=job.max_bytes,
        )

        def tell(status: str, percent: int, error: str | None = None) -> None:
            if self._notify is not None and job.user_id is not None:
                event = {"type": "avatar", "id": avatar_id, "status": status}
                self._notify(job.user_id, event | {"progress": percent, "error": error})

        def progress(fraction: float, _stage: str = "") -> None:
            percent = max(0, min(99, round(fraction * 100)))
            avatars.mark_progress(self._db, avatar_id, percent)
            tell("processing", percent)

        progress(0.05)
        try:
            model = load_avatar(job.path, limits)  # read once: checked, rigged, pictured
            progress(0.2, "checked")
            rigged = needs_rig(model)
            if rigged:  # a skeleton for an unrigged mesh; the upload itself is kept as sent
                data, _ = rig_model(model, lambda f, stage: progress(0.2 + 0.65 * f, stage))
                rigged_path(job.path).write_bytes(data)
                model = load_avatar(data, limits)
            avatar = avatar_from_model(model)
            progress(0.85)
            if avatar.model.triangle_count > self._budget:
                lighter = decimate(avatar.model, self._budget)
                lighter_path(job.path).write_bytes(write_model_glb(lighter, avatar.humanoid.bones))
            progress(0.9)
            thumbnail = self._folder / f"{avatar_id}.png"
            self._folder.mkdir(parents=True, exist_ok=True)
            thumbnail.write_bytes(
                render_thumbnail(
                    avatar.model,
                    self._renderer_here(),
                    256,
                    avatar.humanoid.bones,
                    idle_world(avatar),
                )
            )
            progress(0.95)
            self._film_idle(avatar, avatars.preview_file(thumbnail))
        except (AvatarError, RendererUnavailable) as error:
            reason = str(error)
            if isinstance(error, RendererUnavailable):
                reason = f"the studio cannot render: {error}"
            avatars.mark_failed(self._db, avatar_id, reason)
            tell("failed", 0, reason)
            return
        avatars.mark_ready(self._db, avatar_id, thumbnail)
        tell("ready", 100)
        log.info("avatar %s is ready (%s)", avatar_id, "rigged by VIDA" if rigged else "as is")

    def _film_idle(self, avatar: Avatar, clip: Path) -> None:
        """The idle-motion clip is a nicety: without it the card shows the thumbnail, so a
        failure is logged, never the avatar's failure."""
        try:
            frames = idle_frames(avatar, self._renderer_here(), 256, CLIP_SECONDS, CLIP_FPS)
            write_mp4(frames, CLIP_FPS, clip)
        except Exception:
            log.exception("the idle clip of %s could not be made", clip.stem)

    def _renderer_here(self) -> AvatarRenderer:
        if self._renderer is None:
            self._renderer = AvatarRenderer(256, 256)
        return self._renderer
