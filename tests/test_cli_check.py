"""`till check` names the API revision it spoke, tells the manager which `[flash] api_revision` to
set when Flash answers as the other one, and `--product CODE` looks a product up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from till.cli import main
from till.commands.base import EXIT_FAILED, EXIT_OK
from till.sandbox import REVISIONS, Sandbox, running_sandbox


@pytest.fixture(params=REVISIONS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Sandbox, str]]:
    sandbox = Sandbox(seed=3, revision=request.param)
    with running_sandbox(sandbox) as base_url:
        yield request.param, sandbox, base_url


def config(tmp_path: Path, base_url: str, revision: str | None) -> Path:
    path = tmp_path / "till.toml"
    line = f'api_revision = "{revision}"\n' if revision else ""
    path.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[flash]\nbase_url = "{base_url}"\naccount_number = "SANDBOX01"\n{line}'
    )
    return path


def check(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *more: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    status = main(["--config", str(path), "check", *more])
    out, err = capsys.readouterr()
    return status, out, err


def row(out: str, label: str) -> str:
    for line in out.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label) :].strip()
    raise AssertionError(f"no {label!r} row in:\n{out}")


def test_the_right_revision(
    served: tuple[str, Sandbox, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    revision, sandbox, base_url = served
    status, out, err = check(config(tmp_path, base_url, revision), capsys, monkeypatch)
    assert status == EXIT_OK, err
    assert row(out, "API revision").startswith(f'"{revision}"')
    assert row(out, "revision") == f"ok: Flash's answers fit {revision}"
    assert row(out, "result") == "OK"
    assert sandbox.ledger == [] and sandbox.state()["references"] == 0  # the probe changed nothing


def test_the_other_revision_says_what_to_set(
    served: tuple[str, Sandbox, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    revision, sandbox, base_url = served
    wrong = "2023-04" if revision == "2025-05" else "2025-05"
    status, out, err = check(config(tmp_path, base_url, wrong), capsys, monkeypatch)
    assert status == EXIT_FAILED
    assert row(out, "API revision").startswith(f'"{wrong}"')
    assert row(out, "revision").startswith(f'MISMATCH: Flash answers as "{revision}"')
    assert f'set [flash] api_revision = "{revision}"' in err
    assert str(tmp_path / "till.toml") in err and "Traceback" not in err
    assert sandbox.ledger == []


def test_the_default_revision_is_may_2025(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(Sandbox(seed=3, revision="2023-04")) as base_url:
        status, out, err = check(config(tmp_path, base_url, None), capsys, monkeypatch)
    assert status == EXIT_FAILED
    assert row(out, "API revision") == '"2025-05" (rev 3.0 of May 2025)'
    assert 'set [flash] api_revision = "2023-04"' in err


def test_product_lookup(
    served: tuple[str, Sandbox, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    revision, _, base_url = served
    path = config(tmp_path, base_url, revision)
    status, out, err = check(path, capsys, monkeypatch, "--product", "300")
    assert status == EXIT_OK, err
    assert row(out, "product 300") == "Cash Out PIN"
    assert (row(out, "minimum"), row(out, "maximum")) == ("R 20.00", "R 500.00")
    if revision == "2025-05":
        assert row(out, "allowReversal") == "yes"
    else:
        assert row(out, "allowReversal") == "no (this API revision has no reversals)"
    status, out, err = check(path, capsys, monkeypatch, "--product", "200")
    assert row(out, "allowReversal").startswith("no")
    status, out, err = check(path, capsys, monkeypatch, "--product", "999999")
    assert status == EXIT_FAILED and "2101" in err
    assert row(out, "product 999999") == "FAILED"
