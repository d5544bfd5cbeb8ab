"""When to resend an in-doubt sale: capped exponential backoff with jitter.

The schedule lives in the journal (`next_attempt_at`), so it survives restarts; a retry library's
in-process loop (tenacity, backoff) would forget it on a crash, which is exactly when it matters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """Attempt n waits base * 2**(n-1), capped, then scaled by a random factor in [1-jitter, 1]."""

    base_ms: int = 1_000
    cap_ms: int = 120_000
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay_ms(self, attempts: int) -> int:
        exponent = min(max(attempts - 1, 0), 30)
        ceiling = min(self.cap_ms, self.base_ms * (2**exponent))
        return max(1, int(ceiling * (1 - self.jitter * self.rng.random())))
