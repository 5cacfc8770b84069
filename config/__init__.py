"""Settings for JXC Bot: one object, read from ``jxc.toml`` and ``JXC_*`` environment variables."""

from config.settings import WECOM_FILE_LIMIT_BYTES, ConfigError, Settings, load_settings

__all__ = ["WECOM_FILE_LIMIT_BYTES", "ConfigError", "Settings", "load_settings"]
