"""Configuration, read from the environment in this one place, with errors that say what was
expected and what to do. Secrets come only from here; nothing else reads `os.environ`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.stages import StagesError, parse_stages

DEFAULT_DATABASE = "sqlite+aiosqlite:///var/komek.db"
TELEGRAM_API = "https://api.telegram.org"
WHATSAPP_API = "https://graph.facebook.com/v21.0"
WHATSAPP_SETTINGS = (
    "KOMEK_WHATSAPP_TOKEN",
    "KOMEK_WHATSAPP_PHONE_NUMBER_ID",
    "KOMEK_WHATSAPP_APP_SECRET",
    "KOMEK_WHATSAPP_VERIFY_TOKEN",
)


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
    # WhatsApp Business Cloud API: on when the token, number id, app secret and verify token are
    # all set.
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_url: str = WHATSAPP_API  # the Graph API base, version included
    whatsapp_rate: float = 80.0  # messages/s the Cloud API takes from one number
    # Unique people a business may start conversations with in 24 hours (the account's tier).
    whatsapp_daily_recipients: int = 1000
    whatsapp_templates: Path | None = None  # the template registry; None: the packaged one
    # The office's own stages of a case (core/stages.yaml's form); None: the shipped ones.
    stages_file: Path | None = None

    @property
    def whatsapp(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id)

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
    whatsapp = {name: _text(env, name) for name in WHATSAPP_SETTINGS}
    named = [name for name, value in whatsapp.items() if value is not None]
    if named and len(named) < len(whatsapp):
        missing = ", ".join(name for name, value in whatsapp.items() if value is None)
        raise ConfigError(f"WhatsApp needs all of {', '.join(WHATSAPP_SETTINGS)}; {missing} unset")
    number_id = whatsapp["KOMEK_WHATSAPP_PHONE_NUMBER_ID"]
    if number_id is not None and not (number_id.isascii() and number_id.isdecimal()):
        raise ConfigError("KOMEK_WHATSAPP_PHONE_NUMBER_ID must be the number's id (digits)")
    whatsapp_api = (_text(env, "KOMEK_WHATSAPP_API_URL") or WHATSAPP_API).rstrip("/")
    if not whatsapp_api.startswith(("http://", "https://")):
        raise ConfigError("KOMEK_WHATSAPP_API_URL must be an http(s) URL")
    rate_text = _text(env, "KOMEK_WHATSAPP_RATE") or "80"
    try:
        whatsapp_rate = float(rate_text)
    except ValueError:
        whatsapp_rate = -1.0
    if not 0 < whatsapp_rate <= 10_000:
        raise ConfigError(f"KOMEK_WHATSAPP_RATE must be a number above 0, got {rate_text!r}")
    tier = _text(env, "KOMEK_WHATSAPP_DAILY_RECIPIENTS") or "1000"
    if not tier.isdecimal() or not 1 <= int(tier) <= 10_000_000:
        raise ConfigError(
            f"KOMEK_WHATSAPP_DAILY_RECIPIENTS must be a whole number above 0, got {tier!r}"
        )
    templates = _text(env, "KOMEK_WHATSAPP_TEMPLATES")
    if templates is not None and not Path(templates).is_file():
        raise ConfigError(f"KOMEK_WHATSAPP_TEMPLATES names no file: {templates!r}")
    stages = _text(env, "KOMEK_STAGES_FILE")
    if stages is not None:
        _check_stages(Path(stages))
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
        whatsapp_token=whatsapp["KOMEK_WHATSAPP_TOKEN"],
        whatsapp_phone_number_id=number_id,
        whatsapp_app_secret=whatsapp["KOMEK_WHATSAPP_APP_SECRET"],
        whatsapp_verify_token=whatsapp["KOMEK_WHATSAPP_VERIFY_TOKEN"],
        whatsapp_api_url=whatsapp_api,
        whatsapp_rate=whatsapp_rate,
        whatsapp_daily_recipients=int(tier),
        whatsapp_templates=None if templates is None else Path(templates),
        stages_file=None if stages is None else Path(stages),
    )


def _check_stages(path: Path) -> None:
    """An office's stages file is read at start-up: a bad one stops the server with its fault."""
    if not path.is_file():
        raise ConfigError(f"KOMEK_STAGES_FILE names no file: {str(path)!r}")
    try:
        parse_stages(path.read_text(encoding="utf-8"), str(path))
    except (StagesError, UnicodeDecodeError) as exc:
        raise ConfigError(f"KOMEK_STAGES_FILE: {exc}") from None
