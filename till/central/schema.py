"""The central PostgreSQL schema: forward-only migrations, roles, row-level security, partitions.

`init_central` is what `till central init` runs as the database's admin. It is idempotent: run
again it applies only what is missing, refreshes the month partitions and the store logins.
Each store logs in as its own role and sees only its own rows (row-level security keyed on
`till.current_store()`); head office (`till_hq`) reads everything and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

#: pg_advisory_xact_lock key that serialises `init_central` (two inits never race).
_INIT_LOCK = 0x7469_6C6C_0013  # "till" + issue 13
STORE_GROUP = "till_store"
HQ_GROUP = "till_hq"
_LOGIN_PREFIX = "till_store_"
_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1

_ENTRIES = """
CREATE TABLE till.entries (
  reference text NOT NULL, created_at timestamptz NOT NULL,
  store_id text NOT NULL, terminal_id text NOT NULL, epoch text NOT NULL,
  version bigint NOT NULL,
  kind text NOT NULL, state text NOT NULL, amount bigint, product_code integer,
  cashier text, approved_by text, mobile_number text, meter_number text, serial_number text,
  related_reference text, response_code integer, attempts integer NOT NULL DEFAULT 0,
  last_error text, settled_at timestamptz, print_count integer NOT NULL DEFAULT 0,
  reprint_count integer NOT NULL DEFAULT 0, last_printed_at timestamptz, print_error text,
  flagged_at timestamptz, retryable boolean NOT NULL DEFAULT true,
  request jsonb, response jsonb, sealed bytea,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reference, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON COLUMN till.entries.version IS
  'the till''s change_no: an older version never overwrites a newer one';
COMMENT ON COLUMN till.entries.request IS 'the request with every PIN and token redacted';
COMMENT ON COLUMN till.entries.sealed IS
  'AES-GCM of the clear request and response under the store''s key';
CREATE TABLE till.entries_default PARTITION OF till.entries DEFAULT;
CREATE INDEX entries_store_time ON till.entries (store_id, created_at);
CREATE INDEX entries_till_time ON till.entries (store_id, terminal_id, created_at);
CREATE INDEX entries_mobile ON till.entries (mobile_number, created_at)
  WHERE mobile_number IS NOT NULL;
CREATE INDEX entries_meter ON till.entries (meter_number, created_at)
  WHERE meter_number IS NOT NULL;
CREATE INDEX entries_serial ON till.entries (serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX entries_amount_time ON till.entries (store_id, amount, created_at);
CREATE INDEX entries_open ON till.entries (store_id, created_at)
  WHERE state IN ('pending', 'in_doubt');
CREATE INDEX entries_related ON till.entries (related_reference)
  WHERE related_reference IS NOT NULL;
"""

_OTHER_TABLES = """
CREATE TABLE till.stores (store_id text PRIMARY KEY, login name UNIQUE NOT NULL);
CREATE TABLE till.tills (
  store_id text NOT NULL, terminal_id text NOT NULL, epoch text NOT NULL,
  entries_hwm bigint NOT NULL DEFAULT 0, reprints_hwm bigint NOT NULL DEFAULT 0,
  z_hwm bigint NOT NULL DEFAULT 0, backlog bigint NOT NULL DEFAULT 0,
  first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, terminal_id, epoch));
CREATE TABLE till.reprints (
  id bigserial PRIMARY KEY, reference text NOT NULL, store_id text NOT NULL,
  origin text NOT NULL CHECK (origin IN ('till', 'desk')),
  terminal_id text NOT NULL, epoch text, origin_id bigint,
  copy integer NOT NULL, printed_at timestamptz NOT NULL, cashier text, approved_by text,
  UNIQUE (store_id, terminal_id, epoch, origin_id));
CREATE UNIQUE INDEX reprints_desk_copy ON till.reprints (reference, copy) WHERE origin = 'desk';
CREATE INDEX reprints_reference ON till.reprints (reference);
CREATE TABLE till.z_reports (
  store_id text NOT NULL, terminal_id text NOT NULL, epoch text NOT NULL, number integer NOT NULL,
  created_at timestamptz NOT NULL, period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL, created_by text NOT NULL, override_by text,
  body jsonb NOT NULL,
  PRIMARY KEY (store_id, terminal_id, epoch, number));
CREATE INDEX z_reports_store_time ON till.z_reports (store_id, created_at);
"""

# The store a session belongs to, read with the owner's rights (a store cannot list the others).
_FUNCTIONS = """
CREATE FUNCTION till.current_store() RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT store_id FROM till.stores WHERE login = session_user $$;

CREATE FUNCTION till.ensure_month(ts timestamptz) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC'
  AS $$
DECLARE
  lo timestamptz := date_trunc('month', ts);
  hi timestamptz := date_trunc('month', ts) + interval '1 month';
  part text := to_char(ts, '"entries_y"YYYY"m"MM');
BEGIN
  -- A till whose clock is far off gets no partition of its own: its rows go to DEFAULT.
  IF ts < '2000-01-01' OR ts >= now() + interval '10 years' THEN
    RETURN NULL;
  END IF;
  IF to_regclass(format('till.%I', part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('till.ensure_month'));
  IF to_regclass(format('till.%I', part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  -- Rows that landed in the DEFAULT partition for this month move into the new one.
  LOCK TABLE till.entries_default IN ACCESS EXCLUSIVE MODE;
  EXECUTE format('CREATE TABLE till.%I (LIKE till.entries INCLUDING DEFAULTS)', part);
  EXECUTE format(
    'WITH moved AS (DELETE FROM till.entries_default WHERE created_at >= %L AND created_at < %L'
    ' RETURNING *) INSERT INTO till.%I SELECT * FROM moved', lo, hi, part);
  EXECUTE format('ALTER TABLE till.entries ATTACH PARTITION till.%I FOR VALUES FROM (%L) TO (%L)',
    part, lo, hi);
  RETURN part;
END $$;
"""

_GRANTS = """
REVOKE ALL ON SCHEMA till FROM PUBLIC;
GRANT USAGE ON SCHEMA till TO till_store, till_hq;
REVOKE ALL ON FUNCTION till.current_store() FROM PUBLIC;
REVOKE ALL ON FUNCTION till.ensure_month(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION till.current_store() TO till_store, till_hq;
GRANT EXECUTE ON FUNCTION till.ensure_month(timestamptz) TO till_store;
GRANT SELECT, INSERT, UPDATE ON till.entries, till.reprints, till.z_reports, till.tills
  TO till_store;
GRANT SELECT ON till.stores, till.migrations TO till_store;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA till TO till_store;
GRANT SELECT ON till.entries, till.reprints, till.z_reports, till.tills, till.stores,
  till.migrations TO till_hq;
"""

# `(SELECT till.current_store())` is the same test as the plain call, evaluated once per query.
_POLICIES = "".join(
    f"""
ALTER TABLE till.{table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {table}_store ON till.{table} FOR ALL TO till_store
  USING (store_id = (SELECT till.current_store()))
  WITH CHECK (store_id = (SELECT till.current_store()));
CREATE POLICY {table}_hq ON till.{table} FOR SELECT TO till_hq USING (true);
"""
    for table in ("entries", "reprints", "z_reports", "tills", "stores")
)

#: Forward-only: (version, SQL). A released step is never edited; a change is a new step.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, _ENTRIES + _OTHER_TABLES + _FUNCTIONS + _GRANTS + _POLICIES),
)
LATEST = MIGRATIONS[-1][0]


@dataclass(frozen=True)
class InitReport:
    """What one `init_central` did (never a password)."""

    version_before: int
    version: int
    applied: tuple[int, ...] = ()
    partitions: tuple[str, ...] = ()
    logins: tuple[str, ...] = field(default=())


def store_login(store_id: str) -> str:
    """The login role of a store: `till_store_` + the id lowercased, other characters as `_`."""
    tail = re.sub(r"[^a-z0-9]", "_", store_id.lower())
    if not store_id or len(_LOGIN_PREFIX + tail) > _MAX_IDENTIFIER:
        raise ValueError(f"store id must be 1..{_MAX_IDENTIFIER - len(_LOGIN_PREFIX)} characters")
    return _LOGIN_PREFIX + tail


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The highest migration applied to this database; 0 when `till central init` never ran."""
    row = conn.execute("SELECT to_regclass('till.migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM till.migrations").fetchone()
    return int(row[0]) if row else 0


def init_central(
    conn: psycopg.Connection[Any],
    *,
    stores: Sequence[tuple[str, str]] = (),
    hq_logins: Sequence[tuple[str, str]] = (),
    months_ahead: int = 3,
) -> InitReport:
    """Bring the database to the latest schema, make partitions and logins, in one transaction.

    `stores` are (store id, password) pairs, `hq_logins` (role name, password) pairs for head
    office. Run as a role that may create roles and owns (or will own) schema `till`. Commits,
    unless `conn` is already inside a transaction (then the caller commits).
    """
    if not 0 <= months_ahead <= 120:
        raise ValueError("months_ahead must be 0..120")
    logins = [(store_id, store_login(store_id), password) for store_id, password in stores]
    _check_unique(logins)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
        _ensure_groups(conn)
        conn.execute("CREATE SCHEMA IF NOT EXISTS till")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS till.migrations (version int PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        before = schema_version(conn)
        applied: list[int] = []
        for version, script in MIGRATIONS:
            if version > before:
                conn.execute(sql.SQL(script))  # module constants only
                conn.execute("INSERT INTO till.migrations (version) VALUES (%s)", (version,))
                applied.append(version)
        _database_access(conn)
        partitions = _ensure_months(conn, months_ahead)
        for store_id, login, password in logins:
            _ensure_login(conn, login, password, group=STORE_GROUP)
            _register_store(conn, store_id, login)
        for login, password in hq_logins:
            _ensure_login(conn, login, password, group=HQ_GROUP)
        after = schema_version(conn)
    return InitReport(
        version_before=before,
        version=after,
        applied=tuple(applied),
        partitions=tuple(partitions),
        logins=tuple(login for _, login, _ in logins) + tuple(login for login, _ in hq_logins),
    )


def _check_unique(logins: Sequence[tuple[str, str, str]]) -> None:
    seen: dict[str, str] = {}
    for store_id, login, _ in logins:
        other = seen.setdefault(login, store_id)
        if other != store_id:
            raise ValueError(f"stores {other!r} and {store_id!r} would share the login {login}")


def _ensure_groups(conn: psycopg.Connection[Any]) -> None:
    """The two group roles; roles belong to the whole cluster, so they may exist already."""
    for group in (STORE_GROUP, HQ_GROUP):
        if not _role_exists(conn, group):
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))


def _role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if row and row[0]:
        raise ValueError(f"role {role} exists and is a superuser: refusing to reuse it")
    return row is not None


def _database_access(conn: psycopg.Connection[Any]) -> None:
    """Only till roles may connect to (and make temporary tables in) this database."""
    database = sql.Identifier(conn.info.dbname)
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
    conn.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
            database, sql.Identifier(STORE_GROUP), sql.Identifier(HQ_GROUP)
        )
    )


def _ensure_months(conn: psycopg.Connection[Any], months_ahead: int) -> list[str]:
    """Partitions from this month to `months_ahead` months on; returns the ones it created."""
    now = datetime.now(UTC)
    created: list[str] = []
    for step in range(months_ahead + 1):
        year, month = divmod(now.month - 1 + step, 12)
        first = datetime(now.year + year, month + 1, 1, tzinfo=UTC)
        name = f"entries_y{first:%Y}m{first:%m}"
        existed = conn.execute("SELECT to_regclass(%s)", (f"till.{name}",)).fetchone()
        conn.execute("SELECT till.ensure_month(%s)", (first,))
        if existed is None or existed[0] is None:
            created.append(name)
    return created


def _ensure_login(conn: psycopg.Connection[Any], login: str, password: str, *, group: str) -> None:
    """Create or update a LOGIN role in `group`. Only a SCRAM verifier reaches the server."""
    if not password:
        raise ValueError(f"the password for {login} is empty")
    verifier = conn.pgconn.encrypt_password(
        password.encode("utf-8"), login.encode("utf-8"), b"scram-sha-256"
    ).decode("ascii")
    role = sql.Identifier(login)
    verb = "ALTER" if _role_exists(conn, login) else "CREATE"
    conn.execute(
        sql.SQL(
            verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            " INHERIT PASSWORD {}"
        ).format(role, sql.Literal(verifier))
    )
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), role))


def _register_store(conn: psycopg.Connection[Any], store_id: str, login: str) -> None:
    conn.execute(
        "INSERT INTO till.stores (store_id, login) VALUES (%s, %s)"
        " ON CONFLICT (store_id) DO UPDATE SET login = EXCLUDED.login",
        (store_id, login),
    )
