"""A lighter level of detail for avatars over the CPU renderer's triangle budget.

Vertex clustering: each primitive's bind-pose space is cut into cubes; its vertices that fall
into one cube become one vertex (the one nearest the cube's mean, so it keeps a real vertex's
skin weights, texture coordinates and morph offsets), and triangles that collapse are dropped.
Cubes are a fraction of each primitive's own size, so small parts (eyes, teeth) keep their
shape, and primitives with morph targets (the face) are only reduced when the rest of the
body cannot make the budget alone: a streamer's face is what viewers look at. The fraction is
searched so the model lands just under the budget. It is cruder than quadric simplification
but never moves a vertex off the surface, keeps every attribute consistent, is deterministic
and takes well under a second.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rigging.model import AvatarModel, Mesh, MorphTarget, Primitive

SEARCH_STEPS = 18


def decimate(model: AvatarModel, max_triangles: int) -> AvatarModel:
    """``model`` with at most ``max_triangles`` triangles (itself when already under)."""
    if model.triangle_count <= max_triangles:
        return model
    body_only = _search(model, max_triangles, faces_too=False)
    if body_only is not None:
        return body_only
    return _search(model, max_triangles, faces_too=True) or _clustered(model, 0.5, True)


def _search(model: AvatarModel, max_triangles: int, faces_too: bool) -> AvatarModel | None:
    """The finest clustering under the budget (None if even the coarsest is over)."""
    low, high = 1e-4, 0.5  # cube side as a fraction of each primitive's size
    best = None
    for _ in range(SEARCH_STEPS):
        fraction = float(np.sqrt(low * high))
        candidate = _clustered(model, fraction, faces_too)
        if candidate.triangle_count <= max_triangles:
            best, high = candidate, fraction
        else:
            low = fraction
    return best


def _clustered(model: AvatarModel, fraction: float, faces_too: bool) -> AvatarModel:
    meshes = tuple(
        dataclasses.replace(
            mesh,
            primitives=tuple(
                _cluster(p, fraction) if faces_too or not p.targets else p for p in mesh.primitives
            ),
        )
        for mesh in model.meshes
    )
    return dataclasses.replace(model, meshes=_drop_empty(meshes))


def _cluster(primitive: Primitive, fraction: float) -> Primitive:
    extent = np.ptp(primitive.positions, axis=0).max() if len(primitive.positions) else 0.0
    size = max(float(extent) * fraction, 1e-9)
    cells = np.floor(primitive.positions / size).astype(np.int64)
    _, cluster, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    cluster = cluster.reshape(-1)
    means = np.zeros((len(counts), 3))
    np.add.at(means, cluster, primitive.positions)
    means /= counts[:, None]
    # The representative of each cluster: its vertex nearest the cluster's mean.
    distance = np.linalg.norm(primitive.positions - means[cluster], axis=1)
    order = np.lexsort((distance, cluster))
    first = np.ones(len(order), bool)
    first[1:] = cluster[order][1:] != cluster[order][:-1]
    keep = order[first]  # one vertex per cluster, in cluster order
    triangles = cluster[primitive.indices]
    whole = (
        (triangles[:, 0] != triangles[:, 1])
        & (triangles[:, 1] != triangles[:, 2])
        & (triangles[:, 0] != triangles[:, 2])
    )
    triangles = np.unique(triangles[whole], axis=0)  # two collapsed onto one: keep one
    return Primitive(
        positions=primitive.positions[keep],
        normals=primitive.normals[keep],
        uvs=None if primitive.uvs is None else primitive.uvs[keep],
        joints=primitive.joints[keep],
        weights=primitive.weights[keep],
        indices=triangles.astype(np.uint32),
        material=primitive.material,
        targets=tuple(
            MorphTarget(t.positions[keep], None if t.normals is None else t.normals[keep])
            for t in primitive.targets
        ),
        colors=None if primitive.colors is None else primitive.colors[keep],
    )


def _drop_empty(meshes: tuple[Mesh, ...]) -> tuple[Mesh, ...]:
    """Primitives with no triangle left are dropped (a mesh keeps at least its first)."""
    out = []
    for mesh in meshes:
        kept = tuple(p for p in mesh.primitives if p.triangle_count) or mesh.primitives[:1]
        out.append(dataclasses.replace(mesh, primitives=kept))
    return tuple(out)
