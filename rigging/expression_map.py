"""Which of a model's morph targets each tracked expression drives.

Tracking speaks ARKit's 52 blendshapes and five visemes (aa ih ou ee oh). A model may have
(in this order of preference):

1. ARKit-named morph targets ("perfect sync"): each is driven by its blendshape directly;
2. VRM expressions (presets aa … surprised, blink, look*): each drives its bound targets;
3. commonly named targets ("Blink_L", "Fcl_MTH_A", "vrc.v_aa", "Smile", "Angry"…).

Expressions a model lacks fall back to what it has: the five visemes stand in for mouth
shapes, ``blink`` for one-eyed blinks, emotions are derived from the blendshapes. With no mouth
shape at all, ``needs_jaw_bone`` tells the retargeting to open the jaw bone instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rigging.model import AvatarModel
from tracking.expressions import ARKIT_BLENDSHAPES, VISEMES

EMOTIONS = ("happy", "angry", "sad", "relaxed", "surprised")
BLINKS = ("blink", "blinkLeft", "blinkRight")
EXPRESSIONS = (*VISEMES, *BLINKS, *EMOTIONS)
MOUTH_SHAPES = {"jawOpen", "mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthStretchRight"}

# Common morph names (lower case, letters and digits only; prefixes like "Fcl_MTH_" and
# "vrc.v_" are removed first) → the expression they show.
COMMON_NAMES: dict[str, str] = {
    **{k: "aa" for k in ("a", "aa", "vaa", "mouthopen", "mouth_a", "open", "mouthaa")},
    **{k: "ih" for k in ("i", "ih", "vih", "mouthih")},
    **{k: "ou" for k in ("u", "ou", "vou", "mouthou")},
    **{k: "ee" for k in ("e", "ee", "vee", "mouthee")},
    **{k: "oh" for k in ("o", "oh", "voh", "moutho", "mouthoh")},
    **{k: "blink" for k in ("blink", "close", "eyeclose", "eyesclosed", "blinkboth", "eyesclose")},
    **{k: "blinkLeft" for k in ("blinkl", "blinkleft", "closel", "eyeclosel", "winkl", "winkleft",
                                "lefteyeclose", "eyeblinkl")},
    **{k: "blinkRight" for k in ("blinkr", "blinkright", "closer", "eyecloser", "winkr",
                                 "winkright", "righteyeclose", "eyeblinkr")},
    **{k: "happy" for k in ("happy", "joy", "smile", "fun")},
    **{k: "angry" for k in ("angry", "anger", "mad")},
    **{k: "sad" for k in ("sad", "sorrow")},
    **{k: "relaxed" for k in ("relaxed", "calm")},
    **{k: "surprised" for k in ("surprised", "surprise", "shock", "shocked")},
}  # fmt: skip
NAME_PREFIXES = re.compile(r"^(fcl(all|mth|eye|brw|ha)?|vrcv|vrc|blendshape\d*|bs|shape|key)")


@dataclass(frozen=True)
class MorphDrive:
    """One morph target (``mesh``, ``target``) driven by ``source`` × ``gain``."""

    mesh: int
    target: int
    source: str  # an ARKit name, a viseme, a blink or an emotion
    gain: float = 1.0


@dataclass(frozen=True)
class ExpressionMap:
    """How tracked expressions become morph weights on one model."""

    drives: tuple[MorphDrive, ...]
    target_counts: tuple[int, ...]  # morph targets per mesh
    perfect_sync: bool  # ARKit-named targets drive the face directly
    needs_jaw_bone: bool  # no mouth shape: open the jaw bone instead

    def weights(self, values: Mapping[str, float]) -> dict[int, np.ndarray]:
        """Per-mesh morph weights (only meshes with targets) for the values of ``inputs``."""
        out = {m: np.zeros(n, np.float32) for m, n in enumerate(self.target_counts) if n}
        for drive in self.drives:
            value = values.get(drive.source, 0.0)
            if value:
                out[drive.mesh][drive.target] += drive.gain * value
        for weights in out.values():
            np.clip(weights, 0.0, 1.0, out=weights)
        return out

    def describe(self, model: AvatarModel) -> dict[str, list[str]]:
        """Expression → the morph targets it drives, as ``mesh/target`` names (for inspect)."""
        out: dict[str, list[str]] = {}
        for d in self.drives:
            mesh = model.meshes[d.mesh]
            out.setdefault(d.source, []).append(f"{mesh.name}/{mesh.target_names[d.target]}")
        return out


def map_expressions(model: AvatarModel) -> ExpressionMap:
    """Build the map for ``model`` (see the module docstring for the order of preference)."""
    drives: list[MorphDrive] = []
    covered: set[str] = set()
    arkit = {n.lower(): n for n in ARKIT_BLENDSHAPES}
    for mesh_index, mesh in enumerate(model.meshes):
        for target, name in enumerate(mesh.target_names):
            source = arkit.get(_tail(name))
            if source is not None:
                drives.append(MorphDrive(mesh_index, target, source))
                covered.add(source)
    perfect_sync = {"jawOpen", "eyeBlinkLeft"} <= covered
    vrm_expressions = _vrm_expressions(model)
    common = _common_expressions(model)
    for expression in EXPRESSIONS:
        if _covered_by_arkit(expression, covered):
            continue
        binds = vrm_expressions.get(expression) or common.get(expression, [])
        drives.extend(MorphDrive(m, t, expression, g) for m, t, g in binds)
        if binds:
            covered.add(expression)
    mouth = bool(covered & (MOUTH_SHAPES | set(VISEMES)))
    counts = tuple(len(m.target_names) for m in model.meshes)
    return ExpressionMap(tuple(drives), counts, perfect_sync, needs_jaw_bone=not mouth)


def expression_values(
    blendshapes: Mapping[str, float], visemes: Mapping[str, float]
) -> dict[str, float]:
    """Every input an ``ExpressionMap`` reads: blendshapes, visemes, blinks and emotions."""
    b = blendshapes.get
    blink_l, blink_r = b("eyeBlinkLeft", 0.0), b("eyeBlinkRight", 0.0)
    both = min(blink_l, blink_r)
    smile = (b("mouthSmileLeft", 0.0) + b("mouthSmileRight", 0.0)) / 2
    values = dict(blendshapes) | dict(visemes)
    values |= {
        "blink": both,
        "blinkLeft": blink_l - both,
        "blinkRight": blink_r - both,
        "happy": smile,
        "angry": (b("browDownLeft", 0.0) + b("browDownRight", 0.0)) / 2 * (1 - smile),
        "sad": (b("mouthFrownLeft", 0.0) + b("mouthFrownRight", 0.0)) / 2 * (1 - smile),
        "surprised": min(b("browInnerUp", 0.0), (b("eyeWideLeft", 0.0) + b("eyeWideRight", 0.0))),
        "relaxed": 0.0,
    }
    return values


def _covered_by_arkit(expression: str, covered: set[str]) -> bool:
    if expression in VISEMES:
        return "jawOpen" in covered
    if expression in BLINKS:
        return {"eyeBlinkLeft", "eyeBlinkRight"} <= covered
    if expression == "happy":
        return "mouthSmileLeft" in covered
    return False


def _vrm_expressions(model: AvatarModel) -> dict[str, list[tuple[int, int, float]]]:
    if model.vrm is None:
        return {}
    out: dict[str, list[tuple[int, int, float]]] = {}
    for name, binds in model.vrm.expressions.items():
        valid = [
            (b.mesh, b.target, b.weight)
            for b in binds
            if 0 <= b.mesh < len(model.meshes)
            and 0 <= b.target < len(model.meshes[b.mesh].target_names)
        ]
        if valid:
            out[name] = valid
    return out


def _common_expressions(model: AvatarModel) -> dict[str, list[tuple[int, int, float]]]:
    out: dict[str, list[tuple[int, int, float]]] = {}
    for mesh_index, mesh in enumerate(model.meshes):
        for target, name in enumerate(mesh.target_names):
            expression = COMMON_NAMES.get(NAME_PREFIXES.sub("", _tail(name)))
            if expression is not None:
                out.setdefault(expression, []).append((mesh_index, target, 1.0))
    return out


def _tail(name: str) -> str:
    """``"blendShape1.Fcl_MTH_A"`` → ``"fclmtha"``: after the last dot, letters and digits."""
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())
