"""Settings for JXC Bot: one object, read from ``jxc.toml`` and ``JXC_*`` environment variables."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
