"""Small glTF/GLB files built in the tests, good ones and broken ones."""

from __future__ import annotations

import base64
import copy
import json
import struct
import zlib
from typing import Any

import numpy as np


def triangle_document() -> tuple[dict[str, Any], bytes]:
    """A valid one-triangle glTF (document, binary buffer)."""
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32).tobytes()
    indices = np.array([0, 1, 2, 0], np.uint16).tobytes()  # padded to 4 bytes
    binary = positions + indices
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": "Triangle", "mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 36},
            {"buffer": 0, "byteOffset": 36, "byteLength": 6},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
        ],
    }  # fmt: skip
    return document, binary


def glb(document: dict[str, Any], binary: bytes = b"") -> bytes:
    """A GLB container holding ``document`` and ``binary``."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    if binary:
        chunks += struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def triangle_glb() -> bytes:
    """The valid one-triangle file as GLB."""
    return glb(*triangle_document())


def changed(edit: Any) -> bytes:
    """The triangle GLB after ``edit(document)`` changed its JSON."""
    document, binary = triangle_document()
    document = copy.deepcopy(document)
    edit(document)
    return glb(document, binary)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (the pixel data is a stub)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\0" * 64)
    body += (
        struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    )
    return b"\x89PNG\r\n\x1a\n" + body


def with_texture(image: bytes) -> bytes:
    """The triangle with a material whose base colour texture is ``image`` (as a data URI)."""

    def edit(document: dict[str, Any]) -> None:
        uri = "data:image/png;base64," + base64.b64encode(image).decode()
        document["images"] = [{"uri": uri}]
        document["textures"] = [{"source": 0}]
        document["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
        document["meshes"][0]["primitives"][0]["material"] = 0

    return changed(edit)
