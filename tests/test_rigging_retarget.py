"""Tracking → pose: each part drives the bones it should, the way a streamer expects."""

from __future__ import annotations

import numpy as np

from rigging.avatar import Avatar
from rigging.expression_map import map_expressions
from rigging.humanoid import map_humanoid
from rigging.retarget import Retargeter, RetargetSettings
from rigging.skeleton import world_matrices
from rigging.upright import stand_upright
from tests.support import skeletons
from tracking.frame import BodyTrack, FaceTrack, HandTrack, HeadPose, TrackingFrame
from tracking.head_pose import rotation_from_angles


def avatar() -> Avatar:
    model = skeletons.skeleton_model(skeletons.mixamo_name)
    humanoid = map_humanoid(model)
    return Avatar(stand_upright(model, humanoid), humanoid, map_expressions(model))


def face(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> FaceTrack:
    pose = HeadPose(yaw, pitch, roll, (0.0, 0.0, 60.0), rotation_from_angles(yaw, pitch, roll))
    return FaceTrack(np.zeros((478, 3)), (0.4, 0.3, 0.6, 0.6), pose, {}, {}, 1.0)


def body_with_left_arm_up() -> BodyTrack:
    """MediaPipe world landmarks (x image-right = the streamer's left, y down, z away)."""
    world = np.zeros((33, 3))
    world[11], world[12] = (0.18, -0.45, 0.0), (-0.18, -0.45, 0.0)  # shoulders
    world[13], world[14] = (0.2, -0.75, 0.0), (-0.2, -0.2, 0.0)  # left elbow up, right down
    world[15], world[16] = (0.2, -1.0, 0.0), (-0.2, 0.0, 0.0)  # wrists
    world[23], world[24] = (0.1, 0.0, 0.0), (-0.1, 0.0, 0.0)  # hips
    in_frame = np.full((33, 3), 0.5)
    return BodyTrack(in_frame, world, np.ones(33), 1.0)


def test_joints_guessed_outside_the_frame_do_not_move_the_arm() -> None:
    av = avatar()
    body = body_with_left_arm_up()
    body.landmarks[13] = (0.7, 1.4, 0.0)  # the left elbow, below the picture
    pose = Retargeter(av).pose(frame(body=body), 0.0)
    hand, shoulder = (position(av, pose.rotations, b) for b in ("leftHand", "leftUpperArm"))
    assert hand[1] < shoulder[1] - 0.3  # it hangs, as if untracked


def position(av: Avatar, rotations: dict[int, np.ndarray], bone: str) -> np.ndarray:
    return world_matrices(av.model, rotations)[av.humanoid.bones[bone]][:3, 3]


def turned(av: Avatar, rotations: dict[int, np.ndarray], bone: str, rest_direction) -> np.ndarray:
    """Where a direction fixed to the bone (given at rest, avatar space) points now."""
    world = world_matrices(av.model, rotations)[av.humanoid.bones[bone]]
    rest = world_matrices(av.model)[av.humanoid.bones[bone]]
    return world[:3, :3] @ np.linalg.inv(rest[:3, :3]) @ rest_direction


def forward(av: Avatar, rotations: dict[int, np.ndarray], bone: str) -> np.ndarray:
    """Where the bone's rest +Z (the avatar's forward) points now."""
    return turned(av, rotations, bone, np.array([0.0, 0.0, 1.0]))


def frame(**parts) -> TrackingFrame:
    return TrackingFrame(timestamp_s=0.0, width=640, height=480, **parts)


def test_turning_to_the_left_turns_the_avatar_to_its_left() -> None:
    av = avatar()
    pose = Retargeter(av).pose(frame(face=face(yaw=30.0)), 0.0)
    head = forward(av, pose.rotations, "head")
    assert head[0] > 0.4  # +X is the avatar's left
    neck = forward(av, pose.rotations, "neck")
    assert 0.05 < neck[0] < head[0]  # the neck takes a share, the head the rest


def test_mirror_mode_turns_the_other_way() -> None:
    av = avatar()
    pose = Retargeter(av, RetargetSettings(mirror=True)).pose(frame(face=face(yaw=30.0)), 0.0)
    assert forward(av, pose.rotations, "head")[0] < -0.4


def test_looking_up_tilts_the_head_up_and_limits_hold() -> None:
    av = avatar()
    up = Retargeter(av).pose(frame(face=face(pitch=20.0)), 0.0)
    assert forward(av, up.rotations, "head")[1] > 0.3
    extreme = Retargeter(av).pose(frame(face=face(yaw=170.0)), 0.0)
    turned = forward(av, extreme.rotations, "head")
    assert np.degrees(np.arctan2(turned[0], turned[2])) <= 75.5


def test_a_raised_arm_lifts_the_avatars_hand_above_its_shoulder() -> None:
    av = avatar()
    pose = Retargeter(av).pose(frame(body=body_with_left_arm_up()), 0.0)
    hand, shoulder = (position(av, pose.rotations, b) for b in ("leftHand", "leftUpperArm"))
    assert hand[1] > shoulder[1] + 0.3
    right_hand = position(av, pose.rotations, "rightHand")
    assert right_hand[1] < position(av, pose.rotations, "rightUpperArm")[1]
    mirrored = Retargeter(av, RetargetSettings(mirror=True)).pose(
        frame(body=body_with_left_arm_up()), 0.0
    )
    assert position(av, mirrored.rotations, "rightHand")[1] > shoulder[1] + 0.3


def test_without_body_tracking_the_arms_rest_down_and_the_head_breathes() -> None:
    av = avatar()
    retargeter = Retargeter(av, RetargetSettings(body=False))
    pose = retargeter.pose(frame(body=body_with_left_arm_up()), 0.0)
    for side in ("left", "right"):
        hand = position(av, pose.rotations, f"{side}Hand")
        assert hand[1] < position(av, pose.rotations, f"{side}UpperArm")[1] - 0.3
    later = retargeter.pose(None, 1.1)
    assert not np.allclose(
        forward(av, pose.rotations, "chest"), forward(av, later.rotations, "chest")
    )


def test_curled_fingers_bend_towards_the_palm() -> None:
    av = avatar()
    hand = HandTrack("left", np.zeros((21, 3)), np.zeros((21, 3)), {"index": 1.0}, 1.0)
    pose = Retargeter(av, RetargetSettings(body=False)).pose(frame(hands=(hand,)), 0.0)
    tip = position(av, pose.rotations, "leftIndexDistal")
    base = position(av, pose.rotations, "leftIndexProximal")
    straight = Retargeter(av, RetargetSettings(body=False)).pose(None, 0.0).rotations
    assert np.linalg.norm(tip - position(av, straight, "leftIndexDistal")) > 0.03
    # The palm faces down in the T-pose; wherever the hanging arm turned it, the curled
    # finger points that way now.
    palm = turned(av, pose.rotations, "leftHand", np.array([0.0, -1.0, 0.0]))
    finger = (tip - base) / np.linalg.norm(tip - base)
    assert np.dot(finger, palm) > 0.5
