"""Every setting in one place: ``defaults.toml``, then ``VIDA_<KEY>`` environment variables."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tracking.features import FEATURE_NAMES

ENV_PREFIX = "VIDA_"
MAX_WIDTH, MAX_HEIGHT, MAX_FPS = 3840, 2160, 60
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip


class ConfigError(ValueError):
    """A setting has a value VIDA cannot use; the message names the setting and the fix."""


@dataclass(frozen=True)
class Settings:
    """The studio's settings after defaults and environment were merged and checked."""

    host: str
    port: int
    tls_cert: Path | None
    tls_key: Path | None
    data_dir: Path
    database_url: str  # empty: SQLite in data_dir
    secret_key: str = dataclasses.field(repr=False)  # encrypts stream keys; empty: a file
    minute_tick_s: float
    width: int
    height: int
    fps: int
    x264_preset: str
    preview_width: int
    ice_servers: tuple[str, ...]
    ice_host_addresses: tuple[str, ...]
    connect_timeout_s: float
    camera_timeout_s: float
    rtmp_retry_delays_s: tuple[float, ...]
    max_sessions: int
    tracking_features: tuple[str, ...]  # empty: no tracking
    tracking_precision: float
    tracking_smoothness: float
    tracking_responsiveness: float
    tracking_width: int
    scene: str  # "avatar", "cutout" or "camera"
    default_avatar: Path
    framing: str  # head, upper_body, full_body
    background: str  # "#rrggbb", "chroma" or a picture's path
    avatar_triangles: int  # uploads over this get a lighter copy for streaming

    @property
    def recordings_dir(self) -> Path:
        """Folder that "record to file" writes into."""
        return self.data_dir / "recordings"

    @property
    def secret_key_file(self) -> Path:
        """Where the stream-key encryption key lives when VIDA_SECRET_KEY is not set."""
        return self.data_dir / "secret.key"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the control plane's database."""
        return self.database_url or f"sqlite:///{self.data_dir / 'vida.db'}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (CLI flags win over the environment)."""
        return dataclasses.replace(self, **changes)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``defaults.toml`` and apply ``VIDA_*`` overrides from ``environ`` (os.environ)."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = tomllib.loads(
        resources.files("config").joinpath("defaults.toml").read_text("utf-8")
    )
    for key in raw:
        value = env.get(ENV_PREFIX + key.upper())
        if value is not None:
            raw[key] = value
    width, height = parse_resolution(str(raw["resolution"]))
    tls_cert, tls_key = _tls_files(str(raw["tls_cert"]), str(raw["tls_key"]))
    return Settings(
        host=str(raw["host"]),
        port=_int_in(raw, "port", 0, 65535),
        tls_cert=tls_cert,
        tls_key=tls_key,
        data_dir=Path(str(raw["data_dir"])).expanduser(),
        database_url=_database_url(str(raw["database_url"])),
        secret_key=str(raw["secret_key"]).strip(),
        minute_tick_s=_float_in(raw, "minute_tick_s", 0.1, 30.0),
        width=width,
        height=height,
        fps=_int_in(raw, "fps", 1, MAX_FPS),
        x264_preset=_one_of(raw, "x264_preset", X264_PRESETS),
        preview_width=_int_in(raw, "preview_width", 160, MAX_WIDTH),
        ice_servers=_csv(raw["ice_servers"]),
        ice_host_addresses=_ip_addresses(raw["ice_host_addresses"]),
        connect_timeout_s=_float_in(raw, "connect_timeout_s", 0.5, 120.0),
        camera_timeout_s=_float_in(raw, "camera_timeout_s", 0.5, 120.0),
        rtmp_retry_delays_s=_delays(str(raw["rtmp_retry_delays_s"])),
        max_sessions=_int_in(raw, "max_sessions", 1, 1000),
        tracking_features=_tracking_features(str(raw["tracking_features"])),
        tracking_precision=_float_in(raw, "tracking_precision", 0.0, 1.0),
        tracking_smoothness=_float_in(raw, "tracking_smoothness", 0.0, 1.0),
        tracking_responsiveness=_float_in(raw, "tracking_responsiveness", 0.0, 1.0),
        tracking_width=_int_in(raw, "tracking_width", 128, MAX_WIDTH),
        scene=_one_of(raw, "scene", ("avatar", "cutout", "camera")),
        default_avatar=_default_avatar(str(raw["default_avatar"])),
        framing=_one_of(raw, "framing", ("head", "upper_body", "full_body")),
        background=_background(str(raw["background"])),
        avatar_triangles=_int_in(raw, "avatar_triangles", 1_000, 2_000_000),
    )


def parse_resolution(text: str) -> tuple[int, int]:
    """Parse ``WIDTHxHEIGHT`` (or ``720p``/``1080p``) into an even-sized (width, height)."""
    presets = {"360p": (640, 360), "480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
    if text.lower() in presets:
        return presets[text.lower()]
    try:
        width_text, height_text = text.lower().split("x")
        width, height = int(width_text), int(height_text)
    except ValueError:
        raise ConfigError(
            f"resolution {text!r} is not WIDTHxHEIGHT (e.g. 1280x720) or one of {sorted(presets)}"
        ) from None
    if not (16 <= width <= MAX_WIDTH and 16 <= height <= MAX_HEIGHT) or width % 2 or height % 2:
        raise ConfigError(
            f"resolution {text!r} must be even numbers between 16x16 and {MAX_WIDTH}x{MAX_HEIGHT}"
        )
    return width, height


def _int_in(raw: Mapping[str, Any], key: str, low: int, high: int) -> int:
    try:
        value = int(raw[key])
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, got {raw[key]!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low} and {high}, got {value}")
    return value


def _database_url(text: str) -> str:
    text = text.strip()
    if text and not text.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ConfigError(
            "database_url must be empty (SQLite in data_dir), sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        )
    return text


SHIPPED_AVATAR = Path(__file__).resolve().parents[1] / "models" / "default_avatar.glb"


def _default_avatar(text: str) -> Path:
    if not text.strip():
        return SHIPPED_AVATAR
    path = Path(text).expanduser()
    if not path.is_file():
        raise ConfigError(f"default_avatar: no such file {path}")
    return path


def _background(text: str) -> str:
    text = text.strip()
    if text == "chroma" or re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return text.lower()
    if not Path(text).expanduser().is_file():
        raise ConfigError(
            f"background must be a colour like #262c3a, 'chroma' or a picture file; {text!r} "
            "is none of these"
        )
    return str(Path(text).expanduser())


def _tracking_features(text: str) -> tuple[str, ...]:
    names = tuple(_csv(text.lower()))
    if names == ("all",):
        return FEATURE_NAMES
    if names == ("none",):
        return ()
    unknown = sorted(set(names) - set(FEATURE_NAMES))
    if unknown:
        raise ConfigError(
            f"tracking_features: unknown {', '.join(unknown)}; use 'all', 'none' or some of "
            f"{', '.join(FEATURE_NAMES)}"
        )
    return names


def _float_in(raw: Mapping[str, Any], key: str, low: float, high: float) -> float:
    try:
        value = float(raw[key])
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {raw[key]!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low} and {high}, got {value}")
    return value


def _tls_files(cert: str, key: str) -> tuple[Path | None, Path | None]:
    if not cert.strip() and not key.strip():
        return None, None
    if not (cert.strip() and key.strip()):
        raise ConfigError("tls_cert and tls_key must be set together (VIDA_TLS_CERT, VIDA_TLS_KEY)")
    paths = Path(cert).expanduser(), Path(key).expanduser()
    for name, path in zip(("tls_cert", "tls_key"), paths, strict=True):
        if not path.is_file():
            raise ConfigError(f"{name}: no such file {path}")
    return paths


def _delays(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(item) for item in _csv(text))
    except ValueError:
        raise ConfigError(
            f"rtmp_retry_delays_s must be numbers, e.g. 1,2,4; got {text!r}"
        ) from None
    if any(not 0 < d <= 300 for d in delays):
        raise ConfigError("rtmp_retry_delays_s must each be between 0 and 300 seconds")
    return delays


def _ip_addresses(value: Any) -> tuple[str, ...]:
    addresses = _csv(value)
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ConfigError(
                f"ice_host_addresses: {address!r} is not an IP address (e.g. 127.0.0.1)"
            ) from None
    return addresses


def _one_of(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = str(raw[key]).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {raw[key]!r}")
    return value


def _csv(value: Any) -> tuple[str, ...]:
    return tuple(item.strip() for item in str(value).split(",") if item.strip())
