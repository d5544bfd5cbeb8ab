"""What head office's report holds: plain records, no database, so the words that lay the report
out (`till.words.desk`) read them without reaching the ledger's queries.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Doubt", "FleetReport", "Reprinted", "Silent", "Total"]


@dataclass(frozen=True)
class Total:
    """Sales of one kind and state at one till in the period."""

    store_id: str
    terminal_id: str
    kind: str
    state: str
    count: int
    amount: int  # cents


@dataclass(frozen=True)
class Doubt:
    """A sale still pending or in doubt, open for `age_minutes`."""

    store_id: str
    terminal_id: str
    reference: str
    kind: str
    state: str
    amount: int | None
    created_at: int  # Unix ms
    age_minutes: int


@dataclass(frozen=True)
class Reprinted:
    """How often one sale's receipt was printed again (tills and desks) in the period."""

    store_id: str
    terminal_id: str | None
    reference: str
    kind: str | None
    amount: int | None
    copies: int
    last_printed_at: int  # Unix ms


@dataclass(frozen=True)
class Silent:
    """A till whose uploads have not reached head office for `minutes`."""

    store_id: str
    terminal_id: str
    last_seen: int  # Unix ms
    minutes: int
    #: Changes the till said were still to send when it was last heard from.
    backlog: int


@dataclass(frozen=True)
class FleetReport:
    """Head office's report for one period, every store or one: what `fleet_report` found."""

    since_ms: int
    until_ms: int
    store: str | None
    now_ms: int
    stale_minutes: int
    silent_minutes: int
    totals: tuple[Total, ...]
    in_doubt: tuple[Doubt, ...]
    reprints: tuple[Reprinted, ...]
    silent: tuple[Silent, ...]

    def store_totals(self) -> dict[str, tuple[int, int]]:
        """Approved sales by store: (count, amount in cents)."""
        out: dict[str, tuple[int, int]] = {}
        for t in self.totals:
            if t.state == "approved":
                count, amount = out.get(t.store_id, (0, 0))
                out[t.store_id] = (count + t.count, amount + t.amount)
        return out
