"""Writing any loaded ``AvatarModel`` back to a GLB (VIDA's lighter copies of uploads).

``glb_writer`` writes one skin over a list of joints. Any model fits that shape: every node
becomes a joint (parents first), each drawn instance becomes a mesh bound in the rest pose
(its vertices are posed at rest once, which also folds in a bind pose that differed from the
rest pose, and several skins into one), under one new root joint (a skin's joints must share
a root), and the humanoid bones and VRM expressions are written as VRM 1.0, so the copy maps
exactly as the original did.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rigging.glb_writer import vrm_extension, write_skinned_glb
from rigging.model import AvatarModel, Mesh, Node, VrmExpressionBind, VrmInfo
from rigging.skeleton import node_order, posed_mesh, world_matrices

PLACEHOLDER_LICENCE = "https://vrm.dev/licenses/1.0/"


def write_model_glb(model: AvatarModel, humanoid: dict[str, int]) -> bytes:
    """The GLB bytes of ``model`` in its file space (``model.root`` is not applied), with
    ``humanoid`` (bone → node index of ``model``) as its VRM humanoid."""
    plain = dataclasses.replace(model, root=np.eye(4))
    order = node_order(plain)
    new_index = {old: new + 1 for new, old in enumerate(order)}  # 0 is the new root
    root = Node("VIDA_Root", -1, np.zeros(3), np.array([0.0, 0.0, 0.0, 1.0]), np.ones(3))
    joints = [root] + [
        dataclasses.replace(plain.nodes[old], parent=new_index.get(plain.nodes[old].parent, 0))
        for old in order
    ]
    world = world_matrices(plain)
    meshes = [_baked(plain, world, k, new_index) for k in range(len(plain.instances))]
    extensions = {"VRMC_vrm": _vrm(plain, humanoid, new_index, len(joints))}
    materials = plain.materials[:-1] if len(plain.materials) > 1 else plain.materials
    return write_skinned_glb(joints, meshes, materials, extensions=extensions)


def _baked(
    model: AvatarModel, world: np.ndarray, instance_index: int, new_index: dict[int, int]
) -> Mesh:
    """One instance's mesh posed at rest in world space, its joints as new node indices."""
    instance = model.instances[instance_index]
    nodes = [instance.node] if instance.skin is None else list(model.skins[instance.skin].joints)
    remap = np.array([new_index[n] for n in nodes], dtype=np.int64)
    mesh = posed_mesh(model, world, instance)
    primitives = tuple(
        dataclasses.replace(p, joints=remap[p.joints].astype(np.uint16)) for p in mesh.primitives
    )
    return dataclasses.replace(mesh, primitives=primitives)


def _vrm(
    model: AvatarModel, humanoid: dict[str, int], new_index: dict[int, int], joint_count: int
) -> dict:
    # Meshes are written one per instance: expression binds follow their mesh's instances.
    instances_of: dict[int, list[int]] = {}
    for k, instance in enumerate(model.instances):
        instances_of.setdefault(instance.mesh, []).append(k)
    original = model.vrm.expressions if model.vrm is not None else {}
    expressions = {
        name: tuple(
            VrmExpressionBind(k, b.target, b.weight)
            for b in binds
            for k in instances_of.get(b.mesh, [])
        )
        for name, binds in original.items()
    }
    title = model.vrm.title if model.vrm is not None else ""
    info = VrmInfo(
        "1.0", {bone: new_index[node] for bone, node in humanoid.items()}, expressions, title
    )
    meta = {
        "name": title or "avatar",
        "authors": ["unknown (a lighter copy of an upload, made by VIDA)"],
        "licenseUrl": PLACEHOLDER_LICENCE,
    }
    return vrm_extension(info, joint_count, meta)
