"""The shipped default avatar: valid glTF, a VRM 1.0 humanoid, working face morphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib
import pytest

from rigging.default_avatar import HEIGHT, MORPH_NAMES, build_default_avatar
from rigging.gltf_reader import load_avatar
from tests.support.gltf_validator import issue_codes, validate_gltf, validator_available

_COMPONENTS = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}

REQUIRED_MORPHS = (
    "jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "mouthSmileRight",
    "mouthFunnel", "mouthPucker", "mouthFrownLeft", "mouthFrownRight", "mouthStretchLeft",
    "mouthStretchRight", "browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft",
    "browOuterUpRight", "eyeWideLeft", "eyeWideRight", "cheekPuff", "mouthClose",
)  # fmt: skip
CENTRE_BONES = ("hips", "spine", "chest", "upperChest", "neck", "head")
SIDE_BONES = (
    "Eye", "Shoulder", "UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg", "Foot", "Toes",
    "ThumbMetacarpal", "ThumbProximal", "ThumbDistal",
    *(f"{f}{p}" for f in ("Index", "Middle", "Ring", "Little")
      for p in ("Proximal", "Intermediate", "Distal")),
)  # fmt: skip
HUMAN_BONES = CENTRE_BONES + tuple(f"{s}{b}" for s in ("left", "right") for b in SIDE_BONES)


@pytest.fixture(scope="module")
def glb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated avatar, written once for the module."""
    path = tmp_path_factory.mktemp("avatar") / "default_avatar.glb"
    path.write_bytes(build_default_avatar().to_glb())
    return path


@pytest.fixture(scope="module")
def gltf(glb: Path) -> pygltflib.GLTF2:
    """The file as pygltflib parses it."""
    return pygltflib.GLTF2.load_binary(str(glb))


def _read(gltf: pygltflib.GLTF2, accessor_index: int) -> np.ndarray:
    """An accessor's data as a (count, width) array (tightly packed views only)."""
    accessor = gltf.accessors[accessor_index]
    view = gltf.bufferViews[accessor.bufferView]
    width = _WIDTHS[accessor.type]
    data = np.frombuffer(
        gltf.binary_blob(),
        _COMPONENTS[accessor.componentType],
        accessor.count * width,
        view.byteOffset + (accessor.byteOffset or 0),
    )
    return data.reshape(accessor.count, width)


def _mesh(gltf: pygltflib.GLTF2, name: str) -> pygltflib.Mesh:
    return next(m for m in gltf.meshes if m.name == name)


def test_khronos_validator_finds_no_errors_or_warnings(glb: Path) -> None:
    if not validator_available():
        pytest.fail("gltf-validator is not installed: run scripts/setup.sh test")
    report = validate_gltf(glb)
    issues = report["issues"]
    assert issues["numErrors"] == 0, issue_codes(report, 0)
    assert issues["numWarnings"] == 0, issue_codes(report, 1)
    # The one info: the validator does not know VRM's extension.
    assert set(issue_codes(report, 2)) <= {"UNSUPPORTED_EXTENSION"}
    assert report["info"]["hasSkins"] and report["info"]["hasMorphTargets"]


def test_vrm_humanoid_names_every_bone_by_its_node(gltf: pygltflib.GLTF2) -> None:
    vrm = gltf.extensions["VRMC_vrm"]
    assert vrm["specVersion"] == "1.0"
    assert vrm["meta"]["name"] == "VIDA default avatar"
    assert vrm["meta"]["licenseUrl"] == "https://vrm.dev/licenses/1.0/"
    assert "VRMC_vrm" in gltf.extensionsUsed
    bones = vrm["humanoid"]["humanBones"]
    assert set(HUMAN_BONES) <= set(bones)
    for bone, ref in bones.items():
        assert gltf.nodes[ref["node"]].name == bone[0].upper() + bone[1:]
    assert gltf.nodes[bones["leftIndexProximal"]["node"]].name == "LeftIndexProximal"


def test_rest_pose_is_a_t_pose_facing_plus_z(gltf: pygltflib.GLTF2) -> None:
    avatar = build_default_avatar()
    heads = {b.vrm: b.head for b in avatar.bones}
    assert heads["leftHand"][0] > 0.5 and heads["rightHand"][0] < -0.5  # arms along ±X
    assert abs(heads["leftHand"][1] - heads["leftUpperArm"][1]) < 0.01
    assert all(np.allclose(n.rotation, (0, 0, 0, 1)) for n in avatar.joints)
    body = np.concatenate(
        [_read(gltf, p.attributes.POSITION) for m in gltf.meshes for p in m.primitives]
    )
    assert body[:, 1].min() == pytest.approx(0.0, abs=0.005)  # feet on the floor
    assert body[:, 1].max() == pytest.approx(HEIGHT, abs=0.005)
    face = np.concatenate(
        [_read(gltf, p.attributes.POSITION) for p in _mesh(gltf, "Face").primitives]
    )
    assert face[:, 2].max() > heads["head"][2] + 0.08  # the face looks toward +Z


def test_face_carries_arkit_morphs_on_every_primitive(gltf: pygltflib.GLTF2) -> None:
    face = _mesh(gltf, "Face")
    names = face.extras["targetNames"]
    assert set(REQUIRED_MORPHS) <= set(names)
    assert list(names) == list(MORPH_NAMES)
    assert all(len(p.targets) == len(names) for p in face.primitives)


def test_triangle_count_suits_the_cpu_renderer(gltf: pygltflib.GLTF2) -> None:
    triangles = sum(gltf.accessors[p.indices].count // 3 for m in gltf.meshes for p in m.primitives)
    assert 8_000 <= triangles <= 20_000


def test_skin_weights_are_normalised_with_empty_slots_zero(gltf: pygltflib.GLTF2) -> None:
    joint_count = len(gltf.skins[0].joints)
    for mesh in gltf.meshes:
        for primitive in mesh.primitives:
            joints = _read(gltf, primitive.attributes.JOINTS_0).astype(int)
            weights = _read(gltf, primitive.attributes.WEIGHTS_0)
            assert np.all(weights >= 0)
            np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
            assert np.all(joints[weights == 0] == 0)
            assert joints.max() < joint_count


def test_eyes_follow_only_the_eye_bones(gltf: pygltflib.GLTF2) -> None:
    eye_nodes = {i for i, n in enumerate(gltf.nodes) if n.name in ("LeftEye", "RightEye")}
    skin_joints = gltf.skins[0].joints
    for primitive in _mesh(gltf, "Eyes").primitives:
        joints = _read(gltf, primitive.attributes.JOINTS_0)[:, 0]
        weights = _read(gltf, primitive.attributes.WEIGHTS_0)[:, 0]
        assert np.all(weights == 1.0)
        assert {skin_joints[j] for j in joints} <= eye_nodes


def test_generation_is_deterministic() -> None:
    assert build_default_avatar().to_glb() == build_default_avatar().to_glb()


def _morph(gltf: pygltflib.GLTF2, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Rest positions and one morph's offsets over the whole Face mesh."""
    face = _mesh(gltf, "Face")
    index = face.extras["targetNames"].index(name)
    rest = np.concatenate([_read(gltf, p.attributes.POSITION) for p in face.primitives])
    offsets = np.concatenate([_read(gltf, p.targets[index]["POSITION"]) for p in face.primitives])
    return rest, offsets


def test_jaw_open_drops_the_lower_lip_and_leaves_the_eyes(gltf: pygltflib.GLTF2) -> None:
    rest, offsets = _morph(gltf, "jawOpen")
    moved = np.linalg.norm(offsets, axis=1)
    heads = {b.vrm: b.head for b in build_default_avatar().bones}
    eye_y = heads["leftEye"][1]
    front = rest[:, 2] > heads["head"][2] + 0.06
    mouth = front & (np.abs(rest[:, 0]) < 0.01) & (rest[:, 1] < eye_y - 0.03)
    assert offsets[mouth, 1].min() < -0.02  # the lower lip goes down by centimetres
    assert moved[rest[:, 1] > eye_y - 0.01].max() < 1e-6  # nothing at or above the eyes


def test_blink_moves_only_the_avatars_own_left_lids(gltf: pygltflib.GLTF2) -> None:
    rest, offsets = _morph(gltf, "eyeBlinkLeft")
    moved = np.linalg.norm(offsets, axis=1) > 1e-5
    assert moved.sum() > 50
    assert np.all(rest[moved, 0] > 0)  # the avatar's left is +X
    assert offsets[moved, 1].min() < -0.01  # the upper lid comes down over the eye


def test_expressions_bind_face_morphs(gltf: pygltflib.GLTF2) -> None:
    presets = gltf.extensions["VRMC_vrm"]["expressions"]["preset"]
    face_node = next(i for i, n in enumerate(gltf.nodes) if n.name == "Face" and n.mesh is not None)
    names = _mesh(gltf, "Face").extras["targetNames"]
    expected = {"aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy"}
    assert expected | {"angry", "sad", "relaxed", "surprised"} <= set(presets)
    for expression in presets.values():
        for bind in expression["morphTargetBinds"]:
            assert bind["node"] == face_node and 0 <= bind["index"] < len(names)
    assert {(b["index"], b["weight"]) for b in presets["aa"]["morphTargetBinds"]} == {
        (names.index("jawOpen"), 1.0)
    }


def test_vida_loads_it_as_a_vrm_humanoid(glb: Path) -> None:
    model = load_avatar(glb)
    assert model.vrm is not None and model.vrm.version == "1.0"
    assert set(HUMAN_BONES) <= set(model.vrm.humanoid)
    assert set(REQUIRED_MORPHS) <= set(model.morph_target_names)
    assert 8_000 <= model.triangle_count <= 20_000
