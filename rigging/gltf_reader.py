"""Loading glTF 2.0 / GLB / VRM (0.x and 1.0) into an ``AvatarModel``, validating as it goes.

Everything a renderer or the retargeting reads is checked here: references between objects,
offsets against buffers, joint indices against skins, counts against ``AvatarLimits``. A file
that fails a check raises ``AvatarFormatError``/``AvatarLimitError`` naming the place
(``meshes[2].primitives[0]``) and what is wrong. What can be ignored safely (an unsupported
texture format, lines and points) is dropped with a warning in ``AvatarModel.warnings``.

pygltflib reads glTF well but follows external URIs and has no size limits, so uploads are
parsed here; pygltflib is used only to write files.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from rigging.errors import AvatarFormatError, AvatarLimitError
from rigging.gltf_accessors import AccessorReader
from rigging.gltf_container import GltfContainer, decode_data_uri, read_container
from rigging.limits import AvatarLimits
from rigging.model import (
    AvatarModel,
    Material,
    Mesh,
    MeshInstance,
    MorphTarget,
    Node,
    Primitive,
    Skin,
)
from rigging.transforms import quat_from_matrix
from rigging.vrm import read_vrm

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


def load_avatar(source: bytes | str | Path, limits: AvatarLimits | None = None) -> AvatarModel:
    """Read and validate an avatar file (bytes or a path) within ``limits``."""
    limits = limits or AvatarLimits()
    if isinstance(source, (str, Path)):
        path = Path(source)
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise AvatarLimitError(
                f"the file is {size / 2**20:.1f} MiB; the limit is "
                f"{limits.max_file_bytes / 2**20:.0f} MiB"
            )
        source = path.read_bytes()
    return _GltfReader(read_container(source, limits), limits).model()


class _GltfReader:
    def __init__(self, container: GltfContainer, limits: AvatarLimits) -> None:
        self.doc = container.document
        self.container = container
        self.limits = limits
        self.accessors = AccessorReader(container, limits.max_decoded_bytes)
        self.warnings: list[str] = []

    def model(self) -> AvatarModel:
        nodes = self._nodes()
        skins = self._skins(len(nodes))
        instances = self._instances(nodes)
        skin_sizes = {i.mesh: len(skins[i.skin].joints) for i in instances if i.skin is not None}
        meshes = tuple(
            self._mesh(i, m, skin_sizes.get(i)) for i, m in enumerate(self._list("meshes"))
        )
        self._check_totals(meshes, skins)
        vrm = read_vrm(self.doc, len(nodes), self._mesh_of_node())
        source = f"vrm {vrm.version}" if vrm else ("glb" if self.container.binary else "gltf")
        return AvatarModel(
            nodes=nodes,
            meshes=meshes,
            skins=skins,
            materials=self._materials(),
            instances=instances,
            vrm=vrm,
            source=source,
            warnings=tuple(self.warnings),
        )

    # --- scene tree -------------------------------------------------------------------------

    def _nodes(self) -> tuple[Node, ...]:
        raw = self._list("nodes")
        if len(raw) > self.limits.max_nodes:
            raise AvatarLimitError(f"{len(raw)} nodes; the limit is {self.limits.max_nodes}")
        parents = [-1] * len(raw)
        for index, node in enumerate(raw):
            for child in _as_list(node.get("children", []), f"nodes[{index}].children"):
                if not isinstance(child, int) or not 0 <= child < len(raw) or child == index:
                    raise AvatarFormatError(f"child {child!r} is not a node", f"nodes[{index}]")
                if parents[child] != -1:
                    raise AvatarFormatError("has two parents", f"nodes[{child}]")
                parents[child] = index
        _reject_cycles(parents)
        return tuple(self._node(i, n, parents[i]) for i, n in enumerate(raw))

    def _node(self, index: int, node: dict[str, Any], parent: int) -> Node:
        where = f"nodes[{index}]"
        name = str(node.get("name") or f"node{index}")
        if "matrix" in node:
            matrix = _floats(node["matrix"], 16, where + ".matrix").reshape(4, 4).T
            scale = np.linalg.norm(matrix[:3, :3], axis=0)
            if np.any(scale < 1e-9):
                raise AvatarFormatError("matrix has a zero scale", where)
            return Node(name, parent, matrix[:3, 3].copy(), quat_from_matrix(matrix), scale)
        translation = _floats(node.get("translation", [0, 0, 0]), 3, where + ".translation")
        rotation = _floats(node.get("rotation", [0, 0, 0, 1]), 4, where + ".rotation")
        scale = _floats(node.get("scale", [1, 1, 1]), 3, where + ".scale")
        norm = float(np.linalg.norm(rotation))
        if norm < 1e-6:
            raise AvatarFormatError("rotation is not a quaternion (length 0)", where)
        return Node(name, parent, translation, rotation / norm, scale)

    def _instances(self, nodes: tuple[Node, ...]) -> tuple[MeshInstance, ...]:
        meshes, skins = len(self._list("meshes")), len(self._list("skins"))
        visible = self._scene_nodes(nodes)
        instances = []
        for index, node in enumerate(self._list("nodes")):
            mesh, skin = node.get("mesh"), node.get("skin")
            if mesh is None or index not in visible:
                continue
            if not isinstance(mesh, int) or not 0 <= mesh < meshes:
                raise AvatarFormatError(f"mesh {mesh!r} does not exist", f"nodes[{index}]")
            if skin is not None and (not isinstance(skin, int) or not 0 <= skin < skins):
                raise AvatarFormatError(f"skin {skin!r} does not exist", f"nodes[{index}]")
            instances.append(MeshInstance(index, mesh, skin))
        if not instances:
            raise AvatarFormatError("the scene has no meshes: there is nothing to show")
        return tuple(instances)

    def _scene_nodes(self, nodes: tuple[Node, ...]) -> set[int]:
        scenes = self._list("scenes")
        if not scenes:
            return set(range(len(nodes)))
        scene = self.doc.get("scene", 0)
        if not isinstance(scene, int) or not 0 <= scene < len(scenes):
            raise AvatarFormatError(f"scene {scene!r} does not exist", "scene")
        roots = _as_list(scenes[scene].get("nodes", []), f"scenes[{scene}].nodes")
        if any(not isinstance(r, int) or not 0 <= r < len(nodes) for r in roots):
            raise AvatarFormatError("names a node that does not exist", f"scenes[{scene}].nodes")
        inside = set(roots)
        for index in range(len(nodes)):
            ancestor = index
            while ancestor != -1 and ancestor not in inside:
                ancestor = nodes[ancestor].parent
            if ancestor != -1:
                inside.add(index)
        return inside

    def _mesh_of_node(self) -> dict[int, int]:
        return {i: n["mesh"] for i, n in enumerate(self._list("nodes")) if "mesh" in n}

    # --- skins ------------------------------------------------------------------------------

    def _skins(self, node_count: int) -> tuple[Skin, ...]:
        skins = []
        for index, skin in enumerate(self._list("skins")):
            where = f"skins[{index}]"
            joints = _as_list(skin.get("joints"), where + ".joints")
            if not joints or any(not isinstance(j, int) or not 0 <= j < node_count for j in joints):
                raise AvatarFormatError("joints must be a non-empty list of nodes", where)
            if len(joints) > self.limits.max_joints:
                raise AvatarLimitError(
                    f"{len(joints)} bones; the limit is {self.limits.max_joints}", where
                )
            if "inverseBindMatrices" in skin:
                ibm = self.accessors.read(skin["inverseBindMatrices"], where)
                if ibm.shape != (len(joints), 16):
                    raise AvatarFormatError("inverseBindMatrices must be one MAT4 per joint", where)
                inverse_bind = ibm.astype(np.float32).reshape(-1, 4, 4).transpose(0, 2, 1)
            else:
                inverse_bind = np.repeat(np.eye(4, dtype=np.float32)[None], len(joints), axis=0)
            if not np.all(np.isfinite(inverse_bind)):
                raise AvatarFormatError("inverseBindMatrices hold NaN or infinity", where)
            skins.append(Skin(tuple(joints), np.ascontiguousarray(inverse_bind)))
        return tuple(skins)

    # --- meshes -----------------------------------------------------------------------------

    def _mesh(self, index: int, mesh: dict[str, Any], joint_count: int | None) -> Mesh:
        where = f"meshes[{index}]"
        primitives = []
        for p_index, primitive in enumerate(_as_list(mesh.get("primitives"), where)):
            built = self._primitive(primitive, f"{where}.primitives[{p_index}]", joint_count)
            if built is not None:
                primitives.append(built)
        targets = max((len(p.targets) for p in primitives), default=0)
        names = _target_names(mesh, targets)
        weights = mesh.get("weights", [])
        default = tuple(float(w) for w in weights) if isinstance(weights, list) else ()
        return Mesh(str(mesh.get("name") or f"mesh{index}"), tuple(primitives), names, default)

    def _primitive(
        self, primitive: dict[str, Any], where: str, joint_count: int | None
    ) -> Primitive | None:
        mode = primitive.get("mode", TRIANGLES)
        if mode not in (TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN):
            self.warnings.append(f"{where}: points/lines (mode {mode}) are not drawn")
            return None
        attributes = primitive.get("attributes")
        if not isinstance(attributes, dict) or "POSITION" not in attributes:
            raise AvatarFormatError("has no POSITION attribute", where)
        positions = self._vectors(attributes["POSITION"], 3, where + ".POSITION")
        count = len(positions)
        if count > self.limits.max_vertices:
            raise AvatarLimitError(
                f"{count} vertices; the limit is {self.limits.max_vertices}", where
            )
        indices = self._indices(primitive, count, mode, where)
        normals = (
            self._vectors(attributes["NORMAL"], 3, where + ".NORMAL", count)
            if "NORMAL" in attributes
            else _vertex_normals(positions, indices)
        )
        uvs = (
            self._vectors(attributes["TEXCOORD_0"], 2, where + ".TEXCOORD_0", count)
            if "TEXCOORD_0" in attributes
            else None
        )
        joints, weights = self._skinning(attributes, count, joint_count, where)
        material = primitive.get("material", -1)
        if not isinstance(material, int) or material >= len(self._list("materials")):
            raise AvatarFormatError(f"material {material!r} does not exist", where)
        return Primitive(
            positions=positions,
            normals=normals,
            uvs=uvs,
            joints=joints,
            weights=weights,
            indices=indices,
            material=material if material >= 0 else len(self._list("materials")),
            targets=self._targets(primitive, count, where),
            colors=self._colors(attributes, count, where),
        )

    def _vectors(
        self, accessor: object, width: int, where: str, count: int | None = None
    ) -> np.ndarray:
        values = self.accessors.read(accessor, where)
        if values.shape[1] != width:
            raise AvatarFormatError(f"must have {width} components, has {values.shape[1]}", where)
        if count is not None and len(values) != count:
            raise AvatarFormatError(f"has {len(values)} values for {count} vertices", where)
        values = values.astype(np.float32)
        if not np.all(np.isfinite(values)):
            raise AvatarFormatError("holds NaN or infinity", where)
        return values

    def _indices(self, primitive: dict[str, Any], count: int, mode: int, where: str) -> np.ndarray:
        if "indices" in primitive:
            raw = self.accessors.read(primitive["indices"], where + ".indices")
            if raw.shape[1] != 1 or raw.dtype.kind != "u":
                raise AvatarFormatError("indices must be unsigned integer scalars", where)
            flat = raw.reshape(-1).astype(np.uint32)
            if flat.size and int(flat.max()) >= count:
                raise AvatarFormatError(
                    f"an index ({int(flat.max())}) points past the {count} vertices", where
                )
        else:
            flat = np.arange(count, dtype=np.uint32)
        triangles = _triangles(flat, mode)
        if len(triangles) > self.limits.max_triangles:
            raise AvatarLimitError(
                f"{len(triangles)} triangles; the limit is {self.limits.max_triangles}", where
            )
        return triangles

    def _skinning(
        self, attributes: dict[str, Any], count: int, joint_count: int | None, where: str
    ) -> tuple[np.ndarray, np.ndarray]:
        rigid = np.zeros((count, 4), np.uint16), np.tile(np.float32([1, 0, 0, 0]), (count, 1))
        if joint_count is None or "JOINTS_0" not in attributes or "WEIGHTS_0" not in attributes:
            return rigid
        joints = self.accessors.read(attributes["JOINTS_0"], where + ".JOINTS_0")
        weights = self._vectors(attributes["WEIGHTS_0"], 4, where + ".WEIGHTS_0", count)
        if joints.shape != (count, 4) or joints.dtype.kind != "u":
            raise AvatarFormatError("JOINTS_0 must be 4 unsigned integers per vertex", where)
        used = weights > 0
        if np.any(joints[used] >= joint_count):
            raise AvatarFormatError(
                f"JOINTS_0 refers to joint {int(joints[used].max())} of a {joint_count}-joint skin",
                where,
            )
        weights = np.where(used & (joints < joint_count), weights, 0.0).astype(np.float32)
        total = weights.sum(axis=1, keepdims=True)
        weights = np.where(total > 1e-6, weights / np.maximum(total, 1e-6), rigid[1])
        return np.minimum(joints, joint_count - 1).astype(np.uint16), weights.astype(np.float32)

    def _targets(
        self, primitive: dict[str, Any], count: int, where: str
    ) -> tuple[MorphTarget, ...]:
        targets = []
        for t_index, target in enumerate(
            _as_list(primitive.get("targets", []), where + ".targets")
        ):
            t_where = f"{where}.targets[{t_index}]"
            if not isinstance(target, dict):
                raise AvatarFormatError("is not an object", t_where)
            positions = (
                self._vectors(target["POSITION"], 3, t_where + ".POSITION", count)
                if "POSITION" in target
                else np.zeros((count, 3), np.float32)
            )
            normals = (
                self._vectors(target["NORMAL"], 3, t_where + ".NORMAL", count)
                if "NORMAL" in target
                else None
            )
            targets.append(MorphTarget(positions, normals))
        return tuple(targets)

    def _colors(self, attributes: dict[str, Any], count: int, where: str) -> np.ndarray | None:
        if "COLOR_0" not in attributes:
            return None
        values = self.accessors.read(attributes["COLOR_0"], where + ".COLOR_0").astype(np.float32)
        if values.shape not in ((count, 3), (count, 4)):
            raise AvatarFormatError("COLOR_0 must be 3 or 4 components per vertex", where)
        if values.shape[1] == 3:
            values = np.hstack([values, np.ones((count, 1), np.float32)])
        return values

    def _check_totals(self, meshes: tuple[Mesh, ...], skins: tuple[Skin, ...]) -> None:
        vertices = sum(p.positions.shape[0] for m in meshes for p in m.primitives)
        if vertices > self.limits.max_vertices:
            raise AvatarLimitError(f"{vertices} vertices; the limit is {self.limits.max_vertices}")
        names = {n for m in meshes for n in m.target_names}
        if len(names) > self.limits.max_morph_targets:
            raise AvatarLimitError(
                f"{len(names)} morph targets; the limit is {self.limits.max_morph_targets}"
            )
        joints = len({j for s in skins for j in s.joints})
        if joints > self.limits.max_joints:
            raise AvatarLimitError(f"{joints} bones; the limit is {self.limits.max_joints}")

    # --- materials ----------------------------------------------------------------------------

    def _materials(self) -> tuple[Material, ...]:
        textures: dict[int, np.ndarray | None] = {}
        vrm0 = _vrm0_material_shaders(self.doc)
        materials = [
            self._material(i, m, textures, vrm0) for i, m in enumerate(self._list("materials"))
        ]
        materials.append(Material("default"))  # for primitives without a material
        return tuple(materials)

    def _material(
        self,
        index: int,
        material: dict[str, Any],
        textures: dict[int, np.ndarray | None],
        vrm0: dict[str, str],
    ) -> Material:
        where = f"materials[{index}]"
        pbr = material.get("pbrMetallicRoughness", {}) or {}
        name = str(material.get("name") or f"material{index}")
        colour = _floats(pbr.get("baseColorFactor", [1, 1, 1, 1]), 4, where + ".baseColorFactor")
        texture = None
        if isinstance(pbr.get("baseColorTexture"), dict):
            t_index = pbr["baseColorTexture"].get("index")
            if t_index not in textures:
                textures[t_index] = self._texture(t_index, where, len(textures))
            texture = textures[t_index]
        extensions = material.get("extensions", {}) or {}
        unlit = (
            "KHR_materials_unlit" in extensions
            or "VRMC_materials_mtoon" in extensions
            or "mtoon" in vrm0.get(name, "").lower()
        )
        alpha_mode = material.get("alphaMode", "OPAQUE")
        if alpha_mode not in ("OPAQUE", "MASK", "BLEND"):
            raise AvatarFormatError(f"alphaMode {alpha_mode!r} is not OPAQUE, MASK or BLEND", where)
        emissive = _floats(material.get("emissiveFactor", [0, 0, 0]), 3, where + ".emissiveFactor")
        return Material(
            name=name,
            base_color=tuple(float(c) for c in colour),  # type: ignore[arg-type]
            texture=texture,
            alpha_mode=alpha_mode,
            alpha_cutoff=float(material.get("alphaCutoff", 0.5)),
            double_sided=bool(material.get("doubleSided", False)),
            unlit=unlit,
            emissive=tuple(float(c) for c in emissive),  # type: ignore[arg-type]
        )

    def _texture(self, index: object, where: str, decoded: int) -> np.ndarray | None:
        textures, images = self._list("textures"), self._list("images")
        if not isinstance(index, int) or not 0 <= index < len(textures):
            raise AvatarFormatError(f"texture {index!r} does not exist", where)
        if decoded >= self.limits.max_textures:
            raise AvatarLimitError(f"more than {self.limits.max_textures} textures", where)
        source = textures[index].get("source")
        if source is None:  # e.g. only a KHR_texture_basisu / EXT_texture_webp source
            self.warnings.append(f"textures[{index}]: no PNG/JPEG source; drawn untextured")
            return None
        if not isinstance(source, int) or not 0 <= source < len(images):
            raise AvatarFormatError(f"image {source!r} does not exist", f"textures[{index}]")
        return self._image(images[source], f"images[{source}]")

    def _image(self, image: dict[str, Any], where: str) -> np.ndarray | None:
        if "bufferView" in image:
            data = self.accessors.bytes_of_view(image["bufferView"], where)
        else:
            data = decode_data_uri(image.get("uri"), where, self.limits.max_file_bytes)
        try:
            with Image.open(io.BytesIO(data)) as picture:  # reads the header only
                width, height = picture.size
                if picture.format not in ("PNG", "JPEG", "WEBP"):
                    raise AvatarFormatError(f"{picture.format} images are not supported", where)
                if width * height > self.limits.max_texture_pixels:
                    side = math.isqrt(self.limits.max_texture_pixels)
                    raise AvatarLimitError(
                        f"a texture is too large ({width}×{height}; at most {side}×{side})", where
                    )
                self.accessors.charge(width * height * 4, where)
                rgba = np.asarray(picture.convert("RGBA"))
        except Image.DecompressionBombError:
            side = math.isqrt(self.limits.max_texture_pixels)
            raise AvatarLimitError(
                f"a texture is too large (at most {side}×{side})", where
            ) from None
        except (UnidentifiedImageError, OSError, ValueError) as error:
            if isinstance(error, (AvatarFormatError, AvatarLimitError)):
                raise
            raise AvatarFormatError(f"the image cannot be decoded ({error})", where) from None
        return rgba

    def _list(self, key: str) -> list[Any]:
        value = self.doc.get(key, [])
        if not isinstance(value, list) or any(not isinstance(v, dict) for v in value):
            raise AvatarFormatError("must be a list of objects", key)
        return value


def _triangles(flat: np.ndarray, mode: int) -> np.ndarray:
    if mode == TRIANGLES:
        return flat[: len(flat) // 3 * 3].reshape(-1, 3)
    if len(flat) < 3:
        return np.zeros((0, 3), np.uint32)
    i = np.arange(len(flat) - 2)
    if mode == TRIANGLE_FAN:
        return np.stack([flat[i + 1], flat[i + 2], np.full_like(flat[i], flat[0])], axis=1)
    # Strip: every other triangle is flipped to keep one winding.
    even = i % 2 == 0
    a = np.where(even, flat[i], flat[i + 1])
    b = np.where(even, flat[i + 1], flat[i])
    return np.stack([a, b, flat[i + 2]], axis=1)


def _vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, for files that carry none."""
    normals = np.zeros_like(positions)
    if len(indices):
        a, b, c = (positions[indices[:, k]] for k in range(3))
        face = np.cross(b - a, c - a)
        for k in range(3):
            np.add.at(normals, indices[:, k], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.where(length > 1e-12, normals / np.maximum(length, 1e-12), [0, 1, 0]).astype(
        np.float32
    )


def _target_names(mesh: dict[str, Any], count: int) -> tuple[str, ...]:
    names = (mesh.get("extras") or {}).get("targetNames")
    if not isinstance(names, list):  # UniVRM (VRM 0.x) keeps them on the primitive
        primitives = mesh.get("primitives") or [{}]
        first = primitives[0] if isinstance(primitives[0], dict) else {}
        names = (first.get("extras") or {}).get("targetNames")
    names = [str(n) for n in names] if isinstance(names, list) else []
    return tuple(names[:count] + [f"target{i}" for i in range(len(names), count)])


def _vrm0_material_shaders(doc: dict[str, Any]) -> dict[str, str]:
    properties = ((doc.get("extensions") or {}).get("VRM") or {}).get("materialProperties", [])
    if not isinstance(properties, list):
        return {}
    return {str(p.get("name")): str(p.get("shader", "")) for p in properties if isinstance(p, dict)}


def _reject_cycles(parents: list[int]) -> None:
    state = [0] * len(parents)  # 0 unseen, 1 on the current path, 2 done
    for start in range(len(parents)):
        path, node = [], start
        while node != -1 and state[node] == 0:
            state[node] = 1
            path.append(node)
            node = parents[node]
        if node != -1 and state[node] == 1:
            raise AvatarFormatError("the node tree has a cycle", f"nodes[{node}]")
        for visited in path:
            state[visited] = 2


def _floats(value: object, size: int, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise AvatarFormatError(f"must be {size} numbers", where) from None
    if array.size != size or not np.all(np.isfinite(array)):
        raise AvatarFormatError(f"must be {size} finite numbers", where)
    return array


def _as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise AvatarFormatError("must be a list", where)
    return value
