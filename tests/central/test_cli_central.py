"""`till central`, `till sync`, `till desk` and `till hq` from the command line, against the
fleet of `test_desk` on a real PostgreSQL: the same options and output as `till journal` and
`till reprint`, exit statuses, and never a traceback or a password."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

import till.cli as cli
from tests.central.test_desk import PASSWORDS, Fleet, build_fleet
from tests.pg import CentralDb
from tests.support import HANG_SECONDS
from till.central.schema import store_login
from till.clock import local_date, now_ms
from till.commands.base import EXIT_PRINTER_FAULT
from till.digits import group_digits
from till.journal import Journal
from till.sandbox import Sandbox
from till.staff import UserStore

SUPERVISOR_PIN = "13572468"
#: `till` as a child process of its own, for the signal tests.
DRIVER = "import sys, till.cli\nsys.exit(till.cli.main(sys.argv[1:]))\n"


@pytest.fixture
async def fleet(central_db: CentralDb, tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[Fleet]:
    yield await build_fleet(central_db, tmp_path, sandbox)


def secret_file(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def write_config(
    fleet: Fleet,
    *,
    store: str = "A",
    terminal: str = "DESK",
    login: str | None = None,
    journal: Path | None = None,
    staff: bool = False,
    key: bool = True,
) -> Path:
    """A desk's (or a till's) config with `[central]` logged in as `login` (default the store's)."""
    tmp = fleet.tmp
    user = login or store_login(store)
    password = PASSWORDS[store] if login is None else {"head_office": "head-office-password"}[login]
    password_file = secret_file(tmp / f"{user}.password", password)
    dsn = fleet.db.dsn(user=user, password=None)
    lines = [
        f'[till]\nstore_id = "{store}"\nterminal_id = "{terminal}"\nstore_name = "Store {store}"',
        f'[journal]\npath = "{journal or tmp / f"{terminal}.sqlite3"}"',
        f'[printer]\nkind = "file"\ndevice = "{tmp / "printer.bin"}"',
        f'[central]\ndsn = "{dsn}"\npassword_file = "{password_file}"',
    ]
    if key:
        lines.append(f'key_file = "{fleet.key_files[store]}"')
    if staff:
        lines.append("[staff]\nenabled = true")
    config = tmp / f"{user}-{terminal}.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def till(
    config: Path, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        status = cli.main(["--config", str(config), *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def refs(out: str) -> list[str]:
    return [line.split()[3] for line in out.splitlines()[1:] if line.strip()]


def today() -> str:
    """Today in the till's zone, as the desk types it."""
    return local_date(now_ms()).isoformat()


def since(fleet: Fleet) -> str:
    """The day the fleet's first sale was made (an hour ago: yesterday, just after midnight)."""
    return local_date(fleet.started).isoformat()


# -- without [central] -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("desk", "search"),
        ("desk", "show", "A-T1-ABCD-1"),
        ("desk", "reprint", "A-T1-ABCD-1"),
        ("desk",),
        ("sync",),
        ("hq", "report", "--from", "2026-11-01", "--to", "2026-11-02"),
        ("central", "init"),
    ],
)
def test_without_central_each_command_says_to_add_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    config = tmp_path / "till.toml"
    config.write_text(
        f'[till]\nstore_id = "A"\nterminal_id = "T1"\n[journal]\npath = "{tmp_path}/j"\n'
    )
    status, out, err = till(config, capsys, *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "[central]" in err and "config.example.toml" in err


def test_central_commands_do_not_load_psycopg_for_other_commands() -> None:
    """`till --help` and registering the parsers never import psycopg (start-up time)."""
    code = (
        "import sys, argparse\n"
        "from till.commands import central\n"
        "parser = argparse.ArgumentParser()\n"
        "central.add_parsers(parser.add_subparsers())\n"
        "import till.cli\n"
        "try:\n    till.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'cryptography')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_SECONDS,
        check=True,
    ).stdout  # fmt: skip
    assert out.strip().splitlines()[-1] == "[]"


# -- till desk search / show -------------------------------------------------------------------


def test_desk_search_takes_the_journals_options_and_a_till(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet)
    status, out, err = till(config, capsys, "desk", "search")
    assert status == 0, err
    assert out.splitlines()[0].split() == ["time", "till", "reference", "kind", "state",
                                           "amount", "attempts"]  # fmt: skip
    assert len(refs(out)) == 5 and fleet.reference("b1_voucher") not in out
    assert refs(till(config, capsys, "desk", "search", "--till", "T2")[1]) == [
        fleet.reference("a2_voucher"),
        fleet.reference("a2_vend"),
    ]
    assert refs(till(config, capsys, "desk", "search", "--mobile", "083 111 2222")[1]) == [
        fleet.reference("a1_airtime")
    ]
    found = till(config, capsys, "desk", "search", "--amount", "75", "--from", since(fleet),
                 "--to", today())[1]  # fmt: skip
    assert refs(found) == [fleet.reference("a2_voucher")]
    assert refs(till(config, capsys, "desk", "search", "--limit", "1")[1]) == refs(out)[:1]
    status, out, _ = till(config, capsys, "desk", "search", "--serial", "NOSUCH1")
    assert status == 0 and out.strip() == "No matching entries in the central ledger."


def test_desk_search_json_hides_pins(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(fleet)
    status, out, _ = till(config, capsys, "desk", "search", "--json", "--state", "approved")
    assert status == 0
    entries = json.loads(out)["entries"]
    assert len(entries) == 4 and fleet.pin("a1_voucher") not in out
    (sale,) = [e for e in entries if e["reference"] == fleet.reference("a1_voucher")]
    assert sale["terminal_id"] == "T1" and sale["amount"] == 5000 and "id" not in sale
    assert sale["uploaded_at"] > 0


def test_desk_search_refuses_a_bad_option_before_connecting(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = till(write_config(fleet), capsys, "desk", "search", "--from", "24/11/2026")
    assert status == 2 and "is not a date like 2026-11-24" in err


def test_desk_show_is_journal_show_for_any_till(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet)
    reference = fleet.reference("a2_voucher")
    status, out, err = till(config, capsys, "desk", "show", reference)
    assert status == 0, err
    pin = group_digits(str(fleet.sales["a2_voucher"].response["voucher"]["pin"]))  # type: ignore[index]
    assert out.startswith("APPROVED  1Voucher sale  " + reference)
    assert "store / till    A / T2" in out and pin in out and "None" not in out
    assert "COPY 1" in out and "on till T2" in out and "approved by sup1" in out
    status, out, _ = till(config, capsys, "desk", "show", reference, "--json")
    data = json.loads(out)
    assert data["unsealed"] is True and data["terminal_id"] == "T2"
    assert group_digits(data["response"]["voucher"]["pin"]) == pin
    assert data["reprints"] == [
        {"copy": 1, "printed_at": data["reprints"][0]["printed_at"], "cashier": None,
         "approved_by": "sup1", "origin": "till", "terminal_id": "T2"}
    ]  # fmt: skip


def test_desk_show_without_the_key_says_pins_are_sealed(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet, key=False)
    status, out, _ = till(config, capsys, "desk", "show", fleet.reference("a1_voucher"))
    assert status == 0 and "sealed" in out
    assert group_digits(fleet.pin("a1_voucher")) not in out


def test_desk_show_of_another_stores_sale_exits_1(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = till(
        write_config(fleet), capsys, "desk", "show", fleet.reference("b1_voucher")
    )
    assert status == 1 and out == "" and "no central entry" in err


# -- till desk reprint ------------------------------------------------------------------------


def test_desk_reprints_another_tills_sale_copy_1_then_copy_2(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet)
    reference = fleet.reference("a1_voucher")
    printer = fleet.tmp / "printer.bin"
    for copy in (1, 2):
        status, out, err = till(config, capsys, "desk", "reprint", reference)
        assert status == 0, err
        assert out.strip() == (
            f"printed COPY {copy} for {reference} on file {printer} (recorded at head office)"
        )
        printed = printer.read_bytes()
        assert f"COPY {copy}".encode() in printed
        assert group_digits(fleet.pin("a1_voucher")).encode() in printed
    out = till(config, capsys, "desk", "show", reference)[1]
    assert "COPY 1" in out and "COPY 2" in out and "at the desk DESK" in out


def test_a_desk_reprint_the_printer_refused_exits_11(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `till reprint` does: a desk script tells a printer fault from an unknown reference."""
    config = write_config(fleet)
    gone = fleet.tmp / "no-such-dir" / "printer.bin"
    config.write_text(config.read_text().replace(str(fleet.tmp / "printer.bin"), str(gone)))
    status, out, err = till(config, capsys, "desk", "reprint", fleet.reference("a1_voucher"))
    assert status == EXIT_PRINTER_FAULT and out == ""
    assert "did not print" in err and "Traceback" not in err
    status, _, err = till(config, capsys, "desk", "reprint", "A-T9-ZZZZ-1")
    assert status == 1, err


def test_desk_reprint_needs_a_supervisor_when_staff_is_on(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet, staff=True)
    with UserStore(fleet.tmp / "users.sqlite3") as users:
        users.add("S7", "Sipho", "supervisor", SUPERVISOR_PIN, now=now_ms())
    reference = fleet.reference("a1_voucher")
    status, _, err = till(config, capsys, "desk", "reprint", reference)
    assert status == 2 and "--approver" in err
    status, _, err = till(config, capsys, "desk", "reprint", reference, "--approver", "S7",
                          stdin="99999999\n")  # fmt: skip
    assert status == 1 and "nothing was done" in err
    assert fleet.desk("A").get(reference).reprints == ()  # type: ignore[union-attr]
    status, out, err = till(config, capsys, "desk", "reprint", reference, "--approver", "S7",
                            "--pin-stdin", stdin=SUPERVISOR_PIN + "\n")  # fmt: skip
    assert status == 0 and "COPY 1" in out, err
    (copy,) = fleet.desk("A").get(reference).reprints  # type: ignore[union-attr]
    assert (copy.copy, copy.approved_by, copy.terminal_id) == (1, "S7", "DESK")


def test_desk_reprint_without_the_key_exits_2(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet, key=False)
    status, _, err = till(config, capsys, "desk", "reprint", fleet.reference("a1_voucher"))
    assert status == 2 and "store key" in err


# -- the database out of reach -----------------------------------------------------------------


def test_an_unreachable_database_is_one_line_without_the_password(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(fleet)
    fleet.db.server.stop()
    for args in (("desk", "search"), ("hq", "report", "--from", today(), "--to", today())):
        status, out, err = till(config, capsys, *args)
        assert status == 1 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "unavailable" in err and "PostgreSQL" in err
        assert PASSWORDS["A"] not in err


# -- till hq report ----------------------------------------------------------------------------


def test_hq_report_prints_and_writes_csv(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(fleet, login="head_office", key=False)
    args = ("hq", "report", "--from", since(fleet), "--to", today(), "--stale-minutes", "30")
    status, out, err = till(config, capsys, *args)
    assert status == 0, err
    assert "Totals by store, till, kind and state" in out
    assert "In doubt longer than 30 minutes" in out and fleet.reference("a1_doubt") in out
    assert "Tills not heard from for 30 minutes" in out
    assert "R 50.00" in out and "R 20.00" in out  # both stores
    status, out, _ = till(config, capsys, *args, "--store", "B")
    assert status == 0 and "R 20.00" in out and "R 50.00" not in out
    csv_path = fleet.tmp / "report.csv"
    status, out, _ = till(config, capsys, *args, "--csv", str(csv_path))
    assert status == 0 and out.startswith("Wrote ") and str(csv_path) in out
    assert csv_path.read_text().startswith("section,store_id")
    status, out, _ = till(config, capsys, *args, "--csv", "-")
    assert status == 0 and out.splitlines()[0].startswith("section,store_id")
    assert out.splitlines()[1:] == csv_path.read_text().splitlines()[1:]
    status, _, err = till(config, capsys, "hq", "report", "--from", today(), "--to", "2000-01-01")
    assert status == 2 and "--to is before --from" in err


# -- till sync ---------------------------------------------------------------------------------


async def test_sync_uploads_until_caught_up(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    journal_path = fleet.journals[("A", "T1")]
    config = write_config(fleet, terminal="T1", journal=journal_path)
    status, out, err = till(config, capsys, "sync")
    assert status == 0, err
    assert out.splitlines() == [
        "sent 0 entries, 0 reprints, 0 Z reports to head office",
        "HQ: up to date",
    ]
    new = {}

    async def sell(engine: object, journal: Journal) -> None:
        new["sale"] = await engine.sell_1voucher(3300)  # type: ignore[attr-defined]

    await fleet.sell("A", "T1", sell)
    status, out, err = till(config, capsys, "sync")
    assert status == 0, err
    assert out.splitlines()[0] == "sent 1 entry, 0 reprints, 0 Z reports to head office"
    (row,) = fleet.desk("A").search(amount=3300)
    assert row.reference == new["sale"].reference


def test_sync_follow_stops_on_sigterm(fleet: Fleet) -> None:
    config = write_config(fleet, terminal="T1", journal=fleet.journals[("A", "T1")])
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "--config", str(config), "sync", "--follow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the uploader's first status
        assert first.strip() == "HQ: up to date"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=HANG_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "till sync stopped"


# -- till central init / keygen ----------------------------------------------------------------


def test_central_init_makes_the_schema_and_a_store_login(
    central_db: CentralDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "till.toml"
    config.write_text(
        f'[till]\nstore_id = "C"\nterminal_id = "T1"\n[journal]\npath = "{tmp_path}/j"\n'
        f'[central]\ndsn = "{central_db.admin_dsn}"\n'
    )
    password = secret_file(tmp_path / "c.password", "store-c-password")
    status, out, err = till(config, capsys, "central", "init", "--store", "C", "--password-file",
                            str(password), "--months-ahead", "1")  # fmt: skip
    assert status == 0, err
    assert out.splitlines()[0].startswith("central schema version 1")
    assert "login ready: till_store_c" in out and "store-c-password" not in out + err
    with psycopg.connect(central_db.dsn(user="till_store_c", password="store-c-password")) as conn:
        row = conn.execute("SELECT till.current_store()").fetchone()
    assert row == ("C",)
    status, out, err = till(config, capsys, "central", "init")  # again: nothing to apply
    assert status == 0 and "already up to date" in out, err
    status, _, err = till(config, capsys, "central", "init", "--store", "D")
    assert status == 2 and "--password-file" in err
    status, _, err = till(config, capsys, "central", "init", "--store", "X" * 80,
                          "--password-file", str(password))  # fmt: skip
    assert status == 2 and "--store: store id must be" in err
    password.chmod(0o644)
    status, _, err = till(config, capsys, "central", "init", "--store", "C", "--password-file",
                        str(password))  # fmt: skip
    assert status == 2 and "chmod 600" in err


def test_central_keygen_writes_a_private_key_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "till.toml"
    config.write_text('[till]\nstore_id = "C"\nterminal_id = "T1"\n')
    key = tmp_path / "store.key"
    status, out, err = till(config, capsys, "central", "keygen", "--key-file", str(key))
    assert status == 0, err
    assert key.stat().st_mode & 0o777 == 0o600 and "keep a copy" in out
    assert key.read_text().strip() not in out
    status, _, err = till(config, capsys, "central", "keygen", "--key-file", str(key))
    assert status == 2 and "never overwritten" in err


def test_head_office_needs_no_till_config_with_dsn(
    central_db: CentralDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A head-office machine is no till: `--dsn` (password from PGPASSWORD) replaces [central]."""
    nothing = tmp_path / "absent.toml"  # no config file at all
    status, out, err = till(nothing, capsys, "central", "init", "--dsn", central_db.admin_dsn,
                            "--hq", "office", "--hq-password-file",
                            str(secret_file(tmp_path / "hq.password", "office-pw")))  # fmt: skip
    assert status == 0, err
    assert "login ready: office" in out
    hq_dsn = central_db.dsn(user="office", password=None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGPASSWORD", "office-pw")
        status, out, err = till(nothing, capsys, "hq", "report", "--dsn", hq_dsn,
                                "--from", "2026-01-01", "--to", "2026-01-31")  # fmt: skip
    assert status == 0, err
    assert out.startswith("Head office report, every store")
    status, _, err = till(nothing, capsys, "hq", "report", "--dsn", "host=h password=x",
                          "--from", "2026-01-01", "--to", "2026-01-31")  # fmt: skip
    assert status == 2 and "must not hold the password" in err and "password=x" not in err


async def test_desk_reprint_of_a_voided_sale_is_marked_reversed(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sale voided at its till reprints at the desk as REVERSED, never as a live voucher."""
    from till.sales import SaleEngine

    voided: dict[str, str] = {}

    async def sell_and_void(engine: SaleEngine, journal: Journal) -> None:
        sale = await engine.sell_1voucher(3000)
        void = await engine.reverse_sale(sale.reference, reason="wrong amount", approved_by="s1")
        assert void.status == "approved", void.message
        voided["sale"] = sale.reference

    await fleet.sell("A", "T3", sell_and_void)
    fleet.upload("A", "T3")
    config = write_config(fleet)
    status, _, err = till(config, capsys, "desk", "reprint", voided["sale"])
    assert status == 0, err
    printed = (fleet.tmp / "printer.bin").read_bytes()
    assert b"REVERSED" in printed and b"COPY 1" in printed
