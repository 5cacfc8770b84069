"""Reading scanned codes: what a code says before anything is looked up.

- EAN-13, EAN-8 and UPC-A (12 digits) are GTINs; the check digit is verified (biip), so a
  misread digit is refused instead of matching another product.
- Weighed goods: an EAN-13 starting with 2 (restricted circulation, as Chinese supermarket
  scales print them) is read as ``2F PPPPP VVVVV C``: F any digit, PPPPP the item's scale code
  (registered as a ``scale`` barcode of the item), VVVVV the weight in grams or the price in fen
  (which one is registered with the scale code), C the EAN-13 check digit.
- GS1 element strings, from a Code 128 or QR batch label: ``(01)06901234567892(10)L1(17)270131``
  or the same without parentheses (FNC1 as the GS character): the GTIN, the lot (10) and the
  expiry (17) pick that batch.
- Anything else (Code 128, Code 39 or QR in-house codes) is an in-house code, matched against
  the item's codes and skus.

WeCom's scanner reports a barcode as "symbology,content" (``EAN_13,6901234567892``); the
symbology is dropped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from biip import ParseError
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from core.common import InvalidInput

BAD_CHECK_DIGIT = "条码校验位不对，请重扫"
GTIN_LENGTHS = frozenset({8, 12, 13})
SYMBOLOGY = re.compile(r"^(?:EAN|UPC|CODE|ITF|QR|DATA_MATRIX|PDF|CODABAR|AZTEC|RSS)[A-Z0-9_]*,")


@dataclass(frozen=True)
class GtinCode:
    gtin: str  # as printed: 8, 12 or 13 digits


@dataclass(frozen=True)
class ScaleCode:
    plu: str
    value: int  # grams or fen, as registered for the scale code
    text: str


@dataclass(frozen=True)
class BatchLabel:
    gtin: str
    lot: str | None
    expiry: date | None
    text: str


@dataclass(frozen=True)
class InHouseCode:
    text: str


Code = GtinCode | ScaleCode | BatchLabel | InHouseCode


def read_code(raw: str) -> Code:
    """What ``raw`` encodes; a GTIN with a wrong check digit raises ``InvalidInput``."""
    text = SYMBOLOGY.sub("", raw.strip(), count=1).strip()
    if not text:
        raise InvalidInput("扫到的条码是空的，请重扫")
    if text.isdigit() and len(text) in GTIN_LENGTHS:
        return _gtin(text)
    if text.startswith("(") or (text.startswith("01") and len(text) > 16 and text[:16].isdigit()):
        return _gs1(text)
    return InHouseCode(text)


def looks_like_code(text: str) -> bool:
    """A bare message that should be read as a scan: one token of digits or a GS1 label."""
    return bool(re.fullmatch(r"\d{8,14}|\(01\)\S+", text))


def _gtin(text: str) -> GtinCode | ScaleCode:
    try:
        Gtin.parse(text)
    except ParseError:
        raise InvalidInput(f"{BAD_CHECK_DIGIT}（{text}）") from None
    if len(text) == 13 and text.startswith("2"):
        return ScaleCode(plu=text[2:7], value=int(text[7:12]), text=text)
    return GtinCode(text)


def _gs1(text: str) -> BatchLabel:
    try:
        parse = GS1Message.parse_hri if text.startswith("(") else GS1Message.parse
        message = parse(text)
    except ParseError:
        if "(01)" in text or text.startswith("01"):
            raise InvalidInput(f"{BAD_CHECK_DIGIT}（{text}）") from None
        raise InvalidInput(f"看不懂条码 {text}，请重扫") from None
    strings = message.element_strings
    gtin = strings.get(ai="01")
    if gtin is None:
        raise InvalidInput(f"条码 {text} 里没有商品条码 (01)，请扫商品或批次标签")
    if gtin.gtin is None:
        raise InvalidInput(f"{BAD_CHECK_DIGIT}（{text}）")
    lot = strings.get(ai="10")
    expiry = strings.get(ai="17")
    return BatchLabel(
        gtin=gtin.gtin.as_gtin_13() if gtin.gtin.format.length <= 13 else gtin.gtin.value,
        lot=None if lot is None else lot.value,
        expiry=None if expiry is None else expiry.date,
        text=text,
    )
