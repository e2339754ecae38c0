"""``Tracker``: camera frames in, filtered and calibrated ``TrackingFrame``s out.

One tracker serves one stream from one thread. Per frame it runs the face tracker, at most one
of the costly trackers (body, hands) as the schedule allows, solves head pose and expressions,
filters everything with One Euro filters, and fades lost parts to neutral (``Presence``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from tracking.backend import BodyDetection, FaceDetection, HandDetection, TrackerBackend
from tracking.choice import streamer_score
from tracking.expressions import (
    EYE_BLENDSHAPES,
    FaceMeasures,
    measure_face,
    relative_to_neutral,
    solve_blendshapes,
    visemes_from_blendshapes,
)
from tracking.features import Features, TrackingQuality
from tracking.fingers import finger_curl
from tracking.frame import BodyTrack, FaceTrack, HandTrack, HeadPose, Side, TrackingFrame
from tracking.head_pose import relative_pose, rotation_from_angles, solve_head_pose
from tracking.image_input import prepare_image
from tracking.one_euro import OneEuroFilter, filter_settings
from tracking.presence import Presence
from tracking.schedule import StageSchedule

BackendFactory = Callable[[Features, TrackingQuality], TrackerBackend]


class CalibrationError(RuntimeError):
    """Calibration needs a face in view."""


@dataclass(frozen=True)
class Calibration:
    """The streamer's neutral face: later head pose and expressions are relative to it."""

    rotation: np.ndarray
    blendshapes: dict[str, float] | None  # the network's neutral values
    measures: FaceMeasures | None  # the geometric solver's neutral measurements


def choose_face(faces: list[FaceDetection]) -> FaceDetection | None:
    """The streamer's face among several: the largest, discounted by distance from centre."""

    def score(face: FaceDetection) -> float:
        (x0, y0), (x1, y1) = face.landmarks[:, :2].min(axis=0), face.landmarks[:, :2].max(axis=0)
        return streamer_score(float(x0), float(y0), float(x1), float(y1))

    return max(faces, key=score, default=None)


class _Filters:
    """One Euro filters for one part, made from the quality's smoothness/responsiveness."""

    def __init__(self, quality: TrackingQuality, scales: dict[str, float]) -> None:
        self._filters = {
            name: OneEuroFilter(filter_settings(quality.smoothness, quality.responsiveness, scale))
            for name, scale in scales.items()
        }

    def __call__(self, name: str, value: np.ndarray, now: float) -> np.ndarray:
        return self._filters[name](value, now)

    def predict(self, name: str, now: float, horizon_s: float) -> np.ndarray | None:
        """The last value moved on along its trend, at most ``horizon_s`` ahead."""
        f = self._filters[name]
        if f.value is None or f.trend is None or f.time is None:
            return None
        ahead = min(max(0.0, now - f.time), horizon_s)
        return f.value + f.trend * ahead

    def reset(self) -> None:
        for f in self._filters.values():
            f.reset()


# Typical speed of each signal (units per second): scales the filters' beta.
_FACE_SCALES = {"landmarks": 0.5, "angles": 90.0, "translation": 20.0, "blendshapes": 3.0}
_BODY_SCALES = {"landmarks": 1.0, "world": 1.5}
_HAND_SCALES = {"landmarks": 1.0, "world": 0.5}


class Tracker:
    """Tracks one camera stream (not thread-safe: ``step`` from one thread).

    ``reconfigure`` and ``calibrate`` may be called from another thread; they take effect at
    the next ``step``. ``every_step`` runs every enabled tracker on every frame (offline use);
    otherwise the costly ones follow ``StageSchedule``'s rates. ``still_images`` treats each
    frame as an unrelated photo. The backend is MediaPipe unless ``backend_factory`` says.
    """

    def __init__(
        self,
        features: Features,
        quality: TrackingQuality,
        backend_factory: BackendFactory | None = None,
        *,
        every_step: bool = False,
        still_images: bool = False,
    ) -> None:
        if backend_factory is None:
            from tracking.mediapipe_backend import MediaPipeBackend

            def backend_factory(f: Features, q: TrackingQuality) -> TrackerBackend:
                return MediaPipeBackend(f, q, static_images=still_images)

        self._backend_factory = backend_factory
        self._every_step = every_step
        self._still_images = still_images
        self._pending: tuple[Features, TrackingQuality] | None = None
        self._pending_calibration: Calibration | None = None
        self._calibration: Calibration | None = None
        # The newest face, unfiltered: what calibrate() would take.
        self._raw_face: Calibration | None = None
        self._setup(features, quality)

    def _setup(self, features: Features, quality: TrackingQuality) -> None:
        self.features, self.quality = features, quality
        self._backend = self._backend_factory(features, quality)
        self._schedule = StageSchedule(every_step=self._every_step)
        self._face_filters = _Filters(quality, _FACE_SCALES)
        self._body_filters = _Filters(quality, _BODY_SCALES)
        self._hand_filters = {side: _Filters(quality, _HAND_SCALES) for side in ("left", "right")}
        # Unrelated photos: nothing to hold, ease or glide between them.
        presence = (lambda: Presence(0.0, 0.0, 0.0)) if self._still_images else Presence
        self._presence = {part: presence() for part in ("face", "body", "left", "right")}
        self._face: FaceTrack | None = None  # last filtered values, before presence weighting
        self._body_visibility: np.ndarray | None = None
        self._hands: dict[Side, HandTrack] = {}
        self._last_pose: HeadPose | None = None

    # --- control from other threads -------------------------------------------------------

    def reconfigure(self, features: Features, quality: TrackingQuality) -> None:
        """Switch features or quality (a plan change); applied before the next frame."""
        self._pending = (features, quality)

    def calibrate(self) -> Calibration:
        """Take the face in view now as the streamer's neutral face and head orientation."""
        raw = self._raw_face
        if raw is None:
            raise CalibrationError(
                "no face in view: look straight at the camera with a relaxed face and try again"
            )
        self._pending_calibration = raw
        return raw

    def close(self) -> None:
        """Release the backend's models."""
        self._backend.close()

    # --- the tracking step ----------------------------------------------------------------

    def step(self, image: np.ndarray | None, timestamp_s: float) -> TrackingFrame:
        """Track one frame captured at ``timestamp_s`` (seconds, increasing)."""
        self._apply_pending()
        if self._still_images:  # each photo stands alone: no history to filter against
            for filters in (self._face_filters, self._body_filters, *self._hand_filters.values()):
                filters.reset()
        started = time.perf_counter()
        timings: dict[str, float] = {}
        rgb, problem = prepare_image(image)
        height, width = (0, 0) if image is None or image.ndim < 2 else image.shape[:2]
        f = self.features
        if rgb is not None:
            self._detect(rgb, width, height, timestamp_s, timings)
        else:
            for presence in self._presence.values():
                presence.update(False, timestamp_s)
            self._raw_face = None
        timings["total"] = (time.perf_counter() - started) * 1000
        return TrackingFrame(
            timestamp_s=timestamp_s,
            width=width,
            height=height,
            face=self._face_out(timestamp_s) if f.needs_face else None,
            body=self._body_out(timestamp_s) if f.body else None,
            hands=self._hands_out(timestamp_s) if f.needs_hands else (),
            timings_ms=timings,
            calibrated=self._calibration is not None,
            problem=problem,
        )

    def _detect(
        self, rgb: np.ndarray, width: int, height: int, now: float, timings: dict[str, float]
    ) -> None:
        """Run the face tracker and the scheduled costly trackers on one good image."""
        f, stamp_ms = self.features, int(now * 1000)
        if f.needs_face:
            with _timed(timings, "face"):
                faces = self._backend.detect_faces(rgb, stamp_ms)
            self._update_face(choose_face(faces), len(faces), width, height, now, timings)
        wanted = (["body"] if f.body else []) + (["hands"] if f.needs_hands else [])
        for stage in self._schedule.pick(wanted, now):
            with _timed(timings, stage):
                if stage == "body":
                    self._update_body(self._backend.detect_body(rgb, stamp_ms), now)
                else:
                    self._update_hands(self._backend.detect_hands(rgb, stamp_ms), now)

    def _apply_pending(self) -> None:
        if self._pending is not None:
            (features, quality), self._pending = self._pending, None
            self._backend.close()
            self._setup(features, quality)
        if self._pending_calibration is not None:
            self._calibration, self._pending_calibration = self._pending_calibration, None
            self._face_filters.reset()  # values jump to the new reference at once, not smeared

    # --- face -----------------------------------------------------------------------------

    def _update_face(
        self,
        detection: FaceDetection | None,
        faces_seen: int,
        width: int,
        height: int,
        now: float,
        timings: dict[str, float],
    ) -> None:
        self._presence["face"].update(detection is not None, now)
        if detection is None:
            self._raw_face = self._last_pose = None
            return
        calibration = self._calibration
        with _timed(timings, "head_pose"):
            raw_pose = solve_head_pose(detection.landmarks, width, height, self._last_pose)
        # The last pose seeds the next solve (a continuous answer), but photos are unrelated.
        self._last_pose = None if self._still_images else raw_pose
        pose = relative_pose(raw_pose, calibration.rotation) if calibration else raw_pose
        with _timed(timings, "expression"):
            shapes, measures = self._solve_expression(detection, raw_pose, width, height)
        self._raw_face = Calibration(raw_pose.rotation, detection.blendshapes, measures)
        self._face = self._filtered_face(detection, pose, shapes, faces_seen, now)

    def _filtered_face(
        self,
        detection: FaceDetection,
        pose: HeadPose,
        shapes: dict[str, float],
        faces_seen: int,
        now: float,
    ) -> FaceTrack:
        filters = self._face_filters
        landmarks = filters("landmarks", detection.landmarks, now)
        yaw, pitch, roll = filters("angles", np.array([pose.yaw, pose.pitch, pose.roll]), now)
        translation = filters("translation", np.array(pose.translation), now)
        names = sorted(shapes)
        values = np.clip(filters("blendshapes", np.array([shapes[n] for n in names]), now), 0, 1)
        blendshapes = dict(zip(names, values.tolist(), strict=True))
        inside = np.all((detection.landmarks[:, :2] >= 0) & (detection.landmarks[:, :2] <= 1), 1)
        low, high = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
        return FaceTrack(
            landmarks=landmarks,
            box=(float(low[0]), float(low[1]), float(high[0]), float(high[1])),
            head_pose=HeadPose(
                float(yaw),
                float(pitch),
                float(roll),
                tuple(translation.tolist()),
                rotation_from_angles(yaw, pitch, roll),
            ),
            blendshapes=blendshapes,
            visemes=visemes_from_blendshapes(blendshapes) if self.features.expression else {},
            confidence=float(inside.mean()),  # a face half out of the frame is half trusted
            faces_seen=faces_seen,
        )

    def _solve_expression(
        self, detection: FaceDetection, pose: HeadPose, width: int, height: int
    ) -> tuple[dict[str, float], FaceMeasures | None]:
        f, calibration = self.features, self._calibration
        if not (f.eye or f.expression):
            return {}, None
        if detection.blendshapes is not None:
            shapes = detection.blendshapes
            if calibration is not None and calibration.blendshapes is not None:
                shapes = relative_to_neutral(shapes, calibration.blendshapes)
            measures = None
        else:
            measures = measure_face(detection.landmarks * (width, height, width), pose.rotation)
            neutral = calibration.measures if calibration else None
            shapes = solve_blendshapes(measures, neutral, eyes=f.eye, expression=f.expression)
        return {
            name: value
            for name, value in shapes.items()
            if (f.eye if name in EYE_BLENDSHAPES else f.expression)
        }, measures

    def _face_out(self, now: float) -> FaceTrack | None:
        face, presence = self._face, self._presence["face"]
        state = presence.state(now)
        if face is None or state is None:
            return None
        w = presence.weight(now)
        if state == "tracked" and w >= 1.0:
            return face
        pose = face.head_pose
        yaw, pitch, roll = pose.yaw * w, pose.pitch * w, pose.roll * w
        return FaceTrack(
            landmarks=face.landmarks,
            box=face.box,
            head_pose=HeadPose(
                yaw, pitch, roll, pose.translation, rotation_from_angles(yaw, pitch, roll)
            ),
            blendshapes={k: v * w for k, v in face.blendshapes.items()},
            visemes={k: v * w for k, v in face.visemes.items()},
            confidence=face.confidence * w,
            state=state,
            faces_seen=face.faces_seen,
        )

    # --- body -----------------------------------------------------------------------------

    def _update_body(self, detection: BodyDetection | None, now: float) -> None:
        self._presence["body"].update(detection is not None, now)
        if detection is not None:
            self._body_filters("landmarks", detection.landmarks, now)
            self._body_filters("world", detection.world, now)
            self._body_visibility = detection.visibility

    def _body_out(self, now: float) -> BodyTrack | None:
        presence, horizon = self._presence["body"], self._schedule.period_s("body")
        state = presence.state(now)
        landmarks = self._body_filters.predict("landmarks", now, horizon)
        world = self._body_filters.predict("world", now, horizon)
        if state is None or landmarks is None or world is None or self._body_visibility is None:
            return None
        visibility = self._body_visibility
        # Confidence: how visible the shoulders and hips are, which the avatar's torso needs.
        torso = float(visibility[[11, 12, 23, 24]].mean())
        return BodyTrack(landmarks, world, visibility, torso * presence.weight(now), state)

    # --- hands ----------------------------------------------------------------------------

    def _update_hands(self, detections: list[HandDetection], now: float) -> None:
        best: dict[Side, HandDetection] = {}
        for hand in detections:  # two of one side: keep the surer one
            if hand.side not in best or hand.score > best[hand.side].score:
                best[hand.side] = hand
        for side in ("left", "right"):
            hand = best.get(side)
            self._presence[side].update(hand is not None, now)
            if hand is None:
                continue
            filters = self._hand_filters[side]
            world = filters("world", hand.world, now)
            self._hands[side] = HandTrack(
                side=side,
                landmarks=filters("landmarks", hand.landmarks, now),
                world=world,
                finger_curl=finger_curl(world) if self.features.finger else {},
                confidence=hand.score,
            )

    def _hands_out(self, now: float) -> tuple[HandTrack, ...]:
        out = []
        horizon = self._schedule.period_s("hands")
        for side in ("left", "right"):
            hand, presence = self._hands.get(side), self._presence[side]
            state = presence.state(now)
            if hand is None or state is None:
                continue
            w = presence.weight(now)
            filters = self._hand_filters[side]
            landmarks = filters.predict("landmarks", now, horizon)
            world = filters.predict("world", now, horizon)
            out.append(
                HandTrack(
                    side=side,
                    landmarks=hand.landmarks if landmarks is None else landmarks,
                    world=hand.world if world is None else world,
                    finger_curl={k: v * w for k, v in hand.finger_curl.items()},
                    confidence=hand.confidence * w,
                    state=state,
                )
            )
        return tuple(out)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - started) * 1000
