"""`till users`, `till shift` and `till report` end to end, PINs fed on stdin as a script would."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from till.cli import main
from till.clock import now_ms
from till.journal import Journal, NewEntry
from till.reports import ReportBook
from till.staff import UserStore

MANAGER_PIN = "24682468"
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Staff:
    tmp: Path
    config: Path
    journal_path: Path
    users_path: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str, pins: str = "") -> tuple[int, str, str]:
        """`till --config ... ARGS` with `pins` on stdin (one a line), as with --pin-stdin."""
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(pins))
        status = main(["--config", str(self.config), *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def entry(
        self, kind: str, amount: int, cashier: str, *, settle: bool = True, training: bool = False
    ) -> str:
        """A real journal entry a moment ago: approved, or left open (in doubt)."""
        path = self.journal_path
        if training:
            path = path.with_name(f"{path.stem}-training{path.suffix}")
        with Journal.open(path) as journal:
            new = journal.add(
                NewEntry(kind=kind, build_request=lambda ref: b"{}", store_id="S1",
                         terminal_id="T1", amount=amount, cashier=cashier, training=training),
                now=now_ms(),
            )  # fmt: skip
            if settle:
                journal.settle(new.reference, "approved", now=now_ms())
        while now_ms() <= new.created_at:  # a report made next is a later millisecond
            time.sleep(0.001)  # (periods are [from, to)): wait for the clock, not a guess
        return new.reference


def write_config(tmp: Path, *, training: bool = False, printer: str = "preview") -> Path:
    config = tmp / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\nstore_name = "Corner Shop"\n'
        f'[journal]\npath = "{tmp / "j.sqlite3"}"\n'
        f'[printer]\nkind = "{printer}"\n'
        f"[training]\nenabled = {'true' if training else 'false'}\n"
    )
    return config


@pytest.fixture
def staff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Staff:
    monkeypatch.delenv("TILL_FLASH__API_KEY", raising=False)  # none of this needs Flash
    return Staff(
        tmp_path,
        write_config(tmp_path),
        tmp_path / "j.sqlite3",
        tmp_path / "users.sqlite3",
        monkeypatch,
        capsys,
    )


@pytest.fixture
def crew(staff: Staff) -> Staff:
    """A manager, a supervisor and two cashiers."""
    pins = f"{MANAGER_PIN}\n{MANAGER_PIN}\n"
    assert (
        staff.run("users", "add", "boss", "--name", "Big Boss", "--role", "manager", pins=pins)[0]
        == 0
    )
    for user_id, name, role, pin in (
        ("sup", "Sue", "supervisor", "5555"),
        ("c1", "Cash One", "cashier", "1111"),
        ("c2", "Cash Two", "cashier", "2222"),
    ):
        status, _, err = staff.run(
            "users", "add", user_id, "--name", name, "--role", role, "--as", "boss",
            pins=f"{MANAGER_PIN}\n{pin}\n{pin}\n",
        )  # fmt: skip
        assert status == 0, err
    return staff


# -- till users -------------------------------------------------------------------------------


def test_first_manager_needs_no_sign_in_then_every_change_does(staff: Staff) -> None:
    status, out, err = staff.run(
        "users", "add", "c1", "--name", "Cash One", "--role", "cashier", pins="1111\n1111\n"
    )
    assert status == 1 and "no manager yet" in err
    with UserStore(staff.users_path) as users:
        assert not users.list()
    status, out, _ = staff.run(
        "users", "add", "boss", "--name", "Big Boss", "--role", "manager",
        pins=f"{MANAGER_PIN}\n{MANAGER_PIN}\n",
    )  # fmt: skip
    assert status == 0
    assert "No manager yet: adding the first manager without sign-in" in out
    assert "added manager boss (Big Boss)" in out
    assert stat.S_IMODE(staff.users_path.stat().st_mode) == 0o600
    assert MANAGER_PIN.encode() not in staff.users_path.read_bytes()
    # now there is a manager: no more unauthenticated adds
    status, _, err = staff.run(
        "users", "add", "boss2", "--name", "Sneaky", "--role", "manager", pins="1234\n1234\n"
    )
    assert status == 2 and "--as ID" in err
    status, out, _ = staff.run(
        "users", "add", "c1", "--name", "Cash One", "--role", "cashier", "--as", "boss",
        "--pin-stdin", pins=f"{MANAGER_PIN}\n1111\n1111\n",
    )  # fmt: skip
    assert status == 0 and "added cashier c1 (Cash One), by boss" in out


def test_users_list_never_shows_hashes(crew: Staff) -> None:
    status, out, _ = crew.run("users", "list")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "role", "active", "locked", "until"]
    assert [line.split()[0] for line in lines[1:]] == ["boss", "c1", "c2", "sup"]
    assert "Cash One" in out and "supervisor" in out
    assert "salt" not in out and "hash" not in out and "$" not in out


def test_a_cashier_or_supervisor_cannot_manage_users(crew: Staff) -> None:
    for who, pin in (("c1", "1111"), ("sup", "5555")):
        status, _, err = crew.run(
            "users", "add", "c9", "--name", "Nine", "--role", "cashier", "--as", who,
            pins=f"{pin}\n9999\n9999\n",
        )  # fmt: skip
        assert status == 1 and "a manager must approve" in err
        status, _, err = crew.run("users", "disable", "c2", "--as", who, pins=f"{pin}\n")
        assert status == 1
    with UserStore(crew.users_path) as users:
        assert users.get("c9") is None
        c2 = users.get("c2")
    assert c2 is not None and c2.active


def test_wrong_pins_lock_and_set_pin_unlocks(crew: Staff) -> None:
    for _ in range(2):
        status, _, err = crew.run(
            "shift", "open", "--cashier", "c1", "--float", "100", pins="0000\n"
        )
        assert status == 1 and "wrong PIN" in err
    status, _, err = crew.run("shift", "open", "--cashier", "c1", "--float", "100", pins="0000\n")
    assert status == 1 and "locked out" in err
    status, _, err = crew.run("shift", "open", "--cashier", "c1", "--float", "100", pins="1111\n")
    assert status == 1 and "locked for 15 more minute(s)" in err
    status, out, _ = crew.run("users", "list")
    c1_line = next(line for line in out.splitlines() if line.startswith("c1 "))
    assert c1_line.split()[-1] != "-"  # locked until a time
    status, out, _ = crew.run(
        "users", "set-pin", "c1", "--as", "boss", pins=f"{MANAGER_PIN}\n4321\n4321\n"
    )
    assert status == 0 and "lockout cleared" in out
    status, out, _ = crew.run("shift", "open", "--cashier", "c1", "--float", "100", pins="4321\n")
    assert status == 0, out


def test_set_pin_must_match_and_be_digits(crew: Staff) -> None:
    status, _, err = crew.run(
        "users", "set-pin", "c1", "--as", "boss", pins=f"{MANAGER_PIN}\n4321\n4322\n"
    )
    assert status == 2 and "differ" in err
    status, _, err = crew.run(
        "users", "set-pin", "c1", "--as", "boss", pins=f"{MANAGER_PIN}\n12\n12\n"
    )
    assert status == 1 and "4 to 8 digits" in err
    status, _, err = crew.run("users", "set-pin", "c1", "--as", "boss", pins=f"{MANAGER_PIN}\n")
    assert status == 2 and "no PIN on stdin" in err
    assert crew.run("shift", "open", "--cashier", "c1", "--float", "0", pins="1111\n")[0] == 0


def test_disable_and_enable(crew: Staff) -> None:
    status, out, _ = crew.run("users", "disable", "c2", "--as", "boss", pins=f"{MANAGER_PIN}\n")
    assert status == 0 and "disabled c2" in out
    status, _, err = crew.run("shift", "open", "--cashier", "c2", "--float", "100", pins="2222\n")
    assert status == 1 and "disabled" in err
    assert "no" in next(ln for ln in crew.run("users", "list")[1].splitlines() if ln[:3] == "c2 ")
    status, _, err = crew.run("users", "disable", "boss", "--as", "boss", pins=f"{MANAGER_PIN}\n")
    assert status == 1 and "last active manager" in err
    status, out, _ = crew.run("users", "enable", "c2", "--as", "boss", pins=f"{MANAGER_PIN}\n")
    assert status == 0 and "enabled c2" in out
    assert crew.run("shift", "open", "--cashier", "c2", "--float", "100", pins="2222\n")[0] == 0


def test_pins_are_never_arguments(crew: Staff) -> None:
    for args in (
        ["users", "add", "c9", "--name", "N", "--role", "cashier", "--pin", "1234"],
        ["shift", "open", "--cashier", "c1", "--float", "1", "--pin", "1111"],
    ):
        crew.capsys.readouterr()
        assert main(["--config", str(crew.config), *args]) == 2


def test_pin_from_a_pipe_in_a_real_process(crew: Staff) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "till", "--config", str(crew.config), "shift", "open",
         "--cashier", "c2", "--float", "250"],
        input="2222\n", capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "float R 250.00" in result.stdout


# -- till shift -------------------------------------------------------------------------------


def test_shift_open_and_close_prints_the_difference(crew: Staff) -> None:
    status, out, err = crew.run("shift", "open", "--cashier", "c1", "--float", "500", pins="1111\n")
    assert status == 0, err
    assert "open for c1 (Cash One), float R 500.00" in out
    status, _, err = crew.run("shift", "open", "--cashier", "c1", "--float", "500", pins="1111\n")
    assert status == 1 and "already has an open shift" in err
    crew.entry("1voucher.purchase", 10_000, "c1")
    crew.entry("gift-voucher.purchase", 5_000, "c1")
    crew.entry("1voucher.redeem", 2_000, "c1")
    crew.entry("1voucher.purchase", 7_500, "c1", settle=False)  # in doubt: the customer paid
    crew.entry("1voucher.purchase", 99_900, "c1", training=True)  # never counts
    crew.entry("1voucher.purchase", 3_000, "c2")  # another cashier's
    status, _, err = crew.run(
        "shift", "close", "--cashier", "c1", "--counted", "R 700", pins="0000\n"
    )
    assert status == 1 and "wrong PIN" in err
    status, out, err = crew.run(
        "shift", "close", "--cashier", "c1", "--counted", "700", pins="1111\n"
    )
    assert status == 0, err
    assert "closed by c1" in out
    values = {
        line.rsplit("  ", 1)[0].strip(): line.rsplit("  ", 1)[1] for line in out.splitlines()[1:]
    }
    assert values == {
        "float": "R 500.00",
        "cash in": "R 150.00",
        "in doubt": "R 75.00",
        "paid out": "-R 20.00",
        "expected": "R 705.00",
        "counted": "R 700.00",
        "difference": "-R 5.00",
    }
    status, _, err = crew.run(
        "shift", "close", "--cashier", "c1", "--counted", "700", pins="1111\n"
    )
    assert status == 1 and "no open shift" in err


def test_a_supervisor_closes_for_a_cashier_but_another_cashier_cannot(crew: Staff) -> None:
    assert crew.run("shift", "open", "--cashier", "c1", "--float", "100", pins="1111\n")[0] == 0
    status, _, err = crew.run(
        "shift", "close", "--cashier", "c1", "--as", "c2", "--counted", "100", pins="2222\n"
    )
    assert status == 1 and "a supervisor must approve" in err
    status, _, err = crew.run(
        "shift", "close", "--cashier", "c1", "--counted", "1O0", pins="1111\n"
    )
    assert status == 2 and "--counted" in err
    status, out, err = crew.run(
        "shift", "close", "--cashier", "c1", "--as", "sup", "--counted", "100.50", pins="5555\n"
    )
    assert status == 0, err
    assert "closed by sup" in out and "R 0.50" in out
    with Journal.open(crew.journal_path) as journal:
        (shift,) = ReportBook(journal).shifts_in(0, now_ms() + 1)
    assert shift.closed_by == "sup" and shift.counted_cash == 10_050


# -- till report ------------------------------------------------------------------------------


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_report_x_z_and_show(crew: Staff, tmp_path: Path) -> None:
    assert crew.run("shift", "open", "--cashier", "c1", "--float", "200", pins="1111\n")[0] == 0
    crew.entry("1voucher.purchase", 10_000, "c1")
    crew.entry("cellular.pinless.purchase", 2_900, "c1")
    crew.entry("1voucher.purchase", 55_500, "c1", training=True)

    x_csv = tmp_path / "x.csv"
    status, out, err = crew.run("report", "x", "--csv", str(x_csv))
    assert status == 0, err
    assert "X REPORT (running totals)" in out and "Corner Shop" in out
    assert "R 100.00" in out and "R 29.00" in out and "R 555.00" not in out
    assert "Expected" in out and "R 329.00" in out
    rows = _csv_rows(x_csv)
    assert sum(int(r["cents"]) for r in rows if r["section"] == "product") == 12_900
    assert crew.run("report", "x")[0] == 0  # as often as you like: X changes nothing
    with Journal.open(crew.journal_path) as journal:
        assert journal.read("SELECT COUNT(*) FROM z_reports") == [(0,)]

    status, _, err = crew.run("report", "z", "--as", "c1", pins="1111\n")
    assert status == 1 and "a supervisor must approve" in err
    z_csv = tmp_path / "z.csv"
    status, out, err = crew.run("report", "z", "--as", "sup", "--csv", str(z_csv), pins="5555\n")
    assert status == 0, err
    assert "Z REPORT No 1" in out and "COPY" not in out and "Z report 1 closed by sup" in out
    assert {r["number"] for r in _csv_rows(z_csv)} == {"1"}
    assert {r["report"] for r in _csv_rows(z_csv)} == {"Z"}

    crew.entry("1voucher.purchase", 4_000, "c1")
    status, out, _ = crew.run("report", "z", "--as", "boss", pins=f"{MANAGER_PIN}\n")
    assert status == 0 and "Z REPORT No 2" in out and "R 40.00" in out and "R 100.00" not in out

    show_csv = tmp_path / "show.csv"
    status, out, err = crew.run("report", "show", "1", "--csv", str(show_csv))
    assert status == 0, err
    assert out.count("COPY 1") == 2 and "Z REPORT No 1" in out
    assert show_csv.read_text() == z_csv.read_text()
    assert crew.run("report", "show", "1")[1].count("COPY 2") == 2
    status, _, err = crew.run("report", "show", "7")
    assert status == 1 and "no Z report number 7" in err
    for line in out.splitlines():
        assert len(line) <= 42 or line.startswith("CSV written to ")


def test_z_refused_while_in_doubt_and_overridden_by_a_manager(crew: Staff) -> None:
    crew.entry("1voucher.purchase", 10_000, "c1")
    crew.entry("1voucher.purchase", 7_500, "c2", settle=False)
    status, out, err = crew.run("report", "z", "--as", "sup", pins="5555\n")
    assert status == 1
    assert "Z report refused: 1 transaction(s) are still in doubt" in err and out == ""
    status, _, err = crew.run("report", "z", "--as", "sup", "--override", pins="5555\n")
    assert status == 1 and "only a manager may override" in err
    with Journal.open(crew.journal_path) as journal:
        assert journal.read("SELECT COUNT(*) FROM z_reports") == [(0,)]
    status, out, err = crew.run(
        "report", "z", "--as", "boss", "--override", pins=f"{MANAGER_PIN}\n"
    )
    assert status == 0, err
    assert "1 open transaction(s) overridden by manager boss" in out
    assert "IN DOUBT x1" in out and "Open entries overridden by" in out
    with Journal.open(crew.journal_path) as journal:
        assert journal.read("SELECT number, created_by, override_by FROM z_reports") == [
            (1, "boss", "boss")
        ]


def test_override_is_not_recorded_when_nothing_is_open(crew: Staff) -> None:
    crew.entry("1voucher.purchase", 10_000, "c1")
    status, _, err = crew.run("report", "z", "--as", "boss", "--override", pins=f"{MANAGER_PIN}\n")
    assert status == 0, err
    with Journal.open(crew.journal_path) as journal:
        assert journal.read("SELECT override_by FROM z_reports") == [(None,)]


def test_reports_in_training_mode_cover_live_sales_only(crew: Staff) -> None:
    crew.entry("1voucher.purchase", 10_000, "c1")
    crew.entry("1voucher.purchase", 55_500, "c1", training=True)
    crew.config = write_config(crew.tmp, training=True)
    status, out, _ = crew.run("report", "x")
    assert status == 0
    assert "reports and shifts cover live sales only" in out
    assert "R 100.00" in out and "R 555.00" not in out


def test_no_printer_still_shows_the_report_and_never_counts_a_print(crew: Staff) -> None:
    crew.config = write_config(crew.tmp, printer="none")
    crew.entry("1voucher.purchase", 10_000, "c1")
    assert crew.run("report", "z", "--as", "sup", pins="5555\n")[0] == 0
    status, out, _ = crew.run("report", "show", "1")
    assert status == 0 and "Z REPORT No 1" in out and "COPY" not in out
