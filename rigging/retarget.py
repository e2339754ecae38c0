"""Tracking → avatar pose: local bone rotations and morph weights for one ``TrackingFrame``.

Every bone is aimed in avatar space (+Y up, the avatar facing +Z toward the viewer, its left
at +X) as a rotation ``D`` applied to its rest orientation: world = D · rest world. Local
rotations follow from the parent's posed orientation, top down. So each part can be solved
on its own (head from the head pose, arms from body landmarks, hands from hand landmarks) and
a part that is not tracked keeps a natural idle pose: arms down, a slow breath, a blink.

MediaPipe's world landmarks are x image-right, y down, z away from the camera. With an
unmirrored camera the streamer's left is image-right, so avatar space is (x, −y, −z). Mirror
mode swaps sides, as a mirror does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rigging.avatar import Avatar
from rigging.expression_map import expression_values
from rigging.humanoid import FINGER_SEGMENTS, FINGERS
from rigging.skeleton import node_order, world_matrices
from rigging.transforms import (
    IDENTITY_QUAT,
    quat_between,
    quat_conjugate,
    quat_from_axis_angle,
    quat_from_matrix,
    quat_multiply,
    quat_slerp,
)
from tracking.frame import BodyTrack, FaceTrack, HandTrack, TrackingFrame

# MediaPipe Pose landmark indices.
SHOULDER = {"left": 11, "right": 12}
ELBOW = {"left": 13, "right": 14}
WRIST = {"left": 15, "right": 16}
HIP = {"left": 23, "right": 24}
VISIBLE = 0.5
IN_VIEW_MARGIN = 0.02  # of the frame: a joint this far outside it is a guess
ARM_PER_SHOULDER_WIDTH = 1.6
ELBOW_POLE = np.array([0.0, -1.0, -0.6])  # elbows bend down and back
# Joint limits (degrees).
HEAD_LIMITS = {"yaw": 75.0, "pitch": 50.0, "roll": 40.0}
TORSO_LIMIT_DEG = 30.0
NECK_SHARE = 0.35  # of the head's turn; the head itself takes the rest
SPINE_SHARES = {"spine": 0.4, "chest": 0.7, "upperChest": 1.0}
FINGER_BEND_DEG = {"Metacarpal": 25.0, "Proximal": 75.0, "Intermediate": 95.0, "Distal": 65.0}
EYE_YAW_DEG, EYE_PITCH_DEG = 25.0, 18.0
JAW_OPEN_DEG = 18.0
# Idle: arms hang 70° below horizontal, forearms a little forward; a breath every 4.5 s.
IDLE_ARM = np.array([math.cos(math.radians(70)), -math.sin(math.radians(70)), 0.05])
IDLE_FOREARM = np.array([0.25, -0.9, 0.3])
BREATH_PERIOD_S, BREATH_DEG = 4.5, 1.2
BLINK_EVERY_S, BLINK_LENGTH_S = 4.2, 0.16


@dataclass(frozen=True)
class RetargetSettings:
    """What the stream's plan and the streamer chose."""

    mirror: bool = False
    face: bool = True
    body: bool = True
    hands: bool = True
    fingers: bool = True


@dataclass
class AvatarPose:
    """Local rotations (node → quaternion) and morph weights (mesh → weights) for one frame."""

    rotations: dict[int, np.ndarray] = field(default_factory=dict)
    morph_weights: dict[int, np.ndarray] = field(default_factory=dict)


class Retargeter:
    """Turns tracking frames into poses for one avatar. Not thread-safe: one per renderer."""

    def __init__(self, avatar: Avatar, settings: RetargetSettings | None = None) -> None:
        self.avatar = avatar
        self.settings = settings or RetargetSettings()
        model = avatar.model
        self._bones = avatar.humanoid.bones
        self._order = node_order(model)
        rest = world_matrices(model, order=self._order)
        self._rest_world = {i: quat_from_matrix(rest[i]) for i in range(len(model.nodes))}
        self._rest_position = {i: rest[i][:3, 3] for i in range(len(model.nodes))}
        self._rest_local = {i: model.nodes[i].rotation for i in range(len(model.nodes))}
        self._depth_order = {n: k for k, n in enumerate(self._order)}
        self._root = quat_from_matrix(model.root)
        # The rest geometry the parts are aimed from: fixed per avatar, so measured once.
        self._rest_direction: dict[str, np.ndarray | None] = {}
        for side in ("left", "right"):
            for bone, child in (("UpperArm", "LowerArm"), ("LowerArm", "Hand")):
                if f"{side}{bone}" in self._bones:
                    self._rest_direction[f"{side}{bone}"] = self._towards_child(
                        f"{side}{bone}", f"{side}{child}"
                    )
        self._hand_frames = {
            side: self._hand_frame(side)
            for side in ("left", "right")
            if f"{side}Hand" in self._bones
        }
        self._bend_axes = {
            name: self._bend_axis(name)
            for name in (
                f"{side}{finger}{segment}"
                for side in ("left", "right")
                for finger in FINGERS
                for segment in FINGER_SEGMENTS[finger]
            )
            if name in self._bones
        }

    # --- the frame ------------------------------------------------------------------------

    def pose(self, frame: TrackingFrame | None, now_s: float) -> AvatarPose:
        """The avatar's pose for ``frame`` (None: nothing tracked) at time ``now_s``."""
        s = self.settings
        face = frame.face if frame is not None and s.face else None
        body = frame.body if frame is not None and s.body else None
        aims: dict[str, np.ndarray] = {}  # humanoid bone → D (avatar-space rotation)
        self._torso(aims, body, now_s)
        self._head(aims, face, now_s)
        for side in ("left", "right"):
            hand = self._hand_track(frame, side) if s.hands else None
            arm_tracked = self._arm(aims, side, body, hand is not None or not s.hands)
            self._hand(aims, side, hand, arm_tracked)
        return AvatarPose(self.local_rotations(aims), self._morphs(face, now_s))

    def local_rotations(self, aims: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
        """Local rotations that give each aimed bone world = D · rest world, parents first."""
        nodes = self.avatar.model.nodes
        posed_world: dict[int, np.ndarray] = {}
        locals_: dict[int, np.ndarray] = {}

        def world_of(index: int) -> np.ndarray:
            if index in posed_world:
                return posed_world[index]
            parent = nodes[index].parent
            base = self._root if parent < 0 else world_of(parent)
            q = quat_multiply(base, locals_.get(index, self._rest_local[index]))
            posed_world[index] = q
            return q

        targets = sorted(
            ((self._bones[b], d) for b, d in aims.items() if b in self._bones),
            key=lambda item: self._depth_order[item[0]],
        )
        for node, d in targets:
            parent = nodes[node].parent
            parent_world = self._root if parent < 0 else world_of(parent)
            desired = quat_multiply(d, self._rest_world[node])
            locals_[node] = quat_multiply(quat_conjugate(parent_world), desired)
            posed_world[node] = desired
        return locals_

    # --- parts ------------------------------------------------------------------------------

    def _head(self, aims: dict[str, np.ndarray], face: FaceTrack | None, now_s: float) -> None:
        if face is None:
            sway = math.radians(1.5) * math.sin(now_s * 2 * math.pi / 9.0)
            aims["head"] = quat_from_axis_angle([0, 1, 0], sway)
            return
        pose = face.head_pose
        yaw = _clamp(pose.yaw, HEAD_LIMITS["yaw"])
        pitch = _clamp(pose.pitch, HEAD_LIMITS["pitch"])
        roll = _clamp(pose.roll, HEAD_LIMITS["roll"])
        if self.settings.mirror:
            yaw, roll = -yaw, -roll
        turn = _euler(yaw, -pitch, -roll)
        aims["neck"] = quat_slerp(IDENTITY_QUAT, turn, NECK_SHARE)
        aims["head"] = turn
        b = face.blendshapes
        look_left = b.get("eyeLookOutLeft", 0.0) - b.get("eyeLookInLeft", 0.0)
        look_up = (b.get("eyeLookUpLeft", 0.0) + b.get("eyeLookUpRight", 0.0)) / 2 - (
            b.get("eyeLookDownLeft", 0.0) + b.get("eyeLookDownRight", 0.0)
        ) / 2
        if self.settings.mirror:
            look_left = -look_left
        gaze = _euler(look_left * EYE_YAW_DEG, -look_up * EYE_PITCH_DEG, 0.0)
        for eye in ("leftEye", "rightEye"):
            aims[eye] = quat_multiply(turn, gaze)
        if self.avatar.expressions.needs_jaw_bone:
            opened = b.get("jawOpen", face.visemes.get("aa", 0.0))
            jaw = quat_from_axis_angle([1, 0, 0], math.radians(JAW_OPEN_DEG) * opened)
            aims["jaw"] = quat_multiply(turn, jaw)

    def _torso(self, aims: dict[str, np.ndarray], body: BodyTrack | None, now_s: float) -> None:
        breath = math.radians(BREATH_DEG) * math.sin(now_s * 2 * math.pi / BREATH_PERIOD_S)
        lean = quat_from_axis_angle([1, 0, 0], breath)
        if body is not None and min(body.visibility[list(SHOULDER.values())]) > VISIBLE:
            lean = quat_multiply(self._torso_turn(body), lean)
        for bone, share in SPINE_SHARES.items():
            aims[bone] = quat_slerp(IDENTITY_QUAT, lean, share)

    def _torso_turn(self, body: BodyTrack) -> np.ndarray:
        """The shoulders' turn and tilt, and the lean from the hips when they are in view."""
        p = self._points(body.world)
        left, right = self._side("left"), self._side("right")
        across = p[SHOULDER[left]] - p[SHOULDER[right]]
        up = np.array([0.0, 1.0, 0.0])
        if min(body.visibility[list(HIP.values())]) > VISIBLE:
            up = (p[SHOULDER[left]] + p[SHOULDER[right]]) / 2 - (p[HIP[left]] + p[HIP[right]]) / 2
        x = across / max(np.linalg.norm(across), 1e-9)
        y = up - np.dot(up, x) * x
        y = y / max(np.linalg.norm(y), 1e-9)
        turn = quat_from_matrix(np.stack([x, y, np.cross(x, y)], axis=1))
        return _limit(turn, TORSO_LIMIT_DEG)

    def _arm(
        self, aims: dict[str, np.ndarray], side: str, body: BodyTrack | None, hand_seen: bool
    ) -> bool:
        """Aim the arm at the tracked elbow and wrist, or let it hang; True when tracked.

        ``hand_seen``: the hand tracker found this hand (or does not run). Without its elbow
        an arm follows its wrist only then: Pose alone puts a hidden wrist in view, too.
        """
        upper, lower = f"{side}UpperArm", f"{side}LowerArm"
        if upper not in self._bones or lower not in self._bones:
            return False
        tracked = False
        sign = 1.0 if side == "left" else -1.0
        arm = IDLE_ARM * [sign, 1, 1]
        forearm = IDLE_FOREARM * [sign, 1, 1]
        if body is not None:
            track = self._side(side)
            shoulder, elbow, wrist = SHOULDER[track], ELBOW[track], WRIST[track]
            p = self._points(body.world)
            if _in_view(body, [shoulder, elbow, wrist]):
                arm, forearm = p[elbow] - p[shoulder], p[wrist] - p[elbow]
                tracked = True
            elif hand_seen and _in_view(body, [shoulder, wrist]):
                # A hand raised towards the camera often hides its elbow below the picture:
                # reach the wrist anyway, the elbow bending down and back as arms do.
                arm, forearm = self._reach(side, body, p[wrist] - p[shoulder])
                tracked = True
        aims[upper] = self._aim(upper, arm)
        aims[lower] = self._aim(lower, forearm)
        return tracked

    def _reach(self, side: str, body: BodyTrack, target: np.ndarray) -> tuple[np.ndarray, ...]:
        """Two-bone IK: (upper arm, forearm) directions whose wrist lies along ``target``."""
        p = self._points(body.world)
        shoulders = float(np.linalg.norm(p[SHOULDER["left"]] - p[SHOULDER["right"]]))
        upper_len, lower_len = (
            self._bone_length(f"{side}UpperArm"),
            self._bone_length(f"{side}LowerArm"),
        )
        # Arms are about 1.6 shoulder widths long: the reach is the target's share of that.
        share = float(np.linalg.norm(target)) / max(ARM_PER_SHOULDER_WIDTH * shoulders, 1e-6)
        reach = np.clip(share, 0.35, 0.999) * (upper_len + lower_len)
        along = target / max(float(np.linalg.norm(target)), 1e-9)
        # Law of cosines: the elbow's distance along the reach and off it.
        along_len = (upper_len**2 - lower_len**2 + reach**2) / (2 * reach)
        off_len = np.sqrt(max(upper_len**2 - along_len**2, 0.0))
        pole = ELBOW_POLE - np.dot(ELBOW_POLE, along) * along
        pole = pole / max(float(np.linalg.norm(pole)), 1e-9)
        elbow = along * along_len + pole * off_len
        return elbow, along * reach - elbow

    def _bone_length(self, bone: str) -> float:
        direction = self._rest_direction.get(bone)
        return 0.25 if direction is None else float(np.linalg.norm(direction))

    def _hand(
        self, aims: dict[str, np.ndarray], side: str, hand: HandTrack | None, arm_tracked: bool
    ) -> None:
        """Turn the hand as tracked (only on a tracked arm: a hanging arm keeps its hand
        straight) and curl the fingers."""
        bone = f"{side}Hand"
        if bone not in self._bones:
            return
        turn = aims.get(f"{side}LowerArm", IDENTITY_QUAT)
        if hand is not None and arm_tracked:
            rest = self._hand_frames[side]
            if rest is not None:
                measured = self._measured_hand_frame(hand.world)
                turn = quat_from_matrix(measured @ rest.T)
                aims[bone] = turn
        if hand is None or not self.settings.fingers:
            return
        for finger in FINGERS:
            curl = hand.finger_curl.get("pinky" if finger == "Little" else finger.lower(), 0.0)
            total = 0.0
            for segment in FINGER_SEGMENTS[finger]:
                name = f"{side}{finger}{segment}"
                if name not in self._bones:
                    continue
                total += FINGER_BEND_DEG[segment] * curl
                axis = self._bend_axes[name]
                aims[name] = quat_multiply(turn, quat_from_axis_angle(axis, math.radians(total)))

    # --- geometry helpers -------------------------------------------------------------------

    def _aim(self, bone: str, direction: np.ndarray) -> np.ndarray:
        """D turning ``bone`` (at rest: towards its child) to point along ``direction``."""
        rest = self._rest_direction.get(bone)
        if rest is None or np.linalg.norm(direction) < 1e-9:
            return IDENTITY_QUAT
        return quat_between(rest, direction)

    def _towards_child(self, bone: str, preferred: str) -> np.ndarray | None:
        """The rest vector from ``bone`` to its child (``preferred`` if mapped, else its first)."""
        if preferred in self._bones:
            child = self._bones[preferred]
        else:
            children = self.avatar.model.children(self._bones[bone])
            if not children:
                return None
            child = children[0]
        return self._rest_position[child] - self._rest_position[self._bones[bone]]

    def _hand_frame(self, side: str) -> np.ndarray | None:
        """Rest hand axes (columns: along the fingers, across the knuckles, palm normal)."""
        hand = self._bones[f"{side}Hand"]
        tip = self._bones.get(f"{side}MiddleProximal", self._bones.get(f"{side}IndexProximal"))
        if tip is None:
            return None
        along = self._rest_position[tip] - self._rest_position[hand]
        index = self._bones.get(f"{side}IndexProximal")
        little = self._bones.get(f"{side}LittleProximal", self._bones.get(f"{side}RingProximal"))
        if index is not None and little is not None and index != little:
            across = self._rest_position[index] - self._rest_position[little]
        else:  # T-pose convention: palms down, the thumb forward
            across = np.array([0.0, 0.0, 1.0])
        return _frame(along, across)

    def _measured_hand_frame(self, world: np.ndarray) -> np.ndarray:
        p = self._points(world)
        return _frame(p[9] - p[0], p[5] - p[17])

    def _bend_axis(self, bone: str) -> np.ndarray:
        """The axis a finger segment curls about: towards the palm (palms face −Y at rest)."""
        node = self._bones[bone]
        children = self.avatar.model.children(node)
        direction = (
            self._rest_position[children[0]] - self._rest_position[node]
            if children
            else self._rest_position[node]
            - self._rest_position[self.avatar.model.nodes[node].parent]
        )
        axis = np.cross(direction, [0.0, -1.0, 0.0])
        return axis / max(np.linalg.norm(axis), 1e-9)

    def _points(self, world: np.ndarray) -> np.ndarray:
        """MediaPipe world landmarks in avatar space (mirrored in mirror mode)."""
        x = -world[:, 0] if self.settings.mirror else world[:, 0]
        return np.stack([x, -world[:, 1], -world[:, 2]], axis=1)

    def _side(self, side: str) -> str:
        """The tracked side that drives the avatar's ``side`` (swapped in mirror mode)."""
        if self.settings.mirror:
            return "right" if side == "left" else "left"
        return side

    def _hand_track(self, frame: TrackingFrame | None, side: str) -> HandTrack | None:
        return frame.hand(self._side(side)) if frame is not None else None  # type: ignore[arg-type]

    # --- face ---------------------------------------------------------------------------------

    def _morphs(self, face: FaceTrack | None, now_s: float) -> dict[int, np.ndarray]:
        if face is None:
            phase = now_s % BLINK_EVERY_S
            blink = math.sin(math.pi * phase / BLINK_LENGTH_S) if phase < BLINK_LENGTH_S else 0.0
            shapes = {"eyeBlinkLeft": blink, "eyeBlinkRight": blink}
            return self.avatar.expressions.weights(expression_values(shapes, {}))
        shapes = face.blendshapes
        if self.settings.mirror:
            shapes = {_swap_side(k): v for k, v in shapes.items()}
        return self.avatar.expressions.weights(expression_values(shapes, face.visemes))


def idle_world(avatar: Avatar) -> np.ndarray:
    """World matrices of the avatar's idle pose (arms down, eyes open): for pictures."""
    pose = Retargeter(avatar).pose(None, 0.0)
    return world_matrices(avatar.model, pose.rotations)


def _in_view(body: BodyTrack, indices: list[int]) -> bool:
    """Landmarks seen, not guessed: MediaPipe places joints out of frame (an elbow below the
    picture) with high visibility, and an arm aimed at a guess flails."""
    inside = body.landmarks[indices, :2]
    margin = IN_VIEW_MARGIN
    return bool(
        min(body.visibility[indices]) > VISIBLE
        and np.all(inside >= -margin)
        and np.all(inside <= 1 + margin)
    )


def _euler(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Ry(yaw) · Rx(pitch) · Rz(roll) in avatar space."""
    y = quat_from_axis_angle([0, 1, 0], math.radians(yaw_deg))
    x = quat_from_axis_angle([1, 0, 0], math.radians(pitch_deg))
    z = quat_from_axis_angle([0, 0, 1], math.radians(roll_deg))
    return quat_multiply(y, quat_multiply(x, z))


def _frame(along: np.ndarray, across: np.ndarray) -> np.ndarray:
    x = along / max(np.linalg.norm(along), 1e-9)
    y = across - np.dot(across, x) * x
    y = y / max(np.linalg.norm(y), 1e-9)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def _limit(q: np.ndarray, max_deg: float) -> np.ndarray:
    """``q`` with its angle clamped to ``max_deg``."""
    q = q if q[3] >= 0 else -q
    angle = 2 * math.acos(min(1.0, float(q[3])))
    limit = math.radians(max_deg)
    return q if angle <= limit else quat_slerp(IDENTITY_QUAT, q, limit / angle)


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _swap_side(name: str) -> str:
    if name.endswith("Left"):
        return name[:-4] + "Right"
    if name.endswith("Right"):
        return name[:-5] + "Left"
    return name
