"""Settings from the environment (and an optional `.env`), built once in main and passed down."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

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
    # Whether Ukraine's public holidays are days off for booking and deadlines. Unset: not under martial law
    # (Law № 2136-IX makes them working days), yes otherwise; set it when the law changes before `holidays` does.
    public_holidays_off: bool | None = None
    # Where a web chat citizen continues to receive reminders (a one-time link carries their bookings there).
    telegram_bot_username: str | None = None  # e.g. viza_kr_bot → https://t.me/viza_kr_bot?start=tr_<token>
    viber_chat_uri: str | None = None  # the Viber bot's URI → viber://pa?chatURI=<uri>&context=tr_<token>
    stale_session: dt.timedelta = dt.timedelta(hours=24)  # an older unfinished dialog restarts politely
    message_retention: dt.timedelta = dt.timedelta(days=30)  # how long the operator context is kept
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    def holidays_off(self) -> bool:
        """Whether public holidays are days off: the setting, or (unset) not under martial law."""
        return (not self.martial_law) if self.public_holidays_off is None else self.public_holidays_off

    def transfer_links(self) -> tuple[tuple[str, str], ...]:
        """(messenger, link template with {token}) that continue a web chat there; none without the settings."""
        links = []
        if self.telegram_bot_username:
            links.append(
                ("Telegram", f"https://t.me/{self.telegram_bot_username.lstrip('@')}?start=tr_{{token}}")
            )
        if self.viber_chat_uri:
            links.append(("Viber", f"viber://pa?chatURI={self.viber_chat_uri}&context=tr_{{token}}"))
        return tuple(links)

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


class ConfigError(Exception):
    """A setting the bot cannot run with; each line names the variable to change (shown without a traceback)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# What to write instead, for the kinds of values whose parser's message does not say it.
_HINTS = {
    "bool_parsing": "use true or false",
    "time_delta_parsing": "use seconds (86400) or ISO 8601 (P1D, PT24H)",
    "int_parsing": "use a whole number",
}


def _is_secret(name: str) -> bool:
    field = Settings.model_fields.get(name)
    return field is not None and "SecretStr" in str(field.annotation)


def describe(exc: ValidationError) -> list[str]:
    """One line per wrong variable: its name, its value (unless secret) and a short reason."""
    lines = []
    for err in exc.errors():
        reason = str(err["msg"]).removeprefix("Value error, ")
        hint = _HINTS.get(err["type"])
        if hint:
            reason = f"{reason.split(',')[0]} ({hint})"
        loc = [str(part) for part in err["loc"]]
        if not loc:  # a rule about several settings together; its message names them
            lines.append(f"Invalid settings: {reason}")
            continue
        name = "__".join(loc).upper()
        value = err.get("input")
        if _is_secret(loc[0]) or isinstance(value, dict | list):
            lines.append(f"Invalid setting {name}: {reason}")
        else:
            lines.append(f"Invalid setting {name}={str(value)[:60]}: {reason}")
    return lines


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or a ConfigError that says which variable to change."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    except SourceError as exc:  # a value the source could not even parse (e.g. broken JSON of a nested one)
        raise ConfigError([f"Invalid setting: {exc}"]) from None
