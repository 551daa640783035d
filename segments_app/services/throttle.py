"""Password attempts, counted before the password is checked, for the dashboard login and the
storefront's password grant.

Each attempt first reserves itself under its keys, in one short transaction of its own that
commits before any password is compared: the login at this address, the login from anywhere,
and (for the dashboard) the address alone. One statement per key adds the attempt and reads the
new count, holding that row until the transaction ends, so parallel attempts each see a
different count and at most the allowed number of passwords is ever checked per window,
whatever the concurrency. An attempt over any limit is rolled back under every key: a stranger
held back at their own address uses up nothing of what the real user has elsewhere, and the
account-wide limit is above what one address can reach in its windows, so only guessing from
many addresses at once locks the login itself, until its window ends. The login is counted
whether or not such an account exists, so the answers never tell which ones do.

The storefront's password grant has no address-alone key: a storefront's server signs every
customer in from one address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ..extensions import db
from ..models import LoginAttempt
from ..models.types import utcnow


class TooManyAttempts(Exception):
    def __init__(self, wait_seconds: int):
        super().__init__(f"Too many attempts. Try again in {wait_seconds} seconds.")
        self.message = str(self)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class _Rule:
    key: str
    limit: int
    seconds: int
    #: cleared when the password was right (the other keys only give this attempt back, so a
    #: distributed guesser gets no fresh allowance each time the real user logs in)
    forget_on_success: bool


@dataclass(frozen=True)
class Reservation:
    rules: tuple[_Rule, ...]


def _rules(kind: str, login: str, address: str, per_address: bool) -> tuple[_Rule, ...]:
    config = current_app.config
    window = config["LOGIN_WINDOW_SECONDS"]
    rules = [
        _Rule(f"{kind}\n{login}\n{address}", config["LOGIN_ATTEMPTS"], window, True),
        _Rule(
            f"{kind}\n{login}",
            config["LOGIN_ACCOUNT_ATTEMPTS"],
            config["LOGIN_ACCOUNT_WINDOW_SECONDS"],
            False,
        ),
    ]
    if per_address:
        rules.append(_Rule(f"address\n{address}", config["LOGIN_ADDRESS_ATTEMPTS"], window, False))
    # the same order in every transaction, so two attempts never wait on each other's rows
    return tuple(sorted(rules, key=lambda rule: _digest(rule.key)))


def _digest(key: str) -> str:
    """Keys are kept as keyed digests: the table holds no mistyped e-mail addresses."""
    secret = current_app.secret_key
    secret_bytes = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret_bytes, key.encode(), hashlib.sha256).hexdigest()


def _count(conn: Connection, rule: _Rule, now: datetime) -> tuple[int, datetime]:
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    new_row = insert(LoginAttempt).values(
        key=_digest(rule.key), attempts=1, expires_at=now + timedelta(seconds=rule.seconds)
    )
    stmt = new_row.on_conflict_do_update(
        index_elements=[LoginAttempt.key],
        set_={"attempts": LoginAttempt.attempts + 1},
    ).returning(LoginAttempt.attempts, LoginAttempt.expires_at)
    attempts, expires_at = conn.execute(stmt).one()
    return attempts, expires_at


def reserve(kind: str, login: str, address: str | None, *, per_address: bool = True) -> Reservation:
    """Count one attempt of `login` (of a `kind` of account) from `address`; raises
    TooManyAttempts, before any password is checked and counting nothing, once a limit is
    passed."""
    rules = _rules(kind, login.strip().lower(), address or "unknown", per_address)
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.expires_at <= now))
        waits = []
        for rule in rules:
            attempts, expires_at = _count(conn, rule, now)
            if attempts > rule.limit:
                waits.append((expires_at - now).total_seconds())
        if waits:  # raised inside the block: the transaction, and every count, rolls back
            raise TooManyAttempts(max(1, math.ceil(max(waits))))
    return Reservation(rules)


def succeeded(reservation: Reservation) -> None:
    """The password was right: the login's count at this address starts again, and the other
    keys get this attempt back, so many people signing in from one office never trip its
    limit."""
    forget = [_digest(rule.key) for rule in reservation.rules if rule.forget_on_success]
    give_back = [_digest(rule.key) for rule in reservation.rules if not rule.forget_on_success]
    with db.engine.begin() as conn:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(forget)))
        conn.execute(
            update(LoginAttempt)
            .where(LoginAttempt.key.in_(give_back), LoginAttempt.attempts > 0)
            .values(attempts=LoginAttempt.attempts - 1)
        )
