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
    telegram_group_rate: float = Field(default=20.0, gt=0)  # messages (and edits) per MINUTE into one group
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
    # How long a citizen is kept after their last message, then erased as by /forget (bot/maintenance.py says why)
    citizen_retention: dt.timedelta = dt.timedelta(days=180)
    web_session_retention: dt.timedelta = dt.timedelta(days=30)  # an anonymous web chat session
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line (bot/logs.py)
    # Hotline operators: a Telegram supergroup with forum topics where the bot is an admin that may
    # manage topics, and the Telegram user ids (comma-separated) allowed to act there. Without both, «оператор»
    # gets the hotline's number and a callback.
    operator_chat_id: int | None = None
    operator_ids: str = ""
    staff_inbox: bool = False  # operators answer in the staff console's inbox (with or without the group)
    handoff_wait_limit: dt.timedelta = dt.timedelta(minutes=10)  # nobody took a live ticket: offer a callback
    handoff_idle: dt.timedelta = dt.timedelta(minutes=30)  # a quiet conversation closes itself
    # HTTP hardening (handlers/web/security.py). Other sites that may embed the chat page in a frame, as
    # space-separated origins (e.g. «https://viza.kr.ua»); empty: only this site itself.
    web_frame_ancestors: str = ""
    web_max_connections: int = Field(
        default=1000, ge=16
    )  # open HTTP connections; the idle longest close first
    # Seconds a connection may stay open without sending a whole request (also between requests). Behind a
    # reverse proxy keep it above the proxy's upstream keep-alive (nginx: 60 s).
    web_idle_timeout: float = Field(default=75.0, gt=0)
    # Flood control per citizen and channel (dialogs/flood.py): FLOOD_BURST messages at once, then FLOOD_RATE
    # a second; beyond that one polite notice and quiet. FLOOD_BURST=0 turns it off.
    flood_rate: float = Field(default=1.0, gt=0)
    flood_burst: int = Field(default=60, ge=0)
    # Several processes behind one URL (PostgreSQL, webhooks): Redis shares Telegram's pacing, Viber's hourly
    # count, flood control and each citizen's order (bot/shared.py), e.g. redis://127.0.0.1:6379/0. Unset: one
    # process keeps its own.
    redis_url: str | None = None
    # Real people (storage/people.py): the key of the hashes that stand for a verified phone or a client address
    # in per-person and per-address counts. Set it once in production; changing it starts every count afresh.
    person_key_secret: SecretStr | None = None
    # The reverse proxies (space- or comma-separated addresses or networks, e.g. «127.0.0.1 ::1») whose
    # X-Forwarded-For names the web client; from anybody else the header is ignored (handlers/web/client.py).
    trusted_proxies: str = ""
    # SMS for verifying a web citizen's phone (TurboSMS HTTP API). Without a token: the development mode, which
    # writes the code to the bot's log and is refused when PUBLIC_URL is set.
    sms_api_url: str = "https://api.turbosms.ua"
    sms_token: SecretStr | None = None
    sms_sender: str = "Viza"
    # Air-raid alerts (bot/alerts.py): the alerts.in.ua API, its token (ask api@alerts.in.ua) and the location to
    # watch, the uid of the Kryvyi Rih community or district in the API's list of locations (docs/DEPLOY.md).
    # Without a token or a uid the feature is off (said once at start).
    alerts_api_url: str = "https://api.alerts.in.ua"
    alerts_token: SecretStr | None = None
    alerts_location_uid: str | None = None
    alerts_poll_seconds: float = Field(default=30.0, ge=10.0)  # the API asks clients to poll sparingly

    @field_validator("web_frame_ancestors")
    @classmethod
    def _origins(cls, value: str) -> str:
        if not value.split():
            return ""  # the usual case; a staff command then imports nothing of the web handlers
        from handlers.web.security import valid_origin

        bad = [origin for origin in value.split() if not valid_origin(origin)]
        if bad:
            raise ValueError(f"{bad[0]} is not an origin: use space-separated https://host[:port]")
        return " ".join(value.split())

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        if not value.split():
            return ""  # the usual case; a staff command then imports nothing of the web handlers
        from handlers.web.client import parse_proxies

        parse_proxies(value)
        return value

    def person_secret(self) -> bytes:
        """The key of person and client hashes (the development key when unset)."""
        from storage.people import DEV_SECRET

        secret = self.person_key_secret.get_secret_value() if self.person_key_secret else ""
        return secret.encode() if secret else DEV_SECRET

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

    def operators(self) -> frozenset[str]:
        return frozenset(
            part.strip() for part in self.operator_ids.replace(";", ",").split(",") if part.strip()
        )

    @field_validator("operator_ids")
    @classmethod
    def _ids(cls, value: str) -> str:
        bad = [p.strip() for p in value.replace(";", ",").split(",") if p.strip() and not p.strip().isdigit()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a Telegram user id: use comma-separated numbers")
        return value

    @property
    def handoff_enabled(self) -> bool:
        """An operator group is configured on an enabled Telegram bot, or operators work in the console's
        inbox (STAFF_INBOX)."""
        return self.handoff_group or self.staff_inbox

    @property
    def handoff_group(self) -> bool:
        """The operator group is configured on an enabled Telegram bot."""
        return self.telegram_enabled and self.operator_chat_id is not None and bool(self.operators())

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
