"""Settings from the environment (and an optional `.env`), built once in main and passed down."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = Path("data") / "viza_bot.sqlite3"


class Settings(BaseSettings):
    """Every knob of the bot; nested values use `__` (e.g. `SEARCH__LIMIT`)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__", extra="ignore"
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_server: str = "https://api.telegram.org"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = (
        None  # required in webhook mode: X-Telegram-Bot-Api-Secret-Token
    )
    telegram_per_chat_rate: float = Field(default=1.0, gt=0)  # messages per second to one chat
    telegram_global_rate: float = Field(default=30.0, gt=0)  # messages per second in total
    public_url: str | None = None  # where Telegram and Viber reach the HTTP server, for setting webhooks
    viber_auth_token: SecretStr | None = None
    viber_api_url: str = "https://chatapi.viber.com/pa"
    viber_bot_name: str = "Віза-бот"
    viber_send_timeout: float = Field(default=10.0, gt=0)  # seconds for one request to the Viber API
    database_url: str = Field(default=f"sqlite+aiosqlite:///{DEFAULT_DB}")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    martial_law: bool = True  # the cards set shorter office hours for the period of martial law
    stale_session: dt.timedelta = dt.timedelta(hours=24)  # an older unfinished dialog restarts politely
    message_retention: dt.timedelta = dt.timedelta(days=30)  # how long the operator context is kept
    log_level: str = "INFO"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_bot_token.get_secret_value())

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_enabled and self.telegram_mode == "webhook" and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET")
        return self

    @property
    def viber_enabled(self) -> bool:
        return bool(self.viber_auth_token and self.viber_auth_token.get_secret_value())
