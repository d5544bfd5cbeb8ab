"""A broken machine: the journal deleted, replaced, damaged, read-only, on a full disk, or a
directory. Each is made for real (real files, real permissions, a real full filesystem): the
till says what happened, which file and what to do, with the fault's own exit status, sends
nothing to Flash, never overwrites or recreates the file, and leaves the journal consistent.

Root ignores permission bits, so when the tests run as root a read-only journal is a read-only
bind mount, and a full disk a tiny tmpfs; where mounting is not allowed those tests skip.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_cli_sales import Till, write_config
from till.commands.base import (
    EXIT_JOURNAL_CORRUPT,
    EXIT_JOURNAL_FULL,
    EXIT_JOURNAL_GONE,
    EXIT_JOURNAL_NOT_A_FILE,
    EXIT_JOURNAL_READ_ONLY,
    EXIT_JOURNAL_TOO_NEW,
    EXIT_OK,
)
from till.flash import FlashClient
from till.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalCorrupt,
    JournalFull,
    JournalGone,
    JournalMissing,
    JournalNotAFile,
    JournalReadOnly,
    NewEntry,
)
from till.sales import EngineHooks, SaleEngine
from till.sandbox import Sandbox, running_sandbox

# -- making the faults ------------------------------------------------------------------------


MOUNT, UMOUNT = shutil.which("mount"), shutil.which("umount")


def _mount(*args: str) -> None:
    if MOUNT is None or UMOUNT is None:
        pytest.skip("no mount command here")
    result = subprocess.run([MOUNT, *args], capture_output=True, text=True, check=False)
    if result.returncode:
        pytest.skip(f"cannot mount here ({result.stderr.strip()})")


def _umount(*args: str) -> None:
    assert UMOUNT is not None
    subprocess.run([UMOUNT, *args], check=True)


@contextlib.contextmanager
def read_only(target: Path) -> Iterator[None]:
    """`target`, a file or a directory, read-only for real: a read-only bind mount as root
    (which ignores permission bits), its permission bits otherwise."""
    if os.geteuid() != 0:
        mode = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            target.chmod(mode)
        return
    _mount("--bind", str(target), str(target))
    try:
        _mount("-o", "remount,bind,ro", str(target))
        yield
    finally:
        _umount(str(target))


@contextlib.contextmanager
def tiny_disk(directory: Path, kib: int = 2048) -> Iterator[Path]:
    """A real filesystem of `kib` KiB at `directory` (tmpfs), to fill up."""
    directory.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a tmpfs mount (root)")
    _mount("-t", "tmpfs", "-o", f"size={kib}k,mode=0700", "tmpfs", str(directory))
    try:
        yield directory
    finally:
        _umount("-l", str(directory))


def fill(directory: Path) -> Path:
    """Write a file until the filesystem says it is full; remove it to free the space."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def body(reference: str) -> bytes:
    return json.dumps({"reference": reference, "amount": 5000}, separators=(",", ":")).encode()


def new() -> NewEntry:
    return NewEntry(
        kind="1voucher.purchase", build_request=body, store_id="S1", terminal_id="T1", amount=5000
    )


def filled(path: Path, entries: int = 3000) -> None:
    """A closed journal of the till's own making with `entries` approved sales in it (bulk
    insert: setup, not what is tested), checkpointed so its header's page count is exact."""
    with Journal.open(path) as journal:
        epoch = journal.epoch
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO entries (reference, kind, state, request, response, amount, store_id, "
        "terminal_id, created_at, mobile_number) VALUES (?, '1voucher.purchase', 'approved', "
        "?, ?, 5000, 'S1', 'T1', ?, ?)",
        (
            (
                f"S1-T1-{epoch}-{i}",
                body(f"S1-T1-{epoch}-{i}"),
                json.dumps({"voucher": {"pin": f"{i:016d}"}, "padding": "x" * 400}),
                i,
                f"278{i:08d}",
            )
            for i in range(1, entries + 1)
        ),
    )
    conn.execute("UPDATE sequence SET next = ?", (entries + 1,))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def page_size(path: Path) -> int:
    size = struct.unpack(">H", path.read_bytes()[16:18])[0]
    return 65536 if size == 1 else size


def middle_leaf(path: Path) -> int:
    """The number of a table leaf page in the middle of the file: not on the path a new
    entry is written to (that is the last leaf), so only a read of every page finds it."""
    data = path.read_bytes()
    size = page_size(path)
    pages = len(data) // size
    for number in range(pages * 3 // 10, pages * 6 // 10):
        if data[(number - 1) * size] == 0x0D:  # b-tree table leaf
            return number
    raise AssertionError("no table leaf page in the middle of the journal")


def spoil_page(path: Path, number: int) -> None:
    size = page_size(path)
    with open(path, "r+b") as f:
        f.seek((number - 1) * size)
        f.write(bytes((i * 37 + 11) % 256 for i in range(size)))


def quick_check(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        conn.close()


# -- the file is made once, whole --------------------------------------------------------------


def test_a_new_journal_is_made_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "till" / "journal.sqlite3"
    with Journal.open(path) as journal:
        assert journal.add(new(), now=1).state == "pending"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["journal.sqlite3"]  # no temporary left
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL from its first byte on disk


def test_a_command_that_only_reads_never_makes_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here" / "journal.sqlite3"
    with pytest.raises(JournalMissing, match="does not exist") as caught:
        Journal.open(path, create=False)
    assert str(path) in str(caught.value)
    assert not path.parent.exists()


# -- deleted or replaced while open -------------------------------------------------------------


def test_journal_directory_deleted_before_settling_names_the_sale(tmp_path: Path) -> None:
    directory = tmp_path / "till"
    journal = Journal.open(directory / "journal.sqlite3")
    try:
        entry = journal.add(new(), now=1)
        shutil.rmtree(directory)
        with pytest.raises(JournalGone) as caught:
            journal.settle(entry.reference, "approved", now=2, response={"ok": 1})
        message = str(caught.value)
        assert "\n" not in message
        assert str(directory / "journal.sqlite3") in message
        assert f"the answer for {entry.reference} was not recorded" in message
        assert "restore the journal" in message
        # The till goes on refusing, loudly, and makes no new journal behind anyone's back.
        with pytest.raises(JournalGone):
            journal.add(new(), now=3)
        with pytest.raises(JournalGone):
            journal.get(entry.reference)
        assert not directory.exists()
    finally:
        journal.close()


def test_a_journal_replaced_under_the_till_is_refused_and_both_files_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)
    try:
        first = journal.add(new(), now=1)
        for suffix in ("", "-wal", "-shm"):  # moved aside whole, with its log
            os.rename(f"{path}{suffix}", f"{tmp_path / 'moved.sqlite3'}{suffix}")
        Journal.open(path).close()  # and someone starts a fresh journal at the path
        with pytest.raises(JournalGone, match="another file is at its path now"):
            journal.add(new(), now=2)
    finally:
        journal.close()
    with Journal.open(tmp_path / "moved.sqlite3") as moved:
        assert [e.reference for e in moved.search()] == [first.reference]
    with Journal.open(path) as fresh:
        assert fresh.search() == []


def test_no_new_journal_over_the_log_of_one_that_was_moved(tmp_path: Path) -> None:
    """Moving the journal file alone leaves its -wal (holding its newest entries) behind: a
    journal started there would take that log for its own."""
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)
    try:
        journal.add(new(), now=1)
        os.rename(path, tmp_path / "moved.sqlite3")
        with pytest.raises(JournalGone, match=r"journal\.sqlite3-wal"):
            Journal.open(path)
        assert not path.exists()
        with pytest.raises(JournalGone):
            journal.add(new(), now=2)
    finally:
        journal.close()


@dataclass
class Counting:
    """A sandbox and every transaction request that reached it."""

    sandbox: Sandbox
    seen: list[str]


@pytest.fixture
def counting(sandbox: Sandbox) -> Counting:
    seen: list[str] = []
    sandbox.on_request = lambda path, raw: seen.append(path)
    return Counting(sandbox, seen)


async def test_journal_deleted_while_the_sale_is_at_flash_is_never_approved(
    tmp_path: Path, client: FlashClient, counting: Counting
) -> None:
    directory = tmp_path / "till"
    journal = Journal.open(directory / "journal.sqlite3")
    hooks = EngineHooks(answered=lambda entry: shutil.rmtree(directory))
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", hooks=hooks)
    try:
        with pytest.raises(JournalGone) as caught:
            await engine.sell_1voucher(5000)
        (sale,) = counting.sandbox.ledger  # Flash sold it: the message must say so
        assert f"the answer for {sale.reference} was not recorded" in str(caught.value)
        assert not directory.exists()  # no fresh journal was started
        with pytest.raises(JournalGone):  # and nothing more is sold
            await engine.sell_1voucher(5000)
        assert len(counting.seen) == 1 and len(counting.sandbox.ledger) == 1
    finally:
        journal.close()


async def test_journal_deleted_before_a_sale_sends_nothing(
    tmp_path: Path, client: FlashClient, counting: Counting
) -> None:
    directory = tmp_path / "till"
    journal = Journal.open(directory / "journal.sqlite3")
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
    try:
        shutil.rmtree(directory)
        with pytest.raises(JournalGone, match="deleted, moved or replaced"):
            await engine.sell_1voucher(5000)
        assert counting.seen == [] and not directory.exists()
    finally:
        journal.close()


# -- damaged files: refused at open, never overwritten ----------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path) -> None:
    path.write_text("store: S1\nthis is not a journal\n" * 40)


def _garbage_header(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(bytes(range(7, 107)))


def _cut_mid_page(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2 + 1000)


def _cut_at_a_page(path: Path) -> None:
    size = page_size(path)
    os.truncate(path, (path.stat().st_size // size // 2) * size)


def _foreign_database(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_empty, "the file is empty"),
        (_text, "does not start with an SQLite header"),
        (_garbage_header, "does not start with an SQLite header"),
        (_cut_mid_page, "not a whole number of pages"),
        (_cut_at_a_page, "it is cut short"),
        (_foreign_database, "another program"),
    ],
)
def test_a_damaged_journal_is_refused_at_open_and_left_as_it_is(
    tmp_path: Path, damage: object, words: str
) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path, entries=300)
    damage(path)  # type: ignore[operator]
    before = digest(path)
    with pytest.raises(JournalCorrupt) as caught:
        Journal.open(path)
    message = str(caught.value)
    assert words in message and str(path) in message and "\n" not in message
    assert "keep a copy" in message
    assert digest(path) == before


def test_garbage_in_the_middle_is_found_by_the_full_check(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path)
    spoil_page(path, middle_leaf(path))
    before = digest(path)
    with Journal.open(path) as journal:  # the quick check on every open cannot see it
        assert journal.count_open() == 0
    with pytest.raises(JournalCorrupt, match="quick_check"):
        Journal.open(path, check="full")
    assert digest(path) == before


def test_the_background_check_stops_the_till_selling(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path)
    spoil_page(path, middle_leaf(path))
    journal = Journal.open(path)
    try:
        journal.check_in_background()
        fault = journal.checked(timeout=60)
        assert isinstance(fault, JournalCorrupt) and journal.fault is fault
        with pytest.raises(JournalCorrupt):
            journal.add(new(), now=1)
    finally:
        journal.close()


def test_a_sound_journal_passes_the_background_check(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path, entries=500)
    with Journal.open(path) as journal:
        journal.check_in_background()
        assert journal.checked(timeout=60) is None
        assert journal.add(new(), now=1).reference.endswith("-501")


def test_a_directory_is_not_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalNotAFile, match="it is a directory"):
        Journal.open(tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- read-only and full -----------------------------------------------------------------------


def test_a_read_only_journal_file_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path, entries=50)
    before = digest(path)
    with read_only(path), pytest.raises(JournalReadOnly, match="the file is read-only"):
        Journal.open(path)
    assert digest(path) == before


def test_a_read_only_directory_is_refused_unchanged(tmp_path: Path) -> None:
    directory = tmp_path / "till"
    directory.mkdir()
    path = directory / "journal.sqlite3"
    filled(path, entries=50)
    before = digest(path)
    with read_only(directory):
        with pytest.raises(JournalReadOnly, match="is read-only"):
            Journal.open(path)
        with pytest.raises(JournalReadOnly):  # nor can a new one be made there
            Journal.open(directory / "other.sqlite3")
    assert digest(path) == before
    assert sorted(p.name for p in directory.iterdir()) == ["journal.sqlite3"]


def test_a_full_disk_refuses_the_entry_and_keeps_the_journal_consistent(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        path = disk / "journal.sqlite3"
        journal = Journal.open(path)
        try:
            kept = journal.add(new(), now=1)
            filler = fill(disk)
            with pytest.raises(JournalFull, match="the disk is full") as caught:
                for _ in range(200):  # until the log needs a page the disk does not have
                    journal.add(new(), now=2)
            assert str(path) in str(caught.value)
            added = journal.search(limit=1000)
            filler.unlink()
            after = journal.add(new(), now=3)  # and it goes on once there is space
        finally:
            journal.close()
        assert quick_check(path) == "ok"
        with Journal.open(path) as reopened:
            references = [e.reference for e in reopened.search(limit=1000)]
        assert references == [after.reference] + [e.reference for e in added]
        assert references[-1] == kept.reference
        sequence = [int(r.rsplit("-", 1)[1]) for r in reversed(references)]
        assert sequence == list(range(1, len(sequence) + 1))  # no number lost or reused


async def test_disk_full_when_flash_answers_leaves_the_sale_open_for_retry(
    tmp_path: Path, client: FlashClient, counting: Counting
) -> None:
    """The answer cannot be written: the sale is not shown approved but refused, naming it;
    its pending entry stays in the journal, and once there is space the retry gets the same
    answer for the same reference."""
    with tiny_disk(tmp_path / "disk") as disk:
        journal = Journal.open(disk / "journal.sqlite3")
        fillers: list[Path] = []
        hooks = EngineHooks(answered=lambda entry: fillers.append(fill(disk)))
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", hooks=hooks)
        try:
            with pytest.raises(JournalFull) as caught:
                await engine.sell_1voucher(5000)
            (sale,) = counting.sandbox.ledger
            assert f"the answer for {sale.reference} was not recorded" in str(caught.value)
            assert "till retry" in str(caught.value)
            fillers[0].unlink()
            pending = journal.get(sale.reference)
            assert pending is not None and pending.state == "pending"
            engine.hooks = EngineHooks()
            report = await engine.resolve(all_open=True)
            assert report.approved == [sale.reference]
            settled = journal.get(sale.reference)
        finally:
            journal.close()
    assert len(counting.sandbox.ledger) == 1  # the retry sold nothing twice
    assert settled is not None and settled.response is not None
    assert settled.response["voucher"]["pin"] == sale.pin


# -- the commands: one line, the fault's status, nothing sent -----------------------------------


@pytest.fixture
def shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Till, list[str]]]:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    sb = Sandbox(seed=3)
    seen: list[str] = []
    sb.on_request = lambda path, raw: seen.append(path)
    with running_sandbox(sb) as base_url:
        config, journal = write_config(tmp_path, base_url)
        yield Till(sb, config, journal, capsys), seen


def _refused(till: Till, seen: list[str], status: int, *words: str) -> None:
    before = len(seen)
    code, out, err = till.run("sell", "1voucher", "--amount", "50")
    assert code == status, err
    assert "APPROVED" not in out
    (line,) = err.splitlines()
    assert line.startswith("till: journal ") and "Traceback" not in err
    for word in words:
        assert word in line
    assert len(seen) == before


@pytest.mark.parametrize(
    ("damage", "status"),
    [
        (_text, EXIT_JOURNAL_CORRUPT),
        (_garbage_header, EXIT_JOURNAL_CORRUPT),
        (_cut_at_a_page, EXIT_JOURNAL_CORRUPT),
        (_empty, EXIT_JOURNAL_CORRUPT),
    ],
)
def test_sell_on_a_damaged_journal_exits_with_its_status(
    shop: tuple[Till, list[str]], damage: object, status: int
) -> None:
    till, seen = shop
    filled(till.journal_path, entries=300)
    damage(till.journal_path)  # type: ignore[operator]
    before = digest(till.journal_path)
    _refused(till, seen, status, str(till.journal_path), "damaged")
    assert digest(till.journal_path) == before
    code, _, err = till.run("journal", "list")  # the desk hears the same
    assert code == status and len(err.splitlines()) == 1


def test_sell_reads_every_page_first(shop: tuple[Till, list[str]]) -> None:
    till, seen = shop
    filled(till.journal_path)
    spoil_page(till.journal_path, middle_leaf(till.journal_path))
    before = digest(till.journal_path)
    _refused(till, seen, EXIT_JOURNAL_CORRUPT, "quick_check")
    assert digest(till.journal_path) == before


def test_journal_path_naming_a_directory(shop: tuple[Till, list[str]], tmp_path: Path) -> None:
    till, seen = shop
    directory = tmp_path / "journals"
    directory.mkdir()
    text = till.config.read_text().replace(str(till.journal_path), str(directory))
    till.config.write_text(text)
    _refused(till, seen, EXIT_JOURNAL_NOT_A_FILE, str(directory), "is a directory")
    assert list(directory.iterdir()) == []


def test_sell_on_a_read_only_journal(shop: tuple[Till, list[str]]) -> None:
    till, seen = shop
    filled(till.journal_path, entries=20)
    before = digest(till.journal_path)
    with read_only(till.journal_path.parent):
        _refused(till, seen, EXIT_JOURNAL_READ_ONLY, "read-only", "write access")
    assert digest(till.journal_path) == before


def test_sell_on_a_full_disk(shop: tuple[Till, list[str]], tmp_path: Path) -> None:
    till, seen = shop
    with tiny_disk(tmp_path / "disk") as disk:
        journal = disk / "journal.sqlite3"
        text = till.config.read_text().replace(str(till.journal_path), str(journal))
        till.config.write_text(text)
        till.journal_path = journal
        assert till.run("sell", "1voucher", "--amount", "50")[0] == EXIT_OK
        filler = fill(disk)
        _refused(till, seen, EXIT_JOURNAL_FULL, "disk is full", "free space")
        filler.unlink()
        assert len(till.entries()) == 1 and quick_check(journal) == "ok"
        assert till.run("sell", "1voucher", "--amount", "50")[0] == EXIT_OK
        assert len(till.entries()) == 2


def test_a_journal_from_a_newer_till(shop: tuple[Till, list[str]]) -> None:
    till, seen = shop
    filled(till.journal_path, entries=5)
    conn = sqlite3.connect(till.journal_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    _refused(till, seen, EXIT_JOURNAL_TOO_NEW, "newer version", "upgrade")


def test_the_desk_on_a_till_with_no_journal(shop: tuple[Till, list[str]]) -> None:
    till, _ = shop
    code, out, err = till.run("journal", "list")
    assert code == EXIT_JOURNAL_GONE and out == ""
    assert "does not exist" in err and len(err.splitlines()) == 1
    assert not till.journal_path.exists()
