"""Codes for scanning tests: the seeded shop's items with valid barcodes, a 12-pack and a scale."""

from __future__ import annotations

from decimal import Decimal

from core import orders
from core.storage import UnitOfWork, in_transaction

COKE = "6901234567007"
COKE_12 = "6901234567014"
SPRITE = "6901234567120"
UNKNOWN = "6901234567892"
MISREAD = "6901234567008"  # COKE with its last digit misread
APPLE_PLU = "00123"
APPLE_1250G = "2100123012503"  # scale label: item 00123, 1250 g


def ean13(payload: str) -> str:
    """``payload`` (12 digits) with its EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload))
    return payload + str((10 - total % 10) % 10)


def batch_label(gtin: str, lot: str, expiry: str | None = None) -> str:
    """A GS1 batch label in human-readable form: ``(01)…(10)lot(17)YYMMDD``."""
    return f"(01)0{gtin}(10){lot}" + ("" if expiry is None else f"(17){expiry}")


async def register_codes(uow: UnitOfWork) -> None:
    async def work(uow: UnitOfWork) -> None:
        await orders.add_barcode(uow, "test", "COKE", COKE)
        await orders.add_barcode(uow, "test", "COKE", COKE_12, Decimal(12))
        await orders.add_barcode(uow, "test", "SPRITE", SPRITE)
        await orders.add_barcode(uow, "test", "APPLE", APPLE_PLU, scale="weight")

    await in_transaction(uow, work)
