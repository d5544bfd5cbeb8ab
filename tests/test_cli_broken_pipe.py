"""`till ... | head`: a reader that stops early gets one line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import HANG_SECONDS

REPO = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n[training]\nenabled = true\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n[log]\npath = "{tmp_path / "log"}"\n'
    )
    command = [sys.executable, "-m", "till", "--config", str(config)]
    sold = subprocess.run(
        [*command, "sell", "1voucher", "--amount", "50"],
        capture_output=True, text=True, timeout=HANG_SECONDS, check=False, cwd=REPO,
    )  # fmt: skip
    assert sold.returncode == 0, sold.stderr
    proc = subprocess.Popen(
        [*command, "journal", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first byte
    _, err = proc.communicate(timeout=HANG_SECONDS)
    text = err.decode()
    assert proc.returncode == 1, text
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert text.strip() == "till: output cut short (the reader closed the pipe)"
