"""Receiving an uploaded file: streamed to disk, never whole in memory, within a size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path


class UploadTooLarge(ValueError):
    """The upload is over its size limit (the message says the limit)."""


async def receive(
    chunks: AsyncIterator[bytes],
    path: Path,
    max_bytes: int,
    too_large: str,
    check_start: Callable[[bytes], object],
) -> tuple[int, bytes]:
    """Write ``chunks`` to ``path``; (size, first chunk).

    ``check_start`` sees the first non-empty chunk and raises when the file is not what it
    should be, so a wrong file is refused before it is written. On any failure nothing is
    left at ``path``.
    """
    size, head = 0, b""
    try:
        with path.open("wb") as out:
            async for chunk in chunks:
                if not head and chunk:
                    check_start(chunk)
                    head = chunk
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(too_large)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return size, head
