"""One ``Settings`` object: ``jxc.toml`` (path from ``JXC_CONFIG``) overridden by ``JXC_*`` env.

Without ``JXC_DATABASE_URL`` the ledger is the SQLite file ``jxc.db`` in the data directory
(``JXC_DATA_DIR``, default ``./data``), for every command and the sandbox alike. Secrets are
``SecretStr`` so they never appear in logs or reprs.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATABASE_FILE = "jxc.db"
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JXC_", extra="ignore")

    # Empty: ``jxc.db`` in ``data_dir`` (filled in when the settings are read).
    database_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    wecom_corp_id: str = "wwjxcsandbox0001"
    wecom_agent_id: int = 1000002
    wecom_secret: SecretStr = SecretStr("sandbox-secret")
    wecom_token: SecretStr = SecretStr("sandboxtoken")
    # 43 characters of base64 without the trailing "=", as WeCom hands it out.
    wecom_aes_key: SecretStr = SecretStr("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
    wecom_api_base: str = DEFAULT_WECOM_API_BASE
    timezone: str = "Asia/Shanghai"
    log_format: Literal["text", "json"] = "text"

    # Ledger policy defaults; each warehouse may override them (see ``jxc warehouses set``).
    negative_stock_policy: Literal["approve", "forbid", "allow"] = "approve"
    approval_value_threshold: Decimal = Decimal("200")
    approval_ttl_hours: int = 24

    data_dir: Path = Path("./data")
    # None: PostgreSQL archives into schema ``jxc_archive`` of the live database, SQLite into
    # ``archive.db`` in ``data_dir`` (see ``core.archive_db``).
    archive_url: str | None = None

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        if not self.database_url:
            # Not an assignment: the URL stays out of ``model_fields_set``, so it still
            # follows the data dir in ``in_data_dir``.
            self.__dict__["database_url"] = sqlite_url(self.data_dir / DATABASE_FILE)
        return self

    def in_data_dir(self, data_dir: Path) -> Settings:
        """These settings with another data dir; the database moves along unless its URL
        was given."""
        update: dict[str, object] = {"data_dir": data_dir}
        derived = sqlite_url(self.data_dir / DATABASE_FILE)
        if "database_url" not in self.model_fields_set or self.database_url == derived:
            update["database_url"] = sqlite_url(data_dir / DATABASE_FILE)
        return self.model_copy(update=update)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("JXC_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Read settings now (never at import time), letting callers override single fields."""
    return Settings(**overrides)  # type: ignore[arg-type]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"
