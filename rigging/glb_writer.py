"""Writing a skinned, morphable glTF 2.0 binary (GLB) from VIDA's own model types.

The input is what the rest of VIDA already speaks (``rigging.model``): joints as ``Node``s,
meshes of ``Primitive``s with ``MorphTarget``s, and ``Material``s. The file has one skin over
every joint and a fixed node layout, so that callers can name nodes before writing:

    nodes 0 … J-1   the joints, in the order given (parents must come first)
    nodes J … J+M-1 one node per mesh, at the scene root, skinned by skin 0

Every vertex is skinned (a part that follows one bone gets that joint at weight 1). Morph
target names go to ``mesh.extras.targetNames``, the de facto place every loader reads. Root
extensions (``VRMC_vrm`` for instance) are passed through and listed in ``extensionsUsed``;
``vrm_extension`` builds VRM 1.0's from a ``VrmInfo``.

Used by the default avatar generator and by auto-rigging (unrigged mesh + fitted skeleton).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pygltflib
from PIL import Image

from rigging.model import Material, Mesh, Node, Primitive, VrmInfo
from rigging.transforms import trs_matrix

_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_UNLIT = "KHR_materials_unlit"
_TYPE_OF_WIDTH = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}
# VRM 1.0's preset expression names; any other expression is written as a custom one.
VRM_PRESET_EXPRESSIONS = frozenset(
    {
        "happy", "angry", "sad", "relaxed", "surprised", "aa", "ih", "ou", "ee", "oh",
        "blink", "blinkLeft", "blinkRight", "lookUp", "lookDown", "lookLeft", "lookRight",
        "neutral",
    }
)  # fmt: skip
_COMPONENT_OF_DTYPE = {
    np.dtype(np.float32): pygltflib.FLOAT,
    np.dtype(np.uint8): pygltflib.UNSIGNED_BYTE,
    np.dtype(np.uint16): pygltflib.UNSIGNED_SHORT,
    np.dtype(np.uint32): pygltflib.UNSIGNED_INT,
}


def mesh_node_index(joint_count: int, mesh: int) -> int:
    """The node that holds mesh ``mesh`` in a file written with ``joint_count`` joints."""
    return joint_count + mesh


def rest_world_matrices(joints: Sequence[Node]) -> np.ndarray:
    """(J, 4, 4) world matrices of the joints' rest transforms; parents must come first."""
    world = np.empty((len(joints), 4, 4))
    for index, joint in enumerate(joints):
        local = trs_matrix(joint.translation, joint.rotation, joint.scale)
        if joint.parent < 0:
            world[index] = local
        elif joint.parent < index:
            world[index] = world[joint.parent] @ local
        else:
            raise ValueError(f"joint {index} ({joint.name}) comes before its parent")
    return world


def inverse_bind_matrices(joints: Sequence[Node]) -> np.ndarray:
    """(J, 4, 4) float32 inverse bind matrices: the mesh is bound in the joints' rest pose."""
    inverse = np.linalg.inv(rest_world_matrices(joints))
    # Exact affine bottom row: the validator checks it, and inv() leaves ±1e-17 noise there.
    inverse[:, 3, :] = (0.0, 0.0, 0.0, 1.0)
    return inverse.astype(np.float32)


def normalized_skin_weights(
    joints: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Joints and weights as the validator wants them: rows summing to 1 in float32, every
    zero-weight slot pointing at joint 0, and no joint twice in a row with weight.

    Duplicated joints in a row are merged into the first slot. Raises on a row without weight.
    """
    joints = np.asarray(joints, dtype=np.int64).copy()
    weights = np.asarray(weights, dtype=np.float64).copy()
    if np.any(weights < 0):
        raise ValueError("negative skin weight")
    for slot in range(1, 4):
        for earlier in range(slot):
            same = (joints[:, slot] == joints[:, earlier]) & (weights[:, slot] > 0)
            weights[same, earlier] += weights[same, slot]
            weights[same, slot] = 0.0
    totals = weights.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise ValueError("a vertex has no skin weight")
    weights = (weights / totals).astype(np.float32)
    joints[weights == 0] = 0
    # float32 rounding can leave the sum a few ulps off 1; fold the rest into the largest slot.
    largest = np.argmax(weights, axis=1)
    rows = np.arange(len(weights))
    weights[rows, largest] += np.float32(1.0) - weights.sum(axis=1, dtype=np.float32)
    return joints.astype(np.uint16), weights


def vrm_extension(
    vrm: VrmInfo,
    joint_count: int,
    meta: Mapping[str, Any],
    look_at: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``VRMC_vrm`` (VRM 1.0) root extension for a file written by ``write_skinned_glb``.

    ``vrm.humanoid`` maps VRM bone names to joint indices (= node indices); expression binds
    name meshes by index and are turned into the mesh's node. ``meta`` is VRM's meta object
    (name, authors, licenseUrl and the permissions).
    """
    expressions: dict[str, dict[str, Any]] = {"preset": {}, "custom": {}}
    for name, binds in vrm.expressions.items():
        kind = "preset" if name in VRM_PRESET_EXPRESSIONS else "custom"
        expressions[kind][name] = {
            "morphTargetBinds": [
                {
                    "node": mesh_node_index(joint_count, b.mesh),
                    "index": b.target,
                    "weight": float(b.weight),
                }
                for b in binds
            ],
            "isBinary": False,
            "overrideBlink": "none",
            "overrideLookAt": "none",
            "overrideMouth": "none",
        }
    extension: dict[str, Any] = {
        "specVersion": "1.0",
        "meta": dict(meta),
        "humanoid": {"humanBones": {bone: {"node": n} for bone, n in vrm.humanoid.items()}},
        "expressions": expressions,
    }
    if look_at is not None:
        extension["lookAt"] = dict(look_at)
    return extension


class _BinaryBuilder:
    """Accumulates buffer views and accessors into one 4-byte-aligned binary chunk."""

    def __init__(self, gltf: pygltflib.GLTF2) -> None:
        self.gltf = gltf
        self.chunks: list[bytes] = []
        self.length = 0

    def view(self, data: bytes, target: int | None = None) -> int:
        """Appends ``data`` as a new buffer view and returns its index."""
        # Every accessor component is at most 4 bytes, so 4-byte alignment suits them all.
        padding = (-self.length) % 4
        if padding:
            self.chunks.append(b"\0" * padding)
            self.length += padding
        self.gltf.bufferViews.append(
            pygltflib.BufferView(
                buffer=0, byteOffset=self.length, byteLength=len(data), target=target
            )
        )
        self.chunks.append(data)
        self.length += len(data)
        return len(self.gltf.bufferViews) - 1

    def accessor(
        self,
        array: np.ndarray,
        target: int | None = _ARRAY_BUFFER,
        *,
        bounds: bool = False,
        flat: bool = False,
    ) -> int:
        """Writes ``array`` ((N,) or (N, k), a glTF component dtype) as an accessor.

        ``bounds`` adds min/max (required for POSITION, morph POSITION and animation input);
        ``flat`` writes a (N, k) index array as SCALAR (triangle indices).
        """
        array = np.ascontiguousarray(array)
        component = _COMPONENT_OF_DTYPE[array.dtype]
        width = 1 if flat or array.ndim == 1 else array.shape[1]
        count = array.size // width
        accessor = pygltflib.Accessor(
            bufferView=self.view(array.tobytes(), target),
            componentType=component,
            count=count,
            type=_TYPE_OF_WIDTH[width],
        )
        if bounds:
            rows = array.reshape(count, width)
            accessor.min = [float(v) for v in rows.min(axis=0)]
            accessor.max = [float(v) for v in rows.max(axis=0)]
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def blob(self) -> bytes:
        """The binary chunk, padded to 4 bytes."""
        data = b"".join(self.chunks)
        return data + b"\0" * ((-len(data)) % 4)


def _smallest_uint(limit: int) -> type[np.unsignedinteger]:
    """The smaller of uint8 and uint16 that holds every joint index below ``limit``."""
    return np.uint8 if limit <= 256 else np.uint16


def _index_dtype(vertex_count: int) -> type[np.unsignedinteger]:
    """uint16 when every index fits below 65535 (the primitive-restart value), else uint32."""
    return np.uint16 if vertex_count <= 65535 else np.uint32


def _write_primitive(
    binary: _BinaryBuilder, primitive: Primitive, joint_count: int, textured: bool
) -> pygltflib.Primitive:
    """Accessors for one primitive and the glTF primitive that uses them."""
    count = primitive.positions.shape[0]
    if textured and primitive.uvs is None:
        raise ValueError("a primitive with a textured material needs uvs")
    joints, weights = normalized_skin_weights(primitive.joints, primitive.weights)
    if joints.max(initial=0) >= joint_count:
        raise ValueError("a primitive uses a joint index beyond the skeleton")
    attributes = pygltflib.Attributes(
        POSITION=binary.accessor(primitive.positions.astype(np.float32), bounds=True),
        NORMAL=binary.accessor(_unit(primitive.normals)),
        JOINTS_0=binary.accessor(joints.astype(_smallest_uint(joint_count))),
        WEIGHTS_0=binary.accessor(weights),
    )
    if primitive.uvs is not None:
        attributes.TEXCOORD_0 = binary.accessor(primitive.uvs.astype(np.float32))
    if primitive.colors is not None:
        attributes.COLOR_0 = binary.accessor(primitive.colors.astype(np.float32))
    targets = []
    for target in primitive.targets:
        morph = pygltflib.Attributes(
            POSITION=binary.accessor(target.positions.astype(np.float32), bounds=True)
        )
        if target.normals is not None:
            morph.NORMAL = binary.accessor(target.normals.astype(np.float32))
        targets.append(morph)
    indices = np.asarray(primitive.indices).astype(_index_dtype(count))
    return pygltflib.Primitive(
        attributes=attributes,
        indices=binary.accessor(indices, _ELEMENT_ARRAY_BUFFER, flat=True),
        material=primitive.material,
        targets=targets,
    )


def _unit(normals: np.ndarray) -> np.ndarray:
    """Unit-length float32 normals (the validator rejects others); zero ones become +Y."""
    normals = np.asarray(normals, dtype=np.float64)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    unit = np.where(length > 1e-12, normals / np.maximum(length, 1e-12), (0.0, 1.0, 0.0))
    return unit.astype(np.float32)


def _write_mesh(binary: _BinaryBuilder, mesh: Mesh, joint_count: int, textured: set[int]) -> None:
    """Appends one glTF mesh; every primitive must carry one morph target per name."""
    for primitive in mesh.primitives:
        if len(primitive.targets) != len(mesh.target_names):
            raise ValueError(f"mesh {mesh.name}: a primitive's targets do not match its names")
    gltf_mesh = pygltflib.Mesh(
        name=mesh.name,
        primitives=[
            _write_primitive(binary, p, joint_count, p.material in textured)
            for p in mesh.primitives
        ],
    )
    if mesh.target_names:
        gltf_mesh.extras = {"targetNames": list(mesh.target_names)}
        if mesh.default_weights:
            gltf_mesh.weights = [float(w) for w in mesh.default_weights]
    binary.gltf.meshes.append(gltf_mesh)


def _write_texture(binary: _BinaryBuilder, rgba: np.ndarray) -> int:
    """Embeds an (H, W, 4) uint8 image as PNG and returns the texture index."""
    png = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba, dtype=np.uint8), "RGBA").save(png, "PNG")
    gltf = binary.gltf
    gltf.images.append(
        pygltflib.Image(bufferView=binary.view(png.getvalue()), mimeType="image/png")
    )
    if not gltf.samplers:
        gltf.samplers.append(
            pygltflib.Sampler(magFilter=pygltflib.LINEAR, minFilter=pygltflib.LINEAR_MIPMAP_LINEAR)
        )
    gltf.textures.append(pygltflib.Texture(sampler=0, source=len(gltf.images) - 1))
    return len(gltf.textures) - 1


def _write_material(binary: _BinaryBuilder, material: Material) -> bool:
    """Appends one glTF material; returns whether it uses the KHR_materials_unlit extension."""
    pbr = pygltflib.PbrMetallicRoughness(
        baseColorFactor=[float(c) for c in material.base_color],
        metallicFactor=0.0,
        roughnessFactor=0.9,
    )
    if material.texture is not None:
        pbr.baseColorTexture = pygltflib.TextureInfo(index=_write_texture(binary, material.texture))
    gltf_material = pygltflib.Material(
        name=material.name,
        pbrMetallicRoughness=pbr,
        alphaMode=material.alpha_mode,
        alphaCutoff=material.alpha_cutoff if material.alpha_mode == "MASK" else None,
        doubleSided=material.double_sided,
    )
    if any(material.emissive):
        gltf_material.emissiveFactor = [float(c) for c in material.emissive]
    if material.unlit:
        gltf_material.extensions = {_UNLIT: {}}
    binary.gltf.materials.append(gltf_material)
    return material.unlit


def _write_nodes(gltf: pygltflib.GLTF2, joints: Sequence[Node], meshes: Sequence[Mesh]) -> None:
    """Joint nodes, then one skinned node per mesh, and the scene holding their roots."""
    for index, joint in enumerate(joints):
        node = pygltflib.Node(
            name=joint.name,
            translation=[float(v) for v in joint.translation],
            children=[i for i, j in enumerate(joints) if j.parent == index],
        )
        # Identity rotation and unit scale are the defaults: leave them out.
        if not np.allclose(joint.rotation, (0.0, 0.0, 0.0, 1.0)):
            node.rotation = [
                float(v) for v in np.asarray(joint.rotation) / np.linalg.norm(joint.rotation)
            ]
        if not np.allclose(joint.scale, 1.0):
            node.scale = [float(v) for v in joint.scale]
        gltf.nodes.append(node)
    for index, mesh in enumerate(meshes):
        gltf.nodes.append(pygltflib.Node(name=mesh.name, mesh=index, skin=0))
    roots = [i for i, j in enumerate(joints) if j.parent < 0]
    scene_nodes = roots + [mesh_node_index(len(joints), m) for m in range(len(meshes))]
    gltf.scenes.append(pygltflib.Scene(name="Scene", nodes=scene_nodes))
    gltf.scene = 0


def write_skinned_glb(
    joints: Sequence[Node],
    meshes: Sequence[Mesh],
    materials: Sequence[Material],
    *,
    extensions: Mapping[str, Any] | None = None,
    generator: str = "VIDA rigging.glb_writer",
) -> bytes:
    """The GLB bytes of ``meshes`` skinned to ``joints`` (layout in the module docstring).

    Joints must list parents before children; their rest transforms are the bind pose.
    Primitive ``joints`` index ``joints``; weights are renormalised (``normalized_skin_weights``).
    Output is deterministic: the same input gives the same bytes.
    """
    if not joints:
        raise ValueError("a skinned file needs at least one joint")
    gltf = pygltflib.GLTF2(asset=pygltflib.Asset(generator=generator, version="2.0"))
    binary = _BinaryBuilder(gltf)
    unlit = [_write_material(binary, m) for m in materials]  # a list: write every one
    used = [_UNLIT] if any(unlit) else []
    textured = {i for i, m in enumerate(materials) if m.texture is not None}
    for mesh in meshes:
        _write_mesh(binary, mesh, len(joints), textured)
    _write_nodes(gltf, joints, meshes)
    gltf.skins.append(
        pygltflib.Skin(
            joints=list(range(len(joints))),
            inverseBindMatrices=binary.accessor(
                # glTF stores matrices column-major: the transpose's rows are the columns.
                inverse_bind_matrices(joints).transpose(0, 2, 1).reshape(-1, 16),
                target=None,
            ),
        )
    )
    if extensions:
        gltf.extensions = {name: value for name, value in extensions.items()}
        used.extend(extensions)
    if used:
        gltf.extensionsUsed = used
    blob = binary.blob()
    gltf.buffers.append(pygltflib.Buffer(byteLength=len(blob)))
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())
