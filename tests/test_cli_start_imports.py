"""What a one-shot command loads, in a fresh interpreter as the service desk runs it (issue 12,
start-up; `bench/cli_start.py` measures the time): each command imports what it uses, not
pydantic, httpx, Textual or python-escpos because another command needs them.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import till.flash
from till import clock
from till.cli import main
from till.commands import base
from till.commands.base import starting
from till.journal import Journal, NewEntry
from till.sandbox import Sandbox, running_sandbox

#: Runs `till.cli.main(argv)` and writes the names of the modules it loaded to a file (stdout
#: is the command's).
_PROBE = """
import json, sys
from till.cli import main
status = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"status": status, "modules": sorted(sys.modules)}, out)
"""


def loaded(tmp_path: Path, *argv: str) -> set[str]:
    """Every module `till ARGV` loaded in a fresh interpreter (which must exit 0)."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert report.is_file(), done.stderr
    result = json.loads(report.read_text())
    assert result["status"] == 0, (argv, done.stdout, done.stderr)
    return set(result["modules"])


def packages(modules: set[str], *names: str) -> set[str]:
    """Those of `names` (top-level packages or modules) that were loaded."""
    return {name for name in names if any(m == name or m.startswith(name + ".") for m in modules)}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Path]:
    """A config and a journal holding one approved 1Voucher sale and one decline."""
    journal = tmp_path / "j.sqlite3"
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[flash]\naccount_number = "SANDBOX01"\n[journal]\npath = "{journal}"\n'
        '[printer]\nkind = "none"\n'
    )
    answer = {"responseCode": 0, "amount": 5000, "voucher": {"pin": "1234567890123456"}}
    with Journal.open(journal) as j:
        for state in ("approved", "declined"):
            new = NewEntry(
                kind="1voucher.purchase",
                build_request=lambda ref: json.dumps({"reference": ref}).encode(),
                store_id="S1",
                terminal_id="T1",
                amount=5000,
            )
            entry = j.add(new, now=clock.now_ms())
            if state == "approved":
                j.settle(entry.reference, "approved", now=clock.now_ms(), response=answer)
            else:
                j.settle(entry.reference, "declined", now=clock.now_ms(), response_code=2204)
    yield config


def _references(config: Path, tmp_path: Path) -> dict[str, str]:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        return {e.state: e.reference for e in journal.search(limit=10)}


def test_journal_list_search_and_export_load_no_pydantic(desk: Path, tmp_path: Path) -> None:
    for argv in (
        ["journal", "list"],
        ["journal", "search", "--state", "approved", "--json"],
        ["journal", "export", "--csv", str(tmp_path / "out.csv")],
    ):
        modules = loaded(tmp_path, "--config", str(desk), *argv)
        assert packages(modules, "pydantic", "pydantic_settings", "httpx", "textual") == set()
        assert (
            packages(modules, "escpos", "receipts", "till.config.settings", "till.sandbox") == set()
        )
        # and no other area's commands: `till journal` builds the journal's parser alone
        areas = {m for m in modules if m.startswith("till.commands.")}
        assert areas == {"till.commands.base", "till.commands.journal", "till.commands.output"}


def test_journal_show_reads_the_answer_with_the_models_only(desk: Path, tmp_path: Path) -> None:
    """An approval's "what the customer got" is read with the typed Flash models (pydantic);
    nothing else of the Flash client, the config's validation or the screens is loaded."""
    refs = _references(desk, tmp_path)
    modules = loaded(tmp_path, "--config", str(desk), "journal", "show", refs["approved"])
    assert "till.flash.models" in modules
    assert (
        packages(modules, "httpx", "pydantic_settings", "till.config.settings", "till.flash.client")
        == set()
    )
    assert packages(modules, "textual", "escpos", "receipts", "till.sandbox") == set()
    modules = loaded(tmp_path, "--config", str(desk), "journal", "show", refs["declined"])
    assert packages(modules, "pydantic", "httpx") == set()


def test_a_config_the_quick_read_cannot_be_sure_of_is_validated(desk: Path, tmp_path: Path) -> None:
    desk.write_text(desk.read_text() + "[staff]\nidle_lock_seconds = 300.0\n")
    modules = loaded(tmp_path, "--config", str(desk), "journal", "list")
    assert "till.config.settings" in modules


def test_a_sale_loads_neither_the_screens_nor_the_sandbox_nor_escpos(
    desk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    with running_sandbox(Sandbox(seed=3)) as base_url:
        desk.write_text(
            desk.read_text().replace("[flash]\n", f'[flash]\nbase_url = "{base_url}"\n')
        )
        modules = loaded(
            tmp_path, "--config", str(desk), "sell", "1voucher", "--amount", "50", "--json"
        )
    assert packages(modules, "textual", "escpos", "till.sandbox", "till.slips", "uvicorn") == set()
    assert packages(modules, "receipts") == set()  # the config has no printer


def test_the_flash_package_loads_its_client_on_first_use(tmp_path: Path) -> None:
    probe = "import sys, till.flash.models, till.flash.errors; print('httpx' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"
    from till.flash.client import FlashClient
    from till.flash.errors import FlashError

    assert till.flash.FlashClient is FlashClient and till.flash.FlashError is FlashError
    assert {"FlashClient", "FlashInDoubt", "ENDPOINTS"} <= set(dir(till.flash))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        till.flash.Nope  # noqa: B018


def test_start_up_pauses_the_collector_and_freezes_only_in_the_till_program(
    desk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A test (or any program) calling `main` keeps its collector as it was, with nothing frozen:
    only the `till` program, which exits after its one command, freezes its start-up."""
    frozen = gc.get_freeze_count()
    assert main(["--config", str(desk), "journal", "list"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        with starting():
            assert not gc.isenabled()
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    monkeypatch.setattr(base._Process, "one_command", True)
    try:
        with starting():
            assert not gc.isenabled()
            made = [[] for _ in range(10)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()  # this process is the test suite's, not a one-command till
    capsys.readouterr()
