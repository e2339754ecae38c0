"""Humanoid bones found from VRM, from every common naming scheme, and refused when absent."""

from __future__ import annotations

import pytest

from rigging.errors import NotHumanoidError
from rigging.gltf_reader import load_avatar
from rigging.humanoid import classify, map_humanoid
from tests.support import skeletons
from tests.support.media import SHARED_ASSETS

MODELS = SHARED_ASSETS / "models"
EXPECTED = [bone for bone, _, _ in skeletons.T_POSE]


@pytest.mark.parametrize(
    "name_of",
    [
        skeletons.mixamo_name,
        skeletons.ready_player_me_name,
        skeletons.unreal_name,
        skeletons.blender_name,
        skeletons.vroid_name,
        skeletons.suffix_name,
    ],
)
def test_every_naming_scheme_maps_every_bone(name_of) -> None:
    model = skeletons.skeleton_model(name_of)
    mapping = map_humanoid(model)
    named = {bone: model.nodes[node].name for bone, node in mapping.bones.items()}
    assert named == {bone: name_of(bone) for bone in EXPECTED}
    assert mapping.source == "names"


def test_a_quadruped_with_humanoid_names_is_refused() -> None:
    model = skeletons.skeleton_model(skeletons.mixamo_name, skeletons.quadruped_positions())
    with pytest.raises(NotHumanoidError, match="four-legged"):
        map_humanoid(model)


@pytest.mark.parametrize("name", ["SimpleSkin.gltf", "RiggedSimple.gltf"])
def test_two_bone_samples_are_not_humanoid(name: str) -> None:
    with pytest.raises(NotHumanoidError, match="no hips, spine, head"):
        map_humanoid(load_avatar(MODELS / name))


def test_robot_expressive_maps_by_names_and_topology() -> None:
    model = load_avatar(MODELS / "RobotExpressive.glb")
    bones = {b: model.nodes[n].name for b, n in map_humanoid(model).bones.items()}
    assert bones["hips"] == "Hips"
    assert (bones["spine"], bones["chest"]) == ("Abdomen", "Torso_1")  # from the tree
    assert bones["leftUpperArm"] == "UpperArmL" and bones["rightLowerArm"] == "LowerArmR"
    assert bones["leftHand"] == "Palm2L"  # no hand bone: the middle finger's palm
    assert bones["leftThumbProximal"] == "ThumbL" and bones["leftIndexIntermediate"] == "Index2L"


@pytest.mark.parametrize(
    ("name", "bones"),
    [
        ("VRMC_vrm_expressions_isBinary_Overrides.vrm", 22),
        ("VRMC_materials_mtoon_UV_Animation_Test.vrm", 53),
    ],
)
def test_vrm_files_declare_their_bones(name: str, bones: int) -> None:
    mapping = map_humanoid(load_avatar(MODELS / name))
    assert mapping.source == "vrm"
    assert len(mapping.bones) == bones


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mixamorig:LeftForeArm", ("left", "forearm")),
        ("Bip01 R UpperArm", ("right", "upperarm")),
        ("J_Bip_L_UpperLeg", ("left", "upperleg")),
        ("thigh.R", ("right", "thigh")),
        ("calf_l", ("left", "calf")),
        ("ShoulderL", ("left", "shoulder")),
        ("Head", (None, "head")),
    ],
)
def test_names_split_into_side_and_part(name: str, expected: tuple[str | None, str]) -> None:
    assert classify(name)[:2] == expected
