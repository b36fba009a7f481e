"""Configuration, read from the environment in this one place, with errors that say what was
expected and what to do. Secrets come only from here; nothing else reads `os.environ`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

DEFAULT_DATABASE = "sqlite+aiosqlite:///var/komek.db"
TELEGRAM_API = "https://api.telegram.org"


class ConfigError(ValueError):
    """A setting that is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = DEFAULT_DATABASE
    redis_url: str | None = None
    telegram_token: str | None = None
    telegram_api_url: str = TELEGRAM_API
    telegram_webhook_secret: str | None = None
    sms_token: str | None = None
    kannel_sendsms_url: str | None = None
    kannel_username: str | None = None
    kannel_password: str | None = None
    outbox_poll: float = 1.0  # seconds between looks for due reminders and notices
    # Messages/s overall for messages that are not replies: Telegram allows about 30; half a
    # message less leaves room for network jitter, so that no second ever holds 31.
    telegram_rate: float = 29.5
    sms_rate: float = 10.0  # SMS segments/s the gateway takes
    outbox_stale: float = 120.0  # seconds after which another worker takes over a claimed row
    # Signs staff sessions and keys the hash that replaces a forgotten person's address. Required
    # with PostgreSQL (every worker needs the same); with SQLite a key file beside the database.
    secret_key: str | None = None
    retention_days: int = 90  # what consent promises: conversation data is kept this long
    token_days: int = 90  # a staff API token's life
    link_days: int = 30  # a case's Telegram deep link's life
    web_new_per_minute: int = 30  # new web conversations per minute from one address
    sms_price: Decimal | None = None  # tenge per SMS segment, for a campaign's cost

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database URL (None for PostgreSQL or in-memory)."""
        if not self.sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split(":///", 1)[1])


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def load(env: Mapping[str, str] | None = None) -> Config:
    """The configuration from `env` (default: the process environment)."""
    env = os.environ if env is None else env
    port_text = _text(env, "KOMEK_PORT") or "8080"
    if not port_text.isdecimal() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"KOMEK_PORT must be a port number from 1 to 65535, got {port_text!r}")
    database = _text(env, "KOMEK_DATABASE_URL") or DEFAULT_DATABASE
    if not database.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "KOMEK_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {database.split('://')[0]!r}://..."
        )
    redis = _text(env, "KOMEK_REDIS_URL")
    if redis is not None and not redis.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("KOMEK_REDIS_URL must start with redis://, rediss:// or unix://")
    api = (_text(env, "KOMEK_TELEGRAM_API_URL") or TELEGRAM_API).rstrip("/")
    if not api.startswith(("http://", "https://")):
        raise ConfigError("KOMEK_TELEGRAM_API_URL must be an http(s) URL")
    webhook_secret = _text(env, "KOMEK_TELEGRAM_WEBHOOK_SECRET")
    if webhook_secret is not None and not all(c.isalnum() or c in "_-" for c in webhook_secret):
        raise ConfigError(
            "KOMEK_TELEGRAM_WEBHOOK_SECRET may hold only letters, digits, _ and - "
            "(Telegram's rule for secret_token)"
        )
    sendsms = _text(env, "KOMEK_KANNEL_SENDSMS_URL")
    if sendsms is not None and not sendsms.startswith(("http://", "https://")):
        raise ConfigError("KOMEK_KANNEL_SENDSMS_URL must be an http(s) URL")
    poll_text = _text(env, "KOMEK_OUTBOX_POLL") or "1"
    try:
        poll = float(poll_text)
    except ValueError:
        poll = -1.0
    if not 0.05 <= poll <= 60:
        raise ConfigError(f"KOMEK_OUTBOX_POLL must be seconds from 0.05 to 60, got {poll_text!r}")
    rates = {}
    for name, default in (
        ("KOMEK_TELEGRAM_RATE", "29.5"),
        ("KOMEK_SMS_RATE", "10"),
        ("KOMEK_OUTBOX_STALE", "120"),
    ):
        text = _text(env, name) or default
        try:
            rates[name] = float(text)
        except ValueError:
            rates[name] = -1.0
        if not 0 < rates[name] <= 10_000:
            raise ConfigError(f"{name} must be a number above 0, got {text!r}")
    secret = _text(env, "KOMEK_SECRET_KEY")
    if secret is not None and len(secret) < 32:
        raise ConfigError(
            "KOMEK_SECRET_KEY must be at least 32 characters; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    days: dict[str, int] = {}
    for name, fallback, top in (
        ("KOMEK_RETENTION_DAYS", 90, 3650),
        ("KOMEK_TOKEN_DAYS", 90, 3650),
        ("KOMEK_LINK_DAYS", 30, 365),
        ("KOMEK_WEB_NEW_CONVERSATIONS", 30, 100_000),
    ):
        given = _text(env, name) or str(fallback)
        if not given.isdecimal() or not 1 <= int(given) <= top:
            raise ConfigError(f"{name} must be a whole number from 1 to {top}, got {given!r}")
        days[name] = int(given)
    price_text = _text(env, "KOMEK_SMS_PRICE")
    price = None
    if price_text is not None:
        try:
            price = Decimal(price_text.replace(",", "."))
        except InvalidOperation:
            price = Decimal(-1)
        if not price.is_finite() or not 0 <= price <= 1000:
            raise ConfigError(
                f"KOMEK_SMS_PRICE must be tenge per SMS segment (such as 9.5), got {price_text!r}"
            )
    return Config(
        sms_price=price,
        secret_key=secret,
        retention_days=days["KOMEK_RETENTION_DAYS"],
        token_days=days["KOMEK_TOKEN_DAYS"],
        link_days=days["KOMEK_LINK_DAYS"],
        web_new_per_minute=days["KOMEK_WEB_NEW_CONVERSATIONS"],
        outbox_poll=poll,
        telegram_rate=rates["KOMEK_TELEGRAM_RATE"],
        sms_rate=rates["KOMEK_SMS_RATE"],
        outbox_stale=rates["KOMEK_OUTBOX_STALE"],
        host=_text(env, "KOMEK_HOST") or "127.0.0.1",
        port=int(port_text),
        database_url=database,
        redis_url=redis,
        telegram_token=_text(env, "KOMEK_TELEGRAM_TOKEN"),
        telegram_api_url=api,
        telegram_webhook_secret=webhook_secret,
        sms_token=_text(env, "KOMEK_SMS_TOKEN"),
        kannel_sendsms_url=sendsms,
        kannel_username=_text(env, "KOMEK_KANNEL_USERNAME"),
        kannel_password=_text(env, "KOMEK_KANNEL_PASSWORD"),
    )
