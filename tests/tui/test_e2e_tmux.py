"""`till demo` in a real 80x24 terminal (tmux): a 1Voucher sale by keyboard alone, then quit.

The installed console script runs as a cashier would start it: training mode, the sandbox on
loopback, the preview printer. tmux runs on its own socket (`-L`) with no config file, so the test
never touches a user's tmux server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import HANG_SECONDS
from till.config.quick import read_first_frame
from till.config.sources import read_config_file

TMUX = shutil.which("tmux")
EXITED = re.compile(r"till exited with status (\d+)")
#: Box-drawing characters the Digits widget draws the PIN with.
PIN = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
BOX = frozenset("┏┓┗┛━┃╺╸╻╹┣┫┳┻")
#: The shell keeps the pane (and what the till printed on leaving) until the test kills tmux.
KEEP_PANE = f"exec sleep {int(HANG_SECONDS) * 10}"


class Terminal:
    def __init__(self, tmux: str, socket: str, session: str) -> None:
        self.tmux, self.socket, self.session = tmux, socket, session

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=True,
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def close(self) -> None:
        """Stop this test's tmux server, and the till in it."""
        subprocess.run(
            [self.tmux, "-L", self.socket, "-f", os.devnull, "kill-server"],
            capture_output=True,
            timeout=HANG_SECONDS,
            check=False,
        )

    def wait_for(self, seen: Callable[[str], object], what: str) -> str:
        """The screen once `seen(screen)` holds. Starting Python and painting the first frame
        can take many seconds on a loaded machine: the deadline only bounds a hang."""
        deadline = time.monotonic() + HANG_SECONDS
        while True:
            screen = self.screen()
            if seen(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"waited {HANG_SECONDS:.0f} s for {what}; the screen was:\n{screen}")
            time.sleep(0.05)


def test_a_1voucher_sale_in_a_real_terminal(tmp_path: Path) -> None:
    if TMUX is None:
        pytest.skip("tmux is not installed")
    till = Path(sys.executable).with_name("till")
    assert till.is_file(), f"no console script at {till}: pip install -e ."
    tag = uuid.uuid4().hex[:12]
    term = Terminal(TMUX, f"till-e2e-{tag}", f"till-{tag}")
    command = (
        f"env XDG_DATA_HOME={tmp_path / 'data'} XDG_CONFIG_HOME={tmp_path / 'config'} "
        f"{till} demo; echo till exited with status $?; {KEEP_PANE}"
    )
    term.run("new-session", "-d", "-s", term.session, "-x", "80", "-y", "24", command)
    try:
        # the Sell screen, with the product list from the sandbox
        term.wait_for(
            lambda s: "SELL" in s and "1Voucher" in s and "Product (type" in s, "the Sell screen"
        )
        term.keys("1vou", "Enter")
        term.wait_for(lambda s: "Amount in rands" in s, "the amount step")
        term.keys("50", "Enter")
        confirm = term.wait_for(lambda s: "Enter = CONFIRM" in s, "the confirm step")
        assert "R 50.00" in confirm
        term.keys("Enter")
        screen = term.wait_for(lambda s: "APPROVED" in s, "the approval")
        lines = screen.splitlines()
        assert "TRAINING MODE" in lines[0]  # the banner, top line, every screen
        assert "1Voucher sale" in screen and "R 50.00" in screen
        assert re.search(r"Reference\s+DEMO01-TILL01-[0-9A-Z]{4}-1\b", screen), screen
        pin_at = next(n for n, line in enumerate(lines) if line.strip() == "PIN")
        big = lines[pin_at + 1 : pin_at + 4]  # the PIN drawn three rows high, in four groups
        # every digit draws at least one box character in each of its three rows (a run of
        # three in a row is not guaranteed: "1 0 7" draw " ┃ ┃ ┃  ┃" in the middle row)
        assert all(sum(ch in BOX for ch in row) >= 16 for row in big), screen
        assert "Serial" in screen and "Expires" in screen  # as the receipt says them
        # Ctrl+P shows the receipt as the preview printer printed it: the PIN, in digits
        term.keys("C-p")
        receipt = term.wait_for(lambda s: PIN.search(s) and "APPROVED" not in s, "the receipt")
        assert "TRAINING" in receipt and "DEMO01-TILL01-" in receipt
        term.keys("C-q")
        ended = term.wait_for(EXITED.search, "till to exit")
        status = EXITED.search(ended)
        assert status is not None and status.group(1) == "0", ended
        assert "Traceback" not in ended
    finally:
        term.close()


def test_a_config_error_found_after_the_first_frame_is_printed_with_status_2(
    tmp_path: Path,
) -> None:
    """The quick read paints the screen; validation then refuses the config (live, no API key):
    the till leaves the screen, prints the error naming the key, and exits 2."""
    if TMUX is None:
        pytest.skip("tmux is not installed")
    till = Path(sys.executable).with_name("till")
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[journal]\npath = "{tmp_path / "journal.sqlite3"}"\n'
        '[flash]\naccount_number = "ACC1"\n'
    )
    assert read_first_frame(read_config_file(config)) is not None  # so the screens paint first
    tag = uuid.uuid4().hex[:12]
    term = Terminal(TMUX, f"till-e2e-{tag}", f"till-{tag}")
    command = (
        f"env -u TILL_FLASH__API_KEY {till} --config {config}; "
        f"echo till exited with status $?; {KEEP_PANE}"
    )
    term.run("new-session", "-d", "-s", term.session, "-x", "80", "-y", "24", command)
    try:
        ended = term.wait_for(EXITED.search, "till to exit")
        status = EXITED.search(ended)
        assert status is not None and status.group(1) == "2", ended
        assert f"till: config error in {config}" in ended.replace("\n", "")
        assert "flash.api_key is required" in ended
        assert "Traceback" not in ended
    finally:
        term.close()
