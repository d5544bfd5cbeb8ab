"""Every benchmark still starts: `python -m bench.<name> --help` imports the module and all it
imports, so a name moved in `till` breaks the suite here, not the next time someone measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHES = sorted(
    path.stem for path in (REPO / "bench").glob("*.py") if not path.stem.startswith("_")
)


def test_the_benches_are_found() -> None:
    assert {"central", "chaos", "journal_scale", "sale_path"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_bench_answers_help(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("usage:"), result.stdout
