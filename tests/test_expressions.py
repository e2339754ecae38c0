"""Blendshapes from landmarks: faces of known geometry built from MediaPipe's canonical mesh.

The canonical mesh is no real face as Face Mesh reports one (its lips are apart, its chin long),
so deformations are measured against the canonical face itself as the calibrated neutral; the
uncalibrated baseline is checked on real footage in tests/test_expressions_real.py.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import numpy as np
import pytest

from tracking.expressions import (
    ARKIT_BLENDSHAPES,
    EYE_BLENDSHAPES,
    TYPICAL_FACE,
    VISEMES,
    FaceMeasures,
    measure_face,
    relative_to_neutral,
    solve_blendshapes,
    visemes_from_blendshapes,
)
from tracking.face_model import canonical_face

PX_PER_CM = 40.0
# Eyelids, upper and lower, vertex above vertex (checked against the mesh: same x, per pair).
LIDS_RIGHT = ((246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155))
LIDS_LEFT = ((466, 249), (388, 390), (387, 373), (386, 374), (385, 380), (384, 381), (398, 382))
EYE_CORNERS = {"right": (33, 133), "left": (263, 362)}
IRIS_FIRST = {"right": 468, "left": 473}  # Face Mesh lists the subject's right iris first

Deform = Callable[[np.ndarray], None]


def head_points() -> np.ndarray:
    """The canonical face in OpenCV axes (x right, y down, z away), centimetres, 478 points."""
    face = canonical_face() * np.array([1.0, -1.0, -1.0])
    irises = []
    for side in ("right", "left"):
        lids = LIDS_RIGHT if side == "right" else LIDS_LEFT
        outer, inner = EYE_CORNERS[side]
        # Where Face Mesh puts a level gaze's iris: TYPICAL_FACE's offset from the corners' centre.
        half_width = np.linalg.norm(face[outer] - face[inner]) / 2
        offset = getattr(TYPICAL_FACE, f"iris_{side}")
        centre = (face[outer] + face[inner]) / 2 + np.array((*offset, 0.0)) * half_width
        centre[2] = face[[i for pair in lids for i in pair], 2].mean()
        # Centre, then four points around it, inside the eye's opening.
        ring = [centre + np.array(d) for d in ((0.25, 0, 0), (0, -0.25, 0), (-0.25, 0, 0))]
        irises += [centre, *ring, centre + np.array((0, 0.25, 0))]
    return np.vstack([face, np.array(irises)])


def to_camera(head: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Head-frame centimetres to pixels seen by a camera: rotated, scaled, shifted into view."""
    return (head @ rotation.T) * PX_PER_CM + np.array([640.0, 360.0, 1000.0])


def rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Camera-from-head rotation: yaw about the head's y axis, then pitch about its x axis."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    about_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    about_x = np.array(
        [[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]]
    )
    return about_x @ about_y


def solve_face(
    *deforms: Deform,
    turn: np.ndarray | None = None,
    irises: bool = True,
    neutral: FaceMeasures | None = None,
) -> dict[str, float]:
    """Blendshapes of the canonical face after ``deforms`` (in the head frame, centimetres).

    ``neutral`` defaults to the undeformed canonical face: calibrated to it.
    """
    neutral = measure(irises=irises) if neutral is None else neutral
    return solve_blendshapes(measure(*deforms, turn=turn, irises=irises), neutral)


def measure(*deforms: Deform, turn: np.ndarray | None = None, irises: bool = True) -> FaceMeasures:
    """Measures of the canonical face after ``deforms``, seen turned by ``turn``."""
    head = head_points()
    for deform in deforms:
        deform(head)
    turn = np.eye(3) if turn is None else turn
    points = to_camera(head, turn)
    return measure_face(points if irises else points[:468], turn)


def close_eye(side: str, amount: float = 1.0) -> Deform:
    """Upper lid moved ``amount`` of the way onto the lower lid."""

    def deform(head: np.ndarray) -> None:
        for upper, lower in LIDS_RIGHT if side == "right" else LIDS_LEFT:
            head[upper] += amount * (head[lower] - head[upper])

    return deform


def open_mouth(cm: float = 3.0) -> Deform:
    """Everything below the line of the mouth corners (lower lip, chin, jaw) moved down."""

    def deform(head: np.ndarray) -> None:
        head[:468][head[:468, 1] > 4.35] += (0.0, cm, 0.0)

    return deform


def smile(side: str = "both", up: float = 0.8, out: float = 0.4) -> Deform:
    """Mouth corners up and outward (61 is the subject's right corner, 291 the left)."""

    def deform(head: np.ndarray) -> None:
        for index, sign in ((61, -1.0), (291, 1.0)):
            if side in ("both", "right" if index == 61 else "left"):
                head[index] += (sign * out, -up, 0.0)

    return deform


def pucker(factor: float = 0.6) -> Deform:
    """The lips drawn toward the midline: the mouth ``factor`` times as wide."""

    def deform(head: np.ndarray) -> None:
        lips = (np.abs(head[:468, 0]) < 2.6) & (head[:468, 1] > 3.2) & (head[:468, 1] < 5.5)
        head[:468][lips] *= (factor, 1.0, 1.0)

    return deform


def look(side: str, dx: float, dy: float = 0.0) -> Deform:
    """One iris (all five points) moved by (dx, dy) cm in the head frame."""

    def deform(head: np.ndarray) -> None:
        first = IRIS_FIRST[side]
        head[first : first + 5] += (dx, dy, 0.0)

    return deform


def raise_brows(cm: float = 0.8) -> Deform:
    """Both brows (every vertex above the brows' lower edge, within the brows' width) up."""

    def deform(head: np.ndarray) -> None:
        brows = (head[:468, 1] < -3.8) & (head[:468, 1] > -5.6) & (np.abs(head[:468, 0]) > 1.0)
        head[:468][brows] -= (0.0, cm, 0.0)

    return deform


def test_typical_face_is_symmetric() -> None:
    # Measured on real faces (tests/test_expressions_real.py), then made left/right symmetric.
    for field in dataclasses.fields(FaceMeasures):
        if field.name.endswith("_left"):
            left = getattr(TYPICAL_FACE, field.name)
            right = getattr(TYPICAL_FACE, field.name.replace("_left", "_right"))
            if field.name.startswith("iris"):
                assert left == (-right[0], right[1])
            else:
                assert left == right, field.name
    assert TYPICAL_FACE.mouth_shift == TYPICAL_FACE.jaw_shift == 0.0


def test_neutral_face_reads_near_zero() -> None:
    values = solve_blendshapes(measure())  # uncalibrated: the canonical face is near typical
    assert set(values) == set(ARKIT_BLENDSHAPES)
    assert max(values.values()) < 0.15
    # Its lips are ~5 mm apart, which uncalibrated reads a little open (an "ih"); as its own
    # neutral, it reads no viseme.
    assert 0.0 < values["jawOpen"] < 0.15
    assert max(visemes_from_blendshapes(solve_face()).values()) < 0.15


@pytest.mark.parametrize(("closed", "other"), [("right", "left"), ("left", "right")])
def test_closed_eye_blinks_that_eye_only(closed: str, other: str) -> None:
    values = solve_face(close_eye(closed))
    assert values[f"eyeBlink{closed.title()}"] > 0.8
    assert values[f"eyeBlink{other.title()}"] < 0.2
    assert values[f"eyeWide{closed.title()}"] == 0.0


def test_half_closed_eye_is_between() -> None:
    assert 0.2 < solve_face(close_eye("left", 0.6))["eyeBlinkLeft"] < 0.9


def test_lids_drooping_a_little_is_no_blink() -> None:
    values = solve_face(close_eye("left", 0.05), close_eye("right", 0.05))
    assert values["eyeBlinkLeft"] == 0.0 and values["eyeBlinkRight"] == 0.0


def test_lower_lid_raised_is_squint() -> None:
    def raise_lower_lid(head: np.ndarray) -> None:
        outer, inner = EYE_CORNERS["left"]
        line = (head[outer] + head[inner]) / 2
        for _, lower in LIDS_LEFT:
            head[lower, 1] -= 0.6 * (head[lower, 1] - line[1])

    values = solve_face(raise_lower_lid)
    assert values["eyeSquintLeft"] > 0.5
    assert values["eyeSquintRight"] == 0.0


def test_raised_cheek_is_cheek_squint() -> None:
    def raise_left_cheek(head: np.ndarray) -> None:
        head[[280, 425]] -= (0.0, 0.8, 0.0)

    values = solve_face(raise_left_cheek)
    assert values["cheekSquintLeft"] > 0.5
    assert values["cheekSquintRight"] == 0.0


def test_open_mouth_is_jaw_open_and_aa() -> None:
    values = solve_face(open_mouth())
    assert values["jawOpen"] > 0.5
    assert values["mouthClose"] < 0.1
    assert values["mouthSmileLeft"] < 0.1 and values["mouthFrownLeft"] < 0.1
    visemes = visemes_from_blendshapes(values)
    assert max(visemes, key=visemes.__getitem__) == "aa"
    assert visemes["aa"] > 0.5


def test_smile_reads_both_sides_and_no_frown() -> None:
    values = solve_face(smile())
    for side in ("Left", "Right"):
        assert values[f"mouthSmile{side}"] > 0.5
        assert values[f"mouthFrown{side}"] < 0.05
        assert values[f"mouthStretch{side}"] < 0.2
    visemes = visemes_from_blendshapes(values)
    assert max(visemes, key=visemes.__getitem__) == "ee"


def test_one_sided_smile_is_the_subjects_side() -> None:
    values = solve_face(smile("left"))  # 291: the subject's left, the image's right
    assert values["mouthSmileLeft"] > 0.5
    assert values["mouthSmileRight"] < 0.05


def test_corners_down_read_frown() -> None:
    values = solve_face(smile(up=-0.5, out=0.0))
    assert values["mouthFrownLeft"] > 0.5 and values["mouthFrownRight"] > 0.5
    assert values["mouthSmileLeft"] == 0.0


def test_open_jaw_dragging_the_corners_down_is_no_frown() -> None:
    values = solve_face(open_mouth(3.0), smile(up=-0.5, out=0.0))
    assert values["jawOpen"] > 0.9
    assert values["mouthFrownLeft"] < 0.1 and values["mouthFrownRight"] < 0.1


def test_pucker_reads_pucker_and_ou() -> None:
    values = solve_face(pucker())
    assert values["mouthPucker"] > 0.7
    assert values["mouthFunnel"] < 0.2
    assert values["jawOpen"] < 0.1
    visemes = visemes_from_blendshapes(values)
    assert max(visemes, key=visemes.__getitem__) == "ou"
    assert visemes["ou"] > 0.7


def test_narrow_mouth_with_lips_apart_is_funnel_and_oh() -> None:
    values = solve_face(pucker(), open_mouth(1.5))
    assert values["mouthFunnel"] > 0.7
    assert values["mouthPucker"] < 0.2
    visemes = visemes_from_blendshapes(values)
    assert max(visemes, key=visemes.__getitem__) == "oh"


def test_raised_brows() -> None:
    values = solve_face(raise_brows())
    assert values["browInnerUp"] > 0.5
    assert values["browOuterUpLeft"] > 0.5 and values["browOuterUpRight"] > 0.5
    assert values["browDownLeft"] == 0.0
    lowered = solve_face(raise_brows(-0.6))
    assert lowered["browDownLeft"] > 0.5 and lowered["browDownRight"] > 0.5
    assert lowered["browInnerUp"] == 0.0


@pytest.mark.parametrize(
    "deforms",
    [(), (close_eye("right"),), (smile(), look("left", -0.3)), (open_mouth(), raise_brows())],
)
def test_turning_the_head_does_not_change_the_values(deforms: tuple[Deform, ...]) -> None:
    straight = solve_face(*deforms)
    turned = solve_face(*deforms, turn=rotation(25.0, 15.0))
    assert set(turned) == set(straight)
    for name, value in straight.items():
        assert turned[name] == pytest.approx(value, abs=0.05), name


def test_measuring_in_the_wrong_frame_would_show_the_turn() -> None:
    # Guards the test above: without the rotation, a turned face does read differently.
    head = head_points()
    open_mouth()(head)
    turned = to_camera(head, rotation(25.0, 40.0))
    wrong = solve_blendshapes(measure_face(turned, np.eye(3)))
    right = solve_blendshapes(measure_face(turned, rotation(25.0, 40.0)))
    assert (
        abs(wrong["jawOpen"] - right["jawOpen"])
        + abs(wrong["eyeBlinkLeft"] - right["eyeBlinkLeft"])
        > 0.1
    )


def test_scale_does_not_change_the_values() -> None:
    head = head_points()
    smile()(head)
    small = measure_face(head * 10.0, np.eye(3))
    large = measure_face(head * 80.0 + 500.0, np.eye(3))
    for name, value in solve_blendshapes(small).items():
        assert solve_blendshapes(large)[name] == pytest.approx(value, abs=1e-9)


def test_calibrated_neutral_reads_exactly_zero() -> None:
    # A streamer whose resting face squints a little, smiles a little and has lips apart.
    quirks = (close_eye("left", 0.3), close_eye("right", 0.3), smile(up=0.2), open_mouth(0.4))
    neutral = measure(*quirks)
    values = solve_blendshapes(neutral, neutral)
    assert set(values) == set(ARKIT_BLENDSHAPES)
    assert all(value == 0.0 for value in values.values())
    # Uncalibrated, the same face does not read neutral: calibration is what zeroes it.
    assert max(solve_blendshapes(neutral).values()) > 0.15
    closed = solve_face(*quirks, close_eye("left"), neutral=neutral)
    assert closed["eyeBlinkLeft"] > 0.95
    assert closed["eyeBlinkRight"] == 0.0


def test_feature_switches_leave_out_the_work() -> None:
    measures = measure()
    assert set(solve_blendshapes(measures, eyes=False)) == set(ARKIT_BLENDSHAPES) - EYE_BLENDSHAPES
    assert set(solve_blendshapes(measures, expression=False)) == EYE_BLENDSHAPES
    assert solve_blendshapes(measures, eyes=False, expression=False) == {}


def test_names_are_mediapipes_blendshapes_in_order() -> None:
    # The neural model's 52 outputs are "_neutral" and then these 51 ARKit names, in this order.
    from mediapipe.tasks.python.vision.face_landmarker import Blendshapes

    snake = [re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in ARKIT_BLENDSHAPES]
    assert ["NEUTRAL", *snake] == [member.name for member in Blendshapes]


def test_eye_blendshapes_are_the_eye_names() -> None:
    assert len(ARKIT_BLENDSHAPES) == len(set(ARKIT_BLENDSHAPES)) == 51
    assert len(EYE_BLENDSHAPES) == 14
    assert all(name.startswith("eye") for name in EYE_BLENDSHAPES)
    assert set(ARKIT_BLENDSHAPES) > EYE_BLENDSHAPES


@pytest.mark.parametrize(("side", "toward_nose"), [("left", -0.5), ("right", 0.5)])
def test_iris_toward_the_nose_looks_in(side: str, toward_nose: float) -> None:
    values = solve_face(look(side, toward_nose))
    name = side.title()
    assert values[f"eyeLookIn{name}"] > 0.5
    assert values[f"eyeLookOut{name}"] == 0.0
    away = solve_face(look(side, -toward_nose))
    assert away[f"eyeLookOut{name}"] > 0.5 > away[f"eyeLookIn{name}"]
    other = "Right" if side == "left" else "Left"
    assert values[f"eyeLookIn{other}"] == 0.0 and values[f"eyeLookOut{other}"] == 0.0


def test_iris_up_and_down() -> None:
    up = solve_face(look("left", 0.0, -0.4), look("right", 0.0, -0.4))
    assert up["eyeLookUpLeft"] > 0.5 and up["eyeLookUpRight"] > 0.5
    assert up["eyeLookDownLeft"] == 0.0
    down = solve_face(look("left", 0.0, 0.4), look("right", 0.0, 0.4))
    assert down["eyeLookDownLeft"] > 0.5 and down["eyeLookUpLeft"] == 0.0


def test_irises_in_either_order_give_the_same_gaze() -> None:
    head = head_points()
    look("left", -0.3)(head)
    swapped = head.copy()
    swapped[468:473], swapped[473:478] = head[473:478], head[468:473]
    assert solve_blendshapes(measure_face(swapped, np.eye(3))) == solve_blendshapes(
        measure_face(head, np.eye(3))
    )


def test_no_irises_no_gaze() -> None:
    values = solve_face(look("left", -0.3), irises=False)
    assert all(values[name] == 0.0 for name in EYE_BLENDSHAPES if name.startswith("eyeLook"))
    assert values["eyeBlinkLeft"] < 0.15  # the rest of the eye still works


def test_rejects_wrong_landmark_shapes() -> None:
    with pytest.raises(ValueError):
        measure_face(np.zeros((100, 3)), np.eye(3))
    with pytest.raises(ValueError):
        measure_face(np.zeros((468, 3)), np.eye(3))  # every point the same: no face size
    with pytest.raises(ValueError):
        measure_face(np.full((478, 3), np.nan), np.eye(3))


def test_visemes_from_model_values() -> None:
    assert visemes_from_blendshapes({}) == dict.fromkeys(VISEMES, 0.0)
    assert tuple(visemes_from_blendshapes({})) == VISEMES
    wide_open = visemes_from_blendshapes({"jawOpen": 1.0})
    assert wide_open["aa"] == 1.0 and wide_open["ih"] == 0.0
    half = visemes_from_blendshapes({"jawOpen": 0.33})
    assert max(half, key=half.__getitem__) == "ih"
    spread = visemes_from_blendshapes({"mouthStretchLeft": 0.9, "mouthStretchRight": 0.9})
    assert max(spread, key=spread.__getitem__) == "ee"
    out_of_range = visemes_from_blendshapes({"jawOpen": 3.0, "mouthFunnel": -1.0})
    assert all(0.0 <= value <= 1.0 for value in out_of_range.values())


def test_relative_to_neutral() -> None:
    values = {"a": 0.5, "b": 0.97, "c": 0.1, "d": 0.4, "e": 1.5}
    neutral = {"a": 0.2, "b": 0.99, "c": 0.3, "e": -0.5}
    assert relative_to_neutral(values, neutral) == pytest.approx(
        {
            "a": 0.3 / 0.8,
            "b": 0.02 / 0.05,  # n clamped to 0.95
            "c": 0.0,  # below neutral: clamped
            "d": 0.4,  # no neutral value: n = 0
            "e": 1.0,  # n clamped to 0, result to 1
        }
    )
    assert relative_to_neutral(neutral | {"d": 0.0}, neutral | {"d": 0.0})["a"] == 0.0
