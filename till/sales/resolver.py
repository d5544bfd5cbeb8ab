"""The resolver's pass: resend every due in-doubt entry with its reference and bytes until Flash
answers definitively; and clearing a training till's open entries.
"""

from __future__ import annotations

import asyncio
import logging

from till.journal import Entry, JournalError, JournalFault
from till.outcome import InputError, ResolveReport
from till.sales.settle import Settling, log_outcome

log = logging.getLogger("till.sales")


class Resolving(Settling):
    """One resolver pass at a time; one bad entry never stops the others."""

    async def resolve(self, *, all_open: bool = False) -> ResolveReport:
        """One pass: resend every due open entry (or every open one: "retry now").

        Leftover `pending` entries from a crash are due at once: each may or may not have
        reached Flash, so they are resent with their reference and bytes like any in-doubt one.
        """
        async with self._resolve_lock:
            now = self.clock()
            report = ResolveReport()
            report.flagged = self.journal.flag_stale(
                older_than=now - self.attention_after_ms, now=now
            )
            for query in self.journal.open_entries():
                if not query.retryable and query.reference not in self._in_flight:
                    # A lookup cut short by a crash: it changed nothing at Flash, so it is
                    # closed rather than asked again in the background.
                    self.journal.settle(
                        query.reference, "declined", now=now, error="no answer: interrupted"
                    )
            if all_open:
                entries = [e for e in self.journal.open_entries() if e.retryable]
            else:
                entries = self.journal.due(now=now)
            entries = [
                e
                for e in entries
                if e.training == self.training and e.reference not in self._in_flight
            ]
            semaphore = asyncio.Semaphore(self.resolver_concurrency)

            async def settle(entry: Entry) -> None:
                async with semaphore:
                    try:
                        outcome = await self._attempt(entry, first=False)
                        outcome = await self._print_if_approved(outcome)
                    except JournalFault:
                        raise  # the journal itself: nothing more can be recorded, stop loudly
                    except Exception as exc:  # one bad entry must not stop the others
                        status = self._record_failure(entry, exc)
                        report.attention.append(entry.reference)
                    else:
                        status = outcome.status
                        log_outcome(outcome, resent=True)
                        if outcome.needs_attention:
                            report.attention.append(entry.reference)
                bucket = {
                    "approved": report.approved,
                    "declined": report.declined,
                }.get(status, report.still_in_doubt)
                bucket.append(entry.reference)

            report.attempted = len(entries)
            # Every entry's attempt runs to its end, even when one meets a journal fault: what
            # the others settled is recorded (and printed) before the fault is raised.
            results = await asyncio.gather(*(settle(e) for e in entries), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            self._refresh_count()
            if report.attempted:
                log.info(
                    "resolver: %d attempted, %d approved, %d declined, %d still in doubt",
                    report.attempted,
                    len(report.approved),
                    len(report.declined),
                    len(report.still_in_doubt),
                )
            return report

    def _record_failure(self, entry: Entry, exc: Exception) -> str:
        """Keep an unexpected error on the entry it happened to (flagged), and say its state."""
        name = type(exc).__name__
        log.error("resolver: settling %s failed unexpectedly (%s)", entry.reference, name)
        log.debug("resolver: %s failure", entry.reference, exc_info=exc)
        now = self.clock()
        try:
            return self.journal.mark_in_doubt(
                entry.reference,
                now=now,
                error=f"unexpected error while settling ({name}): see the till's log",
                next_attempt_at=now + self.backoff.delay_ms(entry.attempts + 1),
                flag=True,
            ).state
        except Exception:  # settled meanwhile, or the journal itself is failing
            current = self.journal.get(entry.reference)
            return current.state if current is not None else "in_doubt"

    def clear_training(self, reason: str) -> list[str]:
        """Training only: settle this journal's open training entries as declined (`reason`), so
        the next lesson starts clean; a live entry, or one on the wire, is never touched."""
        if not self.training:
            raise InputError("Only a training till clears its in-doubt sales: live ones stay.")
        cleared: list[str] = []
        for entry in self.journal.open_entries():
            if not entry.training or entry.reference in self._in_flight:
                continue
            try:
                self.journal.settle(entry.reference, "declined", now=self.clock(), error=reason)
            except JournalFault:
                raise
            except JournalError:  # settled meanwhile: its answer stands
                continue
            cleared.append(entry.reference)
        self._refresh_count()
        return cleared
