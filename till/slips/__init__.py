"""What each receipt says: pure functions from a journal entry to a `receipts.Document`.

No I/O and no printing here, so every slip is tested from a real sandbox response without a
printer, and the same document prints on 58 mm or 80 mm paper or shows on screen.
"""

from till.slips.slip import (
    SlipHeader,
    catalog_names,
    in_doubt_slip,
    slip_for,
)
from till.words import display_mobile

__all__ = [
    "SlipHeader",
    "catalog_names",
    "display_mobile",
    "in_doubt_slip",
    "slip_for",
]
