"""Finding the humanoid bones of a skeleton, in VRM 1.0's names.

A VRM file declares them. Otherwise node names are read the way the common tools write them
(Mixamo ``mixamorig:LeftForeArm``, Ready Player Me ``LeftArm``, Blender ``forearm.L``, Unreal
``lowerarm_l``, 3ds Max ``Bip01 L Forearm``, VRoid ``J_Bip_L_LowerArm``, ``UpperArmL``…): a
name is split into words, its side taken out, and the rest matched against each bone's
aliases. The spine, the fingers and a missing hand come from the tree's shape. Then the result
is checked: arms hang from the upper body on two sides, legs point away from the head. A
quadruped's legs all point one way, square to its spine, and fail that check.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from rigging.errors import NotHumanoidError
from rigging.model import AvatarModel
from rigging.skeleton import world_matrices

SIDES = ("left", "right")
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Little")
FINGER_SEGMENTS = {
    "Thumb": ("Metacarpal", "Proximal", "Distal"),
    **{f: ("Proximal", "Intermediate", "Distal") for f in FINGERS[1:]},
}
# Bone aliases after the side word is taken out, as the words of the name joined.
LIMB_ALIASES: dict[str, tuple[str, ...]] = {
    "Shoulder": ("shoulder", "clavicle", "collar", "collarbone", "clav"),
    "UpperArm": ("upperarm", "arm", "uparm"),
    "LowerArm": ("lowerarm", "forearm", "loarm", "elbow"),
    "Hand": ("hand", "wrist"),
    "UpperLeg": ("upperleg", "upleg", "thigh", "uppleg"),
    "LowerLeg": ("lowerleg", "leg", "calf", "shin", "knee", "loleg"),
    "Foot": ("foot", "ankle"),
    "Toes": ("toes", "toe", "toebase", "ball", "toe0"),
    "Eye": ("eye", "faceeye"),
}
CENTRE_ALIASES: dict[str, tuple[str, ...]] = {
    "hips": ("hips", "hip", "pelvis"),
    "neck": ("neck",),
    "head": ("head",),
    "jaw": ("jaw",),
}
FINGER_WORDS = {"thumb": "Thumb", "index": "Index", "middle": "Middle", "ring": "Ring",
                "little": "Little", "pinky": "Little", "pinkie": "Little"}  # fmt: skip
NOISE_WORDS = {"mixamorig", "bip", "bip01", "bip001", "j", "def", "cc", "base", "valvebiped",
               "armature", "adj", "c", "org", "mch", "jnt", "bn", "b", "f"}  # fmt: skip
ENDS = {"end", "nub", "top", "tip", "headtop", "null"}
REQUIRED = ("hips", "spine", "head", "leftUpperArm", "leftLowerArm", "rightUpperArm",
            "rightLowerArm")  # fmt: skip


@dataclass(frozen=True)
class HumanoidMap:
    """Humanoid bone (VRM 1.0 name) → node index, and where the mapping came from."""

    bones: dict[str, int]
    source: str  # "vrm" or "names"

    def missing(self) -> list[str]:
        """Bones VIDA drives that this skeleton lacks (they stay at rest)."""
        return [b for b in DRIVEN_BONES if b not in self.bones]


DRIVEN_BONES = (
    "hips", "spine", "chest", "upperChest", "neck", "head", "leftEye", "rightEye",
    *(f"{s}{p}" for s in SIDES for p in ("Shoulder", "UpperArm", "LowerArm", "Hand")),
    *(f"{s}{p}" for s in SIDES for p in ("UpperLeg", "LowerLeg", "Foot")),
    *(f"{s}{f}{seg}" for s in SIDES for f in FINGERS for seg in FINGER_SEGMENTS[f]),
)  # fmt: skip


def map_humanoid(model: AvatarModel) -> HumanoidMap:
    """The humanoid bones of ``model``; ``NotHumanoidError`` when it has none or is not one."""
    if model.vrm is not None and model.vrm.humanoid:
        mapping = HumanoidMap(dict(model.vrm.humanoid), "vrm")
    else:
        if not model.skins:
            raise NotHumanoidError(
                "the model has no skeleton; rig it first (`vida avatar rig`, or upload it and "
                "VIDA rigs it)"
            )
        mapping = HumanoidMap(_map_by_names(model), "names")
    absent = [b for b in REQUIRED if b not in mapping.bones]
    if absent:
        raise NotHumanoidError(
            f"this skeleton is not a humanoid VIDA can drive: no {', '.join(absent)} bone "
            f"found (bones seen: {_sample_names(model)})"
        )
    _check_shape(model, mapping.bones)
    return mapping


# --- names ------------------------------------------------------------------------------------


def name_words(name: str) -> list[str]:
    """``"mixamorig:LeftForeArm"`` → ``["left", "fore", "arm"]`` (namespace and noise removed)."""
    name = re.split(r"[:|]", name)[-1]
    name = re.sub(r"(?i)^(valvebiped\.)?bip0*1[ _]?", "", name)  # 3ds Max Biped: "Bip01 L Hand"
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # camelCase
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    name = re.sub(r"([A-Za-z])(\d)", r"\1 \2", name)
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return [w for w in words if w not in NOISE_WORDS]


def classify(name: str) -> tuple[str | None, str, list[str]]:
    """(side, alias key, number words) of a node name; side is "left"/"right"/None."""
    words = name_words(name)
    side = None
    kept = []
    for word in words:
        if word in ("l", "left", "lft") and side is None:
            side = "left"
        elif word in ("r", "right", "rgt") and side is None:
            side = "right"
        else:
            kept.append(word)
    numbers = [w for w in kept if w.isdigit()]
    key = "".join(w for w in kept if not w.isdigit())
    return side, key, numbers


def _map_by_names(model: AvatarModel) -> dict[str, int]:
    joints = sorted({j for s in model.skins for j in s.joints})
    depth = _depths(model)
    found: dict[str, int] = {}
    finger_nodes: dict[tuple[str, str], list[int]] = {}
    for node in sorted(joints, key=lambda n: depth[n]):
        side, key, numbers = classify(model.nodes[node].name)
        if key in ENDS or key.endswith("end") or not key:
            continue
        finger = _finger_of(key)
        if side and finger:
            finger_nodes.setdefault((side, finger), []).append(node)
            continue
        bone = _bone_of(side, key, numbers)
        if bone and bone not in found:
            found[bone] = node
    _spine_from_tree(model, found)
    for (side, finger), nodes in finger_nodes.items():
        segments = FINGER_SEGMENTS[finger]
        chain = nodes[:3]  # by depth; a 4th is the tip
        # Two segments: a thumb lacks its metacarpal, a finger its tip.
        names = segments if len(chain) == 3 else segments[1:] if finger == "Thumb" else segments
        for bone_part, node in zip(names, chain, strict=False):
            found.setdefault(f"{side}{finger}{bone_part}", node)
    for side in SIDES:
        _hand_from_fingers(model, found, side)
    return found


def _bone_of(side: str | None, key: str, numbers: list[str]) -> str | None:
    """The bone a name means; the spine chain is not named here: it is read from the tree."""
    if side is None:
        for bone, aliases in CENTRE_ALIASES.items():
            if key in aliases and not numbers:
                return bone
        return None
    for part, aliases in LIMB_ALIASES.items():
        if key in aliases:
            if part in ("UpperArm", "LowerLeg") and numbers:  # "Arm2", "Leg1": twist bones
                return None
            return f"{side}{part}"
    return None


def _finger_of(key: str) -> str | None:
    key = re.sub(r"(metacarpal|proximal|intermediate|distal)$", "", key)
    for word, finger in FINGER_WORDS.items():
        if key in (word, f"hand{word}", f"{word}finger", f"finger{word}") or key == f"{word}s":
            return finger
    return None


def _spine_from_tree(model: AvatarModel, found: dict[str, int]) -> None:
    """spine/chest/upperChest: the joints between the hips and the neck (or head)."""
    top = found.get("neck", found.get("head"))
    if top is None:
        return
    if "hips" not in found:
        arms = [found[b] for b in ("leftUpperArm", "rightUpperArm") if b in found]
        legs = [found[b] for b in ("leftUpperLeg", "rightUpperLeg") if b in found]
        if legs and arms:
            found["hips"] = _common_ancestor(model, [*legs, top])
    if "hips" not in found:
        return
    chain = []
    node = model.nodes[top].parent
    while node not in (-1, found["hips"]):
        chain.append(node)
        node = model.nodes[node].parent
    if node == -1:
        return  # the head does not hang from the hips: not mapped, reported as missing
    chain.reverse()
    if "neck" not in found and len(chain) >= 2 and top == found.get("head"):
        found["neck"] = chain.pop()
    for bone, node in zip(
        ("spine", "chest", "upperChest"), chain[:2] + chain[2:][-1:], strict=False
    ):
        found[bone] = node


def _hand_from_fingers(model: AvatarModel, found: dict[str, int], side: str) -> None:
    """A skeleton without a hand bone (a palm per finger): the middle finger's parent."""
    root = found.get(f"{side}MiddleProximal", found.get(f"{side}IndexProximal"))
    if f"{side}Hand" in found or root is None:
        return
    parent = model.nodes[root].parent
    if parent != -1 and parent != found.get(f"{side}LowerArm"):
        found[f"{side}Hand"] = parent


# --- checks -----------------------------------------------------------------------------------


def _check_shape(model: AvatarModel, bones: dict[str, int]) -> None:
    for side in SIDES:
        chain = [bones.get(f"{side}{p}") for p in ("UpperArm", "LowerArm", "Hand")]
        chain = [c for c in chain if c is not None]
        for upper, lower in itertools.pairwise(chain):
            if not _is_ancestor(model, upper, lower):
                raise NotHumanoidError(
                    f"the {side} arm's bones are not a chain ({model.nodes[upper].name} does not "
                    f"hold {model.nodes[lower].name})"
                )
    world = world_matrices(model)
    at = {b: world[n][:3, 3] for b, n in bones.items()}
    spine_axis = at["head"] - at["hips"]
    if np.linalg.norm(spine_axis) < 1e-9:
        raise NotHumanoidError("the head and the hips are at the same place")
    spine_axis = spine_axis / np.linalg.norm(spine_axis)
    for side in SIDES:
        leg_end = next((at[f"{side}{p}"] for p in ("Foot", "LowerLeg") if f"{side}{p}" in at), None)
        if leg_end is None or f"{side}UpperLeg" not in at:
            continue
        leg = leg_end - at[f"{side}UpperLeg"]
        if np.linalg.norm(leg) > 1e-9 and np.dot(leg, spine_axis) / np.linalg.norm(leg) > -0.5:
            raise NotHumanoidError(
                "the legs do not point away from the head (a four-legged animal?): VIDA drives "
                "humanoid avatars that stand upright"
            )
    arms = [at[f"{s}LowerArm"] - at[f"{s}UpperArm"] for s in SIDES]
    norms = [float(np.linalg.norm(a)) for a in arms]
    if min(norms) > 1e-9 and np.dot(arms[0], arms[1]) / (norms[0] * norms[1]) > 0.77:
        raise NotHumanoidError(
            "both arms point the same way: the rest pose must be a T- or A-pose, arms apart"
        )


def _depths(model: AvatarModel) -> list[int]:
    depth = [0] * len(model.nodes)
    for index in range(len(model.nodes)):
        node, d = model.nodes[index].parent, 0
        while node != -1:
            d, node = d + 1, model.nodes[node].parent
        depth[index] = d
    return depth


def _is_ancestor(model: AvatarModel, ancestor: int, node: int) -> bool:
    while node != -1:
        node = model.nodes[node].parent
        if node == ancestor:
            return True
    return False


def _common_ancestor(model: AvatarModel, nodes: list[int]) -> int:
    paths = []
    for node in nodes:
        path = []
        while node != -1:
            path.append(node)
            node = model.nodes[node].parent
        paths.append(path[::-1])
    common = -1
    for level in zip(*paths, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


def _sample_names(model: AvatarModel) -> str:
    names = [model.nodes[j].name for j in sorted({j for s in model.skins for j in s.joints})]
    return ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
