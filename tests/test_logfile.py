"""The till's log file: where it is, who may read it, what reaches it and what never does.

Every test reads real files: the log (its default place is the test's private XDG_STATE_HOME,
see the `till_log` fixture), its rotations, the preview receipt file and the CSV export.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from receipts import Document, PreviewPrinter, Text, open_printer
from tests.tui.harness import till_app, wait_for
from till import logfile
from till.cli import _screens_only, build_parser, main
from till.config import ConfigError, load_settings
from till.logfile import REDACTED, redact, reference_pattern

PIN = "1234567890123456"
TOKEN = "12345678901234567890"

log = logging.getLogger("till.test")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (files 0644): a 0600 file is the till's doing, not the umask's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def no_root_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root logger as in a real `till` process: without the suite's capture handler, a
    record no handler takes goes to Python's last resort, stderr, which capsys then sees."""
    monkeypatch.setattr(logging.getLogger(), "handlers", [])


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "till.toml"
    path.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n[training]\nenabled = true\n'
        f'[journal]\npath = "{tmp_path / "journal.sqlite3"}"\n' + extra
    )
    return path


def lines_with(path: Path, text: str) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if text in line]


# -- where, and who may read it ---------------------------------------------------------------


def test_the_default_file_is_in_the_user_log_directory_and_private(
    tmp_path: Path, till_log: Path, loose_umask: None
) -> None:
    assert till_log.parent == Path(os.environ["XDG_STATE_HOME"]) / "till" / "log"
    settings = load_settings(write_config(tmp_path))
    assert settings.log.resolved_path() == till_log
    assert logfile.open_log(settings) is None
    log.info("receipt for S1-T1-AB12-7 not printed: paper out")
    assert lines_with(till_log, "receipt for S1-T1-AB12-7 not printed: paper out")
    assert mode(till_log) == 0o600
    assert mode(till_log.parent) == 0o700


def test_path_and_level_from_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILL_LOG__LEVEL")
    settings = load_settings(write_config(tmp_path, f'[log]\npath = "{tmp_path / "a.log"}"\n'))
    assert (settings.log.resolved_path(), settings.log.level) == (tmp_path / "a.log", "info")
    monkeypatch.setenv("TILL_LOG__PATH", str(tmp_path / "b.log"))
    monkeypatch.setenv("TILL_LOG__LEVEL", "WARNING")
    settings = load_settings(write_config(tmp_path, f'[log]\npath = "{tmp_path / "a.log"}"\n'))
    assert (settings.log.resolved_path(), settings.log.level) == (tmp_path / "b.log", "warning")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[log]\nlevel = "loud"\n', "log.level"),
        ('[log]\npath = "/var/log/till/.."\n', "log.path: must name the log file"),
        ('[log]\ncolour = "red"\n', "log.colour: unknown key"),
    ],
)
def test_a_bad_log_section_is_a_config_error(
    tmp_path: Path, section: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILL_LOG__LEVEL")
    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, section))


def test_an_existing_loose_file_and_its_rotations_are_tightened_and_rotations_stay_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None
) -> None:
    path = tmp_path / "logs" / "till.log"
    path.parent.mkdir()
    for loose in (path, path.with_name("till.log.1")):
        loose.write_text("old line\n")
        loose.chmod(0o644)
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    settings = load_settings(write_config(tmp_path, f'[log]\npath = "{path}"\n'))
    assert logfile.open_log(settings) is None
    assert mode(path) == 0o600 and mode(path.with_name("till.log.1")) == 0o600
    for n in range(300):  # ~36 kB: more rollovers than the rotations kept
        log.info("line %d of a long day at the till, padded out to rotate %s", n, "." * 20)
    rotations = sorted(path.parent.iterdir())
    kept = [f"till.log{s}" for s in ("", *(f".{n}" for n in range(1, logfile.BACKUP_COUNT + 1)))]
    assert [p.name for p in rotations] == kept
    assert all(mode(p) == 0o600 for p in rotations)
    assert lines_with(path, "line 299 of a long day")


def test_a_file_that_cannot_be_written_is_reported_and_nothing_reaches_the_terminal(
    tmp_path: Path, no_root_handlers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings = load_settings(write_config(tmp_path, f'[log]\npath = "{blocker / "till.log"}"\n'))
    problem = logfile.open_log(settings)
    assert problem is not None and str(blocker / "till.log") in problem
    log.warning("receipt for S1-T1-AB12-7 not printed: paper out")
    assert capsys.readouterr().err == ""  # not Python's last-resort handler on stderr either


# -- what never reaches it --------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        PIN,
        "1234 5678 9012 3456",  # as the cashier reads it
        "1234-5678-9012-3456-7890",  # an STS token as printed
        TOKEN,
        "012345678901",  # a 12-digit Cash Out PIN
    ],
)
def test_pins_and_tokens_are_redacted(secret: str) -> None:
    assert redact(f"voucher {secret} issued") == f"voucher {REDACTED} issued"


def test_credentials_and_the_api_key_are_redacted() -> None:
    text = "headers {'Authorization': 'Bearer eyJh.bGci.OiJ'} then Basic c2VjcmV0 and k-live-77"
    cleaned = redact(text, ["k-live-77"])
    assert "eyJh" not in cleaned and "c2VjcmV0" not in cleaned and "k-live-77" not in cleaned
    assert "Bearer [redacted]" in cleaned and "Basic [redacted]" in cleaned


def test_this_tills_references_keep_their_digits_and_a_token_never_passes_for_one() -> None:
    keep = reference_pattern("1001", "0002")
    assert redact("receipt for 1001-0002-8421-125 not printed", keep=keep) == (
        "receipt for 1001-0002-8421-125 not printed"
    )
    token = "1001-0002-8421-1250-7777"  # begins like a reference; is a 20-digit token
    assert redact(f"token {token}", keep=keep) == f"token {REDACTED}"
    assert redact("1001-0002-8421-125") == REDACTED  # without the till's identity: redacted


def test_the_file_holds_no_secret_whatever_logs_it(
    tmp_path: Path, till_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "k-live-secret-77")
    monkeypatch.setenv("TILL_TRAINING__ENABLED", "false")
    monkeypatch.setenv("TILL_FLASH__ACCOUNT_NUMBER", "ACC1")
    assert logfile.open_log(load_settings(write_config(tmp_path))) is None
    logging.getLogger("httpx").warning("Authorization: Bearer abc.def.ghi for S1-T1-AB12-3")
    log.info("sold %s to %s with key %s", "S1-T1-AB12-3", PIN, "k-live-secret-77")
    try:
        raise ValueError(f"token {TOKEN} rejected")
    except ValueError:
        log.exception("resolver pass failed")
    text = till_log.read_text(encoding="utf-8")
    for secret in (PIN, TOKEN, "k-live-secret-77", "abc.def.ghi"):
        assert secret not in text
    assert text.count("S1-T1-AB12-3") == 2 and "ValueError: token [redacted] rejected" in text


# -- the `till` command: level, the terminal, the one-shot commands ----------------------------


def test_log_level_is_an_option_for_the_screens_and_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _screens_only(["--log-level", "DEBUG", "demo"]) == (None, True, "debug")
    assert _screens_only(["--log-level=warning"]) == (None, False, "warning")
    assert _screens_only(["--log-level", "loud"]) is None  # argparse says what is wrong
    assert main(["--log-level", "loud", "journal"]) == 2
    assert "--log-level" in capsys.readouterr().err
    parser = build_parser()
    assert parser.parse_args(["journal", "list"]).log_level is None
    assert parser.parse_args(["--log-level", "ERROR", "journal", "list"]).log_level == "error"
    after = ["journal", "show", "S1-T1-AB12-1", "--log-level", "debug"]  # nested subcommand
    assert parser.parse_args(after).log_level == "debug"
    sale = ["sell", "1voucher", "--amount", "50", "--log-level=INFO"]
    assert parser.parse_args(sale).log_level == "info"


def test_a_one_shot_command_logs_its_sale_to_the_file_and_nothing_to_stderr(
    till_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--script"]) == 0  # TILL_LOG__LEVEL=debug (conftest)
    out, err = capsys.readouterr()
    assert err == ""
    reference = next(line.split()[-1] for line in out.splitlines() if "reference" in line)
    assert lines_with(till_log, f"receipt for {reference} printed on preview")
    assert lines_with(till_log, f" DEBUG till.flash [{os.getpid()}]")
    pin = next(line.split(None, 1)[1] for line in out.splitlines() if line.strip()[:3] == "PIN")
    assert (
        pin.strip() not in till_log.read_text() and pin.replace(" ", "") not in till_log.read_text()
    )
    assert mode(till_log) == 0o600


def test_log_level_on_the_command_line_beats_the_config(
    till_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--script", "--log-level", "warning"]) == 0
    assert capsys.readouterr().err == ""
    assert not lines_with(till_log, " DEBUG ") and not lines_with(till_log, " INFO ")


def test_records_before_the_config_is_validated_wait_for_the_file(
    tmp_path: Path, till_log: Path, no_root_handlers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logfile.begin("info")  # what `till` does first
    log.warning("held until the file opens")
    log.debug("below the level asked for")
    assert capsys.readouterr().err == "" and not till_log.exists()
    load_settings(write_config(tmp_path))  # the command's own settings open the file
    (line,) = lines_with(till_log, "held until the file opens")
    assert " WARNING till.test " in line
    assert not lines_with(till_log, "below the level")
    log.info("and after it")
    assert lines_with(till_log, "and after it") and capsys.readouterr().err == ""


def test_a_print_failure_in_a_real_till_process_goes_to_the_file_not_stderr(
    tmp_path: Path, till_log: Path
) -> None:
    """Before the log file, this warning went to stderr through Python's last resort."""
    config = write_config(tmp_path, f'[printer]\nkind = "file"\ndevice = "{tmp_path}"\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "till",
            "--config",
            str(config),
            "sell",
            "1voucher",
            "--amount",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    reference = next(line.split()[-1] for line in result.stdout.splitlines() if "reference" in line)
    (line,) = lines_with(till_log, f"receipt for {reference} not printed")
    assert " WARNING till.printing " in line and "Is a directory" in line


def test_a_log_file_the_command_cannot_write_is_one_warning_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TILL_LOG__PATH", str(tmp_path / "file" / "till.log"))
    (tmp_path / "file").write_text("")
    assert main(["--config", str(write_config(tmp_path)), "demo", "--script"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("till: warning: the log file")


# -- the screens ------------------------------------------------------------------------------


async def test_the_screens_log_a_receipt_not_printed_with_its_reference(
    tmp_path: Path, till_log: Path
) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        till.jam_printer()
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: till.journal.search())
        (entry,) = till.journal.search()
        line = f"receipt for {entry.reference} not printed: printer: paper jam"
        await wait_for(pilot, lambda: lines_with(till_log, line))
    pin = till.sandbox.sales_for(entry.reference)[0].pin
    assert pin and not lines_with(till_log, pin)


async def test_the_screens_log_a_failed_resolver_pass(tmp_path: Path, till_log: Path) -> None:
    async with till_app(tmp_path) as till:
        engine = till.app.engine
        resolve = engine.resolve
        failures: list[int] = []

        async def failing_once() -> object:
            if not failures:
                failures.append(1)
                raise RuntimeError("journal is locked")
            return await resolve()

        engine.resolve = failing_once  # type: ignore[method-assign]
        async with till.app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: lines_with(till_log, "resolver pass failed"))
            await wait_for(pilot, lambda: lines_with(till_log, "RuntimeError: journal is locked"))
    (line,) = lines_with(till_log, "resolver pass failed")
    assert " ERROR till.sales " in line


# -- every file that holds a PIN is 0600 ------------------------------------------------------


def test_the_preview_receipt_file_is_private(tmp_path: Path, loose_umask: None) -> None:
    fresh, loose = tmp_path / "fresh.txt", tmp_path / "loose.txt"
    loose.write_text("an earlier receipt\n")
    loose.chmod(0o644)
    for path in (fresh, loose):
        PreviewPrinter(path=path).print(Document.of(Text(f"PIN {PIN}")))
        assert mode(path) == 0o600 and PIN in path.read_text()


def test_a_file_printer_on_a_plain_file_is_private(tmp_path: Path, loose_umask: None) -> None:
    fresh, loose = tmp_path / "fresh.bin", tmp_path / "loose.bin"
    loose.write_bytes(b"")
    loose.chmod(0o666)
    for path in (fresh, loose):
        open_printer("file", device=str(path)).print(Document.of(Text(f"PIN {PIN}")))
        assert mode(path) == 0o600 and PIN.encode() in path.read_bytes()


def test_the_csv_export_is_private(
    tmp_path: Path, loose_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "demo", "--script"]) == 0  # a sale to export
    fresh, loose = tmp_path / "fresh.csv", tmp_path / "loose.csv"
    loose.write_text("old export\n")
    loose.chmod(0o644)
    for path in (fresh, loose):
        assert main(["--config", str(config), "journal", "export", "--csv", str(path)]) == 0
        rows = path.read_text().splitlines()
        assert mode(path) == 0o600 and len(rows) == 2 and ",S1-T1-" in rows[1]
