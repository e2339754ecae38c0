"""The trackers on real photos and video of people (../shared/assets, credited there)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.support.media import ASTRONAUT, SHARED_ASSETS, WOMAN_VIDEO, load_rgb
from tracking.backend import BodyDetection, FaceDetection, HandDetection
from tracking.features import Features, TrackingQuality
from tracking.head_pose import solve_head_pose
from tracking.mediapipe_backend import MediaPipeBackend
from tracking.tracker import CalibrationError, Tracker

THUMBS_UP = SHARED_ASSETS / "images" / "two_hands_thumbs_up.jpg"
WOMAN_SITTING = SHARED_ASSETS / "images" / "woman_sitting_full_body.jpg"


def still_tracker(features: str = "all", precision: float = 0.5) -> Tracker:
    return Tracker(
        Features.parse(features),
        TrackingQuality(precision=precision),
        every_step=True,
        still_images=True,
    )


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return load_rgb(ASTRONAUT)


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """The photo turned about its centre (the camera's optical axis), counter-clockwise."""
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT)


def test_the_astronauts_face_is_found_where_it_is(astronaut: np.ndarray) -> None:
    tracker = still_tracker()
    frame = tracker.step(astronaut, 0.0)
    tracker.close()
    assert frame.found() == ["face", "body"]  # her hands are out of the picture
    face = frame.face
    assert face is not None and face.landmarks.shape == (478, 3)
    # Her face spans about x 0.35–0.53, y 0.14–0.35 of the photo (checked by eye); nose tip (1).
    x0, y0, x1, y1 = face.box
    assert 0.30 < x0 < 0.40 and 0.48 < x1 < 0.58 and 0.08 < y0 < 0.20 and 0.30 < y1 < 0.42
    nose_x, nose_y, _ = face.landmarks[1]
    assert 0.40 < nose_x < 0.48 and 0.21 < nose_y < 0.30
    # She smiles with her mouth closed: the 52-blendshape network says so.
    assert face.blendshapes["mouthSmileLeft"] > 0.5 and face.blendshapes["mouthSmileRight"] > 0.5
    assert face.blendshapes["jawOpen"] < 0.2 and face.blendshapes["eyeBlinkLeft"] < 0.3
    assert set(face.visemes) == {"aa", "ih", "ou", "ee", "oh"}


@pytest.mark.parametrize("precision", [0.2, 0.8], ids=["geometry", "network"])
def test_turning_the_photo_in_the_image_plane_reads_as_head_roll(
    astronaut: np.ndarray, precision: float
) -> None:
    tracker = still_tracker("face,eye,expression", precision)
    tracker.step(astronaut, 0.0)
    tracker.calibrate()  # her pose in the untouched photo is "straight"
    for i, degrees in enumerate([-25, -10, 10, 25], start=1):
        pose = tracker.step(rotated(astronaut, degrees), float(i)).face.head_pose
        # Counter-clockwise in the image tilts her head towards her right shoulder: roll < 0.
        assert pose.roll == pytest.approx(-degrees, abs=3.0), degrees
        assert abs(pose.yaw) < 4.0 and abs(pose.pitch) < 4.0, degrees
    tracker.close()


def test_filtered_head_pose_is_steady_on_a_noisy_still_camera(astronaut: np.ndarray) -> None:
    """Sensor noise on a still face: raw pose jitters, the filtered pose stays under 0.3°."""
    features, quality = Features.parse("face,eye,expression"), TrackingQuality()
    tracker = Tracker(features, quality)  # live mode: filters on, graphs tracking
    raw_backend = MediaPipeBackend(features, quality)
    rng = np.random.default_rng(7)
    raw, filtered = [], []
    height, width = astronaut.shape[:2]
    for i in range(75):
        noise = rng.normal(0.0, 6.0, astronaut.shape)
        frame = np.clip(astronaut + noise, 0, 255).astype(np.uint8)
        pose = tracker.step(frame, i / 30).face.head_pose
        [detection] = raw_backend.detect_faces(frame, i * 33)
        raw_pose = solve_head_pose(detection.landmarks, width, height)
        if i >= 15:  # after the filters and the re-acquire glide settled
            filtered.append((pose.yaw, pose.pitch, pose.roll))
            raw.append((raw_pose.yaw, raw_pose.pitch, raw_pose.roll))
    tracker.close()
    raw_backend.close()
    raw_jitter, filtered_jitter = np.std(raw, axis=0), np.std(filtered, axis=0)
    assert filtered_jitter.max() < 0.3, filtered_jitter
    assert raw_jitter.max() > 2 * filtered_jitter.max(), (raw_jitter, filtered_jitter)


def test_calibrated_neutral_face_reads_near_zero(astronaut: np.ndarray) -> None:
    tracker = still_tracker("face,eye,expression")
    with pytest.raises(CalibrationError, match="no face in view"):
        tracker.calibrate()
    before = tracker.step(astronaut, 0.0).face
    tracker.calibrate()
    after = tracker.step(astronaut, 1.0)
    tracker.close()
    assert after.calibrated
    assert abs(before.head_pose.pitch) > 10  # her face is above the optical axis
    pose = after.face.head_pose
    assert max(abs(pose.yaw), abs(pose.pitch), abs(pose.roll)) < 0.5
    assert max(after.face.blendshapes.values()) < 0.05  # even the smile is her neutral now


def test_thumbs_up_hand_is_found_with_the_thumb_straight_and_fingers_curled() -> None:
    tracker = still_tracker("hand,finger")
    frame = tracker.step(load_rgb(THUMBS_UP), 0.0)
    tracker.close()
    assert frame.face is None and frame.body is None  # off: not even looked for
    assert frame.hands, "no hand found in the thumbs-up photo"
    for hand in frame.hands:
        curl = hand.finger_curl
        assert curl["thumb"] < 0.25, curl
        assert min(curl["index"], curl["middle"], curl["ring"], curl["pinky"]) > 0.6, curl
        assert hand.landmarks.shape == (21, 3) and hand.world.shape == (21, 3)


def test_full_body_photo_gives_body_and_both_hands_on_the_right_sides() -> None:
    tracker = still_tracker()
    frame = tracker.step(load_rgb(WOMAN_SITTING), 0.0)
    tracker.close()
    assert frame.found() == ["face", "body", "left_hand", "right_hand"]
    body = frame.body
    assert body.landmarks.shape == (33, 3) and body.world.shape == (33, 3)
    assert body.confidence > 0.8 and body.visibility[[11, 12, 23, 24]].min() > 0.8
    # Each hand sits on the body's wrist of the same side (pose 15 = left wrist, 16 = right).
    for side, wrist in (("left", 15), ("right", 16)):
        hand = frame.hand(side)
        assert np.linalg.norm(hand.landmarks[0, :2] - body.landmarks[wrist, :2]) < 0.05, side
    # A small face (she sits back) is found with the full-range detector's help.
    assert frame.face is not None and frame.face.box[2] - frame.face.box[0] < 0.1


def test_the_video_finds_her_face_every_frame_and_her_raised_hand() -> None:
    import av

    tracker = Tracker(Features(), TrackingQuality(), every_step=True)
    found: list[list[str]] = []
    with av.open(str(WOMAN_VIDEO)) as container:
        for index, picture in enumerate(container.decode(video=0)):
            if index % 4:
                continue
            found.append(tracker.step(picture.to_ndarray(format="rgb24"), picture.time).found())
    tracker.close()
    assert all("face" in parts and "body" in parts for parts in found), found
    assert sum("right_hand" in parts for parts in found) > len(found) // 3, found


def test_a_small_face_and_a_larger_one_the_larger_central_face_is_the_streamer(
    astronaut: np.ndarray,
) -> None:
    canvas = np.full((720, 1280, 3), 80, np.uint8)
    canvas[0:720, 420:1140] = cv2.resize(astronaut, (720, 720))  # the streamer
    canvas[360:616, 40:296] = cv2.resize(astronaut, (256, 256))  # someone far behind
    tracker = still_tracker("face,eye,expression")
    face = tracker.step(canvas, 0.0).face
    tracker.close()
    assert face is not None
    assert face.box[0] > 420 / 1280  # the big face, not the small one on the left


def test_a_face_partly_out_of_the_frame_is_found_with_less_confidence(
    astronaut: np.ndarray,
) -> None:
    shifted = np.full_like(astronaut, 80)
    shifted[:, :330] = astronaut[:, 182:]  # her face now starts right at the left edge
    tracker = still_tracker("face,eye,expression")
    whole = tracker.step(astronaut, 0.0).face
    edge = tracker.step(shifted, 1.0).face
    tracker.close()
    assert whole.confidence == 1.0
    assert edge is not None and edge.box[0] < 0.02 and edge.confidence < 1.0


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        (None, "empty frame"),
        (np.zeros((0, 0, 3), np.uint8), "empty frame"),
        (np.zeros((10, 12, 3), np.uint8), "too small"),
        (np.zeros((64, 64, 3), np.float32), "8-bit"),
        (np.zeros((64, 64, 5), np.uint8), "grayscale, RGB or RGBA"),
        (np.zeros((480, 640, 3), np.uint8), None),  # black: fine, nobody there
    ],
    ids=["none", "empty", "tiny", "float", "five-channels", "black"],
)
def test_bad_frames_are_reported_not_crashed_on(image: np.ndarray | None, problem: str) -> None:
    tracker = still_tracker()
    frame = tracker.step(image, 0.0)
    tracker.close()
    assert frame.found() == []
    if problem is None:
        assert frame.problem is None
    else:
        assert problem in frame.problem


def test_grayscale_rgba_and_odd_sized_frames_still_track(astronaut: np.ndarray) -> None:
    tracker = still_tracker("face,eye,expression")
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    odd = np.ascontiguousarray(astronaut[7:340, 13:264])  # 251×333
    for i, image in enumerate([gray, rgba, odd]):
        assert tracker.step(image, float(i)).found() == ["face"], image.shape
    tracker.close()


class CountingBackend:
    """A real MediaPipe backend that counts which detectors were asked for."""

    def __init__(self, features: Features, quality: TrackingQuality) -> None:
        self.real = MediaPipeBackend(features, quality)
        self.calls = {"face": 0, "body": 0, "hands": 0}

    def detect_faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        self.calls["face"] += 1
        return self.real.detect_faces(image, timestamp_ms)

    def detect_body(self, image: np.ndarray, timestamp_ms: int) -> BodyDetection | None:
        self.calls["body"] += 1
        return self.real.detect_body(image, timestamp_ms)

    def detect_hands(self, image: np.ndarray, timestamp_ms: int) -> list[HandDetection]:
        self.calls["hands"] += 1
        return self.real.detect_hands(image, timestamp_ms)

    def close(self) -> None:
        self.real.close()


def test_features_that_are_off_cost_nothing(astronaut: np.ndarray) -> None:
    backends: list[CountingBackend] = []

    def factory(features: Features, quality: TrackingQuality) -> CountingBackend:
        backends.append(CountingBackend(features, quality))
        return backends[-1]

    tracker = Tracker(Features.parse("face"), TrackingQuality(precision=0.8), factory)
    frames = [tracker.step(astronaut, i / 30) for i in range(10)]
    [backend] = backends
    assert backend.calls == {"face": 10, "body": 0, "hands": 0}
    # No model of a switched-off feature is even loaded, and its stage has no time.
    assert backend.real._pose is None and backend.real._hands is None
    assert not backend.real._face_network  # no expression/eye: the cheap face mesh
    assert all(set(f.timings_ms) <= {"face", "head_pose", "expression", "total"} for f in frames)
    assert all(f.face.blendshapes == {} and f.body is None and f.hands == () for f in frames)

    # A plan change switches the body on, from the next frame.
    tracker.reconfigure(Features.parse("face,body"), TrackingQuality())
    frame = tracker.step(astronaut, 1.0)
    tracker.close()
    assert backends[-1].calls["body"] == 1 and frame.body is not None
