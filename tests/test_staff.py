"""Users with scrypt-hashed PINs, lockouts and roles; the engine's supervisor approvals."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from till.flash import FlashClient
from till.journal import Journal
from till.sales import Backoff, SaleEngine
from till.sandbox import Sandbox
from till.staff import ApprovalPolicy, ApprovalRequired, AuthError, StaffError, UserStore

T0 = 1_800_000_000_000
#: Distinctive, so finding it in the file's bytes could not be chance.
SECRET_PIN = "83927154"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UserStore]:
    with UserStore(tmp_path / "users.sqlite3", max_attempts=3, lockout_ms=60_000) as users:
        users.add("boss", "Big Boss", "manager", "9999", now=T0)
        users.add("sup", "Sue Pervisor", "supervisor", "5555", now=T0)
        users.add("c1", "Cash One", "cashier", "1111", now=T0)
        yield users


def test_add_and_verify(store: UserStore) -> None:
    user = store.verify("c1", "1111", now=T0)
    assert (user.id, user.name, user.role, user.active) == ("c1", "Cash One", "cashier", True)
    assert [u.id for u in store.list()] == ["boss", "c1", "sup"]
    assert store.get("nobody") is None


def test_wrong_pin_and_unknown_user_look_the_same(store: UserStore) -> None:
    with pytest.raises(AuthError) as wrong:
        store.verify("c1", "2222", now=T0)
    with pytest.raises(AuthError) as unknown:
        store.verify("ghost", "2222", now=T0)
    assert str(wrong.value) == str(unknown.value) == "unknown user id or wrong PIN"
    user = store.get("c1")
    assert user is not None and user.failed_attempts == 1


def test_right_pin_resets_the_count(store: UserStore) -> None:
    for _ in range(2):
        with pytest.raises(AuthError):
            store.verify("c1", "0000", now=T0)
    store.verify("c1", "1111", now=T0)
    user = store.get("c1")
    assert user is not None and user.failed_attempts == 0
    with pytest.raises(AuthError, match="wrong PIN"):  # the count started again: no lock yet
        store.verify("c1", "0000", now=T0)
    user = store.get("c1")
    assert user is not None and user.locked_until is None


def test_third_wrong_pin_locks_until_the_clock_passes(store: UserStore) -> None:
    for _ in range(2):
        with pytest.raises(AuthError, match="unknown user id or wrong PIN"):
            store.verify("c1", "0000", now=T0)
    with pytest.raises(AuthError, match="now locked out"):
        store.verify("c1", "0000", now=T0)
    user = store.get("c1")
    assert user is not None and user.locked_until == T0 + 60_000
    with pytest.raises(AuthError, match="locked for 1 more minute"):
        store.verify("c1", "1111", now=T0 + 1)  # even the right PIN
    with pytest.raises(AuthError, match="locked"):
        store.verify("c1", "1111", now=T0 + 59_999)
    assert store.verify("c1", "1111", now=T0 + 60_000).id == "c1"
    user = store.get("c1")
    assert user is not None and user.locked_until is None and user.failed_attempts == 0


def test_lockout_survives_reopening_the_file(store: UserStore) -> None:
    for _ in range(3):
        with pytest.raises(AuthError):
            store.verify("sup", "0000", now=T0)
    with (
        UserStore(store.path, lockout_ms=60_000) as again,
        pytest.raises(AuthError, match="locked"),
    ):
        again.verify("sup", "5555", now=T0 + 10)


def test_lockout_counts_against_that_user_only(store: UserStore) -> None:
    for _ in range(3):
        with pytest.raises(AuthError):
            store.verify("sup", "0000", now=T0)
    assert store.verify("c1", "1111", now=T0).id == "c1"
    assert store.verify("boss", "9999", now=T0).id == "boss"


def test_disabled_user_cannot_sign_in(store: UserStore) -> None:
    store.set_active("c1", False)
    with pytest.raises(AuthError, match="disabled"):
        store.verify("c1", "1111", now=T0)
    user = store.get("c1")
    assert user is not None and not user.active
    store.set_active("c1", True)
    assert store.verify("c1", "1111", now=T0).active
    with pytest.raises(StaffError, match="no user"):
        store.set_active("ghost", False)


def test_roles(store: UserStore) -> None:
    with pytest.raises(AuthError, match="c1 is a cashier: a supervisor must approve"):
        store.verify("c1", "1111", now=T0, role="supervisor")
    assert store.verify("sup", "5555", now=T0, role="supervisor").role == "supervisor"
    assert store.verify("boss", "9999", now=T0, role="supervisor").role == "manager"
    with pytest.raises(AuthError, match="a manager must approve"):
        store.verify("sup", "5555", now=T0, role="manager")
    assert store.verify("boss", "9999", now=T0, role="manager").id == "boss"
    # a right PIN with too junior a role is not a wrong PIN: it never locks anyone out
    for _ in range(5):
        with pytest.raises(AuthError):
            store.verify("c1", "1111", now=T0, role="manager")
    assert store.verify("c1", "1111", now=T0).id == "c1"


def test_set_pin_replaces_the_pin_and_clears_a_lockout(store: UserStore) -> None:
    for _ in range(3):
        with pytest.raises(AuthError):
            store.verify("c1", "0000", now=T0)
    store.set_pin("c1", "4321")
    user = store.get("c1")
    assert user is not None and user.locked_until is None and user.failed_attempts == 0
    assert store.verify("c1", "4321", now=T0 + 1).id == "c1"
    with pytest.raises(AuthError):
        store.verify("c1", "1111", now=T0 + 1)
    with pytest.raises(StaffError, match="no user"):
        store.set_pin("ghost", "4321")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "12 34", "١٢٣٤"])
def test_pin_format(store: UserStore, pin: str) -> None:
    with pytest.raises(StaffError, match="4 to 8 digits"):
        store.add("c9", "Nine", "cashier", pin, now=T0)
    with pytest.raises(StaffError, match="4 to 8 digits"):
        store.set_pin("c1", pin)
    assert store.get("c9") is None


def test_bad_ids_names_roles_and_duplicates(store: UserStore) -> None:
    with pytest.raises(StaffError, match="already exists"):
        store.add("c1", "Another", "cashier", "2222", now=T0)
    with pytest.raises(StaffError, match="user id"):
        store.add("a b", "Spaces", "cashier", "2222", now=T0)
    with pytest.raises(StaffError, match="user id"):
        store.add("x" * 17, "Long", "cashier", "2222", now=T0)
    with pytest.raises(StaffError, match="name"):
        store.add("c2", "  ", "cashier", "2222", now=T0)
    with pytest.raises(StaffError, match="role"):
        store.add("c2", "Two", "owner", "2222", now=T0)  # type: ignore[arg-type]
    assert store.verify("c1", "1111", now=T0).name == "Cash One"  # the first is untouched


def test_file_is_private(tmp_path: Path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        path = tmp_path / "deep" / "users.sqlite3"
        with UserStore(path) as users:
            users.add("boss", "Boss", "manager", "9999", now=T0)
            files = [p for p in path.parent.iterdir() if p.name.startswith("users.sqlite3")]
            for p in files:
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    finally:
        os.umask(old)
    path.chmod(0o644)  # reopening puts it right
    UserStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pins_are_salted_scrypt_hashes(tmp_path: Path) -> None:
    path = tmp_path / "users.sqlite3"
    with UserStore(path) as users:
        users.add("boss", "Boss", "manager", SECRET_PIN, now=T0)
        users.add("boss2", "Boss Two", "manager", SECRET_PIN, now=T0)
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert SECRET_PIN.encode() not in raw
        assert SECRET_PIN.encode("utf-16-le") not in raw
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT pin_salt, pin_hash FROM users ORDER BY id").fetchall()
        conn.close()
    (salt1, hash1), (salt2, hash2) = rows
    assert salt1 != salt2 and hash1 != hash2  # same PIN, different salt, different hash
    for salt, stored in rows:
        assert len(salt) == 16
        assert stored == hashlib.scrypt(SECRET_PIN.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


# -- the engine's approvals --------------------------------------------------------------------


@pytest.fixture
def engine(journal: Journal, client: FlashClient) -> SaleEngine:
    return SaleEngine(
        journal,
        client,
        store_id="S1",
        terminal_id="T1",
        cashier="c1",
        policy=ApprovalPolicy(sale_limit=100_000),
        backoff=Backoff(base_ms=1, cap_ms=1),
    )


def pin_of(response: dict[str, Any] | None) -> str:
    assert response is not None
    return str(response["voucher"]["pin"])


async def test_refund_needs_approval(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    sold = await engine.sell_1voucher(10_000)
    redeemed = await engine.redeem_1voucher(pin_of(sold.response), 4_000)
    assert redeemed.status == "approved"
    before = len(journal.search())
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    with pytest.raises(ApprovalRequired, match="refunds"):
        await engine.refund_1voucher(redeemed.reference, 1_000)
    with pytest.raises(ApprovalRequired, match="not the cashier themself"):
        await engine.refund_1voucher(redeemed.reference, 1_000, approved_by="c1")
    assert len(journal.search()) == before and arrived == []
    refund = await engine.refund_1voucher(redeemed.reference, 1_000, approved_by="sup")
    assert refund.status == "approved"
    assert refund.entry.approved_by == "sup" and refund.entry.cashier == "c1"
    stored = journal.get(refund.reference)
    assert stored is not None and stored.approved_by == "sup"


async def test_cash_out_cancel_needs_approval(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    bought = await engine.sell_cash_out_pin(300, 20_000)
    assert bought.status == "approved" and bought.entry.approved_by is None
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    with pytest.raises(ApprovalRequired, match="cancels"):
        await engine.cancel_cash_out_pin(bought.reference)
    with pytest.raises(ApprovalRequired, match="themself"):
        await engine.cancel_cash_out_pin(bought.reference, approved_by="c1")
    assert [e.reference for e in journal.search()] == [bought.reference] and arrived == []
    cancelled = await engine.cancel_cash_out_pin(bought.reference, approved_by="boss")
    assert cancelled.status == "approved" and cancelled.entry.approved_by == "boss"


async def test_sale_above_the_limit_needs_approval(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    with pytest.raises(ApprovalRequired, match="this large"):
        await engine.sell_1voucher(100_001)
    with pytest.raises(ApprovalRequired, match="this large"):
        await engine.vend_utility("04040404040", 150_000)
    with pytest.raises(ApprovalRequired, match="themself"):
        await engine.sell_1voucher(100_001, approved_by="c1")
    assert journal.search() == [] and arrived == []
    at_limit = await engine.sell_1voucher(100_000)  # at the limit: the cashier alone
    assert at_limit.status == "approved" and at_limit.entry.approved_by is None
    big = await engine.sell_1voucher(100_001, approved_by="sup")
    assert big.status == "approved" and big.entry.approved_by == "sup"
    assert len(sandbox.sales_for(big.reference)) == 1


async def test_lookups_never_need_approval(engine: SaleEngine) -> None:
    """A meter lookup moves no money: it must not be held up by the sale limit, or a large
    electricity sale (looked up first) could never be made."""
    looked = await engine.lookup_meter("04040404040", 150_000)
    assert looked.status == "approved"
    vend = await engine.vend_utility("04040404040", 150_000, approved_by="sup")
    assert vend.status == "approved" and vend.entry.approved_by == "sup"


async def test_no_policy_no_approvals(journal: Journal, client: FlashClient) -> None:
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", cashier="c1")
    outcome = await engine.sell_1voucher(200_000)
    assert outcome.status == "approved" and outcome.entry.approved_by is None


def test_policy_reasons() -> None:
    policy = ApprovalPolicy(sale_limit=100_000)
    assert policy.reason("1voucher.refund", 100) is not None
    assert policy.reason("cash-out-pin.cancel", None) is not None
    assert policy.reason("1voucher.purchase", 100_000) is None
    assert policy.reason("1voucher.purchase", 100_001) is not None
    assert policy.reason("prepaid-utilities.lookup", 500_000) is None
    assert ApprovalPolicy(sale_limit=None).reason("1voucher.purchase", 10**9) is None
