"""One set of screens per till: a second `till` on the same journal is refused, plainly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import HANG_SECONDS
from till.instance import TillAlreadyOpen, lock_path, only_instance

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock is POSIX")


def test_a_second_holder_is_refused_until_the_first_lets_go(tmp_path: Path) -> None:
    journal = tmp_path / "till" / "journal.sqlite3"
    with only_instance(journal):
        refused = pytest.raises(TillAlreadyOpen, match=rf"already open .*process {os.getpid()}")
        with refused, only_instance(journal):
            pass  # pragma: no cover - never reached
        assert lock_path(journal).stat().st_mode & 0o777 == 0o600
    with only_instance(journal):  # released on leaving the block
        pass


def test_a_lock_held_by_a_killed_till_does_not_keep_the_till_shut(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from till.instance import only_instance\n"
            f"with only_instance(Path({str(journal)!r})):\n"
            f"    print('held', flush=True); time.sleep({HANG_SECONDS * 10})",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = pytest.raises(TillAlreadyOpen, match=f"process {holder.pid}")
        with refused, only_instance(journal):
            pass  # pragma: no cover - never reached
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(HANG_SECONDS)
    with only_instance(journal):  # the kernel dropped the dead holder's lock
        pass


def test_till_demo_refuses_a_second_window(tmp_path: Path) -> None:
    """The check comes before any screen, so it needs no terminal."""
    data = tmp_path / "data"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    till = Path(sys.executable).with_name("till")
    with only_instance(data / "till" / "journal-training.sqlite3"):
        done = subprocess.run(
            [str(till), "demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert "till: this till is already open in another window" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
