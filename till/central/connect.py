"""The connection to head office's PostgreSQL, from `[central]`: the DSN, its password, its TLS.

The password comes from the environment (TILL_CENTRAL__PASSWORD), `password_file`, the DSN in
`dsn_file`, or libpq's own PGPASSWORD/.pgpass, and never appears in a message: errors name the
server by `describe()` and psycopg's own text is scrubbed, since libpq may echo the conninfo.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import SecretStr

#: TLS for every server that is not this machine; this machine's traffic never leaves it.
REMOTE_SSLMODE = "verify-full"
LOCAL_SSLMODE = "prefer"
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_HIDDEN = "********"
_PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URI_USERINFO = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


class CentralSettings(Protocol):
    """What this module reads of `till.config.CentralSection`."""

    @property
    def dsn(self) -> str | None: ...
    @property
    def dsn_file(self) -> Path | None: ...
    @property
    def password_file(self) -> Path | None: ...
    @property
    def password(self) -> SecretStr | None: ...
    @property
    def sslmode(self) -> str | None: ...


class CentralUnavailable(Exception):
    """Head office's database cannot be used now; the message says what to do, without secrets."""


class CentralMisconfigured(CentralUnavailable):
    """`[central]` itself is wrong (a file unreadable or too open, a bad DSN): retry won't help."""


_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


def resolve(central: CentralSettings) -> str:
    """The full libpq connection string `[central]` describes, password and sslmode included."""
    if central.dsn_file is not None:
        where = f"dsn_file {central.dsn_file}"
        base = _read_secret(central.dsn_file, "dsn_file")
    elif central.dsn is not None:
        where, base = "dsn", central.dsn
    else:
        raise CentralMisconfigured("[central] needs dsn or dsn_file")
    error: psycopg.Error | None = None
    try:
        params = conninfo_to_dict(base)
    except psycopg.Error as exc:
        error = exc
    if error is not None:
        # libpq quotes the part it choked on, which may be a piece of a password
        secret = re.search(r"password|^\s*postgres(?:ql)?://[^/]*@", base, re.IGNORECASE)
        detail = "" if secret else f": {scrub(str(error), base)}"
        raise CentralMisconfigured(
            f"[central] {where} is not a valid connection string{detail} (key=value pairs "
            "separated by spaces, values with spaces in single quotes, or a postgresql:// URI)"
        )
    password = _password(central)
    sslmode = (
        central.sslmode
        or params.get("sslmode")
        or os.environ.get("PGSSLMODE")
        or default_sslmode(params)
    )
    if str(sslmode) not in SSLMODES:
        raise CentralMisconfigured(f"[central] sslmode must be one of {', '.join(SSLMODES)}")
    extra: dict[str, Any] = {"password": password, "sslmode": sslmode}
    # A cut network (packets dropped, no reset) would otherwise hang a step for the kernel's
    # TCP timeout (~15 min): keepalives and a user timeout find it in about 30 s.
    for name, value in _KEEPALIVES.items():
        if name not in params:
            extra[name] = value
    if "application_name" not in params:
        extra["application_name"] = "till"
    return make_conninfo(base, **extra)


def _password(central: CentralSettings) -> str | None:
    """The environment's password first, then password_file; None leaves it to the DSN/libpq."""
    if central.password is not None:
        return central.password.get_secret_value()
    if central.password_file is not None:
        return _read_secret(central.password_file, "password_file")
    return None


def _read_secret(path: Path, what: str) -> str:
    """A file holding a secret, refused when anyone but its owner may read it (like .pgpass)."""
    path = path.expanduser()
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CentralMisconfigured(
            f"[central] {what} {path} cannot be read ({exc.strerror})"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CentralMisconfigured(
            f"[central] {what} {path} is open to other users (mode {stat.S_IMODE(mode):04o}): "
            f"it holds a password, so run `chmod 600 {path}`"
        )
    secret = text.strip("\r\n") if what == "password_file" else text.strip()
    if not secret:
        raise CentralMisconfigured(f"[central] {what} {path} is empty")
    return secret


def default_sslmode(params: dict[str, Any]) -> str:
    """ "prefer" when every host is this machine (loopback or a unix socket), else verify-full."""
    hosts = str(params.get("hostaddr") or params.get("host") or os.environ.get("PGHOST") or "")
    return LOCAL_SSLMODE if all(map(is_local_host, hosts.split(","))) else REMOTE_SSLMODE


def is_local_host(host: str) -> bool:
    """A unix socket directory (or an empty host, libpq's default socket), or a loopback name."""
    host = host.strip()
    if not host or host.startswith(("/", "@")) or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe(conninfo: str) -> str:
    """user@host:port/dbname (sslmode): which server, for logs and messages; never the password."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "(an invalid connection string)"
    host = str(params.get("host") or params.get("hostaddr") or "the local socket")
    text = host
    if params.get("user"):
        text = f"{params['user']}@{text}"
    if params.get("port"):
        text += f":{params['port']}"
    if params.get("dbname"):
        text += f"/{params['dbname']}"
    if params.get("sslmode"):
        text += f" (sslmode {params['sslmode']})"
    return text


def scrub(text: str, conninfo: str) -> str:
    """`text` with the conninfo's password, and anything shaped like a password, hidden."""
    try:
        password = conninfo_to_dict(conninfo).get("password")
    except psycopg.Error:
        password = None
    if password:
        text = text.replace(str(password), _HIDDEN)
    text = _PASSWORD_PARAM.sub(lambda m: m.group(1) + _HIDDEN, text)
    return _URI_USERINFO.sub(lambda m: m.group(1) + _HIDDEN + "@", text)


def unavailable(error: BaseException, conninfo: str) -> CentralUnavailable:
    """The error to raise for a failed connection: where, why (scrubbed) and what to do."""
    detail = " ".join(scrub(str(error), conninfo).split()) or type(error).__name__
    stop = "" if detail.endswith((".", "?", "!")) else "."
    return CentralUnavailable(
        f"head office database {describe(conninfo)} unavailable: {detail}{stop} {_hint(detail)}"
    )


def _hint(detail: str) -> str:
    lowered = detail.lower()
    if "password" in lowered:
        return (
            "Check the password (TILL_CENTRAL__PASSWORD, password_file or dsn_file) and that "
            "`till central init` made this store's login."
        )
    if "certificate" in lowered or "ssl" in lowered:
        return (
            "Check TLS: name the server's CA in the DSN (sslrootcert=/path/ca.crt, or "
            "sslrootcert=system), or choose another [central] sslmode."
        )
    if "does not exist" in lowered:
        return "Check the DSN's dbname and user, and run `till central init` on that database."
    return (
        "Check that PostgreSQL is running and reachable at that address; "
        "sales go on meanwhile and upload when it is back."
    )


def connect(
    central: CentralSettings, *, autocommit: bool = False, connect_timeout: int = 5
) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to head office; CentralUnavailable (never the password) when none is had."""
    conninfo = resolve(central)
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.Error as exc:
        error = unavailable(exc, conninfo)
    raise error  # outside `except`: no chained psycopg error to carry the conninfo along


async def connect_async(
    central: CentralSettings, *, autocommit: bool = False, connect_timeout: int = 5
) -> psycopg.AsyncConnection[tuple[Any, ...]]:
    """`connect` for asyncio code (the screens' background uploader)."""
    conninfo = resolve(central)
    try:
        return await psycopg.AsyncConnection.connect(
            conninfo, autocommit=autocommit, connect_timeout=connect_timeout
        )
    except psycopg.Error as exc:
        error = unavailable(exc, conninfo)
    raise error
