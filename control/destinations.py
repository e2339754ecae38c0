"""Users' saved RTMP destinations, with their stream keys encrypted at rest.

A stream key lets anyone stream on the user's channel. It is encrypted with Fernet (AES-128-CBC
+ HMAC-SHA256) under a key from ``VIDA_SECRET_KEY`` or, by default, a file in the data
directory made on first start with mode 0600. It is decrypted only to go live, is never
returned by the API (only its last four characters) and never logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, update

from control.db import Database
from control.models import SavedDestination
from control.paging import Page, fetch_page
from rtmp.destination import RECORD_HINT, rtmp_destination
from rtmp.errors import InvalidDestination

# Where each platform ingests (RTMP(S)); X's depends on the region Media Studio Producer shows.
PRESETS: dict[str, str | None] = {
    "youtube": "rtmps://a.rtmps.youtube.com:443/live2",
    "twitch": "rtmp://live.twitch.tv/app",
    "x": None,
    "custom": None,
}


class DestinationError(ValueError):
    """A destination that cannot be saved as given (the message says what to fix)."""


class UnknownDestination(LookupError):
    """No destination of this user has that id."""


class SecretKeyError(RuntimeError):
    """The key that encrypts stream keys is missing or wrong."""


class KeyBox:
    """Encrypts and decrypts stream keys."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise SecretKeyError(
                "VIDA_SECRET_KEY must be 32 url-safe base64-encoded bytes "
                '(python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())")'
            ) from None

    @classmethod
    def from_file(cls, path: Path) -> KeyBox:
        """The key in ``path``, made there (readable by its owner only) when missing."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, stream_key: str) -> str:
        """The stream key, encrypted."""
        return self._fernet.encrypt(stream_key.encode()).decode()

    def open(self, sealed: str) -> str:
        """The stream key again (``SecretKeyError`` when the key changed since)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "a saved stream key cannot be decrypted: VIDA_SECRET_KEY (or the data "
                "directory's secret.key) changed since it was saved; enter the key again"
            ) from None


@dataclass(frozen=True)
class DestinationFields:
    """What a user may set on a destination (None: leave as it is)."""

    name: str | None = None
    platform: str | None = None
    server_url: str | None = None
    stream_key: str | None = None
    bitrate_kbps: int | None = None
    is_default: bool | None = None


def _split(url: str, key: str) -> tuple[str, str]:
    """(server URL, stream key) by the same rule as going live (``rtmp.rtmp_destination``):
    a key pasted at the end of the URL is taken out of it. A URL that still has more than the
    application name is refused: whatever follows could be a key, and the URL is shown."""
    try:
        checked = rtmp_destination(url, key)
    except InvalidDestination as exc:
        # The hint points at the studio's Record to file choice, which the Destinations page
        # does not have.
        raise DestinationError(str(exc).removesuffix(RECORD_HINT)) from None
    if len(urlsplit(checked.server_url).path.strip("/").split("/")) > 1:
        raise DestinationError(
            "the server URL should end at the application name (e.g. rtmp://host/app): "
            "put the stream key in its own field"
        )
    if len(checked.stream_key) > 512:
        raise DestinationError("the stream key is too long (512 characters at most)")
    return checked.server_url, checked.stream_key


def describe(row: SavedDestination) -> dict[str, Any]:
    """A destination as the API shows it: the key masked to its last four characters."""
    return {
        "id": row.id,
        "name": row.name,
        "platform": row.platform,
        "server_url": row.server_url,
        "stream_key": f"****{row.key_hint}",
        "bitrate_kbps": row.bitrate_kbps,
        "is_default": row.is_default,
        "created_at": row.created_at.isoformat() + "Z",
    }


def _owned(session: Any, user_id: int, destination_id: int) -> SavedDestination:
    row = session.get(SavedDestination, destination_id)
    if row is None or row.user_id != user_id:  # someone else's is "not found" too
        raise UnknownDestination(f"no destination {destination_id}")
    return row


def save(
    db: Database, box: KeyBox, user_id: int, fields: DestinationFields, now: datetime
) -> dict[str, Any]:
    """Save a new destination; presets fill in the platform's server URL."""
    platform = _platform(fields.platform or "custom")
    url = fields.server_url or PRESETS[platform]
    if not url:
        raise DestinationError(
            "enter the server URL your platform shows (e.g. in Media Studio Producer)"
        )
    url, key = _split(url, fields.stream_key or "")
    with db.write() as session:
        row = SavedDestination(
            user_id=user_id,
            name=(fields.name or platform).strip()[:100],
            platform=platform,
            server_url=url,
            stream_key_encrypted=box.seal(key),
            key_hint=key[-4:],
            bitrate_kbps=_check_bitrate(fields.bitrate_kbps),
            is_default=False,
            created_at=now,
        )
        session.add(row)
        session.flush()
        first = (
            session.scalar(
                select(func.count())
                .select_from(SavedDestination)
                .where(SavedDestination.user_id == user_id)
            )
            == 1
        )
        if fields.is_default or first:
            _make_default(session, user_id, row)
        return describe(row)


def change(
    db: Database, box: KeyBox, user_id: int, destination_id: int, fields: DestinationFields
) -> dict[str, Any]:
    """Change some fields of one of the user's destinations. Another platform brings its
    preset server URL unless one is given (the stream key is kept)."""
    with db.write() as session:
        row = _owned(session, user_id, destination_id)
        if fields.name is not None:
            row.name = fields.name.strip()[:100] or row.name
        server_url = fields.server_url
        if fields.platform is not None:
            row.platform = _platform(fields.platform)
            if server_url is None and PRESETS[row.platform]:
                server_url = PRESETS[row.platform]
        if server_url is not None or fields.stream_key is not None:
            url, key = _split(
                server_url if server_url is not None else row.server_url,
                fields.stream_key
                if fields.stream_key is not None
                else box.open(row.stream_key_encrypted),
            )
            row.server_url = url
            row.stream_key_encrypted, row.key_hint = box.seal(key), key[-4:]
        if fields.bitrate_kbps is not None:
            row.bitrate_kbps = _check_bitrate(fields.bitrate_kbps)
        if fields.is_default:
            _make_default(session, user_id, row)
        return describe(row)


def _platform(name: str) -> str:
    if name not in PRESETS:
        raise DestinationError(f"platform must be one of {', '.join(PRESETS)}")
    return name


def delete(db: Database, user_id: int, destination_id: int) -> None:
    """Delete one of the user's destinations."""
    with db.write() as session:
        session.delete(_owned(session, user_id, destination_id))


def listing(db: Database, user_id: int, page: int, per_page: int) -> dict[str, Any]:
    """The user's destinations, the default first, one page of them."""
    with db.read() as session:
        statement = (
            select(SavedDestination)
            .where(SavedDestination.user_id == user_id)
            .order_by(SavedDestination.is_default.desc(), SavedDestination.id)
        )
        rows, total = fetch_page(session, statement, page, per_page)
        return Page([describe(r) for r in rows], page, per_page, total).to_dict()


def unlock(
    db: Database, box: KeyBox, user_id: int, destination_id: int
) -> tuple[str, str, str, int | None]:
    """(name, server URL, stream key, bit rate in kb/s or None) of one of the user's
    destinations, to go live with."""
    with db.read() as session:
        row = _owned(session, user_id, destination_id)
        key = box.open(row.stream_key_encrypted)
        return row.name, row.server_url, key, row.bitrate_kbps


def _make_default(session: Any, user_id: int, row: SavedDestination) -> None:
    session.execute(
        update(SavedDestination).where(SavedDestination.user_id == user_id).values(is_default=False)
    )
    row.is_default = True


def _check_bitrate(kbps: int | None) -> int | None:
    if kbps is not None and not 300 <= kbps <= 51_000:
        raise DestinationError("bitrate must be between 300 and 51000 kb/s (or left out)")
    return kbps
