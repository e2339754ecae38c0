"""ARKit-named blendshapes and visemes from Face Mesh landmarks, by geometry alone.

The cheap, model-free path: a handful of scale-free distances measured in the head's own frame
(so turning the head does not read as an expression), mapped onto ARKit's blendshape names by
linear ramps. The neural 52-blendshape model is the precise path; this one is the fallback and
the low-precision path, and shares its names so that everything downstream takes either.

Head frame: OpenCV axes after removing the head rotation, so for a face looking at the camera
+x is the image's right (the subject's LEFT), +y is down and +z is away from the camera.
Left/Right in every name are the subject's, as in ARKit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft",
    "noseSneerRight",
)  # fmt: skip
EYE_BLENDSHAPES: frozenset[str] = frozenset(
    name
    for name in ARKIT_BLENDSHAPES
    if name.startswith(("eyeBlink", "eyeWide", "eyeSquint", "eyeLook"))
)
VISEMES: tuple[str, ...] = ("aa", "ih", "ou", "ee", "oh")

# Face Mesh indices. "R" is the subject's right (the 33 side), "L" the subject's left.
_EYE_OUTER_R, _EYE_INNER_R, _EYE_OUTER_L, _EYE_INNER_L = 33, 133, 263, 362
# Upper and lower lid, the three central pairs of each eye (vertically above one another).
_LID_UPPER_R, _LID_LOWER_R = (160, 159, 158), (144, 145, 153)
_LID_UPPER_L, _LID_LOWER_L = (387, 386, 385), (373, 374, 380)
_BROW_INNER_R, _BROW_OUTER_R = (107, 66, 55, 65), (70, 63, 46, 53)
_BROW_INNER_L, _BROW_OUTER_L = (336, 296, 285, 295), (300, 293, 276, 283)
_CHEEK_R, _CHEEK_L = (50, 205), (280, 425)
_MOUTH_CORNER_R, _MOUTH_CORNER_L = 61, 291
# Inner lip contour, upper and lower, in vertically matching pairs (centre and either side).
_LIP_INNER_UPPER, _LIP_INNER_LOWER = (13, 82, 312), (14, 87, 317)
_CHIN = 152
# The nose bridge: on the midline and moved by no expression, unlike the nose tip or chin.
_MIDLINE = (168, 6, 197, 195)
_IRIS_CENTRES = (468, 473)


@dataclass(frozen=True)
class FaceMeasures:
    """Scale-free measurements of one face in the head's own frame.

    Distances are divided by the distance between the outer eye corners (33-263), except the
    eye's own measures, which are divided by that eye's corner-to-corner width. Heights are
    positive upward; the eye line is the midpoint of that side's two eye corners.
    """

    eye_open_left: float  # lid gap / eye width
    eye_open_right: float
    lower_lid_left: float  # how far the lower lid lies below the eye line / eye width
    lower_lid_right: float
    # Iris centre from the eye's centre, per half eye width: (+x toward the subject's left,
    # +y down); None when the landmarks carry no irises.
    iris_left: tuple[float, float] | None
    iris_right: tuple[float, float] | None
    brow_inner_left: float  # height above the eye line
    brow_inner_right: float
    brow_outer_left: float
    brow_outer_right: float
    cheek_left: float  # height above the eye line (negative: cheeks lie below the eyes)
    cheek_right: float
    lip_gap: float  # inner lips, upper to lower
    jaw_drop: float  # chin below the mean eye line
    corner_out_left: float  # mouth corner's distance from the midline
    corner_out_right: float
    corner_lift_left: float  # mouth corner's height above the centre of the inner lips
    corner_lift_right: float
    mouth_shift: float  # mouth centre from the midline, + toward the subject's left
    jaw_shift: float  # chin from the midline, + toward the subject's left


# Real faces as Face Mesh (refine_landmarks, the CPU graph) reports them, measured with the head
# rotation of tracking.head_pose: the uncalibrated baseline, so that a relaxed face reads near 0.
# Derived from the woman of woman_face_thumbs_up_8s.mp4, the astronaut photo and both mirrored
# (tests/test_expressions_real.py checks the result against MediaPipe's blendshape network), and
# made left/right symmetric. Eye opening and brows are the mean of the two people's medians;
# the lower lid, mouth and cheeks come from the woman's frames where the network reads no
# smile (the astronaut's broad smile raises all three); the iris is where the network reads no
# gaze (a fit of iris offset against its eyeLookIn/Out and Up/Down). The
# canonical mesh is no baseline: its lids, lips and chin sit where no tracked face has them
# (lip gap 0.06, lower lid 0.113, chin 1.35).
TYPICAL_FACE = FaceMeasures(
    eye_open_left=0.30, eye_open_right=0.30, lower_lid_left=0.078, lower_lid_right=0.078,
    # Face Mesh puts a level gaze's iris ~0.17 half-widths above the eye corners' line (the
    # corners sit low on the eye) and a little outward: read as "looking up", uncorrected.
    iris_left=(0.04, -0.17), iris_right=(-0.04, -0.17),
    brow_inner_left=0.237, brow_inner_right=0.237, brow_outer_left=0.183,
    brow_outer_right=0.183, cheek_left=-0.364, cheek_right=-0.364, lip_gap=0.0,
    jaw_drop=1.155, corner_out_left=0.286, corner_out_right=0.286,
    corner_lift_left=-0.010, corner_lift_right=-0.010, mouth_shift=0.0, jaw_shift=0.0,
)  # fmt: skip

# Ramps, as a change of the measure from the neutral face (units as in FaceMeasures). Full
# points are sized for full expressions (a wide-open mouth parts the lips by ~1/3 of the
# eye-corner distance; brows rise ~0.8 cm on a ~9 cm eye-corner distance; the iris travels ~0.6
# of half the eye's width for the network's eyeLookIn/Out 1). Dead zones are sized by Face Mesh's
# own noise on a still face, which is large: over a few seconds of a relaxed face it moves the
# eye opening by ±15 %, an iris by ±0.05 half-widths sideways and ±0.1 up and down, the inner
# brows by ±0.02, the chin and the mouth sideways by ±0.05 (all per eye-corner distance unless
# said). Within those, the geometry cannot tell an expression from noise, so it reads 0.
_EYE_CLOSED = 0.06  # lid gap / eye width of a closed eye as Face Mesh reports it (never quite 0)
_EYE_REST = 0.8  # blink starts below 80 % of the neutral opening: lids flutter
_EYE_WIDE = (1.3, 1.7)  # eyeWide from 130 % to 170 % of the neutral opening
_SQUINT = (0.75, 0.25)  # lower lid rises from 75 % to 25 % of its neutral drop
_GAZE_DEAD_SIDE, _GAZE_SIDE = 0.04, 0.6
_GAZE_DEAD_VERTICAL, _GAZE_UP, _GAZE_DOWN = 0.1, 0.4, 0.35
# Brows sit at different heights on different faces (0.215 and 0.259 on the two measured):
# uncalibrated, they count only past that margin.
_BROW_DEAD_CALIBRATED, _BROW_DEAD_TYPICAL, _BROW_UP, _BROW_DOWN = 0.025, 0.045, 0.1, 0.1
_CHEEK_DEAD, _CHEEK_UP = 0.03, 0.1
_LIP_DEAD, _LIP_OPEN, _LIP_ROUND_OPEN = 0.02, 0.32, 0.1
# A broad smile bares the teeth, parting the lips by this much with the jaw shut (the
# astronaut): lips parted that far by a smile are no open jaw.
_SMILE_GAP = 0.12
# The chin's height varies between faces far more than the lips' gap (1.155 on both people
# measured, 1.35 on the canonical mesh): uncalibrated, it counts only past a wide margin, so
# that a long chin does not read as an open jaw.
_JAW_DEAD_CALIBRATED, _JAW_DEAD_TYPICAL, _JAW_OPEN = 0.02, 0.2, 0.3
# A smile lifts the corners above the line where the lips meet AND pulls them outward; either
# alone is something else (an open jaw lifts them relative to that line, a stretch pulls them
# out), so the smile is the geometric mean of the two.
_SMILE_LIFT_DEAD, _SMILE_LIFT, _SMILE_OUT_DEAD, _SMILE_OUT = 0.0, 0.03, 0.005, 0.065
_FROWN_DEAD, _FROWN = 0.03, 0.07
_NARROW_DEAD, _NARROW = 0.06, 0.18  # mouth width (both corners) narrower than neutral
_STRETCH_DEAD, _STRETCH = 0.04, 0.1  # one corner further out than neutral
_SHIFT_DEAD, _SHIFT = 0.05, 0.14


def measure_face(landmarks: np.ndarray, rotation: np.ndarray) -> FaceMeasures:
    """Measure one face: (468, 3) or (478, 3) landmarks, pixels, OpenCV axes; 3x3 head rotation.

    ``rotation`` is camera-from-head (identity: looking straight at the camera). Points are
    taken into the head frame first, so turning the head does not read as an expression; the
    last 10 of 478 landmarks are the irises, and with 468 there is no gaze.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] not in (468, 478):
        raise ValueError(f"expected (468, 3) or (478, 3) landmarks, got {points.shape}")
    head = (points - points.mean(axis=0)) @ np.asarray(rotation, dtype=np.float64)
    size = float(np.linalg.norm(head[_EYE_OUTER_L] - head[_EYE_OUTER_R]))
    if not size > 0.0:  # also catches NaN, which would otherwise spread into every value
        raise ValueError("degenerate landmarks: the outer eye corners coincide or are not finite")
    y = head[:, 1]
    eye_mid_r = (head[_EYE_OUTER_R] + head[_EYE_INNER_R]) / 2
    eye_mid_l = (head[_EYE_OUTER_L] + head[_EYE_INNER_L]) / 2
    width_r = float(np.linalg.norm(head[_EYE_OUTER_R] - head[_EYE_INNER_R]))
    width_l = float(np.linalg.norm(head[_EYE_OUTER_L] - head[_EYE_INNER_L]))
    midline_x = float(head[list(_MIDLINE), 0].mean())
    # Corners are measured against the line where the lips meet: a smile curls them above it
    # (even when it bares the teeth, lifting the upper lip too), a frown pulls them below it.
    lips_mid_y = float(y[_LIP_INNER_UPPER[0]] + y[_LIP_INNER_LOWER[0]]) / 2
    corner_r, corner_l = head[_MOUTH_CORNER_R], head[_MOUTH_CORNER_L]
    iris_r, iris_l = _irises(head, eye_mid_r, eye_mid_l, width_r, width_l)

    def above(indices: tuple[int, ...], eye_mid: np.ndarray) -> float:
        return float(eye_mid[1] - y[list(indices)].mean()) / size

    return FaceMeasures(
        eye_open_left=float(y[list(_LID_LOWER_L)].mean() - y[list(_LID_UPPER_L)].mean()) / width_l,
        eye_open_right=float(y[list(_LID_LOWER_R)].mean() - y[list(_LID_UPPER_R)].mean()) / width_r,
        lower_lid_left=float(y[list(_LID_LOWER_L)].mean() - eye_mid_l[1]) / width_l,
        lower_lid_right=float(y[list(_LID_LOWER_R)].mean() - eye_mid_r[1]) / width_r,
        iris_left=iris_l,
        iris_right=iris_r,
        brow_inner_left=above(_BROW_INNER_L, eye_mid_l),
        brow_inner_right=above(_BROW_INNER_R, eye_mid_r),
        brow_outer_left=above(_BROW_OUTER_L, eye_mid_l),
        brow_outer_right=above(_BROW_OUTER_R, eye_mid_r),
        cheek_left=above(_CHEEK_L, eye_mid_l),
        cheek_right=above(_CHEEK_R, eye_mid_r),
        lip_gap=float(y[list(_LIP_INNER_LOWER)].mean() - y[list(_LIP_INNER_UPPER)].mean()) / size,
        jaw_drop=float(y[_CHIN] - (eye_mid_l[1] + eye_mid_r[1]) / 2) / size,
        corner_out_left=float(corner_l[0] - midline_x) / size,
        corner_out_right=float(midline_x - corner_r[0]) / size,
        corner_lift_left=float(lips_mid_y - corner_l[1]) / size,
        corner_lift_right=float(lips_mid_y - corner_r[1]) / size,
        mouth_shift=float((corner_l[0] + corner_r[0]) / 2 - midline_x) / size,
        jaw_shift=float(head[_CHIN, 0] - midline_x) / size,
    )


def _irises(
    head: np.ndarray, eye_mid_r: np.ndarray, eye_mid_l: np.ndarray, width_r: float, width_l: float
) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """Each iris centre relative to its eye's centre, per half eye width: (right, left)."""
    if head.shape[0] < 478:
        return None, None
    first, second = head[_IRIS_CENTRES[0]], head[_IRIS_CENTRES[1]]
    # Face Mesh lists the subject's right iris first; pairing each iris with the nearer eye
    # keeps a mirrored or reordered source from swapping the eyes' gaze.
    if np.linalg.norm(first - eye_mid_r) + np.linalg.norm(second - eye_mid_l) > np.linalg.norm(
        first - eye_mid_l
    ) + np.linalg.norm(second - eye_mid_r):
        first, second = second, first

    def offset(iris: np.ndarray, mid: np.ndarray, width: float) -> tuple[float, float]:
        return float(iris[0] - mid[0]) / (width / 2), float(iris[1] - mid[1]) / (width / 2)

    return offset(first, eye_mid_r, width_r), offset(second, eye_mid_l, width_l)


def _ramp(value: float, rest: float, full: float) -> float:
    """0 at ``rest``, 1 at ``full`` (either direction), linear between, clamped."""
    return float(np.clip((value - rest) / (full - rest), 0.0, 1.0))


def solve_blendshapes(
    measures: FaceMeasures,
    neutral: FaceMeasures | None = None,
    *,
    eyes: bool = True,
    expression: bool = True,
) -> dict[str, float]:
    """ARKit-named values in [0, 1] from one face's measures.

    Eye names (``EYE_BLENDSHAPES``) only when ``eyes``, all the other names only when
    ``expression``; names this geometry cannot see are 0. Uncalibrated (``neutral`` None), the
    baseline is a typical face; with ``neutral`` (the streamer's own neutral face) that face
    reads 0 exactly.
    """
    base = neutral if neutral is not None else TYPICAL_FACE
    values: dict[str, float] = {}
    if eyes:
        for side in ("Left", "Right"):
            values.update(_eye(measures, base, side))
    if expression:
        values.update(
            dict.fromkeys((n for n in ARKIT_BLENDSHAPES if n not in EYE_BLENDSHAPES), 0.0)
        )
        mouth = _mouth(measures, base, calibrated=neutral is not None)
        values.update(mouth)
        values.update(_brows_and_cheeks(measures, base, mouth, calibrated=neutral is not None))
    return values


def _eye(m: FaceMeasures, base: FaceMeasures, side: str) -> dict[str, float]:
    """Blink, wide, squint and gaze of one eye (``side``: "Left" or "Right")."""
    key = side.lower()
    opening, rest = getattr(m, f"eye_open_{key}"), getattr(base, f"eye_open_{key}")
    lower, lower_rest = getattr(m, f"lower_lid_{key}"), getattr(base, f"lower_lid_{key}")
    # Closed is absolute (lids meet whoever the face), so a squinting neutral still blinks to 1.
    values = {
        f"eyeBlink{side}": _ramp(opening, rest * _EYE_REST, min(_EYE_CLOSED, rest * _EYE_REST / 2)),
        f"eyeWide{side}": _ramp(opening, rest * _EYE_WIDE[0], rest * _EYE_WIDE[1]),
        f"eyeSquint{side}": _ramp(lower, lower_rest * _SQUINT[0], lower_rest * _SQUINT[1]),
    }
    # A neutral measured without irises leaves the typical iris as the baseline.
    iris = getattr(m, f"iris_{key}")
    iris_rest = getattr(base, f"iris_{key}") or getattr(TYPICAL_FACE, f"iris_{key}")
    # No irises: no gaze, so every eyeLook reads 0.
    dx, dy = (0.0, 0.0) if iris is None else (iris[0] - iris_rest[0], iris[1] - iris_rest[1])
    # +x is toward the subject's left: outward for the left eye, inward (to the nose) for the right.
    outward = dx if side == "Left" else -dx
    values[f"eyeLookOut{side}"] = _ramp(outward, _GAZE_DEAD_SIDE, _GAZE_SIDE)
    values[f"eyeLookIn{side}"] = _ramp(-outward, _GAZE_DEAD_SIDE, _GAZE_SIDE)
    values[f"eyeLookUp{side}"] = _ramp(-dy, _GAZE_DEAD_VERTICAL, _GAZE_UP)
    values[f"eyeLookDown{side}"] = _ramp(dy, _GAZE_DEAD_VERTICAL, _GAZE_DOWN)
    return values


def _brows_and_cheeks(
    m: FaceMeasures, base: FaceMeasures, mouth: Mapping[str, float], *, calibrated: bool
) -> dict[str, float]:
    """Brow raise/lower and cheek raise (``mouth``: this face's mouth values, for the smile)."""
    dead = _BROW_DEAD_CALIBRATED if calibrated else _BROW_DEAD_TYPICAL
    inner = (m.brow_inner_left + m.brow_inner_right) / 2
    inner_rest = (base.brow_inner_left + base.brow_inner_right) / 2
    values = {"browInnerUp": _ramp(inner, inner_rest + dead, inner_rest + _BROW_UP)}
    for side in ("Left", "Right"):
        key = side.lower()
        brow_in, brow_in_rest = getattr(m, f"brow_inner_{key}"), getattr(base, f"brow_inner_{key}")
        brow_out, out_rest = getattr(m, f"brow_outer_{key}"), getattr(base, f"brow_outer_{key}")
        cheek, cheek_rest = getattr(m, f"cheek_{key}"), getattr(base, f"cheek_{key}")
        # browDown is mostly the inner brow pulled down (the corrugator), so it reads there.
        values[f"browDown{side}"] = _ramp(brow_in, brow_in_rest - dead, brow_in_rest - _BROW_DOWN)
        values[f"browOuterUp{side}"] = _ramp(brow_out, out_rest + dead, out_rest + _BROW_UP)
        # A smile pushes the cheeks up by itself (the astronaut's by 0.07), and the network
        # reads no cheekSquint in it: cheekSquint is the raise that the smile does not explain.
        raised = _ramp(cheek, cheek_rest + _CHEEK_DEAD, cheek_rest + _CHEEK_UP)
        values[f"cheekSquint{side}"] = raised * (1.0 - mouth[f"mouthSmile{side}"])
    return values


def _mouth(m: FaceMeasures, base: FaceMeasures, *, calibrated: bool) -> dict[str, float]:
    """Jaw, lips and mouth corners."""
    width = m.corner_out_left + m.corner_out_right
    width_rest = base.corner_out_left + base.corner_out_right
    smiles = {}
    for side in ("Left", "Right"):
        key = side.lower()
        lift, lift_rest = getattr(m, f"corner_lift_{key}"), getattr(base, f"corner_lift_{key}")
        out, out_rest = getattr(m, f"corner_out_{key}"), getattr(base, f"corner_out_{key}")
        up = _ramp(lift, lift_rest + _SMILE_LIFT_DEAD, lift_rest + _SMILE_LIFT)
        # One corner's distance from the nose's line moves with the whole mouth shifting, and
        # with any head turn the pose leaves behind: half of it is taken from the mouth's width.
        outward = (out - out_rest + (width - width_rest) / 2) / 2
        wide = _ramp(outward, _SMILE_OUT_DEAD, _SMILE_OUT)
        smiles[side] = float(np.sqrt(up * wide))
    # Lips parted by a smile's bared teeth are no open jaw.
    smile_gap = _SMILE_GAP * (smiles["Left"] + smiles["Right"]) / 2
    lips = _ramp(m.lip_gap - smile_gap, base.lip_gap + _LIP_DEAD, base.lip_gap + _LIP_OPEN)
    jaw_dead = _JAW_DEAD_CALIBRATED if calibrated else _JAW_DEAD_TYPICAL
    jaw = _ramp(m.jaw_drop, base.jaw_drop + jaw_dead, base.jaw_drop + jaw_dead + _JAW_OPEN)
    narrow = _ramp(width, width_rest - _NARROW_DEAD, width_rest - _NARROW)
    # A narrow mouth with the lips apart is a funnel ("oh"); with them together, a pucker.
    parted = _ramp(m.lip_gap, base.lip_gap + _LIP_DEAD, base.lip_gap + _LIP_ROUND_OPEN)
    values = {
        "jawOpen": max(lips, jaw),
        # The jaw dropped while the lips stay together.
        "mouthClose": max(0.0, jaw - lips),
        "mouthFunnel": narrow * parted,
        "mouthPucker": narrow * (1.0 - parted),
        "jawLeft": _ramp(m.jaw_shift, base.jaw_shift + _SHIFT_DEAD, base.jaw_shift + _SHIFT),
        "jawRight": _ramp(m.jaw_shift, base.jaw_shift - _SHIFT_DEAD, base.jaw_shift - _SHIFT),
        "mouthLeft": _ramp(
            m.mouth_shift, base.mouth_shift + _SHIFT_DEAD, base.mouth_shift + _SHIFT
        ),
        "mouthRight": _ramp(
            m.mouth_shift, base.mouth_shift - _SHIFT_DEAD, base.mouth_shift - _SHIFT
        ),
    }
    for side in ("Left", "Right"):
        key = side.lower()
        lift, lift_rest = getattr(m, f"corner_lift_{key}"), getattr(base, f"corner_lift_{key}")
        out, out_rest = getattr(m, f"corner_out_{key}"), getattr(base, f"corner_out_{key}")
        values[f"mouthSmile{side}"] = smiles[side]
        # An opening jaw drags the corners down with it: that is no frown.
        frown = _ramp(lift, lift_rest - _FROWN_DEAD, lift_rest - _FROWN)
        values[f"mouthFrown{side}"] = frown * (1.0 - lips)
        # A smile also pulls the corners out; stretch is the part that a smile does not explain.
        stretch = _ramp(out, out_rest + _STRETCH_DEAD, out_rest + _STRETCH)
        values[f"mouthStretch{side}"] = stretch * (1.0 - smiles[side])
    return values


def visemes_from_blendshapes(blendshapes: Mapping[str, float]) -> dict[str, float]:
    """The visemes aa, ih, ou, ee, oh in [0, 1] from ARKit-named blendshapes.

    Takes this module's solver output or the neural model's 52 values; missing names read 0.
    Open jaw + unrounded lips is "aa", rounded lips are "oh" when open and "ou" when nearly
    closed, spread lips are "ee", and a half-open relaxed mouth is "ih".
    """

    def get(name: str) -> float:
        return float(np.clip(blendshapes.get(name, 0.0), 0.0, 1.0))

    def pair(stem: str) -> float:
        return (get(f"{stem}Left") + get(f"{stem}Right")) / 2

    opening = get("jawOpen")
    rounded = max(get("mouthFunnel"), get("mouthPucker"))
    spread = max(pair("mouthSmile"), pair("mouthStretch"))
    # "ih" peaks at a third open and fades by two thirds, where "aa" takes over.
    half_open = max(0.0, 1.0 - abs(opening - 0.33) / 0.33)
    # Round lips: "ou" barely parted, "oh" once the jaw is half open (speech rarely opens more).
    round_open = min(1.0, 2.0 * opening)
    return {
        "aa": opening * (1.0 - rounded),
        "ih": half_open * (1.0 - rounded) * (1.0 - spread),
        "ou": rounded * (1.0 - round_open),
        "ee": spread * (1.0 - rounded) * (1.0 - 0.5 * opening),
        "oh": rounded * round_open,
    }


def relative_to_neutral(
    values: Mapping[str, float], neutral: Mapping[str, float]
) -> dict[str, float]:
    """Calibrate a model's blendshapes: ``(v - n) / (1 - n)`` clamped to [0, 1].

    ``n`` is the neutral face's value (0 when missing), clamped to [0, 0.95] so that a name
    the neutral face already saturates still has some range left.
    """
    result: dict[str, float] = {}
    for name, value in values.items():
        rest = min(max(float(neutral.get(name, 0.0)), 0.0), 0.95)
        result[name] = float(np.clip((float(value) - rest) / (1.0 - rest), 0.0, 1.0))
    return result
