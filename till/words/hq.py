"""The top bar's words for head office: how far behind the till's upload is, and whether the
service desk can reach the central ledger. Light: the screens import it while they paint.

The upload's own words (`HQ: 12 behind`, `HQ: up to date`, `HQ offline`) are
`till.central.upload.HqStatus.label`, which `till sync` prints too.
"""

from __future__ import annotations

from typing import Protocol

#: Before the uploader's first answer (a moment after the till starts), and before the desk's.
HQ_STARTING = "HQ: connecting"
#: The desk reached head office's database on its last search, look-up or reprint ...
DESK_ONLINE = "HQ online"
#: ... or could not (what went wrong is `till.words.desk.unreachable`, under the form).
DESK_OFFLINE = "HQ offline"


class UploadStatus(Protocol):
    """What the top bar reads of `till.central.upload.HqStatus`."""

    def label(self) -> str: ...


def hq_label(status: UploadStatus | None) -> str:
    """The upload's status in the top bar; HQ_STARTING before its first."""
    return HQ_STARTING if status is None else status.label()


#: `[central]` without `key_file`: PINs and tokens go up sealed, so nothing goes up without it.
NO_UPLOAD_KEY = (
    "[central] key_file is not set: the till uploads only with the store's key, which seals "
    "PINs and tokens (`till central keygen` makes one)"
)


def sentence(text: str) -> str:
    """A message (the shared words, the database's) as a screen line says it: a capital first,
    one full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def no_upload(detail: str) -> str:
    """Said once, when `[central]` is set but the uploader cannot start; the till sells on."""
    return f"Not uploading to head office: {detail}. Sales go on; run `till sync` once fixed."


__all__ = [
    "DESK_OFFLINE",
    "DESK_ONLINE",
    "HQ_STARTING",
    "NO_UPLOAD_KEY",
    "UploadStatus",
    "hq_label",
    "no_upload",
    "sentence",
]
