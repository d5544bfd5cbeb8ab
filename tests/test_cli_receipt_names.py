"""A receipt printed by a one-shot command names the product as the till's catalog does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from till.cli import main


def test_a_gift_voucher_receipt_names_the_product_from_the_cached_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview = tmp_path / "receipts.txt"
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n[training]\nenabled = true\n'
        f'[printer]\nkind = "preview"\npreview_path = "{preview}"\n'
    )
    # The catalog the screens cache beside the training journal (its own, not the live one).
    (tmp_path / "catalog-training.json").write_text(
        json.dumps([{"code": 200, "name": "Takealot Gift Voucher", "kind": "gift"}])
    )
    status = main(["--config", str(config), "sell", "gift", "--product", "200", "--amount", "50"])
    assert status == 0, capsys.readouterr()
    printed = preview.read_text()
    assert "Takealot Gift Voucher" in printed and "Gift voucher (200)" not in printed

    (tmp_path / "catalog-training.json").unlink()  # no catalog: the kind and code, as before
    status = main(["--config", str(config), "sell", "gift", "--product", "200", "--amount", "50"])
    assert status == 0
    assert preview.read_text().count("Takealot Gift Voucher") == 1


def test_training_and_live_keep_their_own_product_lists(tmp_path: Path) -> None:
    from till.config.paths import catalog_file, journal_file

    live = tmp_path / "journal.sqlite3"
    assert catalog_file(live) == tmp_path / "catalog.json"
    assert catalog_file(journal_file(live, training=True)) == tmp_path / "catalog-training.json"
