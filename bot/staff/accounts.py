"""Staff accounts: social workers, supervisors and administrators; argon2 password hashes; API
tokens of which only a SHA-256 is stored, which expire and can be revoked; deactivated
accounts; failed authentications, counted; and the audit log of what staff do.

A worker and a supervisor see the offices of their region; an administrator sees every office.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, or_, select, update

from bot.storage.tables import AUDIT, AUTH_FAILURES, STAFF, TOKENS
from core.offices import Office
from core.regions import REGIONS

ROLES = ("worker", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "kmk_"
TOKEN_VALID = timedelta(days=90)
RESERVED = frozenset({"revoke", "list"})  # words of `komek staff token`

_hasher = PasswordHasher()


class StaffError(ValueError):
    """A staff account that cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    username: str
    name: str
    role: str
    region: str | None

    def may_see(self, office: Office) -> bool:
        return self.role == "admin" or self.region is None or office.region == self.region


def create(
    connection: Connection,
    *,
    username: str,
    name: str,
    role: str,
    region: str | None,
    password: str,
    now: datetime,
) -> int:
    if not USERNAME.match(username) or username in RESERVED:
        raise StaffError("username: lower-case letters, digits, '.', '_' or '-', 2 to 64")
    if role not in ROLES:
        raise StaffError(f"role: one of {', '.join(ROLES)}")
    if region is not None and region not in REGIONS:
        raise StaffError(f"region: one of {', '.join(REGIONS)}")
    if role != "admin" and region is None:
        raise StaffError("a worker or supervisor needs a region")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"password: at least {MIN_PASSWORD} characters")
    if not name.strip() or len(name) > 120:
        raise StaffError("name: required, at most 120 characters")
    s = STAFF.c
    if connection.execute(select(s.id).where(s.username == username)).first() is not None:
        raise StaffError(f"username {username} is taken")
    return int(
        connection.execute(
            insert(STAFF)
            .values(
                username=username,
                name=name.strip(),
                role=role,
                region=region,
                password_hash=_hasher.hash(password),
                active=True,
                created_at=now,
            )
            .returning(s.id)
        ).scalar_one()
    )


def _member(row: Any) -> Member:
    return Member(row.id, row.username, row.name, row.role, row.region)


def find(connection: Connection, username: str) -> Member | None:
    s = STAFF.c
    row = connection.execute(
        select(s.id, s.username, s.name, s.role, s.region).where(
            s.username == username, s.active.is_(True)
        )
    ).first()
    return None if row is None else _member(row)


def check_password(connection: Connection, username: str, password: str) -> Member | None:
    s = STAFF.c
    row = connection.execute(
        select(s.id, s.username, s.name, s.role, s.region, s.password_hash).where(
            s.username == username, s.active.is_(True)
        )
    ).first()
    if row is None:
        _hasher.hash(password)  # the same work as for a real account: no timing tell
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        connection.execute(
            update(STAFF).where(s.id == row.id).values(password_hash=_hasher.hash(password))
        )
    return _member(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    connection: Connection,
    member: Member,
    label: str,
    now: datetime,
    valid: timedelta = TOKEN_VALID,
) -> str:
    """A new API token, valid for `valid`: shown once, kept only as its SHA-256."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        insert(TOKENS).values(
            staff_id=member.id,
            token_hash=_digest(token),
            label=label[:64],
            created_at=now,
            expires_at=now + valid,
        )
    )
    return token


def authenticate(connection: Connection, token: str, now: datetime) -> Member | None:
    """The member whose token this is, while it is neither revoked nor expired and the account
    is active."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    s, t = STAFF.c, TOKENS.c
    row = connection.execute(
        select(s.id, s.username, s.name, s.role, s.region)
        .join(TOKENS, t.staff_id == s.id)
        .where(
            t.token_hash == _digest(token),
            t.revoked_at.is_(None),
            or_(t.expires_at.is_(None), t.expires_at > now),
            s.active.is_(True),
        )
    ).first()
    return None if row is None else _member(row)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    username: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def tokens_of(connection: Connection, username: str | None = None) -> list[TokenInfo]:
    """The API tokens (of one member, or everyone's), newest first; never the tokens."""
    s, t = STAFF.c, TOKENS.c
    query = (
        select(t.id, s.username, t.label, t.created_at, t.expires_at, t.revoked_at)
        .join(STAFF, s.id == t.staff_id)
        .order_by(t.id.desc())
    )
    if username is not None:
        query = query.where(s.username == username)
    return [TokenInfo(*row) for row in connection.execute(query)]


def revoke_token(connection: Connection, token_id: int, now: datetime) -> str | None:
    """Revoke a token; the username it belonged to, or None when there is no such token."""
    s, t = STAFF.c, TOKENS.c
    owner = connection.execute(
        select(s.username).join(TOKENS, t.staff_id == s.id).where(t.id == token_id)
    ).scalar()
    if owner is None:
        return None
    connection.execute(
        update(TOKENS).where(t.id == token_id, t.revoked_at.is_(None)).values(revoked_at=now)
    )
    return str(owner)


def deactivate(connection: Connection, username: str, now: datetime) -> bool:
    """The account can no longer sign in or use its tokens (all revoked); its records stay."""
    s, t = STAFF.c, TOKENS.c
    staff_id = connection.execute(select(s.id).where(s.username == username)).scalar()
    if staff_id is None:
        return False
    connection.execute(update(STAFF).where(s.id == staff_id).values(active=False))
    connection.execute(
        update(TOKENS).where(t.staff_id == staff_id, t.revoked_at.is_(None)).values(revoked_at=now)
    )
    return True


def record_failure(
    connection: Connection, *, username: str | None, ip: str, kind: str, now: datetime
) -> None:
    """A failed authentication, counted per account and address for lockouts and the
    dashboard."""
    connection.execute(
        insert(AUTH_FAILURES).values(
            at=now, username=None if username is None else username[:64], ip=ip[:64], kind=kind
        )
    )


def failures(
    connection: Connection, since: datetime, *, username: str | None = None, ip: str | None = None
) -> int:
    """Failed authentications since `since`, of an account or from an address."""
    f = AUTH_FAILURES.c
    query = select(func.count()).where(f.at >= since, f.kind != "probe")
    if username is not None:
        query = query.where(f.username == username)
    if ip is not None:
        query = query.where(f.ip == ip)
    return int(connection.execute(query).scalar_one())


def audit(
    connection: Connection,
    member: Member | None,
    action: str,
    target: str,
    now: datetime,
    **detail: Any,
) -> None:
    connection.execute(
        insert(AUDIT).values(
            staff_id=None if member is None else member.id,
            action=action,
            target=target[:120],
            detail=detail,
            at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class Account:
    """A staff account as the administrators' page lists it."""

    id: int
    username: str
    name: str
    role: str
    region: str | None
    active: bool
    two_factor: bool
    must_change_password: bool
    created_at: datetime


def accounts(connection: Connection) -> list[Account]:
    s = STAFF.c
    rows = connection.execute(
        select(
            s.id,
            s.username,
            s.name,
            s.role,
            s.region,
            s.active,
            s.totp_secret.is_not(None),
            s.must_change_password,
            s.created_at,
        ).order_by(s.active.desc(), s.username)
    )
    return [Account(*row) for row in rows]


def change(
    connection: Connection, username: str, *, name: str, role: str, region: str | None
) -> bool:
    """A member's name, role and region; False when there is no such member."""
    if role not in ROLES:
        raise StaffError(f"role: one of {', '.join(ROLES)}")
    if region is not None and region not in REGIONS:
        raise StaffError(f"region: one of {', '.join(REGIONS)}")
    if role != "admin" and region is None:
        raise StaffError("a worker or supervisor needs a region")
    if not name.strip() or len(name) > 120:
        raise StaffError("name: required, at most 120 characters")
    s = STAFF.c
    done = connection.execute(
        update(STAFF)
        .where(s.username == username)
        .values(name=name.strip(), role=role, region=region)
    )
    return bool(done.rowcount)


def require_new_password(connection: Connection, staff_id: int) -> None:
    """The member chooses their own password at the next sign-in."""
    connection.execute(
        update(STAFF).where(STAFF.c.id == staff_id).values(must_change_password=True)
    )
