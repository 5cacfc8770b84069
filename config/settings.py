"""One ``Settings`` object: ``jxc.toml`` (path from ``JXC_CONFIG``) overridden by ``JXC_*`` env.

Without ``JXC_DATABASE_URL`` the ledger is the SQLite file ``jxc.db`` in the data directory
(``JXC_DATA_DIR``, default ``./data``), for every command and the sandbox alike. The WeCom
app's four secrets have no default: ``jxc serve`` refuses to start without them
(``wecom_problems``), and only the sandbox and the tests use the published ``SANDBOX_WECOM``
values. Secrets are ``SecretStr`` so they never appear in logs or reprs.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATABASE_FILE = "jxc.db"
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
AES_KEY_LENGTH = 43
AES_KEY_BYTES = 32

# The sandbox's WeCom app. These are in the repository, so anyone can sign a callback with
# them: ``jxc serve`` refuses every one of them.
SANDBOX_WECOM: dict[str, str] = {
    "wecom_corp_id": "wwjxcsandbox0001",
    "wecom_secret": "sandbox-secret",
    "wecom_token": "sandboxtoken",
    # 43 characters of base64 without the trailing "=", as WeCom hands it out.
    "wecom_aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
}


# WeCom's media/upload limit for a file (an image may have 10 MB).
WECOM_FILE_LIMIT_BYTES = 20 * 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JXC_", extra="ignore")

    # Empty: ``jxc.db`` in ``data_dir`` (filled in when the settings are read).
    database_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Empty: not set (see ``wecom_problems``).
    wecom_corp_id: str = ""
    wecom_agent_id: int = 1000002
    wecom_secret: SecretStr = SecretStr("")
    wecom_token: SecretStr = SecretStr("")
    wecom_aes_key: SecretStr = SecretStr("")
    wecom_api_base: str = DEFAULT_WECOM_API_BASE
    # Answer 查, 帮助 and 单据 <号> in the callback's own HTTP response when they can be.
    wecom_passive_replies: bool = True
    timezone: str = "Asia/Shanghai"
    log_format: Literal["text", "json"] = "text"

    # Ledger policy defaults; each warehouse may override them (see ``jxc warehouses set``).
    negative_stock_policy: Literal["approve", "forbid", "allow"] = "approve"
    approval_value_threshold: Decimal = Decimal("200")
    approval_ttl_hours: int = 24

    # Orders (warehouses may override the first two with ``jxc warehouses set``): shipping
    # lines nobody scanned needs a manager; receiving more than ordered by more than this
    # fraction needs approval; a scan session ends after this many idle minutes.
    scan_required: bool = True
    over_receipt_tolerance: Decimal = Decimal(0)
    scan_session_idle_minutes: int = 30

    data_dir: Path = Path("./data")
    # The largest file a file message may carry: WeCom's media/upload limit for files
    # (上传临时素材). A workbook over it is not sent; the reply names where it is instead.
    file_message_limit_bytes: int = WECOM_FILE_LIMIT_BYTES
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


class ConfigError(Exception):
    """Settings that cannot be read, in one line naming the file or variable (never a value:
    it may be a secret)."""


def load_settings(**overrides: object) -> Settings:
    """Read settings now (never at import time), letting callers override single fields."""
    toml_path = os.environ.get("JXC_CONFIG")
    if toml_path and not Path(toml_path).is_file():
        raise ConfigError(f"JXC_CONFIG: no such file: {toml_path}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"JXC_CONFIG {toml_path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"JXC_CONFIG {toml_path} cannot be read: {error.strerror}") from None
    except ValidationError as error:
        problems = [
            f"JXC_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
        raise ConfigError(f"settings: {'; '.join(problems)}") from None


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _plain(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def wecom_problems(settings: Settings) -> str | None:
    """Why ``settings`` may not serve a real WeCom app, in one line; None when they may.

    Each of the four secrets must be set, and none may be the sandbox's published value.
    """
    missing, published = [], []
    for field, sandbox_value in SANDBOX_WECOM.items():
        value = _plain(getattr(settings, field))
        if not value:
            missing.append(f"JXC_{field.upper()}")
        elif value == sandbox_value:
            published.append(f"JXC_{field.upper()}")
    problems = []
    if missing:
        problems.append(f"{', '.join(missing)} not set")
    if published:
        problems.append(f"{', '.join(published)} equal to the sandbox's published value")
    aes_key = settings.wecom_aes_key.get_secret_value()
    if aes_key and not _is_aes_key(aes_key):
        problems.append("JXC_WECOM_AES_KEY not an EncodingAESKey (43 characters of base64)")
    return "; ".join(problems) or None


def _is_aes_key(value: str) -> bool:
    if len(value) != AES_KEY_LENGTH:
        return False
    try:
        return len(base64.b64decode(value + "=", validate=True)) == AES_KEY_BYTES
    except binascii.Error:
        return False


def with_sandbox_wecom(settings: Settings) -> Settings:
    """``settings`` with the sandbox's WeCom app wherever a secret is not set."""
    update: dict[str, object] = {}
    for field, sandbox_value in SANDBOX_WECOM.items():
        if not _plain(getattr(settings, field)):
            update[field] = SecretStr(sandbox_value) if field != "wecom_corp_id" else sandbox_value
    return settings.model_copy(update=update)
