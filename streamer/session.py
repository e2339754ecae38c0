"""Studio sessions: one browser page = one peer connection = one pipeline."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from config import Settings
from control.accounts import Account
from control.avatars import ActiveFile
from control.clock import utcnow
from control.db import Database
from control.looks import DEFAULT_LOOK, Look
from control.operations import StreamCost, record_cost
from control.plans import Plan, plan
from control.streams import authorize_start, clamp_resolution, end_stream
from control.subscriptions import current_plan
from rigging.background import (
    Background,
    BackgroundError,
    ChromaKey,
    ImageBackground,
    SolidColour,
    load_background_image,
)
from rigging.retarget import RetargetSettings
from rtmp import Destination
from streamer.avatar_scene import SceneSettings
from streamer.events import EventHub
from streamer.ice import ice_configuration
from streamer.live import LiveOutput
from streamer.minute_meter import WARNINGS_S, MinuteMeter
from streamer.pipeline import AlreadyLive, CameraSilent, PipelineSettings, StreamPipeline
from streamer.sdp import InvalidOffer, add_start_bitrate, check_offer
from streamer.tracking_worker import TrackingSettings
from tracking.features import Features, TrackingQuality

log = logging.getLogger(__name__)
START_BITRATE_KBPS = 2500
# aiortc's audio jitter buffer holds audio back (it starts releasing at 4 packets of 20 ms):
# microphone audio reaches the pipeline ~50 ms after the camera frame of the same instant.
# Measured by tests/test_studio_api.py::test_audio_and_video_stay_in_sync.
WEBRTC_AUDIO_LAG_S = 0.05


class SessionNotFound(LookupError):
    """No session has that id (it ended, or never existed)."""


class StudioFull(RuntimeError):
    """Every session slot of this process is taken."""


class MediaNotConnected(RuntimeError):
    """The page's WebRTC connection never came up, so no camera video can arrive."""


NOT_CONNECTED_ADVICE = (
    "the browser's WebRTC connection to the studio is not up ({state}), so no camera video "
    "arrives. Across networks the studio needs a STUN/TURN server (VIDA_ICE_SERVERS) and UDP "
    "through the firewalls; on one machine, check VIDA_ICE_HOST_ADDRESSES"
)


WORKER = f"{socket.gethostname()}:{os.getpid()}"
END_MESSAGES = {  # why the control plane ended a live stream, as the page says it
    "minutes_exhausted": "your stream minutes for this week ran out. They reset on Monday "
    "00:00 UTC",
    "suspended": "this account was suspended, so the stream ended",
    "blocked": "this account was blocked, so the stream ended",
    "lease_expired": "the studio lost track of this stream for a minute, so it ended",
    "ended_by_admin": "an admin ended this stream",
}  # names this process in stream leases


# What a page may ask for: the output sizes it can choose from (within the plan and the
# studio's own VIDA_RESOLUTION, the most this machine was set up for).
OUTPUT_SIZES = {"360p": (640, 360), "480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}


@dataclass(frozen=True)
class StreamChoices:
    """What the user chose for a stream: their active avatar (None: the studio's default),
    their look, and an output size (None: the studio's)."""

    avatar: ActiveFile | None = None
    look: Look = DEFAULT_LOOK
    size: tuple[int, int] | None = None
    # The look's background, decoded off the event loop (``load_look_background``); None:
    # the studio's own.
    background: Background | None = None


def load_look_background(look: Look) -> Background | None:
    """The look's background decoded (slow for a picture: call it in a thread); None when
    there is none or it cannot be read (moved or damaged): the stream then shows the studio's
    own background rather than fail to start."""
    if look.background is None:
        return None
    try:
        return parse_background(look.background)
    except (BackgroundError, OSError) as error:
        log.warning("the chosen background cannot be shown (%s): using the studio's", error)
        return None


def pipeline_settings(
    settings: Settings,
    audio_lag_s: float = 0.0,
    plan: Plan | None = None,
    choices: StreamChoices = StreamChoices(),
) -> PipelineSettings:
    """The per-stream settings: the studio's configuration with the user's ``choices``,
    within ``plan``'s limits. A size is never larger than the studio's own."""
    width, height = settings.width, settings.height
    if choices.size is not None and choices.size[1] < height:
        width, height = choices.size
    look = choices.look
    background = choices.background or parse_background(settings.background)
    if plan is not None:
        (width, height), _ = clamp_resolution(width, height, plan)
    tracking = tracking_settings(settings, plan)
    return PipelineSettings(
        width=width,
        height=height,
        fps=settings.fps,
        preview_width=settings.preview_width,
        x264_preset=settings.x264_preset,
        camera_timeout_s=settings.camera_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        audio_lag_s=audio_lag_s,
        rtmp_retry_delays_s=settings.rtmp_retry_delays_s,
        tracking=tracking,
        scene=scene_settings(settings, plan, choices.avatar, tracking, look, background),
        cutout=background if settings.scene == "cutout" else None,
        watermark=plan is None or not plan.white_label,
    )


def scene_settings(
    settings: Settings,
    plan: Plan | None,
    avatar: ActiveFile | None,
    tracking: TrackingSettings | None,
    look: Look = DEFAULT_LOOK,
    background: Background | None = None,
) -> SceneSettings | None:
    """The avatar the output shows (None: ``VIDA_SCENE`` is ``camera`` or ``cutout``)."""
    if settings.scene != "avatar":
        return None
    return SceneSettings(
        avatar=avatar.path if avatar else settings.default_avatar,
        avatar_name=avatar.name if avatar else "",
        fallback_avatar=settings.default_avatar,
        background=background or parse_background(settings.background),
        framing=(look.framing or settings.framing),  # type: ignore[arg-type]
        mirror=look.mirror,
        watermark=plan is None or not plan.white_label,
        retarget=retarget_settings(tracking),
    )


def retarget_settings(tracking: TrackingSettings | None) -> RetargetSettings:
    """What the avatar follows: what is tracked (the rest stays in its idle pose)."""
    features = tracking.features if tracking is not None else Features.parse("none")
    return RetargetSettings(
        face=features.needs_face,
        body=features.body,
        hands=features.needs_hands,
        fingers=features.finger,
    )


def parse_background(text: str) -> Background:
    """A background setting ("#rrggbb", "chroma" or a picture's path) as a ``Background``."""
    if text == "chroma":
        return ChromaKey()
    if text.startswith("#"):
        return SolidColour(tuple(int(text[i : i + 2], 16) for i in (1, 3, 5)))  # type: ignore[arg-type]
    return ImageBackground(load_background_image(text))


def tracking_settings(settings: Settings, plan: Plan | None = None) -> TrackingSettings | None:
    """What a stream tracks: the plan's features the studio allows, at the plan's quality.

    None when nothing is left to track (``tracking_features`` "none", or a plan without any).
    """
    names = [
        name
        for name in settings.tracking_features
        if plan is None or name in plan.tracking_features
    ]
    if not names:
        return None
    if plan is None:
        triple = (
            settings.tracking_precision,
            settings.tracking_smoothness,
            settings.tracking_responsiveness,
        )
    else:
        triple = (
            plan.tracking_precision,
            plan.animation_smoothness,
            plan.animation_responsiveness,
        )
    return TrackingSettings(
        features=Features.parse(",".join(names)),
        quality=TrackingQuality(*triple),
        max_width=settings.tracking_width,
    )


@dataclass(frozen=True)
class Owner:
    """Who a session streams for: their account and the plan in force when it opened."""

    account: Account
    plan: Plan


def _process_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


class StudioSession:
    """A page's peer connection and its stream pipeline."""

    def __init__(
        self,
        settings: Settings,
        owner: Owner,
        db: Database,
        choices: StreamChoices = StreamChoices(),
        events: EventHub | None = None,
    ) -> None:
        self.id = secrets.token_urlsafe(12)
        self.settings = settings
        self.owner = owner
        self._db = db
        self._events = events
        self._warnings_task: asyncio.Task[None] | None = None
        self._resize_task: asyncio.Task[None] | None = None
        self._plan_task: asyncio.Task[None] | None = None
        self._replaced_live: LiveOutput | None = None  # while a resize restarts the output
        self.recordings: list[Path] = []  # files this session recorded, for their download
        self.meter: MinuteMeter | None = None
        self._cpu_at_start = 0.0
        self._tracked_at_start = 0.0
        self._meter_task: asyncio.Task[None] | None = None
        self.pipeline = StreamPipeline(
            pipeline_settings(settings, WEBRTC_AUDIO_LAG_S, owner.plan, choices)
        )
        self.pc = RTCPeerConnection(ice_configuration(settings.ice_servers))
        self.closed = asyncio.Event()
        self.end_reason: str | None = None
        self.last_error: str | None = None
        self._live_lock = asyncio.Lock()
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    async def accept_offer(self, sdp: str, kind: str) -> str:
        """Apply the page's offer; return the answer SDP (with all ICE candidates in it)."""
        check_offer(sdp, kind)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        except Exception as exc:  # aiortc raises many types for malformed SDP
            raise InvalidOffer(f"the SDP offer could not be used: {exc}") from None
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        self.pipeline.start()
        self._plan_task = asyncio.create_task(self._watch_plan())
        return add_start_bitrate(self.pc.localDescription.sdp, START_BITRATE_KBPS)

    async def go_live(self, destinations: list[Destination]) -> dict[str, Any]:
        """Start streaming to ``destinations``, if the plan allows it now (``StreamRefused``);
        raises when one of them does not accept the stream."""
        async with self._live_lock:
            self.last_error = None
            if self.pipeline.live is not None or self.meter is not None:
                raise AlreadyLive("this session is already live; stop it first")
            s = self.pipeline.settings
            grant = await asyncio.to_thread(
                authorize_start,
                self._db,
                self.owner.account.id,
                s.width,
                s.height,
                [d.display for d in destinations],
                WORKER,
                utcnow(),
            )
            try:
                if (grant.width, grant.height) != (s.width, s.height):  # the plan changed
                    await self.pipeline.resize(grant.width, grant.height)
                live = await self.pipeline.go_live(destinations)
            except BaseException as exc:
                await asyncio.to_thread(end_stream, self._db, grant.stream_id, "failed", utcnow())
                state = self.pc.connectionState
                if isinstance(exc, CameraSilent) and state != "connected":
                    raise MediaNotConnected(NOT_CONNECTED_ADVICE.format(state=state)) from None
                raise
            tick = self.settings.minute_tick_s
            self.meter = MinuteMeter(self._db, grant.stream_id, grant.remaining_s, tick, utcnow)
            self.meter.plan_id, self.meter.on_plan_change = grant.plan.id, self._apply_plan
            self._cpu_at_start = _process_cpu_s()
            tracking = self.pipeline.tracking
            self._tracked_at_start = tracking.rate.total if tracking else 0.0
            self._meter_task = asyncio.create_task(self._run_meter(self.meter))
            self._warnings_task = asyncio.create_task(self._push_warnings(self.meter))
        log.info("session %s live to %s", self.id, ", ".join(d.display for d in destinations))
        self._note_recordings(live)
        return {
            "live": True,
            "destinations": [asdict(d) for d in live.destinations()],
            "minutes_left_s": grant.remaining_s,
            "notice": grant.notice,
        }

    async def stop_live(self, reason: str = "stopped") -> dict[str, Any]:
        """Stop streaming (the preview keeps running); returns the seconds streamed."""
        async with self._live_lock:
            return await self._stop_live_locked(reason)

    async def _stop_live_locked(self, reason: str) -> dict[str, Any]:
        """Stop streaming; the caller holds ``_live_lock``."""
        live = self.pipeline.live or self._replaced_live
        self._replaced_live = None
        seconds = await self.pipeline.stop_live()
        meter, self.meter = self.meter, None
        if self._meter_task is not None and self._meter_task is not asyncio.current_task():
            self._meter_task.cancel()
        if self._warnings_task is not None:
            self._warnings_task.cancel()
        if meter is not None:
            await meter.finish(reason)
            if live is not None:
                await self._record_cost(meter.stream_id, live, seconds)
        if live is not None:
            log.info("session %s stopped after %.1f s (%s)", self.id, seconds, reason)
        return {"live": False, "streamed_seconds": round(seconds, 2)}

    def _apply_plan(self, plan_id: str) -> None:
        """A plan change while live: tracking, what the avatar follows and the watermark
        follow at once; an output larger than the new plan allows restarts at its size."""
        self.owner = Owner(self.owner.account, plan(plan_id))
        tracking = tracking_settings(self.settings, self.owner.plan) or TrackingSettings(
            features=Features.parse("none")
        )
        if self.pipeline.tracking is not None:
            self.pipeline.tracking.reconfigure(tracking)
        self.pipeline.follow_plan(not self.owner.plan.white_label, retarget_settings(tracking))
        log.info("session %s now follows the %s plan", self.id, plan_id)
        if self.meter is not None:
            self._resize_task = asyncio.create_task(self._shrink_output())

    async def _shrink_output(self) -> None:
        """Restart the live output at the plan's size, if it is larger, and tell the user's
        pages why. All under ``_live_lock``: a Stop or Go live waits for it."""
        async with self._live_lock:
            out = self.pipeline.settings
            size, notice = clamp_resolution(out.width, out.height, self.owner.plan)
            if self.meter is None or notice is None:
                return  # stopped meanwhile (the next go-live is clamped), or small enough
            self._replaced_live = self.pipeline.live  # for the cost record, if it fails
            try:
                await self.pipeline.resize(*size)
            except Exception as error:  # the destination refused the restart
                self.last_error = f"the stream could not restart at {size[0]}x{size[1]}: {error}"
                log.warning("session %s: %s", self.id, self.last_error)
                await self._stop_live_locked("failed")
                message = self.last_error
                self._publish({"type": "stream_ended", "reason": "failed", "message": message})
                return
            self._replaced_live = None
        live = self.pipeline.live
        if live is not None:
            self._note_recordings(live)
        targets = ", ".join(d.display for d in live.targets) if live is not None else ""
        message = f"{notice}; the stream restarted at that size, to {targets}"
        log.info("session %s: %s", self.id, message)
        self._publish({"type": "output_resized", "size": list(size), "message": message})

    def _note_recordings(self, live: LiveOutput) -> None:
        self.recordings += [Path(d.server_url) for d in live.targets if d.kind == "file"]

    async def _watch_plan(self) -> None:
        """Between streams nothing is debited, so nothing brings a plan change: look at each
        minute tick instead, so the preview tracks what the new plan allows at once."""
        while True:
            await asyncio.sleep(self.settings.minute_tick_s)
            if self.meter is not None:
                continue  # live: every debit brings the plan
            try:
                plan_id = await asyncio.to_thread(self._current_plan_id, self.owner.account.id)
            except Exception:  # the database is away a moment: look again at the next tick
                log.exception("session %s could not read its plan", self.id)
                continue
            if plan_id != self.owner.plan.id:
                self._apply_plan(plan_id)

    def _current_plan_id(self, user_id: int) -> str:
        with self._db.read() as session:
            return current_plan(session, user_id, utcnow()).id

    async def _record_cost(self, stream_id: str, live: LiveOutput, seconds: float) -> None:
        tracking = self.pipeline.tracking
        tracked = tracking.rate.total - self._tracked_at_start if tracking else 0.0
        cost = StreamCost(
            worker=WORKER,
            live_seconds=round(seconds, 2),
            frames_out=int(live.frames_out.total),
            frames_dropped=live.frames_dropped,
            tracking_fps=round(tracked / seconds, 1) if seconds else 0.0,
            encoder=live.encoder_name,
            process_cpu_s=round(_process_cpu_s() - self._cpu_at_start, 2),
        )
        try:
            await asyncio.to_thread(record_cost, self._db, stream_id, cost)
        except Exception:  # a missing cost record must not fail Stop
            log.exception("could not record the cost of stream %s", stream_id)

    async def _run_meter(self, meter: MinuteMeter) -> None:
        await meter.run()
        if meter is self.meter:  # still live: the minutes ran out, or an admin stepped in
            reason = meter.end_reason or "minutes_exhausted"
            self.last_error = END_MESSAGES.get(reason, f"the studio ended the stream ({reason})")
            await self.stop_live(reason)
            self._publish({"type": "stream_ended", "reason": reason, "message": self.last_error})

    async def _push_warnings(self, meter: MinuteMeter) -> None:
        """Tell the user's pages the moment 5 and then 1 minute are left."""
        thresholds = sorted(WARNINGS_S, reverse=True)  # 300, then 60
        for threshold, lower in zip(thresholds, [*thresholds[1:], -1.0], strict=True):
            while meter.left_s() > threshold:
                await asyncio.sleep(min(1.0, meter.left_s() - threshold))
            if meter is not self.meter:
                return
            if meter.left_s() <= lower:
                continue  # already past the next warning too: that one says it
            self._publish(
                {
                    "type": "minutes_warning",
                    "message": meter.warning(),
                    "minutes_left_s": round(meter.left_s()),
                }
            )

    def _publish(self, event: dict[str, Any]) -> None:
        if self._events is not None:
            self._events.publish(self.owner.account.id, event | {"session_id": self.id})

    async def watch(self) -> None:
        """Ends the stream when every destination failed, so the page sees why."""
        live = self.pipeline.live
        if live is not None and live.all_failed():
            self.last_error = "; ".join(
                f"{d.name}: {d.error}" for d in live.destinations() if d.error
            )
            await self.stop_live("destinations_failed")

    def stats(self) -> dict[str, Any]:
        """The page's live numbers."""
        stats = self.pipeline.stats()
        silent = self.pipeline.camera_silence_s() > self.settings.camera_timeout_s
        if silent and self.pc.connectionState != "connected":
            # Without a connection the camera cannot be blamed: say what is wrong.
            stats["warnings"] = [NOT_CONNECTED_ADVICE.format(state=self.pc.connectionState)]
        meter = self.meter
        if meter is not None:
            stats["live"] = True  # also while a smaller plan's restart is under way
            stats["minutes_left_s"] = round(meter.left_s())
            if (warning := meter.warning()) is not None:
                stats["warnings"].append(warning)
        return stats | {
            "session_id": self.id,
            "plan": self.owner.plan.id,
            "recordings": [path.name for path in self.recordings],
            "connection": self.pc.connectionState,
            "preview_frames_sent": self.pipeline.preview.frames_sent,
            "error": self.last_error,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    async def close(self, reason: str) -> None:
        """Stop streaming, close the peer connection, release every thread and task."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.end_reason = reason
        for task in (self._plan_task, self._resize_task):
            if task is not None:
                task.cancel()
        try:
            await self.stop_live("session_closed")
            await self.pipeline.close()
        finally:
            await self.pc.close()
        log.info("session %s closed (%s)", self.id, reason)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.pipeline.attach_video(track)
            self.pc.addTrack(self.pipeline.preview)
        elif track.kind == "audio":
            self.pipeline.attach_audio(track)

    async def _on_connection_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close(f"connection {self.pc.connectionState}")


class SessionRegistry:
    """Every open session of this process."""

    def __init__(self, settings: Settings, db: Database, events: EventHub | None = None) -> None:
        self.settings = settings
        self.db = db
        self.events = events
        self._sessions: dict[str, StudioSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, owner: Owner, choices: StreamChoices = StreamChoices()) -> StudioSession:
        """A new session (not yet connected) with the user's ``choices``; refused when the
        studio is at capacity."""
        self._forget_closed()
        if len(self._sessions) >= self.settings.max_sessions:
            raise StudioFull(
                f"the studio is full ({self.settings.max_sessions} sessions); try again later"
            )
        session = StudioSession(self.settings, owner, self.db, choices, self.events)
        self._sessions[session.id] = session
        return session

    def of_user(self, user_id: int) -> list[StudioSession]:
        """The user's open sessions."""
        return [
            s
            for s in self._sessions.values()
            if s.owner.account.id == user_id and not s.closed.is_set()
        ]

    def find(self, session_id: str) -> StudioSession:
        """The open session with this id, whoever's it is (operators and tests)."""
        session = self._sessions.get(session_id)
        if session is None or session.closed.is_set():
            raise SessionNotFound(f"no open session {session_id!r} (it ended or never existed)")
        return session

    def get(self, session_id: str, account: Account) -> StudioSession:
        """The open session with this id, if it is ``account``'s.

        Someone else's session is "not found" too: its existence is not theirs to learn.
        """
        session = self.find(session_id)
        if session.owner.account.id != account.id:
            raise SessionNotFound(f"no open session {session_id!r} (it ended or never existed)")
        return session

    async def close(self, session_id: str, reason: str, account: Account | None = None) -> None:
        """Close and forget one session (only ``account``'s, when given)."""
        session = self._sessions.get(session_id)
        if session is None or (account is not None and session.owner.account.id != account.id):
            raise SessionNotFound(f"no open session {session_id!r} (it ended or never existed)")
        del self._sessions[session_id]
        await session.close(reason)

    async def sweep(self) -> None:
        """Forget sessions that closed themselves; end streams whose destinations all failed."""
        self._forget_closed()
        for session in list(self._sessions.values()):
            await session.watch()

    def _forget_closed(self) -> None:
        for session_id, session in list(self._sessions.items()):
            if session.closed.is_set():
                del self._sessions[session_id]

    async def close_all(self, reason: str) -> None:
        """Close every session (server shutdown)."""
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close(reason) for s in sessions))
