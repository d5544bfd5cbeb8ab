"""The `till` command as a store manager runs it: real processes, a real sandbox on a port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import HANG_SECONDS
from till.cli import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_till(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "till", *args],
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def sandbox_port(tmp_path: Path) -> Iterator[int]:
    """`till sandbox` in its own process, as a manager would start it."""
    port = free_port()
    log = (tmp_path / "sandbox.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "till", "sandbox", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # listening is the proof it started; the deadline only bounds a hang (a loaded machine
        # can take many seconds to start Python)
        deadline = time.monotonic() + HANG_SECONDS
        while not listening(port):
            assert proc.poll() is None, (tmp_path / "sandbox.log").read_text()
            if time.monotonic() > deadline:
                pytest.fail(f"till sandbox was not listening after {HANG_SECONDS:.0f} s")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=HANG_SECONDS)
        log.close()


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=HANG_SECONDS).close()
    except OSError:
        return False
    return True


def config_for(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "till.toml"
    path.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[flash]\nbase_url = "http://127.0.0.1:{port}"\naccount_number = "SANDBOX01"\n'
    )
    return path


def test_check_against_sandbox_on_a_port(tmp_path: Path, sandbox_port: int) -> None:
    config = config_for(tmp_path, sandbox_port)
    ok = run_till("--config", str(config), "check", env={"TILL_FLASH__API_KEY": "sandbox-key"})
    assert ok.returncode == 0, ok.stderr
    products = [line for line in ok.stdout.splitlines() if line.strip().startswith("products")]
    assert products and int(products[0].split()[1]) >= 10
    assert "OK" in ok.stdout

    bad = run_till("--config", str(config), "check", env={"TILL_FLASH__API_KEY": "wrong-key-42"})
    assert bad.returncode == 1
    assert "refused the API key" in bad.stderr
    assert "wrong-key-42" not in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr


def test_check_when_flash_is_unreachable(tmp_path: Path) -> None:
    config = config_for(tmp_path, free_port())
    result = run_till("--config", str(config), "check", env={"TILL_FLASH__API_KEY": "k"})
    assert result.returncode == 1
    assert "could not" in result.stderr and "Traceback" not in result.stderr


def test_demo_sells_in_training_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--script"]) == 0
    out = capsys.readouterr().out
    assert "TRAINING" in out and "APPROVED" in out
    pin_line = next(line for line in out.splitlines() if line.strip().startswith("PIN"))
    groups = pin_line.split()[1:]
    assert len(groups) == 4 and all(len(g) == 4 and g.isdigit() for g in groups)


def test_demo_ignores_live_settings_and_needs_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "live.toml"
    live.write_text('[till]\nstore_id = "S9"\nterminal_id = "T9"\n[training]\nenabled = false\n')
    assert main(["--config", str(live), "demo", "--script"]) == 0
    assert "S9-T9-" in capsys.readouterr().out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("demo", "sandbox", "sell", "retry", "reprint"))


def test_bad_fault_spec_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--fault", "explode=2"]) == 2
    assert "--fault" in capsys.readouterr().err
