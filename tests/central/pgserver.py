"""A throwaway PostgreSQL server for the suite, started from the machine's own binaries.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the `postgres`
system user (or `nobody`) in a directory under /tmp that user owns. The admin logs in over the
unix socket without a password; every TCP login needs its password (scram-sha-256), so the
tests of store logins are real.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.support import HANG_SECONDS

#: The superuser initdb creates; it owns the central schema in every test database.
ADMIN = "postgres"
INSTALL_HINT = (
    "PostgreSQL server binaries not found: install them "
    "(Debian/Ubuntu: apt-get install postgresql) to run the central-ledger tests"
)
_SHUTDOWN = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def find_bindir() -> Path | None:
    """Where initdb and postgres live: TILL_PG_BINDIR if set, else `pg_config --bindir`, else
    Debian's versioned dirs (newest first)."""
    chosen = os.environ.get("TILL_PG_BINDIR")
    candidates: list[Path] = [Path(chosen)] if chosen else []
    pg_config = shutil.which("pg_config")
    if pg_config and not chosen:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    if not chosen:
        versioned = glob.glob("/usr/lib/postgresql/*/bin")
        candidates += sorted((Path(p) for p in versioned), key=_version, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return bindir
    return None


def _version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run as when we are root; None: run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


class PgServer:
    """One PostgreSQL cluster in a temporary directory; stop, start and restart at will.

    The port and the socket directory stay the same across restarts, so a DSN taken before a
    restart works after it.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="till-pg-", dir="/tmp"))
        self.root.chmod(0o755)  # the server user must reach its data and socket
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = _free_port()
        #: The superuser's password, for TCP logins (the unix socket trusts the admin).
        self.admin_password = secrets.token_urlsafe(16)
        self._process: subprocess.Popen[bytes] | None = None
        self._chown(self.root)
        self._initdb()

    # -- lifecycle --------------------------------------------------------------------------

    def _as_server_user(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.admin_password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        try:
            result = subprocess.run(
                [
                    str(self.bindir / "initdb"),
                    "--pgdata",
                    str(self.data),
                    "--username",
                    ADMIN,
                    "--pwfile",
                    str(pwfile),
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                    "--no-instructions",
                ],
                capture_output=True,
                text=True,
                timeout=HANG_SECONDS,
                check=False,
                env=self._env(),
                cwd=self.root,
                **self._as_server_user(),
            )
        finally:
            pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and return once it accepts connections (bounded by HANG_SECONDS)."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "max_parallel_workers_per_gather=0",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                cwd=self.root,
                start_new_session=True,
                **self._as_server_user(),
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + HANG_SECONDS
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                raise RuntimeError(f"postgres exited while starting:\n{self.log_tail()}")
            try:
                with psycopg.connect(self.admin_dsn(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"postgres did not accept connections in {HANG_SECONDS:.0f} s:\n"
                        f"{self.log_tail()}"
                    ) from None
                time.sleep(0.05)

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """Shut down: "fast" ends every session; "immediate" is a crash (recovery on start)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(_SHUTDOWN[mode])
            try:
                process.wait(timeout=HANG_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=HANG_SECONDS)
        self._process = None

    def restart(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        """Stop the server and delete everything it wrote."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- connection strings -----------------------------------------------------------------

    def admin_dsn(self, dbname: str = "postgres") -> str:
        """The superuser over the unix socket (trusted: no password)."""
        return make_conninfo(host=str(self.root), port=self.port, user=ADMIN, dbname=dbname)

    def admin_tcp_dsn(self, dbname: str = "postgres") -> str:
        """The superuser over TCP on 127.0.0.1, with its password."""
        return self.dsn(user=ADMIN, password=self.admin_password, dbname=dbname)

    def dsn(
        self, *, user: str = ADMIN, password: str | None = None, dbname: str = "postgres"
    ) -> str:
        """A TCP login on 127.0.0.1, where every role needs its password (None: none given)."""
        params: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "user": user,
            "dbname": dbname,
        }
        if password is not None:
            params["password"] = password
        return make_conninfo(**params)


@contextlib.contextmanager
def throwaway_database(dbname: str) -> Iterator[PgServer]:
    """A server of its own with one empty database `dbname`, deleted afterwards: for the
    benchmarks, which run outside pytest and its fixtures."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit(INSTALL_HINT)
    server = PgServer(bindir)
    try:
        server.start()
        with psycopg.connect(server.admin_dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        yield server
    finally:
        server.destroy()
