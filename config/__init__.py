"""VIDA configuration: embedded defaults (``defaults.toml``) overridden by ``VIDA_*`` variables."""

from config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
