"""Loading avatars: every shared sample loads; broken and hostile files are refused clearly."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rigging.errors import AvatarError, AvatarFormatError, AvatarLimitError
from rigging.gltf_reader import load_avatar
from rigging.limits import AvatarLimits
from rigging.report import inspect_avatar
from tests.support import gltf_files
from tests.support.media import SHARED_ASSETS

MODELS = SHARED_ASSETS / "models"
SAMPLES = sorted(p.name for p in MODELS.iterdir() if p.suffix in (".glb", ".gltf", ".vrm"))


@pytest.mark.parametrize("name", SAMPLES)
def test_every_shared_sample_loads(name: str) -> None:
    model = load_avatar(MODELS / name)
    assert model.triangle_count > 0
    for mesh in model.meshes:
        for primitive in mesh.primitives:
            assert primitive.indices.max() < len(primitive.positions)
            np.testing.assert_allclose(primitive.weights.sum(axis=1), 1.0, rtol=1e-5)


def test_robot_expressive_in_detail() -> None:
    model = load_avatar(MODELS / "RobotExpressive.glb")
    assert model.source == "glb"
    assert model.morph_target_names == ("Angry", "Surprised", "Sad")
    assert model.joint_count == 43 and len(model.skins) == 4
    assert model.triangle_count == 3237


def test_vrm_textures_and_mtoon_are_read() -> None:
    model = load_avatar(MODELS / "VRMC_materials_mtoon_UV_Animation_Test.vrm")
    assert model.source == "vrm 1.0"
    textured = [m for m in model.materials if m.texture is not None]
    assert textured and textured[0].texture.shape == (512, 512, 4)
    assert all(m.unlit for m in model.materials[:-1])  # MToon draws as toon, not PBR


def test_plan_limits_name_the_count() -> None:
    with pytest.raises(AvatarLimitError, match="43 bones; the limit is 30"):
        load_avatar(MODELS / "RobotExpressive.glb", AvatarLimits(max_joints=30))
    with pytest.raises(AvatarLimitError, match="3 morph targets; the limit is 2"):
        load_avatar(MODELS / "RobotExpressive.glb", AvatarLimits(max_morph_targets=2))
    with pytest.raises(AvatarLimitError, match="the limit is 0 MiB"):
        load_avatar(MODELS / "RobotExpressive.glb", AvatarLimits(max_file_bytes=1000))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        target = document
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value

    return edit


HOSTILE: dict[str, tuple[bytes, type[AvatarError], str]] = {
    "empty": (b"", AvatarFormatError, "the file is empty"),
    "wrong magic": (b"PK\x03\x04" + b"\0" * 40, AvatarFormatError, "starts with 50 4b 03 04"),
    "truncated": (gltf_files.triangle_glb()[:-10], AvatarFormatError, "truncated"),
    "only a header": (gltf_files.triangle_glb()[:20], AvatarFormatError, "truncated"),
    "glTF 1.0": (gltf_files.changed(_set("asset.version", "1.0")), AvatarFormatError, "2.0"),
    "JSON is not JSON": (b"{not json", AvatarFormatError, "does not parse"),
    "deep JSON": (b"[" * 100_000, AvatarFormatError, "not a glTF file"),
    "nested JSON object": (b'{"a":' * 100_000, AvatarFormatError, "does not parse"),
    "huge count": (
        gltf_files.changed(_set("accessors.0.count", 2**31)),
        AvatarFormatError,
        "past the end of its buffer view",
    ),
    "count with no buffer view": (
        gltf_files.changed(
            _set("accessors.0", {"componentType": 5126, "count": 2**31, "type": "VEC3"})
        ),
        AvatarLimitError,
        "more memory",
    ),
    "view outside buffer": (
        gltf_files.changed(_set("bufferViews.0.byteOffset", 10**9)),
        AvatarFormatError,
        "outside buffer 0",
    ),
    "external buffer": (
        gltf_files.changed(_set("buffers.0.uri", "../../../etc/passwd")),
        AvatarFormatError,
        "outside file",
    ),
    "remote buffer": (
        gltf_files.changed(_set("buffers.0.uri", "http://example.com/x.bin")),
        AvatarFormatError,
        "outside file",
    ),
    "index out of range": (
        gltf_files.changed(_set("accessors.1.count", 2)),  # 2 indices, then ok: see below
        AvatarFormatError,
        "",
    ),
    "missing accessor": (
        gltf_files.changed(_set("meshes.0.primitives.0.indices", 99)),
        AvatarFormatError,
        "accessor 99",
    ),
    "node cycle": (
        gltf_files.changed(_set("nodes", [{"children": [1]}, {"children": [0], "mesh": 0}])),
        AvatarFormatError,
        "two parents|cycle",
    ),
    "no meshes": (gltf_files.changed(_set("nodes.0", {})), AvatarFormatError, "nothing to show"),
    "NaN rotation": (
        gltf_files.changed(_set("nodes.0.rotation", [0, 0, 0, 0])),
        AvatarFormatError,
        "quaternion",
    ),
    "giant texture": (
        gltf_files.with_texture(gltf_files.png_header(60_000, 60_000)),
        AvatarLimitError,
        "texture is too large",
    ),
    "texture is not an image": (
        gltf_files.with_texture(b"GIF89a not really"),
        AvatarFormatError,
        "cannot be decoded",
    ),
    "external image": (
        gltf_files.changed(
            lambda d: (
                _set("images", [{"uri": "/etc/shadow"}])(d),
                _set("textures", [{"source": 0}])(d),
                _set("materials", [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}])(
                    d
                ),
                _set("meshes.0.primitives.0.material", 0)(d),
            )
        ),
        AvatarFormatError,
        "outside file",
    ),
}
del HOSTILE["index out of range"]  # a shorter index list is still valid; see the next test


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_reason(case: str) -> None:
    data, kind, message = HOSTILE[case]
    tracemalloc.start()
    try:
        with pytest.raises(kind, match=message):
            load_avatar(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"{case}: {peak / 2**20:.0f} MiB peak"


def test_an_index_past_the_vertices_is_refused() -> None:
    document, binary = gltf_files.triangle_document()
    binary = binary[:36] + np.array([0, 1, 7, 0], np.uint16).tobytes()
    with pytest.raises(AvatarFormatError, match=r"meshes\[0\]\.primitives\[0\].*index \(7\)"):
        load_avatar(gltf_files.glb(document, binary))


def test_many_accessors_on_one_buffer_hit_the_memory_budget() -> None:
    document, _ = gltf_files.triangle_document()
    big = bytes(4 * 2**20)
    document["buffers"][0]["byteLength"] = len(big)
    document["bufferViews"] = [{"buffer": 0, "byteOffset": 0, "byteLength": len(big)}]
    count = len(big) // 12
    document["accessors"] = [
        {"bufferView": 0, "componentType": 5126, "count": count, "type": "VEC3"}
    ] * 50
    document["meshes"][0]["primitives"] = [{"attributes": {"POSITION": i}} for i in range(50)]
    limits = AvatarLimits(max_decoded_bytes=64 * 2**20, max_vertices=10**8, max_triangles=10**8)
    with pytest.raises(AvatarLimitError, match="more memory"):
        load_avatar(gltf_files.glb(document, big), limits)


def test_random_corruption_never_escapes_as_another_error() -> None:
    rng = random.Random(7)
    originals = [(MODELS / n).read_bytes() for n in SAMPLES] + [gltf_files.triangle_glb()]
    outcomes = {"loaded": 0, "refused": 0}
    for trial in range(300):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            data[position] = rng.randrange(256)
        if trial % 5 == 0:
            data = data[: rng.randrange(len(data))]
        try:
            load_avatar(bytes(data))
            outcomes["loaded"] += 1
        except AvatarError as error:
            assert str(error)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 30  # the corruption did reach the checks


def test_inspect_reports_errors_as_data() -> None:
    report = inspect_avatar(gltf_files.changed(_set("buffers.0.uri", "x.bin")))
    assert report["valid"] is False and report["usable"] is False
    assert report["errors"][0]["where"] == "buffers[0]"
    assert "outside file" in report["errors"][0]["message"]
    robot = inspect_avatar(MODELS / "RobotExpressive.glb")
    assert robot["valid"] and robot["usable"] and robot["bones"]["head"] == "Head"
    two_bones = inspect_avatar(MODELS / "RiggedSimple.gltf")
    assert two_bones["valid"] and not two_bones["usable"]  # glTF, but not a humanoid
    assert robot["expressions"]["mapping"]["angry"] == ["mesh3/Angry", "mesh4/Angry", "mesh5/Angry"]
