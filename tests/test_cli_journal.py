"""`till journal`, `till demo` and the outcome wording, as the support desk and cashier see them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli_sales import Till, reference_in, value_of, write_config
from till import clock
from till.cli import main
from till.commands.output import format_outcome
from till.commands.screens import DEMO_FORCED, DEMO_IDENTITY
from till.config import load_settings
from till.digits import format_sts_token, group_digits
from till.journal import Entry, Journal, NewEntry, State
from till.runtime import journal_path
from till.sales import Outcome
from till.sandbox import Fault, Sandbox, running_sandbox
from till.words import retry_advice


@pytest.fixture
def desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Till]:
    """A till with a sale, an airtime recharge, a vend, a decline and an in-doubt sale."""
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    sb = Sandbox(seed=11)
    with running_sandbox(sb) as base_url:
        config, journal = write_config(tmp_path, base_url)
        t = Till(sb, config, journal, capsys)
        assert t.run("sell", "1voucher", "--amount", "50")[0] == 0
        assert (
            t.run(
                "sell", "airtime", "--product", "401", "--mobile", "0831112222", "--amount", "12"
            )[0]
            == 0
        )
        assert t.run("vend", "--meter", "04141414141", "--amount", "100")[0] == 0
        assert t.run("redeem", stdin="2403240324032403\n")[0] == 1
        sb.faults.inject(Fault("drop"))
        assert t.run("sell", "1voucher", "--amount", "75")[0] == 1
        yield t


def refs(out: str) -> list[str]:
    return [line.split()[2] for line in out.splitlines()[1:] if line.strip()]


def test_list_is_newest_first_with_limit_and_open(desk: Till) -> None:
    status, out, _ = desk.run("journal", "list")
    assert status == 0
    header = out.splitlines()[0].split()
    assert header == ["time", "reference", "kind", "state", "amount", "attempts"]
    listed = refs(out)
    newest_first = [e.reference for e in desk.entries()]
    assert listed == newest_first and len(listed) == 5
    assert "in_doubt" in out.splitlines()[1] and "R 75.00" in out.splitlines()[1]

    assert refs(desk.run("journal", "list", "--limit", "2")[1]) == newest_first[:2]
    assert refs(desk.run("journal")[1]) == newest_first  # no action = list
    open_only = desk.run("journal", "list", "--open")[1]
    assert refs(open_only) == [newest_first[0]]


def test_journal_without_an_action_takes_the_list_options(desk: Till) -> None:
    """`till journal [--limit N] [--open] [--json]`, as docs/commands.md documents it."""
    newest_first = [e.reference for e in desk.entries()]
    status, out, err = desk.run("journal", "--limit", "2")
    assert status == 0, err
    assert refs(out) == newest_first[:2]
    status, out, err = desk.run("journal", "--open")
    assert status == 0, err
    assert refs(out) == [newest_first[0]]
    status, data = desk.json("journal", "--open", "--limit", "1")
    assert status == 0 and [e["reference"] for e in data["entries"]] == [newest_first[0]]  # type: ignore[attr-defined]
    # given before `list`, the options still count (not overwritten by the action's defaults)
    assert refs(desk.run("journal", "--limit", "1", "list")[1]) == newest_first[:1]


def test_a_listing_hides_pins_without_pointing_at_nothing(desk: Till) -> None:
    """`journal list --json` has no PIN "shown above" it: it says where to read one."""
    sale = desk.entries()[-1]
    (ledger,) = desk.sb.sales_for(sale.reference)
    status, out, _ = desk.run("journal", "list", "--json")
    assert status == 0 and ledger.pin and ledger.pin not in out
    (listed,) = [e for e in json.loads(out)["entries"] if e["reference"] == sale.reference]
    assert listed["response"]["voucher"]["pin"] == "(hidden: see till journal show)"
    assert "shown above" not in out


def test_show_never_prints_none(desk: Till) -> None:
    """A field with no value reads '-': `approved by -`, never `approved by None`."""
    for entry in desk.entries():
        status, out, _ = desk.run("journal", "show", entry.reference)
        assert status == 0
        assert value_of(out, "approved by") == "-"
        assert "None" not in out


def test_show_prints_every_field_and_the_pin_grouped(desk: Till) -> None:
    sale = desk.entries()[-1]
    status, out, _ = desk.run("journal", "show", sale.reference)
    assert status == 0
    for label in ("reference", "kind", "state", "created", "settled", "amount", "attempts",
                  "response code", "store / till", "training", "request", "printed"):  # fmt: skip
        value_of(out, label)
    (ledger,) = desk.sb.sales_for(sale.reference)
    assert ledger.pin and value_of(out, "PIN") == group_digits(ledger.pin)
    assert ledger.pin not in out.replace(group_digits(ledger.pin), "")  # grouped, never raw

    vend = desk.entries()[2]
    out = desk.run("journal", "show", vend.reference)[1]
    (ledger,) = desk.sb.sales_for(vend.reference)
    assert value_of(out, "token 1 of 3").startswith(format_sts_token(ledger.tokens[0]))
    assert "KEY CHANGE" in value_of(out, "token 1 of 3")

    status, data = desk.json("journal", "show", sale.reference)
    assert status == 0 and data["reference"] == sale.reference and data["state"] == "approved"

    status, _, err = desk.run("journal", "show", "S1-T1-NOPE-1")
    assert status == 1 and "S1-T1-NOPE-1" in err


def test_show_masks_the_pin_a_customer_presented(desk: Till) -> None:
    declined = desk.entries()[1]
    out = desk.run("journal", "show", declined.reference)[1]
    assert "2403240324032403" not in out and "************2403" in out
    assert value_of(out, "response code") == "2403"


def test_search_by_each_criterion(desk: Till) -> None:
    entries = desk.entries()
    sale, airtime, vend = entries[-1], entries[-2], entries[-3]

    def found(*args: str) -> list[str]:
        status, out, err = desk.run("journal", "search", *args)
        assert status == 0, err
        return [] if out.startswith("No matching") else refs(out)

    assert found("--reference", sale.reference) == [sale.reference]
    assert found("--amount", "50") == [sale.reference]
    assert found("--amount", "R75.00") == [entries[0].reference]
    assert found("--mobile", "083 111 2222") == [airtime.reference]
    assert found("--meter", "04141414141") == [vend.reference]
    assert sale.serial_number and found("--serial", sale.serial_number) == [sale.reference]
    assert found("--kind", "1voucher.purchase") == [entries[0].reference, sale.reference]
    assert found("--state", "declined") == [entries[1].reference]
    assert found("--kind", "1voucher.purchase", "--state", "approved") == [sale.reference]

    today = clock.local_date(clock.now_ms())  # the till's day, not the machine's
    assert len(found("--from", today.isoformat(), "--to", today.isoformat())) == 5
    assert found("--to", (today - timedelta(days=1)).isoformat()) == []
    assert found("--from", (today + timedelta(days=1)).isoformat()) == []

    status, data = desk.json("journal", "search", "--state", "in_doubt")
    assert status == 0 and [e["reference"] for e in data["entries"]] == [entries[0].reference]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "24/11/2026"], "--from"),
        (["--to", "2026-13-01"], "--to"),
        (["--amount", "fifty"], "--amount"),
    ],
)
def test_search_refuses_bad_filters(desk: Till, args: list[str], expected: str) -> None:
    status, _, err = desk.run("journal", "search", *args)
    assert status == 2 and expected in err


def test_export_csv_has_amounts_and_no_secrets(desk: Till, tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    status, out, _ = desk.run("journal", "export", "--csv", str(target))
    assert status == 0 and "5" in out
    text = target.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert {"reference", "kind", "state", "amount_cents", "amount_rands"} <= set(rows[0])
    sale = next(r for r in rows if r["amount_cents"] == "5000")
    assert sale["amount_rands"] == "50.00" and sale["state"] == "approved"

    secrets = {s for s in desk.sb.issued_secrets() if s.isdigit() and len(s) >= 12}
    assert any(len(s) == 20 for s in secrets)  # tokens were issued, so the check means something
    forms = secrets | {group_digits(s) for s in secrets} | {format_sts_token(s) for s in secrets}
    assert not [s for s in forms if s in text]

    status, _, _ = desk.run("journal", "export", "--csv", str(target), "--state", "approved")
    assert status == 0
    assert len(list(csv.DictReader(target.open()))) == 3


def test_training_demo_sells_through_the_engine_on_the_training_journal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--script"]) == 0
    out = capsys.readouterr().out
    assert out.index("TRAINING") < out.index("APPROVED")
    reference = reference_in(out)
    assert reference.startswith("DEMO01-TILL01-")
    settings = load_settings(None, defaults=DEMO_IDENTITY, forced=DEMO_FORCED)
    with Journal.open(journal_path(settings)) as journal:
        entry = journal.get(reference)
    assert entry is not None and entry.training and entry.state == "approved"
    assert entry.response is not None
    assert value_of(out, "PIN") == group_digits(entry.response["voucher"]["pin"])
    assert journal_path(settings).name.endswith("-training.sqlite3")


# -- the wording, as pure functions -----------------------------------------------------------


def entry(
    tmp_path: Path, kind: str, state: State = "approved", response: dict[str, Any] | None = None
) -> Entry:
    """A real journal entry, so the wording tests keep up with the journal's columns."""
    with Journal.open(tmp_path / "wording.sqlite3") as journal:
        new = journal.add(
            NewEntry(kind=kind, build_request=lambda ref: b"{}", store_id="S1", terminal_id="T1",
                     amount=10000, meter_number="04141414141"),
            now=0,
        )  # fmt: skip
    return replace(
        new, state=state, response_json=None if response is None else json.dumps(response)
    )


def test_key_change_tokens_come_first_whatever_order_flash_sent(tmp_path: Path) -> None:
    credit = {"token": "1" * 20, "type": "Credit", "units": {"quantity": "40", "unitType": "kWh"}}
    change = [{"token": str(n) * 20, "tokenDescription": "Key Change Token"} for n in (2, 3)]
    response = {"responseCode": 0, "tokens": [credit, *change]}
    text = format_outcome(
        Outcome(
            "approved",
            entry(tmp_path, "prepaid-utilities.purchase", response=response),
            "Approved",
            0,
        )
    )
    assert (
        value_of(text, "token 1 of 3") == f"{format_sts_token('2' * 20)}  KEY CHANGE: key in first"
    )
    assert value_of(text, "token 2 of 3").startswith(format_sts_token("3" * 20))
    assert value_of(text, "token 3 of 3") == f"{format_sts_token('1' * 20)}  40 kWh"


def test_in_doubt_and_not_sent_say_what_to_do(tmp_path: Path) -> None:
    sale = entry(tmp_path, "1voucher.purchase", "in_doubt")
    doubt = format_outcome(Outcome("in_doubt", sale, "lost", None))
    assert doubt.startswith("IN DOUBT") and retry_advice(sale.kind, sale.reference) in doubt
    assert "Do not sell again" in doubt and "till retry" in doubt
    assert f"till slip {sale.reference}" in doubt
    # each kind its own words: a redemption in doubt is about cash, not a PIN to hand over
    redemption = entry(tmp_path, "1voucher.redeem", "in_doubt")
    said = format_outcome(Outcome("in_doubt", redemption, "lost", None))
    assert "Do not pay out cash" in said and "hand over the PIN" not in said
    # no screen keys on the command line (the reference is random letters: "...-YXF8-2" is no key)
    keys = said.replace(redemption.reference, "")
    assert "F8" not in keys and "F9" not in keys
    unsent = format_outcome(
        Outcome("not_sent", entry(tmp_path, "1voucher.purchase", "declined"), "no route", None)
    )
    assert unsent.startswith("NOT SENT") and "safe to try again" in unsent
    declined = format_outcome(
        Outcome("declined", entry(tmp_path, "1voucher.purchase", "declined"), "Float low", 2003)
    )
    assert declined.startswith("DECLINED") and "Float low (code 2003)" in declined


def test_a_failed_receipt_print_is_shown_beside_the_pin(tmp_path: Path) -> None:
    response = {"responseCode": 0, "voucher": {"pin": "1234567812345678"}}
    approved = entry(tmp_path, "1voucher.purchase", response=response)
    text = format_outcome(Outcome("approved", approved, "Approved", 0, print_error="paper out"))
    assert value_of(text, "PIN") == "1234 5678 1234 5678"
    assert "NOT PRINTED (paper out)" in value_of(text, "receipt")
