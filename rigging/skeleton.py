"""Posing a model: local rotations in, world matrices and joint palettes out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from rigging.model import AvatarModel, Mesh, MeshInstance, MorphTarget, Primitive
from rigging.transforms import trs_matrix


def node_order(model: AvatarModel) -> list[int]:
    """Node indices with every parent before its children (the loader rejects cycles)."""
    order: list[int] = []
    stack = [i for i, n in enumerate(model.nodes) if n.parent < 0][::-1]
    children: dict[int, list[int]] = {}
    for i, node in enumerate(model.nodes):
        children.setdefault(node.parent, []).append(i)
    while stack:
        index = stack.pop()
        order.append(index)
        stack.extend(reversed(children.get(index, [])))
    return order


def world_matrices(
    model: AvatarModel,
    rotations: Mapping[int, np.ndarray] | None = None,
    order: list[int] | None = None,
) -> np.ndarray:
    """(N, 4, 4) world matrices, ``model.root`` included.

    ``rotations`` replaces the rest rotation of the nodes it names (local quaternions).
    Pass ``order`` from ``node_order`` when posing every frame, to skip recomputing it.
    """
    rotations = rotations or {}
    world = np.empty((len(model.nodes), 4, 4))
    for index in order if order is not None else node_order(model):
        node = model.nodes[index]
        rotation = rotations.get(index, node.rotation)
        local = trs_matrix(node.translation, rotation, node.scale)
        parent = model.root if node.parent < 0 else world[node.parent]
        world[index] = parent @ local
    return world


def joint_palette(model: AvatarModel, world: np.ndarray, instance: MeshInstance) -> np.ndarray:
    """(J, 4, 4) float32 skinning matrices for one mesh instance.

    A skinned instance gets world(joint) · inverse bind; a rigid one gets its node's world
    matrix as joint 0 (the loader gives rigid primitives joint 0 at weight 1).
    """
    if instance.skin is None:
        return world[instance.node][None].astype(np.float32)
    skin = model.skins[instance.skin]
    joints = world[list(skin.joints)]
    # glTF skinned vertices are in the skeleton's space: the mesh node's own transform is
    # ignored, but ``root`` (our file-space correction) still applies through world().
    return (joints @ skin.inverse_bind).astype(np.float32)


def blended_matrices(primitive: Primitive, palette: np.ndarray) -> np.ndarray:
    """(N, 4, 4): each vertex's skinning matrices mixed by its weights (one matrix per vertex
    instead of transforming it four times)."""
    return np.einsum("nk,nkij->nij", primitive.weights, palette[primitive.joints])


def posed_vertices(model: AvatarModel, world: np.ndarray) -> list[np.ndarray]:
    """World positions of every instance's vertices (CPU skinning: bounds, checks, tests)."""
    out = []
    for instance in model.instances:
        palette = joint_palette(model, world, instance).astype(np.float64)
        for primitive in model.meshes[instance.mesh].primitives:
            blended = blended_matrices(primitive, palette)
            out.append(
                np.einsum("nij,nj->ni", blended[:, :3, :3], primitive.positions) + blended[:, :3, 3]
            )
    return out


def posed_mesh(model: AvatarModel, world: np.ndarray, instance: MeshInstance) -> Mesh:
    """One instance's mesh with its vertices, normals and morph offsets where ``world``
    puts them (joints and weights as they were): a static copy of a pose."""
    palette = joint_palette(model, world, instance).astype(np.float64)
    mesh = model.meshes[instance.mesh]
    primitives = []
    for p in mesh.primitives:
        blended = blended_matrices(p, palette)
        linear = blended[:, :3, :3]

        def turn(vectors: np.ndarray, linear: np.ndarray = linear) -> np.ndarray:
            return np.einsum("nij,nj->ni", linear, vectors)

        primitives.append(
            dataclasses.replace(
                p,
                positions=(turn(p.positions) + blended[:, :3, 3]).astype(np.float32),
                normals=_unit(turn(p.normals)),
                targets=tuple(
                    MorphTarget(
                        turn(t.positions).astype(np.float32),
                        None if t.normals is None else _unit(turn(t.normals)),
                    )
                    for t in p.targets
                ),
            )
        )
    return dataclasses.replace(mesh, primitives=tuple(primitives))


def bounds(model: AvatarModel, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min corner, max corner) of the model posed by ``world``; a unit box if it is empty."""
    return corners(posed_vertices(model, world))


def corners(points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(min corner, max corner) of arrays of points; a unit box if there are none."""
    points = [p for p in points if len(p)]
    if not points:
        return np.array([-0.5, 0.0, -0.5]), np.array([0.5, 1.0, 0.5])
    stacked = np.vstack(points)
    return stacked.min(axis=0), stacked.max(axis=0)


def _unit(vectors: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(length, 1e-12)).astype(np.float32)
