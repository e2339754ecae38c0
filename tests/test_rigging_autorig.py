"""Auto-rigging static people in T- and A-pose: a valid GLB whose skeleton drives the mesh."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rigging.autorig import needs_rig, rig_model
from rigging.avatar import Avatar, open_avatar
from rigging.errors import NotHumanoidError
from rigging.gltf_reader import load_avatar
from rigging.skeleton import posed_vertices, world_matrices
from rigging.transforms import quat_from_axis_angle, quat_multiply
from tests.support import gltf_files
from tests.support.gltf_validator import validate_gltf
from tests.support.static_mesh import static_glb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AVATAR = ROOT / "models" / "default_avatar.glb"


def static_person(a_pose: bool) -> bytes:
    """The default avatar's mesh without its skeleton, in a T-pose or arms 40° down."""
    avatar = open_avatar(DEFAULT_AVATAR)
    rotations = {}
    if a_pose:
        for side, sign in (("left", -1.0), ("right", 1.0)):
            node = avatar.humanoid.bones[f"{side}UpperArm"]
            down = quat_from_axis_angle([0.0, 0.0, 1.0], np.radians(40.0 * sign))
            rotations[node] = quat_multiply(down, avatar.model.nodes[node].rotation)
    return static_glb(avatar.model, rotations)


@pytest.mark.parametrize("a_pose", [False, True], ids=["T-pose", "A-pose"])
def test_a_static_person_is_rigged_into_a_valid_drivable_glb(a_pose: bool, tmp_path: Path) -> None:
    static = load_avatar(static_person(a_pose))
    assert needs_rig(static)
    steps: list[float] = []
    data, report = rig_model(static, lambda fraction, _stage: steps.append(fraction))
    assert steps == sorted(steps) and steps[-1] >= 0.85  # progress only moves forward
    path = tmp_path / "rigged.glb"
    path.write_bytes(data)
    validation = validate_gltf(path)
    assert validation["issues"]["numErrors"] == 0, validation["issues"]["messages"][:5]
    rigged = open_avatar(path)
    assert rigged.humanoid.source == "names"
    for bone in ("hips", "spine", "chest", "neck", "head", "leftHand", "rightFoot"):
        assert bone in rigged.humanoid.bones, bone
    assert len(report["bones"]) == 22
    assert_arm_follows_its_bone(rigged)


def assert_arm_follows_its_bone(avatar: Avatar) -> None:
    """Raising the left upper arm moves the left hand's vertices up, and not the belly's."""
    model = avatar.model
    rest = np.vstack(posed_vertices(model, world_matrices(model)))
    node = avatar.humanoid.bones["leftUpperArm"]
    raised = quat_multiply(
        quat_from_axis_angle([0.0, 0.0, 1.0], np.radians(60)), model.nodes[node].rotation
    )
    posed = np.vstack(posed_vertices(model, world_matrices(model, {node: raised})))
    hand = avatar.humanoid.bones["leftHand"]
    hand_x = world_matrices(model)[hand][0, 3]
    fingers = rest[:, 0] > hand_x  # the avatar's left is +X
    belly = (np.abs(rest[:, 0]) < 0.08) & (rest[:, 1] > 0.9) & (rest[:, 1] < 1.15)
    assert fingers.sum() > 20 and belly.sum() > 20
    assert np.mean(posed[fingers, 1] - rest[fingers, 1]) > 0.15
    assert np.abs(posed[belly] - rest[belly]).max() < 1e-4
    right = rest[:, 0] < -hand_x
    assert np.abs(posed[right] - rest[right]).max() < 1e-4  # the other arm stays put


def test_a_mesh_that_is_not_a_person_is_refused() -> None:
    with pytest.raises(NotHumanoidError, match="too few vertices"):
        rig_model(load_avatar(gltf_files.triangle_glb()))


def test_vida_avatar_rig_writes_the_file_and_reports(tmp_path: Path) -> None:
    source, output = tmp_path / "person.glb", tmp_path / "rigged.glb"
    source.write_bytes(static_person(a_pose=True))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "vida"), "avatar", "rig", str(source), str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["output"] == str(output) and output.stat().st_size == report["bytes"]
    assert "rigging: " in done.stderr  # progress was shown
    assert open_avatar(output).humanoid.bones["leftUpperArm"] is not None
