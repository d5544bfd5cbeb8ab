"""Reversals (rev 3.0 of May 2025 only): undo a sale by its reference.

`POST /1voucher/reverse` (3.1.8), `/cash-out-pin/reverse` (3.1.15) and `/eezi-voucher/reverse`
(3.1.25) take one body: a new `reference` of the reversal's own (idempotent like every other POST),
the `originalReference` of the sale to undo, the `accountNumber` and optional `metadata`; storeId
and terminalId are not in the document's sample, so they are sent only when given. All three
answer the shape of a voucher sale, the voucher carrying its `redemptionDate`.

The April 2023 document has no reversals; `allowReversal` on a product says whether Flash will
reverse a sale of it. Flash's refusals are definitive declines (codes 2273-2283, 2412, 2413:
`till.flash.codes.REVERSAL_REFUSED_CODES`); the document gives no time limit, only the code
2281 for "the allocated time limit".
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BeforeValidator, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from till.flash.models.fields import check_reference
from till.flash.models.requests import TillRequest
from till.flash.models.responses import VoucherResponse

__all__ = ["ReversalRequest", "ReversalResponse"]


def _check_original(value: object) -> str:
    """The sale's reference, held to the same rules, its messages naming it."""
    try:
        return check_reference(value)
    except PydanticCustomError as exc:
        raise PydanticCustomError(
            exc.type, "Original reference" + exc.message().removeprefix("Reference")
        ) from None


OriginalReference = Annotated[str, BeforeValidator(_check_original)]


class ReversalRequest(TillRequest):
    """The body of every reversal: `reference` is the reversal's own, never the sale's."""

    original_reference: OriginalReference

    @model_validator(mode="after")
    def _own_reference(self) -> Self:
        if self.reference == self.original_reference:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "reversal_reference",
                            "A reversal needs a reference of its own, not the sale's",
                        ),
                        loc=("reference",),
                        input=self.reference,
                    )
                ],
                hide_input=True,
            )
        return self


class ReversalResponse(VoucherResponse):
    """What a reversal answers: `amount` is what was reversed (the sale's amount), `voucher` the
    voucher or PIN the reversal voided (its status as Flash now holds it), when Flash sends it."""

    original_reference: str | None = None
