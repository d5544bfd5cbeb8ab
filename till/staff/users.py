"""The till's people: cashiers, supervisors and managers, each with a PIN stored only as a
salted scrypt hash in a private SQLite file (mode 0600).

Three wrong PINs lock that user out for a while; the counter and the lock live in the file, so
restarting the till does not reset them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Role = Literal["cashier", "supervisor", "manager"]
ROLES: tuple[Role, ...] = ("cashier", "supervisor", "manager")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
_USER_ID = re.compile(r"[A-Za-z0-9]{1,16}")
_PIN = re.compile(r"[0-9]{4,8}")  # ASCII only: \d would also match other scripts' digits
#: scrypt cost: ~50 ms on a till's CPU, enough to make guessing a stolen file slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('cashier', 'supervisor', 'manager')),
    pin_salt        BLOB    NOT NULL,
    pin_hash        BLOB    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL
)
"""


class StaffError(Exception):
    """A refusal a person can act on: the message says what to do."""


class AuthError(StaffError):
    """Wrong id or PIN, a disabled user, or one locked out after too many wrong PINs."""


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    active: bool
    failed_attempts: int
    locked_until: int | None

    def at_least(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]


def hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def check_pin_format(pin: str) -> str:
    if not _PIN.fullmatch(pin):
        raise StaffError("a PIN is 4 to 8 digits")
    return pin


class UserStore:
    """Users of one till (or one store, if the file is shared), in their own private file."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_attempts: int = 3,
        lockout_ms: int = 15 * 60 * 1000,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.path, 0o600)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._conn.execute(_SCHEMA)
        self.max_attempts = max_attempts
        self.lockout_ms = lockout_ms

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> UserStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _row(self, user_id: str) -> tuple[User, bytes, bytes] | None:
        row = self._conn.execute(
            "SELECT id, name, role, active, failed_attempts, locked_until, pin_salt, pin_hash "
            "FROM users WHERE id = ?",
            (user_id,),
        ).fetchone()
        if row is None:
            return None
        user = User(row[0], row[1], row[2], bool(row[3]), row[4], row[5])
        return user, bytes(row[6]), bytes(row[7])

    def get(self, user_id: str) -> User | None:
        found = self._row(user_id)
        return found[0] if found else None

    def list(self) -> list[User]:
        rows = self._conn.execute(
            "SELECT id, name, role, active, failed_attempts, locked_until FROM users ORDER BY id"
        ).fetchall()
        return [User(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    def add(self, user_id: str, name: str, role: Role, pin: str, *, now: int) -> User:
        if not _USER_ID.fullmatch(user_id):
            raise StaffError("a user id is 1 to 16 letters and digits")
        if role not in ROLES:
            raise StaffError(f"role must be one of {', '.join(ROLES)}")
        if not name.strip():
            raise StaffError("a user needs a name")
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        try:
            self._conn.execute(
                "INSERT INTO users (id, name, role, pin_salt, pin_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, name.strip(), role, salt, hash_pin(pin, salt), now),
            )
        except sqlite3.IntegrityError:
            raise StaffError(f"user {user_id} already exists") from None
        user = self.get(user_id)
        assert user is not None
        return user

    def set_pin(self, user_id: str, pin: str) -> None:
        """A new PIN also clears a lockout: a manager resets it in person."""
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        cursor = self._conn.execute(
            "UPDATE users SET pin_salt = ?, pin_hash = ?, failed_attempts = 0, "
            "locked_until = NULL WHERE id = ?",
            (salt, hash_pin(pin, salt), user_id),
        )
        if cursor.rowcount == 0:
            raise StaffError(f"no user {user_id}")

    def set_active(self, user_id: str, active: bool) -> None:
        cursor = self._conn.execute(
            "UPDATE users SET active = ? WHERE id = ?", (int(active), user_id)
        )
        if cursor.rowcount == 0:
            raise StaffError(f"no user {user_id}")

    def verify(self, user_id: str, pin: str, *, now: int, role: Role = "cashier") -> User:
        """The user, if the PIN is right and they may act as `role`; else AuthError.

        Wrong PINs count against that user (not the one asking); the third locks them out.
        """
        found = self._row(user_id.strip())
        if found is None:
            hash_pin(pin, b"0" * 16)  # same time as a real check: ids cannot be probed
            raise AuthError("unknown user id or wrong PIN")
        user, salt, stored = found
        if not user.active:
            raise AuthError(f"user {user.id} is disabled: ask a manager")
        if user.locked_until is not None and now < user.locked_until:
            minutes = max(1, (user.locked_until - now + 59_999) // 60_000)
            raise AuthError(f"user {user.id} is locked for {minutes} more minute(s)")
        if not hmac.compare_digest(hash_pin(pin, salt), stored):
            attempts = user.failed_attempts + 1
            locked = now + self.lockout_ms if attempts >= self.max_attempts else None
            self._conn.execute(
                "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                (0 if locked else attempts, locked, user.id),
            )
            if locked:
                raise AuthError(f"wrong PIN: user {user.id} is now locked out")
            raise AuthError("unknown user id or wrong PIN")
        self._conn.execute(
            "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (user.id,)
        )
        if not user.at_least(role):
            raise AuthError(f"{user.id} is a {user.role}: a {role} must approve this")
        return User(user.id, user.name, user.role, True, 0, None)
