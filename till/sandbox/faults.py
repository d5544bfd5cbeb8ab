"""Fault injection for transaction POSTs: a queue of one-off faults and/or a random plan.

Kinds (see docs/sandbox.md):
  delay        sleep ``seconds`` first, then process, commit and answer normally
  error_500    answer HTTP 500 (plain text) without committing
  error_503    answer HTTP 503 (plain text) without committing
  drop         process and commit, then die mid-response (truncated body, connection closed)
  code         answer ``code`` with ``status`` (default from the code) without committing
  malformed    process and commit, then answer HTTP 200 with a truncated JSON body
  expire_token answer 401 / 2233 and invalidate the caller's bearer token
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

KINDS: tuple[str, ...] = (
    "delay",
    "error_500",
    "error_503",
    "drop",
    "code",
    "malformed",
    "expire_token",
)
#: Faults that answer before anything is committed.
PRE_COMMIT: frozenset[str] = frozenset({"error_500", "error_503", "code", "expire_token"})


@dataclass
class Fault:
    """One injected fault; ``path`` matches a full path or its tail (e.g. "1voucher/purchase")."""

    kind: str
    path: str | None = None
    seconds: float = 1.0
    code: int = 2210
    status: int | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.times < 1:
            raise ValueError("times must be >= 1")

    def matches(self, path: str) -> bool:
        if self.path is None:
            return True
        tail = self.path.strip("/")
        return path.strip("/") == tail or path.endswith("/" + tail)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "seconds": self.seconds,
            "code": self.code,
            "status": self.status,
            "times": self.times,
        }


DEFAULT_PLAN_CODES: tuple[int, ...] = (2210, 2220, 2001, 2373)


@dataclass
class FaultPlan:
    """Random faults: each request draws at most one kind with the given probabilities."""

    rates: dict[str, float] = field(default_factory=dict)
    delay_seconds: float = 1.0
    codes: list[int] = field(default_factory=lambda: list(DEFAULT_PLAN_CODES))
    seed: int | None = None

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if kind not in KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"rate for {kind} must be between 0 and 1")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates add up to more than 1")
        if not self.codes:
            raise ValueError("codes must not be empty")
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(
        cls,
        specs: Iterable[str],
        *,
        delay_seconds: float = 1.0,
        codes: Iterable[int] | None = None,
        seed: int | None = None,
    ) -> FaultPlan:
        """Build a plan from CLI-style ``KIND=RATE`` strings, e.g. ``["drop=0.05"]``."""
        rates: dict[str, float] = {}
        for spec in specs:
            kind, sep, rate = spec.partition("=")
            if not sep:
                raise ValueError(f"fault spec {spec!r} is not KIND=RATE")
            try:
                rates[kind.strip()] = float(rate)
            except ValueError:
                raise ValueError(f"fault rate in {spec!r} is not a number") from None
        return cls(
            rates=rates,
            delay_seconds=delay_seconds,
            codes=list(codes) if codes is not None else list(DEFAULT_PLAN_CODES),
            seed=seed,
        )

    def draw(self) -> Fault | None:
        r = self._rng.random()
        acc = 0.0
        for kind, rate in self.rates.items():
            acc += rate
            if r < acc:
                if kind == "code":
                    return Fault("code", code=self._rng.choice(self.codes))
                return Fault(kind, seconds=self.delay_seconds)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rates": dict(self.rates),
            "delay_seconds": self.delay_seconds,
            "codes": list(self.codes),
            "seed": self.seed,
        }


class FaultController:
    """Holds queued faults and the plan; ``pick`` is called once per transaction POST."""

    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.plan: FaultPlan | None = None
        #: (path, kind) of every fault that fired, for audits.
        self.fired: list[tuple[str, str]] = []

    def inject(self, fault: Fault) -> None:
        self.queue.append(fault)

    def clear(self) -> None:
        self.queue.clear()
        self.plan = None

    def pick(self, path: str) -> Fault | None:
        chosen: Fault | None = None
        if self.queue:
            for i, fault in enumerate(self.queue):
                if fault.matches(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        del self.queue[i]
                    chosen = fault
                    break
        if chosen is None and self.plan is not None:
            chosen = self.plan.draw()
        if chosen is not None:
            self.fired.append((path, chosen.kind))
        return chosen


def fault_from_dict(data: dict[str, Any]) -> Fault:
    """Build a Fault from admin JSON."""
    return Fault(
        kind=str(data["kind"]),
        path=data.get("path"),
        seconds=float(data.get("seconds", 1.0)),
        code=int(data.get("code", 2210)),
        status=int(data["status"]) if data.get("status") is not None else None,
        times=int(data.get("times", 1)),
    )


def plan_from_dict(data: dict[str, Any]) -> FaultPlan:
    """Build a FaultPlan from admin JSON."""
    codes = data.get("codes")
    return FaultPlan(
        rates={str(k): float(v) for k, v in dict(data.get("rates", {})).items()},
        delay_seconds=float(data.get("delay_seconds", 1.0)),
        codes=[int(c) for c in codes] if codes else list(DEFAULT_PLAN_CODES),
        seed=data.get("seed"),
    )
