"""Where a stream goes: an RTMP(S) server plus stream key, or a local recording file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from rtmp.errors import InvalidDestination

RTMP_SCHEMES = ("rtmp", "rtmps")
MASK = "****"
# Said after a URL that is not RTMP, for the studio's one-off fields beside the Record to file
# choice; callers with no such choice (saved destinations) take it off the message.
RECORD_HINT = "; choose Record to file to record locally"
_URL_START = re.compile(r"[^/]*(?:/{2,}[^/]*)?")  # up to the host, before the app and any key
_KEY_ALLOWED = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


@dataclass(frozen=True)
class Destination:
    """One output of a stream.

    ``kind`` is ``"rtmp"`` (``server_url`` is ``rtmp[s]://host[:port]/app``) or ``"file"``
    (``server_url`` is a local path). The stream key is kept apart from the URL so that
    everything shown to people can print the URL and mask the key.
    """

    kind: str
    server_url: str
    stream_key: str = field(default="", repr=False)
    bitrate_kbps: int | None = None  # the most video this destination takes (None: any)

    @property
    def publish_url(self) -> str:
        """The URL FFmpeg publishes to, key included. Never log or return it."""
        if self.kind == "file" or not self.stream_key:
            return self.server_url
        return f"{self.server_url.rstrip('/')}/{self.stream_key}"

    @property
    def display(self) -> str:
        """A safe description: scheme, host, port and application; all else masked.

        Streamers paste whole ingest URLs, so anything after the application name, and any
        user name and password in the URL, may be secret too.
        """
        if self.kind == "file":
            return f"file {self.server_url}"
        parts = urlsplit(self.server_url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        port = f":{parts.port}" if parts.port else ""
        app = parts.path.strip("/").split("/")[0]
        hidden = self.stream_key or parts.path.strip("/") != app
        return f"{parts.scheme}://{host}{port}/{app}" + (f"/{MASK}" if hidden else "")

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every part of this destination that must never be shown."""
        if self.kind == "file":
            return ()
        parts = urlsplit(self.server_url)
        extra_path = parts.path.strip("/").partition("/")[2]
        candidates = (self.stream_key, parts.password or "", parts.username or "", extra_path)
        return tuple(s for s in candidates if s)

    def redact(self, text: str) -> str:
        """Replace every form of every secret of this destination in ``text`` with a mask."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = redact(text, secret)
        return text


def redact(text: str, secret: str) -> str:
    """Mask ``secret`` (plain or percent-encoded) wherever it appears in ``text``."""
    if not secret:
        return text
    for form in {secret, quote(secret, safe=""), quote(secret)}:
        text = text.replace(form, MASK)
    return text


def rtmp_destination(server_url: str, stream_key: str = "") -> Destination:
    """Check an RTMP(S) server URL and stream key the way a streamer types them into OBS.

    When ``stream_key`` is empty the key may be the last part of the URL
    (``rtmp://host/app/KEY``): everything after the application name is taken as the key.
    """
    url = server_url.strip()
    key = stream_key.strip()
    if not url:
        raise InvalidDestination("enter the server URL (rtmp:// or rtmps://) your platform shows")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise InvalidDestination("server URL is malformed (check the host name and port)") from None
    scheme = parts.scheme.lower()
    if scheme not in RTMP_SCHEMES or "://" not in url:
        raise InvalidDestination(
            "server URL must start with rtmp:// or rtmps:// "
            f"(it starts with {url_start(url)!r}){RECORD_HINT}"
        )
    if not parts.hostname:
        raise InvalidDestination("server URL has no host name, e.g. rtmp://live.example.com/app")
    if parts.query or parts.fragment:
        raise InvalidDestination("server URL must not contain '?' or '#'")
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise InvalidDestination(
            "server URL has no application name, e.g. rtmp://live.example.com/app"
        )
    if not key and len(segments) > 1:
        key = "/".join(segments[1:])
        segments = segments[:1]
    elif key and len(segments) > 1 and segments[-1] == key:
        segments = segments[:-1]  # the whole ingest URL was pasted and the key typed again
    if not key:
        raise InvalidDestination("enter the stream key (or put it at the end of the server URL)")
    if key and not _KEY_ALLOWED.match(key):
        raise InvalidDestination("stream key may only contain printable characters without spaces")
    base = f"{scheme}://{parts.netloc}/{'/'.join(segments)}"
    return Destination(kind="rtmp", server_url=base, stream_key=key)


def url_start(url: str) -> str:
    """The start of a URL as typed, to quote back in an error: the scheme and host, never the
    path (a stream key may be pasted there) nor a user name and password (masked)."""
    start = _URL_START.match(url.strip())
    shown = start.group() if start else ""
    if "@" in shown:
        scheme, slashes, rest = shown.rpartition("//")
        shown = f"{scheme}{slashes}{MASK}@{rest.rpartition('@')[2]}"
    return shown[:60]


def continuation(destination: Destination) -> Destination:
    """Where an output restarted mid-stream goes on: the same RTMP server and key, or, for
    a recording, the first free ``NAME-partN.flv`` beside it (a file cannot change size)."""
    if destination.kind != "file":
        return destination
    path = Path(destination.server_url)
    stem = re.sub(r"-part\d+$", "", path.stem)
    part = 2
    while (candidate := path.with_name(f"{stem}-part{part}.flv")).exists():
        part += 1
    return Destination(kind="file", server_url=str(candidate))


def file_destination(path: str | Path) -> Destination:
    """A local recording; ``file://`` URLs and plain paths are both accepted."""
    text = str(path).strip()
    if text.startswith("file://"):
        text = text[len("file://") :]
    if not text:
        raise InvalidDestination("recording path is empty")
    target = Path(text).expanduser()
    if target.is_dir():
        raise InvalidDestination(f"recording path {target} is a folder; give a file name")
    if target.suffix.lower() != ".flv":
        raise InvalidDestination(f"recordings are FLV files: name it {target.stem}.flv")
    if not target.parent.is_dir():
        raise InvalidDestination(f"folder {target.parent} does not exist")
    if target.exists():
        raise InvalidDestination(f"{target} exists already; choose another name")
    return Destination(kind="file", server_url=str(target))


def parse_output(target: str, stream_key: str = "") -> Destination:
    """Turn a CLI ``--output`` (rtmp/rtmps URL, ``file://`` URL or path) into a destination."""
    scheme = urlsplit(target.strip()).scheme.lower()
    if scheme in RTMP_SCHEMES:
        return rtmp_destination(target, stream_key)
    if "://" in target and scheme != "file":
        raise InvalidDestination(
            f"output must be an rtmp://, rtmps:// or file:// URL or a file path (got {scheme}://)"
        )
    return file_destination(target)
