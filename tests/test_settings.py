from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import parse_resolution


def test_defaults_load_without_environment() -> None:
    settings = load_settings({})
    assert (settings.width, settings.height, settings.fps) == (1280, 720, 30)
    assert settings.ice_servers == ()


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VIDA_PORT": "9001",
            "VIDA_RESOLUTION": "1080p",
            "VIDA_FPS": "25",
            "VIDA_DATA_DIR": str(tmp_path),
            "VIDA_ICE_SERVERS": "stun:a.example:3478, turn:b.example",
        }
    )
    assert settings.port == 9001
    assert (settings.width, settings.height, settings.fps) == (1920, 1080, 25)
    assert settings.recordings_dir == tmp_path / "recordings"
    assert settings.ice_servers == ("stun:a.example:3478", "turn:b.example")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VIDA_PORT": "eighty"}, "port must be a whole number"),
        ({"VIDA_FPS": "240"}, "fps must be between 1 and 60"),
        ({"VIDA_RESOLUTION": "big"}, "is not WIDTHxHEIGHT"),
        ({"VIDA_RESOLUTION": "1281x720"}, "must be even"),
        ({"VIDA_CONNECT_TIMEOUT_S": "-1"}, "connect_timeout_s must be between"),
        ({"VIDA_X264_PRESET": "superduper"}, "x264_preset must be one of ultrafast"),
        ({"VIDA_RTMP_RETRY_DELAYS_S": "1,soon"}, "rtmp_retry_delays_s must be numbers"),
        ({"VIDA_ICE_HOST_ADDRESSES": "not-an-ip"}, "is not an IP address"),
    ],
)
def test_bad_values_are_rejected_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_resolution_forms() -> None:
    assert parse_resolution("1280x720") == (1280, 720)
    assert parse_resolution("720P") == (1280, 720)


def test_tls_needs_both_files_and_they_must_exist(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    with pytest.raises(ConfigError, match="must be set together"):
        load_settings({"VIDA_TLS_CERT": str(cert)})
    with pytest.raises(ConfigError, match="tls_cert: no such file"):
        load_settings({"VIDA_TLS_CERT": str(cert), "VIDA_TLS_KEY": str(key)})
    cert.write_text("x")
    key.write_text("y")
    settings = load_settings({"VIDA_TLS_CERT": str(cert), "VIDA_TLS_KEY": str(key)})
    assert (settings.tls_cert, settings.tls_key) == (cert, key)
