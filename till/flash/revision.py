"""Which revision of the Partner API v4 document a till speaks, and what differs between them.

Two revisions are known (see `shared/spec/README.md`):
- "2023-04": the April 2023 document the till was first built on.
- "2025-05": rev 3.0 of May 2025, what a store integrating now meets.

What differs, and what the client does about it:
- gift vouchers: `gift-vouchers/purchase` (2023-04) vs `gift-voucher/purchase` (2025-05): the
  client sends to its revision's path only;
- the product list: a bare array (2023-04) vs `{"responseCode", "responseMessage", "products"}`
  (2025-05), and a product lookup: one object (2023-04) vs the same `products` wrapper (2025-05):
  both shapes are read in either revision, and the shape that came says which revision Flash
  speaks (`RevisionProbe`);
- reversals (`1voucher/reverse`, `cash-out-pin/reverse`, `eezi-voucher/reverse`) and a product's
  `allowReversal` exist in 2025-05 only: on 2023-04 the client refuses a reversal locally;
- the prepaid-utilities purchase body was reshaped and error bodies may carry `transactionId` as a
  string (2025-05): the response models accept both in either revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from till.flash.models import Product

ApiRevision = Literal["2023-04", "2025-05"]

APRIL_2023: Final = "2023-04"
MAY_2025: Final = "2025-05"
#: Oldest first.
REVISIONS: Final[tuple[ApiRevision, ...]] = (APRIL_2023, MAY_2025)
DEFAULT_REVISION: Final[ApiRevision] = MAY_2025
TITLES: Final[dict[str, str]] = {
    APRIL_2023: "the April 2023 document",
    MAY_2025: "rev 3.0 of May 2025",
}


def check(value: object) -> ApiRevision:
    """The revision named by `value`, or ValueError listing the ones known."""
    for revision in REVISIONS:
        if value == revision:
            return revision
    known = ", ".join(f'"{r}" ({TITLES[r]})' for r in REVISIONS)
    raise ValueError(f"unknown Flash API revision {value!r}: expected one of {known}")


def describe(revision: str) -> str:
    """`"2025-05" (rev 3.0 of May 2025)`: how a revision is named to a person."""
    return f'"{revision}" ({TITLES.get(revision, "unknown")})'


def other(revision: str) -> ApiRevision:
    """The one other revision known."""
    return APRIL_2023 if revision == MAY_2025 else MAY_2025


def products_shape(data: Any) -> ApiRevision | None:
    """The revision whose product-list (or lookup) shape `data` has, or None if neither's."""
    if isinstance(data, list):
        return APRIL_2023
    if isinstance(data, dict):
        if "products" in data:
            return MAY_2025
        if "productCode" in data:
            return APRIL_2023  # the April 2023 lookup: one bare product object
    return None


@dataclass(frozen=True)
class RevisionProbe:
    """What Flash's answers say about the revision it speaks, found without changing anything:
    the product list's shape, and whether the gift voucher path of each revision exists
    (an empty JSON object is posted, which no Flash can take for a sale)."""

    #: The revision this client speaks (`[flash] api_revision`).
    spoken: ApiRevision
    #: The account's products, however they came.
    products: list[Product] = field(default_factory=list)
    #: The revision whose shape the product list came in (None: neither's, or not read).
    products_shape: ApiRevision | None = None
    #: This revision's gift voucher path: True it exists, False Flash has no such path (HTTP 404
    #: without a responseCode), None not known (no answer, or one that says neither).
    gift_path: bool | None = None
    #: The other revision's gift voucher path, asked only when this revision's is missing.
    other_gift_path: bool | None = None

    @property
    def answered(self) -> ApiRevision | None:
        """The revision Flash's answers point to when they are not `spoken`, else None."""
        if self.products_shape is not None and self.products_shape != self.spoken:
            return self.products_shape
        if self.gift_path is False and self.other_gift_path:
            return other(self.spoken)
        return None

    @property
    def mismatch(self) -> bool:
        """True when something Flash answered does not fit `spoken`."""
        return self.answered is not None or self.gift_path is False
