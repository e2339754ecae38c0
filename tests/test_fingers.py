"""Finger curl from hand landmarks: synthetic hands with known joint angles."""

from __future__ import annotations

import numpy as np
import pytest

from tracking.fingers import FINGERS, finger_curl

# A right hand, palm facing +z, fingers pointing +y; centimetres.
_BASES = {  # CMC for the thumb, MCP for the fingers
    "thumb": (2.0, 2.0, 0.0),
    "index": (2.5, 9.0, 0.0),
    "middle": (0.5, 9.3, 0.0),
    "ring": (-1.3, 8.9, 0.0),
    "pinky": (-3.0, 8.0, 0.0),
}
_BONES = {
    "thumb": (3.5, 3.0, 2.5),
    "index": (4.0, 2.5, 2.0),
    "middle": (4.5, 2.8, 2.1),
    "ring": (4.2, 2.6, 2.0),
    "pinky": (3.3, 2.0, 1.8),
}
_PALM_NORMAL = np.array([0.0, 0.0, 1.0])
STRAIGHT = (0.0, 0.0, 0.0)
FIST = {"thumb": (20.0, 40.0, 50.0)} | dict.fromkeys(FINGERS[1:], (85.0, 100.0, 60.0))


def hand(bends: dict[str, tuple[float, float, float]] | None = None) -> np.ndarray:
    """(21, 3) landmarks: each finger bent by its three joint angles (degrees) toward the palm.

    Fingers leave their MCP pointing straight ahead (+y), so the ring and pinky are splayed away
    from their metacarpals' direction as in a real open hand; the thumb continues its
    metacarpal's line from the wrist.
    """
    bends = bends or {}
    points = np.zeros((21, 3))
    for number, name in enumerate(FINGERS):
        base = np.array(_BASES[name])
        ahead = base / np.linalg.norm(base) if name == "thumb" else np.array([0.0, 1.0, 0.0])
        chain, total = [base], 0.0
        for bone, angle in zip(_BONES[name], bends.get(name, STRAIGHT), strict=True):
            total += np.radians(angle)
            # Each joint turns the rest of the finger toward the palm's side (-normal).
            direction = np.cos(total) * ahead - np.sin(total) * _PALM_NORMAL
            chain.append(chain[-1] + bone * direction)
        points[1 + 4 * number : 5 + 4 * number] = chain
    return points


def random_rotation(seed: int) -> np.ndarray:
    """A fixed (seeded) proper rotation matrix."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def test_straight_hand_reads_open() -> None:
    curls = finger_curl(hand())
    assert tuple(curls) == FINGERS
    assert all(value < 0.1 for value in curls.values())


def test_ninety_degrees_at_every_joint_reads_curled() -> None:
    curls = finger_curl(hand(dict.fromkeys(FINGERS, (90.0, 90.0, 90.0))))
    assert all(value > 0.8 for value in curls.values())


def test_fist_against_open_hand() -> None:
    fist = finger_curl(hand(FIST))
    open_hand = finger_curl(hand(dict.fromkeys(FINGERS, (5.0, 5.0, 5.0))))
    assert all(fist[name] > 0.8 for name in FINGERS[1:])
    assert fist["thumb"] > 0.5
    assert all(value < 0.1 for value in open_hand.values())


def test_curl_grows_with_the_bend() -> None:
    readings = [
        finger_curl(hand({"index": (angle, angle, angle)}))["index"] for angle in (20, 40, 60)
    ]
    assert readings[0] < readings[1] < readings[2]


def test_one_finger_curled_leaves_the_others() -> None:
    curls = finger_curl(hand({"middle": (80.0, 90.0, 60.0)}))
    assert curls["middle"] > 0.8
    assert all(curls[name] < 0.1 for name in FINGERS if name != "middle")


def test_spreading_the_fingers_is_not_curling() -> None:
    points = hand()
    # Turn the index finger 25° sideways within the palm's plane, about its MCP.
    turn = np.radians(25.0)
    about_z = np.array(
        [[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0], [0, 0, 1]]
    )
    points[6:9] = (points[6:9] - points[5]) @ about_z.T + points[5]
    assert finger_curl(points)["index"] < 0.1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rotation_scale_and_position_do_not_matter(seed: int) -> None:
    points = hand(FIST | {"index": (30.0, 45.0, 20.0)})
    moved = 0.01 * points @ random_rotation(seed).T + np.array([0.3, -0.2, 0.5])  # metres
    expected = finger_curl(points)
    for name, value in finger_curl(moved).items():
        assert value == pytest.approx(expected[name], abs=1e-9)


def test_left_hand_reads_like_the_right() -> None:
    points = hand(FIST | {"ring": (10.0, 20.0, 10.0)})
    mirrored = points * np.array([-1.0, 1.0, 1.0])
    assert finger_curl(mirrored) == pytest.approx(finger_curl(points), abs=1e-9)


def test_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError):
        finger_curl(np.zeros((20, 3)))
