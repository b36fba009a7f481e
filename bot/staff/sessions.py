"""Signing in to the staff pages: sessions kept in the database, lockouts after failed attempts,
two-factor codes (TOTP) and passwords chosen at the first sign-in.

The browser's cookie holds a random token; the database keeps only its HMAC under the
`session` key (derived from KOMEK_SECRET_KEY), so a copy of the database opens no session. A
session ends after 30 minutes without a request, 12 hours after it began, at sign-out, or when
its member signs out everywhere, is deactivated or has their password reset.

A sign-in moves through stages: the password, then (when an administrator set the password) a
new password of the member's own, then the second factor (required for administrators, who set
it up at their first sign-in), then `active`. Only an active session opens pages.

Five failed attempts (password or code) for an account, or from one address, within 15 minutes
lock further attempts for 15 minutes; the lockout goes into the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import Connection, delete, insert, select, update

from bot.staff.accounts import MIN_PASSWORD, Member, audit, check_password, failures, record_failure
from bot.storage.tables import SESSIONS, STAFF

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # how stale `seen_at` may get before a request writes it
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
ISSUER = "Komek"

PASSWORD, TOTP, TOTP_SETUP, ACTIVE = "password", "totp", "totp_setup", "active"

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Signed:
    """A session and the member it belongs to."""

    session_id: int
    member: Member
    stage: str
    language: str | None
    has_totp: bool
    totp_pending: str | None


def token_hash(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _next_stage(role: str, must_change: bool, has_totp: bool) -> str:
    if must_change:
        return PASSWORD
    if has_totp:
        return TOTP
    if role == "admin":
        return TOTP_SETUP
    return ACTIVE


def locked(connection: Connection, username: str, ip: str, now: datetime) -> bool:
    since = now - LOCK_FOR
    return (
        failures(connection, since, username=username) >= LOCK_AFTER
        or failures(connection, since, ip=ip) >= LOCK_AFTER
    )


def fail(connection: Connection, username: str, ip: str, kind: str, now: datetime) -> bool:
    """Count a failed attempt; True when it is the one that locks (audited then)."""
    record_failure(connection, username=username, ip=ip, kind=kind, now=now)
    if not locked(connection, username, ip, now):
        return False
    member = _member_named(connection, username)
    audit(connection, member, "login.locked", username[:64], now, ip=ip, kind=kind)
    return True


def _member_named(connection: Connection, username: str) -> Member | None:
    s = STAFF.c
    row = connection.execute(
        select(s.id, s.username, s.name, s.role, s.region).where(s.username == username)
    ).first()
    return None if row is None else Member(row.id, row.username, row.name, row.role, row.region)


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a password sign-in came to: a new session's token and stage, or why not."""

    token: str | None = None
    stage: str | None = None
    refused: str | None = None  # "locked" or "wrong"


def sign_in(
    connection: Connection, key: bytes, username: str, password: str, *, ip: str, now: datetime
) -> SignIn:
    username = username.strip().lower()[:64]
    if locked(connection, username, ip, now):
        return SignIn(refused="locked")
    member = check_password(connection, username, password)
    if member is None:
        return SignIn(
            refused="locked" if fail(connection, username, ip, "password", now) else "wrong"
        )
    s = STAFF.c
    row = connection.execute(
        select(s.must_change_password, s.totp_secret).where(s.id == member.id)
    ).one()
    stage = _next_stage(member.role, bool(row.must_change_password), row.totp_secret is not None)
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(SESSIONS).values(
            token_hash=token_hash(key, token),
            staff_id=member.id,
            stage=stage,
            created_at=now,
            seen_at=now,
        )
    )
    audit(connection, member, "login", member.username, now, ip=ip)
    return SignIn(token=token, stage=stage)


def load(connection: Connection, key: bytes, token: str, now: datetime) -> Signed | None:
    """The live session of `token` (its idle time renewed), or None (unknown, expired, or its
    member deactivated); an expired one is deleted."""
    if not token or len(token) > 100:
        return None
    x, s = SESSIONS.c, STAFF.c
    row = connection.execute(
        select(
            x.id,
            x.stage,
            x.created_at,
            x.seen_at,
            x.totp_pending,
            s.id.label("staff_id"),
            s.username,
            s.name,
            s.role,
            s.region,
            s.language,
            s.totp_secret,
            s.active,
        )
        .join(STAFF, s.id == x.staff_id)
        .where(x.token_hash == token_hash(key, token))
    ).first()
    if row is None:
        return None
    if not row.active or now - row.seen_at > IDLE or now - row.created_at > ABSOLUTE:
        connection.execute(delete(SESSIONS).where(x.id == row.id))
        return None
    if now - row.seen_at > TOUCH_EVERY:
        connection.execute(update(SESSIONS).where(x.id == row.id).values(seen_at=now))
    member = Member(row.staff_id, row.username, row.name, row.role, row.region)
    return Signed(
        row.id, member, row.stage, row.language, row.totp_secret is not None, row.totp_pending
    )


def end(connection: Connection, signed: Signed, now: datetime) -> None:
    connection.execute(delete(SESSIONS).where(SESSIONS.c.id == signed.session_id))
    audit(connection, signed.member, "logout", signed.member.username, now)


def end_all(connection: Connection, staff_id: int) -> int:
    """Sign a member out of every browser; the number of sessions ended."""
    done = connection.execute(delete(SESSIONS).where(SESSIONS.c.staff_id == staff_id))
    return int(done.rowcount or 0)


def _advance(connection: Connection, signed: Signed, stage: str) -> None:
    connection.execute(
        update(SESSIONS)
        .where(SESSIONS.c.id == signed.session_id)
        .values(stage=stage, totp_pending=None)
    )


class PasswordError(ValueError):
    """A new password that cannot be taken; the message is a key of the page's texts."""


def check_new_password(password: str, repeated: str, username: str) -> None:
    if password != repeated:
        raise PasswordError("mismatch")
    if len(password) < MIN_PASSWORD:
        raise PasswordError("short")
    if username.lower() in password.lower():
        raise PasswordError("username")


def set_password(
    connection: Connection, signed: Signed, password: str, repeated: str, now: datetime
) -> str:
    """The member's own new password; the session's next stage. Their other sessions end."""
    check_new_password(password, repeated, signed.member.username)
    s, x = STAFF.c, SESSIONS.c
    connection.execute(
        update(STAFF)
        .where(s.id == signed.member.id)
        .values(password_hash=_hasher.hash(password), must_change_password=False)
    )
    connection.execute(
        delete(SESSIONS).where(x.staff_id == signed.member.id, x.id != signed.session_id)
    )
    stage = _next_stage(signed.member.role, False, signed.has_totp)
    _advance(connection, signed, stage)
    audit(connection, signed.member, "password.change", signed.member.username, now)
    return stage


def reset_password(connection: Connection, admin: Member, username: str, now: datetime) -> str:
    """A temporary password for `username` (shown once to the administrator), to be changed at
    the next sign-in; their sessions end."""
    temporary = secrets.token_urlsafe(9)
    s = STAFF.c
    staff_id = connection.execute(select(s.id).where(s.username == username)).scalar()
    if staff_id is None:
        raise LookupError(username)
    connection.execute(
        update(STAFF)
        .where(s.id == staff_id)
        .values(password_hash=_hasher.hash(temporary), must_change_password=True)
    )
    end_all(connection, int(staff_id))
    audit(connection, admin, "password.reset", username, now)
    return temporary


def _step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _verify(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (this one or either neighbour), or None."""
    code = "".join(code.split())
    if not code.isascii() or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=30 * offset)
        if hmac.compare_digest(totp.at(at), code):
            return _step(at)
    return None


def check_code(
    connection: Connection, signed: Signed, code: str, ip: str, now: datetime
) -> str | None:
    """The second factor at sign-in: None when accepted (the session is active), else "wrong"
    or "locked". A code already used does not open a second session."""
    username = signed.member.username
    if locked(connection, username, ip, now):
        return "locked"
    s = STAFF.c
    row = connection.execute(
        select(s.totp_secret, s.totp_last_step).where(s.id == signed.member.id)
    ).one()
    step = None if row.totp_secret is None else _verify(row.totp_secret, code, now)
    if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
        return "locked" if fail(connection, username, ip, "totp", now) else "wrong"
    connection.execute(update(STAFF).where(s.id == signed.member.id).values(totp_last_step=step))
    _advance(connection, signed, ACTIVE)
    audit(connection, signed.member, "login.totp", username, now)
    return None


def new_totp_secret(connection: Connection, signed: Signed) -> str:
    """A secret to set up (kept on the session until a code confirms it)."""
    secret = pyotp.random_base32()
    connection.execute(
        update(SESSIONS).where(SESSIONS.c.id == signed.session_id).values(totp_pending=secret)
    )
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def confirm_totp(
    connection: Connection, signed: Signed, code: str, ip: str, now: datetime
) -> str | None:
    """Turn two-factor sign-in on with the secret being set up, once a code from it is right:
    None then (the session is active), else "wrong" or "locked"."""
    username = signed.member.username
    if locked(connection, username, ip, now):
        return "locked"
    secret = signed.totp_pending
    step = None if secret is None else _verify(secret, code, now)
    if step is None:
        return "locked" if fail(connection, username, ip, "totp", now) else "wrong"
    connection.execute(
        update(STAFF)
        .where(STAFF.c.id == signed.member.id)
        .values(totp_secret=secret, totp_last_step=step)
    )
    _advance(connection, signed, ACTIVE)
    audit(connection, signed.member, "totp.enable", username, now)
    return None


def disable_totp(connection: Connection, signed: Signed, now: datetime) -> bool:
    """Turn two-factor sign-in off (never for an administrator, for whom it is required)."""
    if signed.member.role == "admin":
        return False
    connection.execute(
        update(STAFF)
        .where(STAFF.c.id == signed.member.id)
        .values(totp_secret=None, totp_last_step=None)
    )
    audit(connection, signed.member, "totp.disable", signed.member.username, now)
    return True


def set_language(connection: Connection, signed: Signed, language: str) -> None:
    connection.execute(
        update(STAFF).where(STAFF.c.id == signed.member.id).values(language=language)
    )
