"""Who may see what: a store's login reads and writes only its own rows; head office reads all.

Every login here goes over TCP with its password (scram-sha-256), as a till's would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from tests.pg import CentralDb
from till.central.schema import store_login

STORES = [("A", "pw-store-a"), ("B", "pw-store-b")]
HQ = ("till_hq_isolation", "pw-head-office")

Conn = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
def central(central_db: CentralDb) -> Iterator[CentralDb]:
    """Two stores with a row of each kind, written by the admin."""
    central_db.init(stores=STORES, hq_logins=[HQ])
    with central_db.connect() as conn:
        for store in ("A", "B"):
            _entry(conn, store, f"{store}-ref-1")
            _till(conn, store)
            _reprint(conn, store, f"{store}-ref-1", origin_id=1)
            _z_report(conn, store, number=1)
    yield central_db


def _login(central: CentralDb, store: str) -> Conn:
    password = dict(STORES)[store]
    return psycopg.connect(central.dsn(user=store_login(store), password=password), autocommit=True)


def _entry(conn: Conn, store: str, ref: str) -> None:
    conn.execute(
        "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch, version,"
        " kind, state, amount) VALUES (%s, now(), %s, 'T1', 'e1', 1, 'sale', 'settled', 1000)",
        (ref, store),
    )


def _till(conn: Conn, store: str) -> None:
    conn.execute(
        "INSERT INTO till.tills (store_id, terminal_id, epoch) VALUES (%s, 'T1', 'e1')", (store,)
    )


def _reprint(conn: Conn, store: str, ref: str, *, origin_id: int) -> None:
    conn.execute(
        "INSERT INTO till.reprints (reference, store_id, origin, terminal_id, epoch, origin_id,"
        " copy, printed_at) VALUES (%s, %s, 'till', 'T1', 'e1', %s, 1, now())",
        (ref, store, origin_id),
    )


def _z_report(conn: Conn, store: str, *, number: int) -> None:
    conn.execute(
        "INSERT INTO till.z_reports (store_id, terminal_id, epoch, number, created_at,"
        " period_start, period_end, created_by, body)"
        " VALUES (%s, 'T1', 'e1', %s, now(), now(), now(), 'ann', '{}')",
        (store, number),
    )


def _table(name: str) -> sql.Identifier:
    return sql.Identifier("till", name)


def _stores_seen(conn: Conn, table: str) -> list[str]:
    query = sql.SQL("SELECT store_id FROM {} ORDER BY store_id").format(_table(table))
    rows = conn.execute(query).fetchall()
    return [store for (store,) in rows]


@pytest.mark.parametrize("table", ["entries", "tills", "reprints", "z_reports", "stores"])
def test_a_store_reads_only_its_own_rows(central: CentralDb, table: str) -> None:
    with _login(central, "A") as conn:
        assert _stores_seen(conn, table) == ["A"]
        query = sql.SQL("SELECT count(*) FROM {} WHERE store_id = 'B'").format(_table(table))
        where_b = conn.execute(query)
        assert where_b.fetchone() == (0,)


def test_a_store_writes_its_own_rows(central: CentralDb) -> None:
    with _login(central, "A") as conn:
        _entry(conn, "A", "A-ref-2")
        _reprint(conn, "A", "A-ref-2", origin_id=2)  # the id sequence is usable
        _z_report(conn, "A", number=2)
        conn.execute("UPDATE till.tills SET entries_hwm = 7 WHERE store_id = 'A'")
        updated = conn.execute(
            "UPDATE till.entries SET state = 'refunded', version = 2 WHERE reference = 'A-ref-1'"
        )
        assert updated.rowcount == 1
        upsert = conn.execute(
            "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch,"
            " version, kind, state) SELECT reference, created_at, store_id, terminal_id, epoch,"
            " 3, kind, 'voided' FROM till.entries WHERE reference = 'A-ref-2'"
            " ON CONFLICT (reference, created_at) DO UPDATE SET state = EXCLUDED.state,"
            " version = EXCLUDED.version WHERE till.entries.version < EXCLUDED.version"
        )
        assert upsert.rowcount == 1
        states = conn.execute("SELECT reference, state FROM till.entries ORDER BY 1").fetchall()
        assert states == [("A-ref-1", "refunded"), ("A-ref-2", "voided")]
        assert conn.execute("SELECT entries_hwm FROM till.tills").fetchall() == [(7,)]
        # the uploader may stage a batch in a temporary table and make next month's partition
        conn.execute("CREATE TEMP TABLE staged (LIKE till.entries)")
        assert conn.execute("SELECT till.ensure_month(now() + interval '14 months')").fetchone()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch, version,"
        " kind, state) VALUES ('B-forged', now(), 'B', 'T1', 'e1', 1, 'sale', 'settled')",
        "INSERT INTO till.tills (store_id, terminal_id, epoch) VALUES ('B', 'T9', 'e9')",
        "INSERT INTO till.reprints (reference, store_id, origin, terminal_id, copy, printed_at)"
        " VALUES ('B-ref-1', 'B', 'desk', 'D1', 2, now())",
        "INSERT INTO till.z_reports (store_id, terminal_id, epoch, number, created_at,"
        " period_start, period_end, created_by, body)"
        " VALUES ('B', 'T1', 'e1', 9, now(), now(), now(), 'x', '{}')",
        # moving its own row into store B
        "UPDATE till.entries SET store_id = 'B' WHERE reference = 'A-ref-1'",
        "UPDATE till.tills SET store_id = 'B' WHERE store_id = 'A'",
    ],
    ids=[
        "insert-entry",
        "insert-till",
        "insert-reprint",
        "insert-z",
        "move-entry",
        "move-till",
    ],
)
def test_a_store_cannot_write_another_stores_rows(central: CentralDb, statement: str) -> None:
    with (
        _login(central, "A") as conn,
        pytest.raises(errors.InsufficientPrivilege, match="row-level security"),
    ):
        conn.execute(statement)


def test_an_upsert_cannot_overwrite_another_stores_entry(central: CentralDb) -> None:
    with central.connect() as admin:
        b_row = admin.execute(
            "SELECT created_at FROM till.entries WHERE reference = 'B-ref-1'"
        ).fetchone()
    assert b_row is not None
    with _login(central, "A") as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch,"
                " version, kind, state) VALUES ('B-ref-1', %s, 'A', 'T1', 'e1', 99, 'sale',"
                " 'voided') ON CONFLICT (reference, created_at) DO UPDATE SET"
                " state = EXCLUDED.state, version = EXCLUDED.version",
                (b_row[0],),
            )
        # a plain UPDATE of B's rows finds none of them
        for table in ("entries", "tills", "reprints", "z_reports"):
            query = sql.SQL("UPDATE {} SET store_id = 'A' WHERE store_id = 'B'")
            done = conn.execute(query.format(_table(table)))
            assert done.rowcount == 0, table
    with central.connect() as admin:
        untouched = admin.execute(
            "SELECT store_id, state, version FROM till.entries WHERE reference = 'B-ref-1'"
        ).fetchall()
        assert untouched == [("B", "settled", 1)]


def test_a_store_cannot_delete_even_its_own_rows(central: CentralDb) -> None:
    with (
        _login(central, "A") as conn,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied"),
    ):
        conn.execute("DELETE FROM till.entries WHERE store_id = 'A'")


def test_a_store_cannot_read_partitions_directly(central: CentralDb) -> None:
    with central.connect() as admin:
        partitions = [
            name
            for (name,) in admin.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'till.entries'::regclass"
            )
        ]
    assert "entries_default" in partitions and len(partitions) > 1
    with _login(central, "A") as conn:
        for partition in partitions:
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(partition)))


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE ROLE sneaky LOGIN PASSWORD 'x'",
        "ALTER ROLE till_store_b PASSWORD 'taken-over'",
        "GRANT till_hq TO till_store_a",
        "ALTER TABLE till.entries DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE till.entries ADD COLUMN sneaky text",
        "DROP POLICY entries_store ON till.entries",
        "CREATE TABLE till.sneaky (x int)",
        "UPDATE till.stores SET login = 'till_store_a' WHERE store_id = 'B'",
        "INSERT INTO till.stores VALUES ('C', 'till_store_a')",
        "TRUNCATE till.entries",
    ],
)
def test_a_store_cannot_change_roles_or_tables(central: CentralDb, statement: str) -> None:
    with (
        _login(central, "A") as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_head_office_reads_every_store_and_writes_nothing(central: CentralDb) -> None:
    user, password = HQ
    with psycopg.connect(central.dsn(user=user, password=password), autocommit=True) as conn:
        for table in ("entries", "tills", "reprints", "z_reports", "stores"):
            assert _stores_seen(conn, table) == ["A", "B"], table
        with pytest.raises(errors.InsufficientPrivilege):
            _entry(conn, "A", "hq-forged")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("UPDATE till.entries SET state = 'x'")


def test_a_wrong_password_is_refused(central: CentralDb) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(central.dsn(user=store_login("A"), password=dict(STORES)["B"]))


def test_a_login_not_in_the_stores_table_sees_nothing(central: CentralDb) -> None:
    """Roles belong to the whole server: a login is a store only where till.stores says so."""
    with central.connect() as admin:
        admin.execute("DELETE FROM till.stores WHERE store_id = 'A'")
    with _login(central, "A") as conn:
        assert conn.execute("SELECT till.current_store()").fetchone() == (None,)
        assert _stores_seen(conn, "entries") == []
        with pytest.raises(errors.InsufficientPrivilege):
            _entry(conn, "A", "A-ref-9")
