"""Gift vouchers (API document 2.4) and Eezi vouchers (2.7): sold from their product group, a
voucher issued with its PIN."""

from __future__ import annotations

from typing import Any

from . import catalog
from .state import Handler, SandboxState


def gift(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    return sb.voucher_sale(kind, path, data, catalog.GROUP_GIFT, 16, 1095)


def eezi(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    return sb.voucher_sale(kind, path, data, catalog.GROUP_EEZI, 12, 1095)


HANDLERS: dict[str, Handler] = {
    "gift-vouchers/purchase": gift,
    "eezi-voucher/purchase": eezi,
}
