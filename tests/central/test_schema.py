"""`init_central` on a real PostgreSQL: migrations once, partitions by month, logins, no races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from tests.central.pgserver import PgServer
from tests.pg import CentralDb
from till.central.schema import LATEST, InitReport, init_central, schema_version, store_login

TABLES = {"migrations", "stores", "tills", "entries", "reprints", "z_reports"}


def _month_names(count: int) -> list[str]:
    now = datetime.now(UTC)
    names = []
    for step in range(count):
        year, month = divmod(now.month - 1 + step, 12)
        names.append(f"entries_y{now.year + year}m{month + 1:02d}")
    return names


def _partitions(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'till.entries'::regclass"
    ).fetchall()
    return {str(name) for (name,) in rows}


def _insert_entry(conn: psycopg.Connection[tuple[object, ...]], ref: str, at: str) -> None:
    conn.execute(
        "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch, version,"
        " kind, state) VALUES (%s, %s, 'S1', 'T1', 'e1', 1, 'sale', 'settled')",
        (ref, at),
    )


def test_init_applies_every_migration_and_records_it(central_db: CentralDb) -> None:
    with central_db.connect() as conn:
        assert schema_version(conn) == 0
    report = central_db.init()
    assert report.version_before == 0
    assert report.version == LATEST
    assert report.applied == tuple(range(1, LATEST + 1))
    with central_db.connect() as conn:
        assert schema_version(conn) == LATEST
        versions = [v for (v,) in conn.execute("SELECT version FROM till.migrations ORDER BY 1")]
        assert versions == list(range(1, LATEST + 1))
        tables = {
            str(name)
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'till'"
            ).fetchall()
        }
        assert tables >= TABLES
        secured = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'till'::regnamespace "
            "AND relrowsecurity ORDER BY relname"
        ).fetchall()
        assert [name for (name,) in secured] == [
            "entries",
            "reprints",
            "stores",
            "tills",
            "z_reports",
        ]


def test_running_init_again_changes_nothing(central_db: CentralDb) -> None:
    first = central_db.init(months_ahead=2)
    with central_db.connect() as conn:
        recorded = conn.execute("SELECT version, applied_at FROM till.migrations").fetchall()
        partitions = _partitions(conn)
    again = central_db.init(months_ahead=2)
    assert again == InitReport(version_before=LATEST, version=LATEST)
    assert first.partitions and not again.partitions
    with central_db.connect() as conn:
        assert (
            conn.execute("SELECT version, applied_at FROM till.migrations").fetchall() == recorded
        )
        assert _partitions(conn) == partitions


def test_partitions_exist_from_this_month_on(central_db: CentralDb) -> None:
    report = central_db.init(months_ahead=3)
    expected = _month_names(4)
    assert list(report.partitions) == expected
    with central_db.connect() as conn:
        assert _partitions(conn) == {*expected, "entries_default"}
        # an index made on the parent is on every partition
        for name in (*expected, "entries_default"):
            indexed = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = 'till' AND tablename = %s "
                "AND indexdef LIKE '%%(mobile_number, created_at)%%'",
                (name,),
            ).fetchone()
            assert indexed == (1,), name


def test_ensure_month_is_idempotent(central_db: CentralDb) -> None:
    central_db.init(months_ahead=0)
    with central_db.connect() as conn:
        before = _partitions(conn)
        names = {
            conn.execute("SELECT till.ensure_month(%s)", (at,)).fetchone()
            for at in ("2031-07-01 00:00:00+00", "2031-07-31 23:59:59+00", "2031-07-15 12:00+00")
        }
        assert names == {("entries_y2031m07",)}
        assert _partitions(conn) == before | {"entries_y2031m07"}
        bounds = conn.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'entries_y2031m07'"
        ).fetchone()
        assert bounds == (
            "FOR VALUES FROM ('2031-07-01 00:00:00+00') TO ('2031-08-01 00:00:00+00')",
        )


def test_a_row_in_a_month_without_a_partition_still_lands(central_db: CentralDb) -> None:
    central_db.init(months_ahead=0)
    with central_db.connect() as conn:
        _insert_entry(conn, "old-1", "2001-12-31 23:00:00+00")
        _insert_entry(conn, "old-2", "2001-12-01 00:00:00+00")
        _insert_entry(conn, "older", "2001-11-30 23:59:59+00")
        _insert_entry(conn, "bad-clock", "1970-01-01 00:00:01+00")
        where = conn.execute(
            "SELECT reference, tableoid::regclass::text FROM till.entries ORDER BY reference"
        ).fetchall()
        assert {table for _, table in where} == {"till.entries_default"}
        # the month's partition made later takes that month's rows out of the DEFAULT partition
        assert conn.execute("SELECT till.ensure_month('2001-12-15')").fetchone() == (
            "entries_y2001m12",
        )
        # a clock far off gets no partition: its rows stay in DEFAULT
        assert conn.execute("SELECT till.ensure_month('1970-01-01')").fetchone() == (None,)
        assert conn.execute("SELECT till.ensure_month('2999-01-01')").fetchone() == (None,)
        where = conn.execute(
            "SELECT reference, tableoid::regclass::text FROM till.entries ORDER BY reference"
        ).fetchall()
        assert where == [
            ("bad-clock", "till.entries_default"),
            ("old-1", "till.entries_y2001m12"),
            ("old-2", "till.entries_y2001m12"),
            ("older", "till.entries_default"),
        ]


def test_two_inits_at_once_apply_each_migration_once(central_db: CentralDb) -> None:
    reports: list[InitReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(central_db.init(stores=[("RACE1", "pw-race")]))
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(len(r.applied) for r in reports) == [0, 0, LATEST]
    with central_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM till.migrations").fetchone() == (LATEST,)


def test_store_logins_are_made_and_their_passwords_updated(
    central_db: CentralDb, pg_server: PgServer
) -> None:
    report = central_db.init(stores=[("Dem-01", "first-pw")])
    login = store_login("Dem-01")
    assert login == "till_store_dem_01"
    assert report.logins == (login,)
    with psycopg.connect(central_db.dsn(user=login, password="first-pw")) as conn:
        assert conn.execute("SELECT till.current_store()").fetchone() == ("Dem-01",)
    central_db.init(stores=[("Dem-01", "second-pw")])
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(central_db.dsn(user=login, password="first-pw"))
    with psycopg.connect(central_db.dsn(user=login, password="second-pw")) as conn:
        member = conn.execute("SELECT pg_has_role('till_store', 'MEMBER')").fetchone()
        assert member == (True,)
    with central_db.connect() as conn:
        role = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles "
            "WHERE rolname = %s",
            (login,),
        ).fetchone()
        assert role == (True, False, False, False)


def test_a_password_never_reaches_the_server_in_clear(
    central_db: CentralDb, pg_server: PgServer
) -> None:
    """Only a SCRAM verifier is sent, so even a server logging every statement never sees it."""
    with central_db.connect() as conn:
        conn.execute(f"ALTER DATABASE {central_db.name} SET log_statement = 'all'")
    password = "Very-Secret-Store-Password-77"
    central_db.init(stores=[("LOGME", password)], hq_logins=[("hq_logme", password + "hq")])
    log = pg_server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "ALTER ROLE" in log or "CREATE ROLE" in log  # the statements were logged
    assert password not in log


def test_bad_store_ids_are_refused(central_db: CentralDb) -> None:
    with pytest.raises(ValueError, match=r"1\.\.52 characters"):
        store_login("")
    with pytest.raises(ValueError, match=r"1\.\.52 characters"):
        store_login("x" * 53)
    with pytest.raises(ValueError, match="share the login till_store_a_1"):
        central_db.init(stores=[("A-1", "p1"), ("a_1", "p2")])
    with pytest.raises(ValueError, match="password"):
        central_db.init(stores=[("EMPTY", "")])


def test_init_commits_and_leaves_the_connection_idle(central_db: CentralDb) -> None:
    with psycopg.connect(central_db.admin_dsn) as conn:
        init_central(conn, stores=[("IDLE", "pw-idle")])
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with central_db.connect() as other:
            assert other.execute("SELECT store_id FROM till.stores").fetchall() == [("IDLE",)]


def test_init_refuses_to_turn_a_superuser_into_a_store(central_db: CentralDb) -> None:
    with (
        psycopg.connect(central_db.admin_dsn) as conn,
        pytest.raises(ValueError, match="superuser"),
    ):
        init_central(conn, hq_logins=[("postgres", "nope")])
