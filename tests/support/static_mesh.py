"""Static (unrigged) humanoid meshes for the auto-rigging tests, made from rigged models."""

from __future__ import annotations

import dataclasses

import numpy as np
import pygltflib

from rigging.glb_writer import write_skinned_glb
from rigging.model import AvatarModel, Mesh, Node
from rigging.skeleton import posed_mesh, world_matrices


def baked_meshes(model: AvatarModel, rotations: dict[int, np.ndarray] | None = None) -> list[Mesh]:
    """``model``'s meshes with their vertices where the pose puts them (skin baked in)."""
    world = world_matrices(model, rotations)
    meshes = []
    for instance in model.instances:
        mesh = posed_mesh(model, world, instance)
        primitives = tuple(
            dataclasses.replace(
                p,
                joints=np.zeros_like(p.joints),
                weights=np.tile(np.float32([1, 0, 0, 0]), (len(p.positions), 1)),
            )
            for p in mesh.primitives
        )
        meshes.append(dataclasses.replace(mesh, primitives=primitives))
    return meshes


def static_glb(model: AvatarModel, rotations: dict[int, np.ndarray] | None = None) -> bytes:
    """A GLB of ``model`` as posed, with no skin: what a static scan or sculpt looks like."""
    meshes = baked_meshes(model, rotations)
    root = Node("Root", -1, np.zeros(3), np.array([0.0, 0, 0, 1]), np.ones(3))
    data = write_skinned_glb([root], meshes, model.materials[:-1] or model.materials)
    gltf = pygltflib.GLTF2.load_from_bytes(data)
    gltf.skins = []
    for node in gltf.nodes:
        node.skin = None
    for mesh in gltf.meshes:
        for primitive in mesh.primitives:
            primitive.attributes.JOINTS_0 = None
            primitive.attributes.WEIGHTS_0 = None
    gltf.scenes[0].nodes = [i for i, n in enumerate(gltf.nodes) if n.mesh is not None]
    return b"".join(gltf.save_to_bytes())
