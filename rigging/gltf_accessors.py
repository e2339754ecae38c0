"""Reading glTF accessors into numpy arrays, every offset checked against its buffer.

A hostile file can point many accessors at the same large buffer; ``AccessorReader`` counts
the bytes it decodes and stops at ``AvatarLimits.max_decoded_bytes``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rigging.errors import AvatarFormatError, AvatarLimitError
from rigging.gltf_container import GltfContainer

COMPONENT_TYPES: dict[int, np.dtype[Any]] = {
    5120: np.dtype("i1"),
    5121: np.dtype("u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
ELEMENT_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
NORMALISED_SCALE = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}


class AccessorReader:
    """Decodes accessors of one document, each at most once, within a byte budget."""

    def __init__(self, container: GltfContainer, max_decoded_bytes: int) -> None:
        self._doc = container.document
        self._buffers = container.buffers
        self._budget = max_decoded_bytes
        self._cache: dict[int, np.ndarray] = {}

    def read(self, index: object, where: str) -> np.ndarray:
        """Accessor ``index`` as an (count, components) array (float32 if normalised)."""
        accessors = self._doc.get("accessors", [])
        if not isinstance(index, int) or not 0 <= index < len(accessors):
            raise AvatarFormatError(f"refers to accessor {index!r}, which does not exist", where)
        if index not in self._cache:
            self._cache[index] = self._decode(accessors[index], f"accessors[{index}]")
        return self._cache[index]

    def bytes_of_view(self, index: object, where: str) -> bytes:
        """The bytes of buffer view ``index`` (for images)."""
        _, data = self._view(index, where)
        self.charge(len(data), where)
        return bytes(data)

    def _decode(self, accessor: Any, where: str) -> np.ndarray:
        if not isinstance(accessor, dict):
            raise AvatarFormatError("is not an object", where)
        dtype = COMPONENT_TYPES.get(accessor.get("componentType"))  # type: ignore[arg-type]
        width = ELEMENT_SIZES.get(accessor.get("type"))  # type: ignore[arg-type]
        count = accessor.get("count")
        if dtype is None or width is None:
            raise AvatarFormatError("has an unknown componentType or type", where)
        if not isinstance(count, int) or count < 0:
            raise AvatarFormatError("count is missing or negative", where)
        if "bufferView" in accessor:
            values = self._strided(accessor, dtype, width, count, where)
        else:
            self.charge(count * width * dtype.itemsize, where)
            values = np.zeros((count, width), dtype)
        if "sparse" in accessor:
            values = self._apply_sparse(values, accessor["sparse"], dtype, width, where)
        if accessor.get("normalized") and dtype.kind in "iu":
            scale = NORMALISED_SCALE[accessor["componentType"]]
            return np.maximum(values.astype(np.float32) / scale, -1.0)
        return values

    def _strided(
        self, accessor: dict[str, Any], dtype: np.dtype[Any], width: int, count: int, where: str
    ) -> np.ndarray:
        view, data = self._view(accessor["bufferView"], where)
        offset = accessor.get("byteOffset", 0)
        element = dtype.itemsize * width
        stride = view.get("byteStride") or element
        if not isinstance(offset, int) or offset < 0 or not isinstance(stride, int):
            raise AvatarFormatError("byteOffset or byteStride is invalid", where)
        if stride < element:
            raise AvatarFormatError(f"byteStride {stride} is smaller than one element", where)
        if count and offset + stride * (count - 1) + element > len(data):
            raise AvatarFormatError(
                f"{count} elements from offset {offset} run past the end of its buffer view "
                f"({len(data)} bytes)",
                where,
            )
        if count == 0:
            return np.zeros((0, width), dtype)
        self.charge(count * element, where)
        # A strided view over the bytes, then one copy: no per-element Python loop.
        raw = np.frombuffer(data, np.uint8, count=offset + stride * (count - 1) + element)
        rows = np.lib.stride_tricks.as_strided(
            raw[offset:], shape=(count, element), strides=(stride, 1), writeable=False
        )
        return rows.copy().view(dtype).reshape(count, width)

    def _apply_sparse(
        self, values: np.ndarray, sparse: Any, dtype: np.dtype[Any], width: int, where: str
    ) -> np.ndarray:
        where = f"{where}.sparse"
        try:
            count = int(sparse["count"])
            idx_spec, val_spec = sparse["indices"], sparse["values"]
            idx_dtype = COMPONENT_TYPES[idx_spec["componentType"]]
        except (KeyError, TypeError, ValueError):
            raise AvatarFormatError("is incomplete", where) from None
        if not 0 < count <= len(values):
            raise AvatarFormatError(f"count {count} does not fit the accessor", where)
        indices = self._sparse_part(idx_spec, idx_dtype, 1, count, where).reshape(-1)
        if indices.size and int(indices.max()) >= len(values):
            raise AvatarFormatError("an index points past the accessor's end", where)
        patch = self._sparse_part(val_spec, dtype, width, count, where)
        values = values.copy()
        values[indices.astype(np.int64)] = patch
        return values

    def _sparse_part(
        self, spec: dict[str, Any], dtype: np.dtype[Any], width: int, count: int, where: str
    ) -> np.ndarray:
        part = {"bufferView": spec.get("bufferView"), "byteOffset": spec.get("byteOffset", 0)}
        return self._strided(part, dtype, width, count, where)

    def _view(self, index: object, where: str) -> tuple[dict[str, Any], memoryview]:
        views = self._doc.get("bufferViews", [])
        if not isinstance(index, int) or not 0 <= index < len(views):
            raise AvatarFormatError(f"refers to buffer view {index!r}, which does not exist", where)
        view = views[index]
        buffer, offset = view.get("buffer"), view.get("byteOffset", 0)
        length = view.get("byteLength")
        if not isinstance(buffer, int) or not 0 <= buffer < len(self._buffers):
            raise AvatarFormatError(f"buffer {buffer!r} does not exist", f"bufferViews[{index}]")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise AvatarFormatError("byteOffset/byteLength invalid", f"bufferViews[{index}]")
        if offset + length > len(self._buffers[buffer]):
            raise AvatarFormatError(
                f"bytes {offset}–{offset + length} lie outside buffer {buffer} "
                f"({len(self._buffers[buffer])} bytes)",
                f"bufferViews[{index}]",
            )
        return view, memoryview(self._buffers[buffer])[offset : offset + length]

    def charge(self, size: int, where: str) -> None:
        """Count ``size`` decoded bytes against the budget (``AvatarLimitError`` past it)."""
        self._budget -= size
        if self._budget < 0:
            raise AvatarLimitError(
                "decoding this file would need more memory than VIDA allows for one avatar", where
            )
