"""The till's top bar says how far behind head office is, and nothing central slows a sale.

Real parts only: a throwaway PostgreSQL (tests/central/conftest.py) initialised with two stores'
logins, real journals filled by the engine against an in-process sandbox, the real uploader in
the app's background thread, and the screens driven by the Textual pilot. The waits are on what
the top bar shows, never on time. The helpers here are shared with test_desk.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from textual.widgets import Static

from receipts import PreviewPrinter
from tests.pg import CentralDb
from tests.tui.harness import (
    quick_retry,
    sandbox_engine,
    till_app,
    wait_for,
    write_settings,
)
from till.central.schema import store_login
from till.central.seal import SealKey, generate_key_file
from till.central.upload import Uploader
from till.config import Settings, load_settings
from till.journal import Journal
from till.sales import SaleEngine
from till.sandbox import Sandbox
from till.tui.app import TillApp
from till.tui.screens.sell import SellScreen

# The central tests' server and databases, for these screen tests too.

STORES = [("S1", "pw-store-one"), ("S2", "pw-store-two")]
BEHIND = re.compile(r"HQ: \d+ behind")


@dataclass
class Store:
    """One store in the central database: its login, password file and sealing key."""

    db: CentralDb
    store_id: str
    password: str
    password_file: Path
    key_file: Path

    @property
    def dsn(self) -> str:
        """The store's login without its password (which `[central]` reads from a file)."""
        return self.db.dsn(user=store_login(self.store_id), password=None)

    def central(self, *, batch_size: int = 500, key: bool = True) -> str:
        """The `[central]` section a till or desk of this store is configured with."""
        text = (
            f'[central]\ndsn = "{self.dsn}"\npassword_file = "{self.password_file}"\n'
            f"interval = 0.1\nbatch_size = {batch_size}\n"
        )
        return text + (f'key_file = "{self.key_file}"\n' if key else "")

    def connect(self) -> psycopg.Connection[Any]:
        """A connection as the store's own login (row-level security applies)."""
        return psycopg.connect(
            self.db.dsn(user=store_login(self.store_id), password=self.password), autocommit=True
        )


def init_stores(db: CentralDb, tmp_path: Path) -> dict[str, Store]:
    """`till central init` for two stores, each with a 0600 password file and its own key."""
    db.init(stores=STORES)
    stores: dict[str, Store] = {}
    for store_id, password in STORES:
        password_file = tmp_path / f"{store_id}.password"
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        key_file = tmp_path / f"{store_id}.key"
        generate_key_file(key_file)
        stores[store_id] = Store(db, store_id, password, password_file, key_file)
    return stores


def store_settings(
    directory: Path, *, store: str, terminal: str, extra: str = "", name: str = "Corner Shop"
) -> Settings:
    """A live till's (or desk's) config, with a preview printer; its Flash is the test's
    in-process sandbox, so no Flash key is asked for."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "till.toml"
    path.write_text(
        f'[till]\nstore_id = "{store}"\nterminal_id = "{terminal}"\nstore_name = "{name}"\n'
        f'[journal]\npath = "{directory / "journal.sqlite3"}"\n'
        '[printer]\nkind = "preview"\n' + extra
    )
    return load_settings(path, need_flash=False)


@dataclass
class Till:
    engine: SaleEngine
    journal: Journal
    sandbox: Sandbox
    printer: PreviewPrinter


@asynccontextmanager
async def till_engine(
    directory: Path,
    *,
    store: str,
    terminal: str,
    settings: Settings | None = None,
    sandbox: Sandbox | None = None,
) -> AsyncIterator[Till]:
    """A till's engine selling for real (not training: training never leaves the till) against
    an in-process sandbox (`sandbox`: one Flash for several tills), journaling in `directory`."""
    settings = settings or store_settings(directory, store=store, terminal=terminal)
    sandbox = sandbox or Sandbox(seed=5)
    printer = PreviewPrinter()
    async with sandbox_engine(
        settings,
        sandbox,
        printer,
        journal_file=directory / "journal.sqlite3",
        store_id=store,
        terminal_id=terminal,
        training=False,
        backoff=quick_retry(),
    ) as engine:
        yield Till(engine, engine.journal, sandbox, printer)


def upload(store: Store, journal: Path, terminal: str) -> None:
    """Everything in `journal` to head office, as `till sync` would send it."""
    with Uploader(
        journal,
        store.connect,
        SealKey.load(store.key_file),
        store_id=store.store_id,
        terminal_id=terminal,
    ) as uploader:
        while uploader.step().backlog:
            pass


def central_entry(db: CentralDb, reference: str) -> tuple[str, int] | None:
    """(state, reprint_count) of a central entry, read as the admin."""
    with db.connect() as conn:
        row = conn.execute(
            "SELECT state, reprint_count FROM till.entries WHERE reference = %s", (reference,)
        ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def top_bar(app: TillApp) -> str:
    return str(app.screen.query_one(".identity", Static).render())


# -- the till's top bar --------------------------------------------------------------------


async def test_top_bar_says_behind_then_up_to_date(tmp_path: Path, central_db: CentralDb) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    # one change per batch, so the bar can be caught between two of them
    extra = s1.central(batch_size=1)
    settings = store_settings(tmp_path / "T1", store="S1", terminal="T1", extra=extra)
    with (
        central_db.connect(autocommit=False) as till_row,
        central_db.connect(autocommit=False) as entry_row,
    ):
        async with till_engine(tmp_path / "T1", store="S1", terminal="T1", settings=settings) as t:
            app = TillApp(settings, engine=t.engine, catalog_path=tmp_path / "catalog.json")
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for(pilot, lambda: "HQ: up to date" in top_bar(app), "up to date")
                first = await t.engine.sell_1voucher(5000)
                ref = first.reference
                await wait_for(
                    pilot, lambda: central_entry(central_db, ref) == ("approved", 0), "upload"
                )
                # Head office is busy: the till's row (the uploader waits before it reads a
                # batch), and the first sale's central row (the batch updating it waits).
                till_row.execute("SELECT 1 FROM till.tills WHERE store_id = 'S1' FOR UPDATE")
                entry_row.execute(
                    "SELECT 1 FROM till.entries WHERE reference = %s FOR UPDATE", (ref,)
                )
                second = await t.engine.sell_1voucher(2000)  # the till sells on meanwhile
                assert second.status == "approved"
                await t.engine.slips.reprint(ref)  # a newer version of the first sale
                till_row.rollback()  # the second sale goes up; the first's update waits
                await wait_for(pilot, lambda: BEHIND.search(top_bar(app)), "HQ: n behind")
                assert central_entry(central_db, second.reference) == ("approved", 0)
                assert central_entry(central_db, ref) == ("approved", 0)
                entry_row.rollback()
                await wait_for(pilot, lambda: "HQ: up to date" in top_bar(app), "up to date")
                assert central_entry(central_db, ref) == ("approved", 1)  # reprinted once now
                assert app.hq is not None and app.hq.running
            assert not app.hq.running  # stopped with the app


async def test_offline_a_sale_completes_and_uploads_once_back(
    tmp_path: Path, central_db: CentralDb
) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    settings = store_settings(tmp_path / "T1", store="S1", terminal="T1", extra=s1.central())
    async with till_engine(tmp_path / "T1", store="S1", terminal="T1", settings=settings) as till:
        app = TillApp(settings, engine=till.engine, catalog_path=tmp_path / "catalog.json")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: "HQ: up to date" in top_bar(app), "HQ: up to date")
            await wait_for(pilot, lambda: app.catalog, "the product list")
            central_db.server.stop()
            await wait_for(pilot, lambda: "HQ offline" in top_bar(app), "HQ offline")

            await pilot.press(*"1vou", "enter", *"50", "enter", "enter")  # a sale, by keys
            screen = app.screen
            assert isinstance(screen, SellScreen)
            await wait_for(pilot, lambda: screen.step == "outcome", "the sale's answer")
            (sale,) = till.journal.search()
            assert (sale.state, sale.amount, sale.print_count) == ("approved", 5000, 1)
            assert "HQ offline" in top_bar(app)

            central_db.server.start()
            await wait_for(pilot, lambda: central_entry(central_db, sale.reference) is not None)
            await wait_for(pilot, lambda: "HQ: up to date" in top_bar(app), "HQ: up to date")
            assert central_entry(central_db, sale.reference) == ("approved", 0)


async def test_without_a_store_key_the_till_says_so_and_sells_on(
    tmp_path: Path, central_db: CentralDb
) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    extra = s1.central(key=False)
    settings = store_settings(tmp_path / "T1", store="S1", terminal="T1", extra=extra)
    async with till_engine(tmp_path / "T1", store="S1", terminal="T1", settings=settings) as till:
        app = TillApp(settings, engine=till.engine, catalog_path=tmp_path / "catalog.json")
        async with app.run_test(size=(80, 24)) as pilot:

            def warned() -> bool:
                return any("Not uploading" in n.message for n in app._notifications)

            await wait_for(pilot, warned, "the warning")
            assert app.hq is None and "HQ" not in top_bar(app)
            assert (await till.engine.sell_1voucher(5000)).status == "approved"


def started(app: TillApp) -> bool:
    """The app has started up as far as head office: the product list comes after the app
    decides on an uploader without waiting (none without `[central]`, or in training)."""
    return app.ready and bool(app.catalog)


async def test_without_central_the_top_bar_is_as_before(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: started(till.app), "the start")
        assert till.app.hq is None and "HQ" not in top_bar(till.app)
        assert top_bar(till.app).startswith("Corner Shop  till T1")


async def test_training_never_uploads(tmp_path: Path, central_db: CentralDb) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    settings = write_settings(tmp_path, s1.central())  # the harness's: training on
    assert settings.training.enabled and settings.central is not None
    async with till_engine(tmp_path / "T1", store="S1", terminal="T1", settings=settings) as till:
        app = TillApp(settings, engine=till.engine, catalog_path=tmp_path / "catalog.json")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: started(app), "the start")
            assert app.hq is None and "HQ" not in top_bar(app)
    with central_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM till.tills").fetchone() == (0,)
