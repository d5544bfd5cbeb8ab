"""Typed outcomes of a Flash call that did not end in approval.

Callers branch on the class, not on text: `FlashDeclined` is definitive, `FlashInDoubt` means the
same reference and body must be sent again, `FlashNotSent` means no byte of the request left the
till. No message here ever carries the API key, a bearer token or a PIN.
"""

from __future__ import annotations


class FlashError(Exception):
    """Base of every Flash outcome other than approval."""

    def __init__(self, message: str, *, endpoint: str = "", reference: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.reference = reference


class FlashNotSent(FlashError):
    """The request never left the till (connect failed, no token): nothing happened at Flash."""


class FlashAuthError(FlashNotSent):
    """Flash refused the till's credentials; the request itself was not processed."""


class FlashUnsupported(FlashNotSent):
    """The API revision this client speaks has no such endpoint (a reversal on "2023-04"): the
    client refused it locally and nothing was sent."""

    def __init__(
        self,
        message: str,
        *,
        api_revision: str,
        endpoint: str = "",
        reference: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, reference=reference)
        self.api_revision = api_revision


class FlashDeclined(FlashError):
    """Flash answered definitively that it did not do this transaction."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        http_status: int,
        endpoint: str = "",
        reference: str | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, reference=reference)
        self.code = code
        self.http_status = http_status
        #: Flash's answer as it came (made safe), when it was JSON: the journal keeps it.
        self.body = body

    def __str__(self) -> str:
        code = f"code {self.code}" if self.code is not None else f"HTTP {self.http_status}"
        return f"declined ({code}): {self.message}"


class FlashInDoubt(FlashError):
    """The request may have been processed; resend the same reference and body to find out."""

    def __init__(
        self,
        message: str,
        *,
        cause: str,
        code: int | None = None,
        http_status: int | None = None,
        endpoint: str = "",
        reference: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, reference=reference)
        self.cause = cause
        self.code = code
        self.http_status = http_status

    def __str__(self) -> str:
        return f"in doubt ({self.cause}): {self.message}"


class FlashUnusable(FlashInDoubt):
    """Flash said approved, but the answer fails the till's checks (another sale's reference, a
    wrong amount, a malformed PIN): not an approval; the entry stays open for the helpdesk."""

    def __init__(self, problem: str, *, endpoint: str = "", reference: str | None = None) -> None:
        super().__init__(
            f"Flash's approval is unusable: {problem}",
            cause="unusable",
            code=0,
            endpoint=endpoint,
            reference=reference,
        )
        self.problem = problem
