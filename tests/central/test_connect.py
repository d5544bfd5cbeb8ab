"""`[central]` to a connection: where the password comes from, the TLS rule, and error messages
that say what to do without ever showing the password."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from tests.central.pgserver import ADMIN, PgServer
from tests.pg import CentralDb
from till.central.connect import (
    CentralMisconfigured,
    CentralUnavailable,
    connect,
    connect_async,
    describe,
    resolve,
)
from till.config import CentralSection

SECRET = "Zq9-never-print-me-4711"


@pytest.fixture(autouse=True)
def _no_libpq_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """libpq reads PG* variables on its own; these tests say everything explicitly."""
    for name in ("PGPASSWORD", "PGHOST", "PGSSLMODE", "PGPASSFILE", "PGUSER", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    yield


def _tcp(central_db: CentralDb) -> str:
    """The admin over TCP without its password: the DSN a config file would hold."""
    return central_db.dsn(user=ADMIN, password=None)


def _secret_file(tmp_path: Path, name: str, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _params(central: CentralSection) -> dict[str, object]:
    return dict(conninfo_to_dict(resolve(central)))


def _everything_shown(error: BaseException) -> str:
    """The message, repr and whole traceback a log handler could print."""
    return str(error) + repr(error) + "".join(traceback.format_exception(error))


# -- the password never shows ---------------------------------------------------------------


def test_a_wrong_password_is_not_in_the_error(central_db: CentralDb) -> None:
    central = CentralSection(dsn=_tcp(central_db), password=SecretStr(SECRET))
    with pytest.raises(CentralUnavailable) as caught:
        connect(central)
    shown = _everything_shown(caught.value)
    assert SECRET not in shown
    assert "password authentication failed" in str(caught.value)
    assert f"postgres@127.0.0.1:{central_db.server.port}/{central_db.name}" in str(caught.value)
    assert "TILL_CENTRAL__PASSWORD" in str(caught.value)  # says what to do
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_server_that_is_down_is_named_without_the_password(
    central_db: CentralDb, pg_server: PgServer, tmp_path: Path
) -> None:
    dsn_file = _secret_file(tmp_path, "central.dsn", _tcp(central_db) + f" password={SECRET}\n")
    pg_server.stop()
    try:
        with pytest.raises(CentralUnavailable) as caught:
            connect(CentralSection(dsn_file=dsn_file), connect_timeout=2)
    finally:
        pg_server.start()
    assert not isinstance(caught.value, CentralMisconfigured)  # worth retrying later
    assert SECRET not in _everything_shown(caught.value)
    assert "PostgreSQL is running and reachable" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        f"host=hq password={SECRET} oops",
        "host=hq password=two halves",  # unquoted: libpq would quote "halves" back
        "postgresql://store:two halves@hq/till",
    ],
)
def test_an_invalid_dsn_file_is_reported_without_its_password(tmp_path: Path, text: str) -> None:
    dsn_file = _secret_file(tmp_path, "central.dsn", text + "\n")
    with pytest.raises(CentralMisconfigured) as caught:
        resolve(CentralSection(dsn_file=dsn_file))
    assert f"[central] dsn_file {dsn_file} is not a valid connection string" in str(caught.value)
    shown = _everything_shown(caught.value)
    assert SECRET not in shown and "halves" not in shown


def test_an_invalid_dsn_without_a_password_says_where() -> None:
    with pytest.raises(CentralMisconfigured, match='missing "=" after "oops"'):
        resolve(CentralSection(dsn="host=hq oops"))


def test_describe_names_the_server_and_hides_the_password() -> None:
    conninfo = f"host=hq.example.co.za port=6432 dbname=till user=store_a password={SECRET}"
    assert describe(conninfo) == "store_a@hq.example.co.za:6432/till"
    uri = f"postgresql://store_a:{SECRET}@hq.example.co.za/till?sslmode=verify-full"
    assert describe(uri) == "store_a@hq.example.co.za/till (sslmode verify-full)"
    assert SECRET not in describe(f"host=x password={SECRET} nonsense")


# -- where the password comes from ----------------------------------------------------------


async def test_the_password_from_settings_connects(central_db: CentralDb) -> None:
    password = central_db.server.admin_password
    central = CentralSection(dsn=_tcp(central_db), password=SecretStr(password))
    with connect(central, autocommit=True) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            ADMIN,
            central_db.name,
        )
    async with await connect_async(central) as aconn:
        cursor = await aconn.execute("SELECT current_setting('application_name')")
        assert await cursor.fetchone() == ("till",)


def test_password_file_and_dsn_file(central_db: CentralDb, tmp_path: Path) -> None:
    password = central_db.server.admin_password
    password_file = _secret_file(tmp_path, "central.password", password + "\n")
    with connect(CentralSection(dsn=_tcp(central_db), password_file=password_file)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    dsn_file = _secret_file(tmp_path, "central.dsn", f"{_tcp(central_db)} password={password}\n")
    with connect(CentralSection(dsn_file=dsn_file)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_environment_beats_the_password_file(tmp_path: Path) -> None:
    password_file = _secret_file(tmp_path, "central.password", "from-the-file\n")
    central = CentralSection(
        dsn="host=127.0.0.1 dbname=till",
        password=SecretStr("from-the-env"),
        password_file=password_file,
    )
    assert _params(central)["password"] == "from-the-env"
    file_only = CentralSection(dsn="host=127.0.0.1 dbname=till", password_file=password_file)
    assert _params(file_only)["password"] == "from-the-file"


def test_pgpassword_is_left_to_libpq(
    central_db: CentralDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = CentralSection(dsn=_tcp(central_db))
    assert "password" not in _params(central)
    monkeypatch.setenv("PGPASSWORD", central_db.server.admin_password)
    with connect(central) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
@pytest.mark.parametrize("which", ["password_file", "dsn_file"])
def test_a_secret_file_others_may_read_is_refused(tmp_path: Path, mode: int, which: str) -> None:
    path = _secret_file(tmp_path, "secret", "host=127.0.0.1 password=x\n", mode)
    if which == "password_file":
        central = CentralSection(dsn="host=127.0.0.1", password_file=path)
    else:
        central = CentralSection(dsn_file=path)
    with pytest.raises(CentralMisconfigured) as caught:
        resolve(central)
    assert str(caught.value) == (
        f"[central] {which} {path} is open to other users (mode {mode:04o}): "
        f"it holds a password, so run `chmod 600 {path}`"
    )


def test_missing_and_empty_secret_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.password"
    with pytest.raises(CentralMisconfigured, match=r"password_file .*nowhere.password cannot be"):
        resolve(CentralSection(dsn="host=127.0.0.1", password_file=missing))
    empty = _secret_file(tmp_path, "empty.dsn", "\n")
    with pytest.raises(CentralMisconfigured, match=r"dsn_file .*empty.dsn is empty"):
        resolve(CentralSection(dsn_file=empty))


# -- TLS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("host=127.0.0.1 dbname=till", "prefer"),
        ("host=127.8.9.10 dbname=till", "prefer"),
        ("host=localhost dbname=till", "prefer"),
        ("host=::1 dbname=till", "prefer"),
        ("host=/var/run/postgresql dbname=till", "prefer"),
        ("dbname=till", "prefer"),  # libpq's default: the local unix socket
        ("host=hq.example.co.za dbname=till", "verify-full"),
        ("host=10.0.0.5 dbname=till", "verify-full"),
        ("host=localhost,hq.example.co.za dbname=till", "verify-full"),
        ("host=hq.example.co.za hostaddr=127.0.0.1 dbname=till", "prefer"),
        ("postgresql://hq.example.co.za/till", "verify-full"),
        ("host=hq.example.co.za dbname=till sslmode=require", "require"),
    ],
)
def test_sslmode_default(dsn: str, expected: str) -> None:
    assert _params(CentralSection(dsn=dsn))["sslmode"] == expected


def test_sslmode_from_settings_wins() -> None:
    central = CentralSection(dsn="host=hq.example.co.za sslmode=require", sslmode="verify-ca")
    assert _params(central)["sslmode"] == "verify-ca"
    local = CentralSection(dsn="host=127.0.0.1", sslmode="verify-full")
    assert _params(local)["sslmode"] == "verify-full"


def test_tls_required_of_a_server_without_it_says_so(central_db: CentralDb) -> None:
    central = CentralSection(dsn=_tcp(central_db), password=SecretStr(SECRET), sslmode="require")
    with pytest.raises(CentralUnavailable, match="Check TLS") as caught:
        connect(central)
    assert SECRET not in _everything_shown(caught.value)
