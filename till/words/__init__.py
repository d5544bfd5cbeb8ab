"""Every word the till shows: labels, advice and the rows of an answer, for the screens
(`till.tui`), the commands (`till.commands`) and the receipts (`till.slips`) alike.

Flash's answer is read here with the typed response models (`till.flash.models`), the same
reading the receipt prints from, so a screen, a command and a slip cannot disagree about what
a customer got. Imports nothing from the screens, the commands or the slips.
"""

from till.words.entry import (
    HIDDEN,
    SHOWN_ABOVE,
    format_entry,
    indented_rows,
    list_row,
    masked_request,
    redact,
)
from till.words.labels import (
    IN_DOUBT_ADVICE,
    KIND_LABELS,
    NOT_SENT_ADVICE,
    RETRY_ADVICE,
    SCREEN_IN_DOUBT_ADVICE,
    STATUS_LABELS,
    display_mobile,
    in_doubt_advice,
    in_doubt_summary,
    kind_label,
    local_time,
    quit_question,
    rands_or_dash,
    retry_advice,
    status_label,
)
from till.words.rows import (
    Answer,
    ordered_tokens,
    outcome_amount,
    product_rows,
    read_answer,
    read_receipt,
    vend_limits,
)

__all__ = [
    "HIDDEN",
    "IN_DOUBT_ADVICE",
    "KIND_LABELS",
    "NOT_SENT_ADVICE",
    "RETRY_ADVICE",
    "SCREEN_IN_DOUBT_ADVICE",
    "SHOWN_ABOVE",
    "STATUS_LABELS",
    "Answer",
    "display_mobile",
    "format_entry",
    "in_doubt_advice",
    "in_doubt_summary",
    "indented_rows",
    "kind_label",
    "list_row",
    "local_time",
    "masked_request",
    "ordered_tokens",
    "outcome_amount",
    "product_rows",
    "quit_question",
    "rands_or_dash",
    "read_answer",
    "read_receipt",
    "redact",
    "retry_advice",
    "status_label",
    "vend_limits",
]
