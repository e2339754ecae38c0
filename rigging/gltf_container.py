"""The outer layer of a glTF file: GLB chunks or JSON text, and its buffers.

Only self-contained files are accepted: buffers and images come from the GLB's binary chunk or
from ``data:`` URIs. A URI naming another file is refused, never opened, so an upload cannot
make the server read its own disk.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass
from typing import Any

from rigging.errors import AvatarFormatError, AvatarLimitError
from rigging.limits import AvatarLimits

GLB_MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A
BIN_CHUNK = 0x004E4942


@dataclass(frozen=True)
class GltfContainer:
    """The parsed JSON document and the bytes of each of its buffers."""

    document: dict[str, Any]
    buffers: tuple[bytes, ...]
    binary: bool  # GLB (or .vrm) rather than .gltf text


def read_container(data: bytes, limits: AvatarLimits) -> GltfContainer:
    """Split ``data`` into the JSON document and its buffers, checking every length."""
    if len(data) > limits.max_file_bytes:
        raise AvatarLimitError(
            f"the file is {len(data) / 2**20:.1f} MiB; the limit is "
            f"{limits.max_file_bytes / 2**20:.0f} MiB"
        )
    if data[:4] == GLB_MAGIC:
        document, chunk = _read_glb(data, limits)
        binary = True
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        document, chunk, binary = _parse_json(data, limits), None, False
    elif not data:
        raise AvatarFormatError("the file is empty")
    else:
        raise AvatarFormatError(
            f"not a glTF file (it starts with {_first_bytes(data)}); use a .glb or .vrm file "
            "(or a .gltf with its buffers embedded)"
        )
    asset = document.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise AvatarFormatError("only glTF 2.0 is supported", "asset.version")
    return GltfContainer(document, _read_buffers(document, chunk, limits), binary)


def _read_glb(data: bytes, limits: AvatarLimits) -> tuple[dict[str, Any], bytes | None]:
    if len(data) < 20:
        raise AvatarFormatError(f"the file is truncated: {len(data)} bytes is not even a header")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise AvatarFormatError(f"GLB version {version}; only version 2 is supported", "header")
    if length != len(data):
        raise AvatarFormatError(
            f"the file is truncated or padded: its header says {length} bytes, it has {len(data)}",
            "header",
        )
    chunks: list[tuple[int, bytes]] = []
    offset = 12
    while offset < len(data):
        if offset + 8 > len(data):
            raise AvatarFormatError("a chunk header runs past the end of the file", "chunks")
        size, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + size > len(data):
            raise AvatarFormatError(
                f"chunk {len(chunks)} claims {size} bytes, past the end of the file", "chunks"
            )
        chunks.append((kind, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (-size % 4)  # chunks are 4-byte aligned
    if not chunks or chunks[0][0] != JSON_CHUNK:
        raise AvatarFormatError("the first chunk must be the JSON chunk", "chunks")
    binary = next((body for kind, body in chunks[1:] if kind == BIN_CHUNK), None)
    return _parse_json(chunks[0][1], limits), binary


def _parse_json(text: bytes, limits: AvatarLimits) -> dict[str, Any]:
    if len(text) > limits.max_json_bytes:
        raise AvatarLimitError(
            f"the glTF JSON is {len(text) / 2**20:.1f} MiB; the limit is "
            f"{limits.max_json_bytes / 2**20:.0f} MiB"
        )
    try:
        document = json.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise AvatarFormatError(f"the glTF JSON does not parse ({error})") from None
    if not isinstance(document, dict):
        raise AvatarFormatError("the glTF JSON is not an object")
    return document


def _read_buffers(
    document: dict[str, Any], chunk: bytes | None, limits: AvatarLimits
) -> tuple[bytes, ...]:
    buffers = []
    for index, buffer in enumerate(_list(document, "buffers")):
        where = f"buffers[{index}]"
        declared = buffer.get("byteLength") if isinstance(buffer, dict) else None
        if not isinstance(declared, int) or declared < 0:
            raise AvatarFormatError("byteLength is missing or not a count", where)
        uri = buffer.get("uri")
        if uri is None:
            if chunk is None or index != 0:
                raise AvatarFormatError("has no uri and there is no GLB binary chunk for it", where)
            data = chunk
        else:
            data = decode_data_uri(uri, where, limits.max_file_bytes)
        if len(data) < declared:
            raise AvatarFormatError(
                f"declares {declared} bytes but only {len(data)} are there (truncated?)", where
            )
        buffers.append(data[:declared])
    return tuple(buffers)


def decode_data_uri(uri: object, where: str, max_bytes: int) -> bytes:
    """The bytes of a base64 ``data:`` URI; anything else (a file, a URL) is refused."""
    if not isinstance(uri, str):
        raise AvatarFormatError("uri is not a string", where)
    if not uri.startswith("data:"):
        raise AvatarFormatError(
            f"refers to an outside file or URL ({uri[:60]!r}); VIDA only accepts self-contained "
            "files: export a .glb (or a .gltf with embedded buffers)",
            where,
        )
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64"):
        raise AvatarFormatError("data URI is not base64", where)
    if len(payload) * 3 // 4 > max_bytes:
        raise AvatarLimitError("data URI is larger than the file limit", where)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise AvatarFormatError("data URI is not valid base64", where) from None


def _first_bytes(data: bytes) -> str:
    """The first bytes as a person reads them: text if they are text, else hex."""
    start = data[:8]
    if all(32 <= b < 127 for b in start):
        return repr(start.decode("ascii"))
    return start.hex(" ")


def _list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise AvatarFormatError("is not a list", key)
    return value
