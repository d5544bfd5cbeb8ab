"""Fixtures for the central ledger: one PostgreSQL server per session, a fresh database per test
(a plugin of the whole suite, `tests/conftest.py`, so every folder shares the one server).

Without PostgreSQL binaries these tests skip with one line saying how to install them, unless
TILL_REQUIRE_POSTGRES=1 (CI), where a missing server is a failure.
"""

from __future__ import annotations

import atexit
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from tests.central.pgserver import INSTALL_HINT, PgServer, find_bindir
from till.central.schema import InitReport, init_central

_NUMBERS = itertools.count(1)
_BINDIR = find_bindir()
_REQUIRED = os.environ.get("TILL_REQUIRE_POSTGRES") == "1"


def _no_server() -> None:
    if _REQUIRED:
        pytest.fail(f"TILL_REQUIRE_POSTGRES=1 but {INSTALL_HINT}", pytrace=False)
    # Raised here, not from a fixture, so that pytest folds every skip into one line.
    raise pytest.skip.Exception(INSTALL_HINT)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _BINDIR is None and "pg_server" in getattr(item, "fixturenames", ()):
        _no_server()


@dataclass
class CentralDb:
    """A database of its own for one test, on the session's server."""

    server: PgServer
    name: str

    @property
    def admin_dsn(self) -> str:
        """The superuser over the unix socket, in this database."""
        return self.server.admin_dsn(dbname=self.name)

    def dsn(self, *, user: str, password: str | None) -> str:
        """A TCP login to this database as `user` (scram-sha-256: the password is checked)."""
        return self.server.dsn(user=user, password=password, dbname=self.name)

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection to this database."""
        return psycopg.connect(self.admin_dsn, autocommit=autocommit)

    def init(
        self,
        stores: Sequence[tuple[str, str]] = (),
        *,
        hq_logins: Sequence[tuple[str, str]] = (),
        months_ahead: int = 3,
    ) -> InitReport:
        """Run `init_central` here as the admin (the way `till central init` does)."""
        with psycopg.connect(self.admin_dsn) as conn:
            return init_central(conn, stores=stores, hq_logins=hq_logins, months_ahead=months_ahead)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server; tests may stop, start or restart it."""
    if _BINDIR is None:
        _no_server()
    assert _BINDIR is not None
    server = PgServer(_BINDIR)
    atexit.register(server.destroy)  # a session that dies early still removes its server
    try:
        server.start()
        yield server
    finally:
        server.destroy()
        atexit.unregister(server.destroy)


@pytest.fixture
def central_db(pg_server: PgServer) -> Iterator[CentralDb]:
    """A fresh, empty database `t_<n>` for one test, dropped after it (whatever it left open)."""
    name = f"t_{next(_NUMBERS)}"
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield CentralDb(pg_server, name)
    finally:
        pg_server.start()  # a test may have left the server stopped
        with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
