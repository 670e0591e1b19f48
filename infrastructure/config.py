"""Settings from the environment or `.env`, validated once at start-up."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.clock import is_timezone

TOKEN_SHAPE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# One hint per variable, shown after the error so the operator knows what to do next.
HINTS: dict[str, str] = {
    "BOT_TOKEN": "set BOT_TOKEN in the environment or .env (BotFather gives it: /newbot)",
    "DATABASE_URL": "use sqlite+aiosqlite:///fanbot.db or postgresql+asyncpg://user:pass@host/db",
    "TELEGRAM_API_URL": "use https://api.telegram.org, or the address of a local Bot API server",
    "REDIS_URL": "use redis://host:6379/0, or leave it unset",
    "OWNER_IDS": "give numeric user ids separated by commas, e.g. OWNER_IDS=1234,5678",
    "DEFAULT_TIMEZONE": "use an IANA name such as Asia/Shanghai or Europe/Berlin",
    "DEFAULT_LANGUAGE": "use zh or en",
    "WEBHOOK_URL": "use an https:// address that Telegram can reach, or leave it unset for polling",
    "WEBHOOK_SECRET": "use 1-256 characters from A-Z, a-z, 0-9, _ and -",
    "WEBHOOK_PORT": "use a port number from 1 to 65535",
    "LOG_LEVEL": "use DEBUG, INFO, WARNING or ERROR",
    "LOG_FORMAT": "use text or json",
    "BACKUP_KEEP": "use a number of daily backups to keep, 1 or more",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    database_url: str = "sqlite+aiosqlite:///fanbot.db"
    telegram_api_url: str = "https://api.telegram.org"
    redis_url: str | None = None
    owner_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "Asia/Shanghai"
    default_language: Literal["zh", "en"] = "zh"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # Telegram must reach it; usually behind a TLS proxy
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # Signs the orders a shop posts to /shop/orders (served on the webhook's host and port,
    # in polling mode too once this is set); 16 characters at least.
    shop_webhook_secret: SecretStr | None = None
    # The web console, the public draw pages and the Mini App, served at this public address
    # (https in production: Telegram opens Mini Apps only over https). In webhook mode they
    # share the webhook's server; otherwise they listen on WEB_PORT.
    web_url: str | None = None
    web_port: int = Field(default=8081, ge=1, le=65535)
    scheduler_enabled: bool = True
    # How often the bot looks for what is due on its own (purchase points, referrals, the
    # unverified, nights): each look is a small query, and it acts at most this late.
    background_check_seconds: float = Field(default=5, gt=0, le=3600)
    # Import the chart library and draw once, in a thread, soon after start-up, so the first
    # /stats answers at once. Off for short-lived processes (tests): a second or two of CPU.
    warm_up_charts: bool = True
    # A scheduled post missed while the bot was down is still sent if at most this late.
    post_grace_seconds: float = Field(default=600, ge=0, le=86_400)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Telegram's documented limits; change them only for a Bot API server with other limits.
    telegram_rate_global: float = Field(default=30, gt=0)
    telegram_rate_chat: float = Field(default=1, gt=0)
    telegram_rate_group_per_minute: float = Field(default=20, gt=0)
    # Tier-ups and referral thanks of one chat this close together go out as one message.
    tier_announce_seconds: float = Field(default=60, ge=0, le=3600)
    # In quiet groups, sign-in keyword messages and their replies are deleted this much later.
    quiet_delete_seconds: float = Field(default=60, ge=0, le=86_400)
    # Where `fanbot backup` writes (`backups/` when unset); once set, the bot also backs up
    # daily there and keeps the newest BACKUP_KEEP files of its own (fanbot-*.db|dump).
    backup_dir: str | None = None
    backup_keep: int = Field(default=7, ge=1, le=10_000)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        if not TOKEN_SHAPE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (digits:35 characters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("needs an async driver (sqlite+aiosqlite or postgresql+asyncpg)")
        return value

    @field_validator("telegram_api_url", "webhook_url", "web_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("backup_dir")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?\d+", part) for part in parts):
                raise ValueError("must be numeric user ids separated by commas")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError("has characters Telegram does not allow")
        return value

    @field_validator("shop_webhook_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters (it signs the shop's orders)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @property
    def mini_app_url(self) -> str | None:
        """The Mini App's address; None without an https WEB_URL (Telegram opens Mini Apps
        only over https, and refuses a button that names another)."""
        if self.web_url is None or not self.web_url.startswith("https://"):
            return None
        return f"{self.web_url}/app"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line fit to show the operator."""


def describe(error: ValidationError) -> str:
    """One line naming the first bad variable and how to fix it; never echoes a value."""
    first = error.errors()[0]
    name = "_".join(str(part) for part in first["loc"]).upper()
    if not name:  # a model-level rule: its message already names the variable
        return f"config error: {first['msg'].removeprefix('Value error, ')}"
    problem = (
        "is missing" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
    )
    hint = HINTS.get(name, "see .env.example")
    return f"config error: {name} {problem}; {hint}"


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(describe(error)) from None
