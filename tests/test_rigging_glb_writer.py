"""The skinned-GLB writer: valid files that VIDA's own loader reads back unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib
import pytest

from rigging.glb_writer import (
    inverse_bind_matrices,
    mesh_node_index,
    normalized_skin_weights,
    vrm_extension,
    write_skinned_glb,
)
from rigging.gltf_reader import load_avatar
from rigging.model import Material, Mesh, MorphTarget, Node, Primitive, VrmExpressionBind, VrmInfo
from tests.support.gltf_validator import issue_codes, validate_gltf, validator_available

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def _joint(name: str, parent: int, offset: tuple[float, float, float]) -> Node:
    return Node(name, parent, np.array(offset), IDENTITY, np.ones(3))


def _strip(count: int = 8, *, uvs: bool = False, targets: int = 1) -> Primitive:
    """A vertical ribbon of quads from y = 0 to 1, blending from joint 0 to joint 1."""
    y = np.repeat(np.linspace(0.0, 1.0, count // 2), 2)
    x = np.tile([0.0, 0.2], count // 2)
    positions = np.stack([x, y, np.zeros(count)], 1).astype(np.float32)
    blend = y.astype(np.float32)
    rows = np.arange(count // 2 - 1) * 2
    indices = np.concatenate(
        [np.stack([rows, rows + 1, rows + 2], 1), np.stack([rows + 1, rows + 3, rows + 2], 1)]
    )
    offsets = np.zeros_like(positions)
    offsets[:, 2] = y * 0.1
    return Primitive(
        positions=positions,
        normals=np.tile(np.float32([0, 0, 1]), (count, 1)),
        uvs=np.stack([x / 0.2, y], 1).astype(np.float32) if uvs else None,
        joints=np.tile(np.uint16([0, 1, 0, 0]), (count, 1)),
        weights=np.stack([1 - blend, blend, np.zeros(count), np.zeros(count)], 1).astype(
            np.float32
        ),
        indices=indices.astype(np.uint32),
        material=0,
        targets=tuple(MorphTarget(offsets * (i + 1), None) for i in range(targets)),
    )


def _checker() -> np.ndarray:
    tile = (np.indices((8, 8)).sum(axis=0) % 2 * 255).astype(np.uint8)
    return np.dstack([tile, tile, tile, np.full((8, 8), 255, np.uint8)])


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Node], Mesh]:
    """A two-joint, textured, unlit, morphable ribbon written with a VRM extension."""
    joints = [_joint("Root", -1, (0.0, 0.0, 0.0)), _joint("Tip", 0, (0.0, 0.5, 0.0))]
    mesh = Mesh("Ribbon", (_strip(uvs=True, targets=2),), ("bend", "lean"))
    materials = [Material("Checker", texture=_checker(), unlit=True, double_sided=True)]
    vrm = VrmInfo("1.0", {"hips": 0, "spine": 1}, {"happy": (VrmExpressionBind(0, 1, 0.5),)})
    extension = vrm_extension(vrm, len(joints), {"name": "ribbon"})
    path = tmp_path / "ribbon.glb"
    path.write_bytes(
        write_skinned_glb(joints, [mesh], materials, extensions={"VRMC_vrm": extension})
    )
    return path, joints, mesh


def test_written_file_passes_the_khronos_validator(written: tuple[Path, list[Node], Mesh]) -> None:
    if not validator_available():
        pytest.fail("gltf-validator is not installed: run scripts/setup.sh test")
    report = validate_gltf(written[0])
    assert report["issues"]["numErrors"] == 0, issue_codes(report, 0)
    assert report["issues"]["numWarnings"] == 0, issue_codes(report, 1)
    assert report["info"]["hasTextures"] and report["info"]["hasMorphTargets"]


def test_loader_reads_back_what_was_written(written: tuple[Path, list[Node], Mesh]) -> None:
    path, joints, mesh = written
    model = load_avatar(path)
    primitive, original = model.meshes[0].primitives[0], mesh.primitives[0]
    np.testing.assert_allclose(primitive.positions, original.positions)
    np.testing.assert_allclose(primitive.weights, original.weights, atol=1e-6)
    np.testing.assert_array_equal(primitive.indices, original.indices)
    assert model.meshes[0].target_names == ("bend", "lean")
    np.testing.assert_allclose(primitive.targets[1].positions, original.targets[1].positions)
    np.testing.assert_array_equal(model.materials[0].texture, _checker())
    assert model.materials[0].unlit
    np.testing.assert_allclose(
        model.skins[0].inverse_bind, inverse_bind_matrices(joints), atol=1e-6
    )
    assert model.vrm is not None and model.vrm.humanoid == {"hips": 0, "spine": 1}


def test_layout_puts_mesh_nodes_after_the_joints(written: tuple[Path, list[Node], Mesh]) -> None:
    gltf = pygltflib.GLTF2.load_binary(str(written[0]))
    assert [n.name for n in gltf.nodes] == ["Root", "Tip", "Ribbon"]
    assert gltf.nodes[mesh_node_index(2, 0)].mesh == 0 and gltf.nodes[2].skin == 0
    bind = gltf.extensions["VRMC_vrm"]["expressions"]["preset"]["happy"]["morphTargetBinds"][0]
    assert bind == {"node": 2, "index": 1, "weight": 0.5}
    assert gltf.extensionsUsed == ["KHR_materials_unlit", "VRMC_vrm"]


def test_weights_are_cleaned_for_the_validator() -> None:
    joints = np.array([[3, 3, 1, 5], [2, 0, 0, 0], [4, 1, 2, 3]], dtype=np.uint16)
    weights = np.array([[0.3, 0.3, 0.2, 0.0], [2.0, 0.0, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4]])
    clean_joints, clean_weights = normalized_skin_weights(joints, weights)
    assert clean_weights.dtype == np.float32
    assert np.all(clean_weights.sum(axis=1, dtype=np.float32) == np.float32(1.0))
    np.testing.assert_allclose(clean_weights[0], [0.75, 0.0, 0.25, 0.0], atol=1e-6)  # 3 merged
    assert clean_joints[0].tolist() == [3, 0, 1, 0]  # empty slots point at joint 0
    assert clean_joints[1].tolist() == [2, 0, 0, 0] and clean_weights[1, 0] == 1.0
    with pytest.raises(ValueError, match="no skin weight"):
        normalized_skin_weights(joints[:1], np.zeros((1, 4)))


def test_large_meshes_get_32_bit_indices() -> None:
    primitive = _strip(70_000, targets=0)
    data = write_skinned_glb(
        [_joint("Root", -1, (0, 0, 0)), _joint("Tip", 0, (0, 0.5, 0))],
        [Mesh("Big", (primitive,))],
        [Material("Plain")],
    )
    gltf = pygltflib.GLTF2.load_from_bytes(data)
    assert (
        gltf.accessors[gltf.meshes[0].primitives[0].indices].componentType == pygltflib.UNSIGNED_INT
    )


def test_rejects_what_gltf_cannot_express() -> None:
    root, tip = _joint("Root", -1, (0, 0, 0)), _joint("Tip", 0, (0, 0.5, 0))
    with pytest.raises(ValueError, match="before its parent"):
        write_skinned_glb([_joint("Tip", 1, (0, 0.5, 0)), root], [], [])
    with pytest.raises(ValueError, match="needs uvs"):
        write_skinned_glb(
            [root, tip], [Mesh("M", (_strip(targets=0),))], [Material("T", texture=_checker())]
        )
    with pytest.raises(ValueError, match="targets do not match"):
        write_skinned_glb([root, tip], [Mesh("M", (_strip(targets=1),), ())], [Material("P")])
