"""The avatar as the rest of VIDA sees it: a node tree, meshes, skins and materials in numpy.

``gltf_reader`` builds these from glTF/GLB/VRM; the renderer, the humanoid mapping and the
retargeting read them. Everything is in glTF's conventions: metres, +Y up, the avatar facing
+Z (``AvatarModel.root`` holds the correction that makes a file so), quaternions as x, y, z, w.

A mesh drawn without a skin is treated as skinned to the one node that holds it, so the
renderer has a single path: every ``MeshInstance`` yields a joint palette.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

AlphaMode = Literal["OPAQUE", "MASK", "BLEND"]


@dataclass(frozen=True)
class Node:
    """One node of the scene tree with its rest transform (local, relative to ``parent``)."""

    name: str
    parent: int  # -1 for a root
    translation: np.ndarray  # (3,) float64
    rotation: np.ndarray  # (4,) float64, x y z w
    scale: np.ndarray  # (3,) float64


@dataclass(frozen=True)
class MorphTarget:
    """One morph target of a primitive: offsets added to the rest vertices at weight 1."""

    positions: np.ndarray  # (N, 3) float32
    normals: np.ndarray | None  # (N, 3) float32


@dataclass(frozen=True)
class Primitive:
    """Triangles with one material. Joints index the instance's palette (see module doc)."""

    positions: np.ndarray  # (N, 3) float32
    normals: np.ndarray  # (N, 3) float32 (computed when the file has none)
    uvs: np.ndarray | None  # (N, 2) float32
    joints: np.ndarray  # (N, 4) uint16
    weights: np.ndarray  # (N, 4) float32, rows sum to 1
    indices: np.ndarray  # (M, 3) uint32
    material: int  # index into AvatarModel.materials
    targets: tuple[MorphTarget, ...] = ()
    colors: np.ndarray | None = None  # (N, 4) float32 COLOR_0, if any

    @property
    def triangle_count(self) -> int:
        """Number of triangles."""
        return int(self.indices.shape[0])


@dataclass(frozen=True)
class Mesh:
    """Primitives that share morph targets; ``target_names[i]`` names every primitive's i-th."""

    name: str
    primitives: tuple[Primitive, ...]
    target_names: tuple[str, ...] = ()
    default_weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Skin:
    """Joints (node indices) and their inverse bind matrices."""

    joints: tuple[int, ...]
    inverse_bind: np.ndarray  # (J, 4, 4) float32, column vectors (M @ v)


@dataclass(frozen=True)
class MeshInstance:
    """A mesh placed in the scene by ``node``, skinned by ``skin`` (None: rigid to ``node``)."""

    node: int
    mesh: int
    skin: int | None


@dataclass(frozen=True)
class Material:
    """What the renderer needs of a glTF material (metallic-roughness is approximated)."""

    name: str
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    texture: np.ndarray | None = None  # (H, W, 4) uint8, RGBA, top row first
    alpha_mode: AlphaMode = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False  # KHR_materials_unlit or VRM MToon: toon shading, no specular
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class VrmExpressionBind:
    """A morph target of a mesh that an expression drives, at ``weight`` when fully on."""

    mesh: int
    target: int
    weight: float


@dataclass(frozen=True)
class VrmInfo:
    """What a VRM file declares beyond glTF: its humanoid bones and its expressions."""

    version: Literal["0.x", "1.0"]
    humanoid: dict[str, int]  # VRM 1.0 bone name → node index (0.x names are converted)
    expressions: dict[str, tuple[VrmExpressionBind, ...]]  # preset or custom name → binds
    title: str = ""


@dataclass(frozen=True)
class AvatarModel:
    """A loaded, validated avatar. ``root`` maps file space to VIDA's (+Y up, facing +Z, m)."""

    nodes: tuple[Node, ...]
    meshes: tuple[Mesh, ...]
    skins: tuple[Skin, ...]
    materials: tuple[Material, ...]
    instances: tuple[MeshInstance, ...]
    root: np.ndarray = field(default_factory=lambda: np.eye(4))  # (4, 4) float64
    vrm: VrmInfo | None = None
    source: str = ""  # "glb", "gltf", "vrm 0.x", "vrm 1.0": what the file was
    warnings: tuple[str, ...] = ()  # what was dropped while loading, and why

    @property
    def vertex_count(self) -> int:
        """Vertices over all primitives."""
        return sum(p.positions.shape[0] for m in self.meshes for p in m.primitives)

    @property
    def triangle_count(self) -> int:
        """Triangles drawn per frame (a mesh used twice counts twice)."""
        return sum(p.triangle_count for i in self.instances for p in self.meshes[i.mesh].primitives)

    @property
    def joint_count(self) -> int:
        """Distinct nodes used as joints by any skin."""
        return len({j for s in self.skins for j in s.joints})

    @property
    def morph_target_names(self) -> tuple[str, ...]:
        """Every morph target name, once, in file order."""
        return tuple(dict.fromkeys(n for m in self.meshes for n in m.target_names))

    def children(self, index: int) -> list[int]:
        """Indices of the nodes whose parent is ``index``."""
        return [i for i, n in enumerate(self.nodes) if n.parent == index]
