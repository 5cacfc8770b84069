"""The money side: partners, customer prices, receivables and payables, margin, contracts,
payments, brokered deals and the imports of partners, price lists and contracts.

Its tables (``tables``) are public, like ``core.storage.models``. The ledger's posting path
reaches this package at call time, and ``deals`` and ``payments`` reach the ledger and the
catalog through their packages at call time, so any of the three can be imported first.
"""

from __future__ import annotations

from core.money import tables
from core.money.amounts import (
    ADVANCE_NAMES,
    PAYMENT_NAMES,
    SIDE_NAMES,
    balance_words,
    document_amount,
    line_amount,
)
from core.money.checks import partner_problem
from core.money.contracts import ContractView, contract_view
from core.money.deals import Broker, DealView, broker
from core.money.hooks import (
    after_insert,
    after_post,
    before_plan,
    brokers_anywhere,
    detach_archived,
    keeps_stock,
    refuse_stock_work,
    refuse_without_stock,
    trade_prices,
)
from core.money.imports import import_contracts, import_partners, import_prices
from core.money.margin import GROUPINGS, WRITE_OFFS, MarginReport, MarginRow, margin, margins
from core.money.partners import PartnerFields
from core.money.payments import AdvanceOffer, PaymentView, RecordPayment, record_payment
from core.money.pricing import (
    MoneyReason,
    PriceView,
    add_list_price,
    pending_reasons,
    selling_prices,
)
from core.money.receivables import PAGE as SETTLEMENT_PAGE
from core.money.receivables import balance_after
from core.money.statements import (
    Ageing,
    PartnerCard,
    Statement,
    add_partner,
    ageing,
    partner_card,
    statement,
)

__all__ = [
    "ADVANCE_NAMES",
    "GROUPINGS",
    "PAYMENT_NAMES",
    "SETTLEMENT_PAGE",
    "SIDE_NAMES",
    "WRITE_OFFS",
    "AdvanceOffer",
    "Ageing",
    "Broker",
    "ContractView",
    "DealView",
    "MarginReport",
    "MarginRow",
    "MoneyReason",
    "PartnerCard",
    "PartnerFields",
    "PaymentView",
    "PriceView",
    "RecordPayment",
    "Statement",
    "add_list_price",
    "add_partner",
    "after_insert",
    "after_post",
    "ageing",
    "balance_after",
    "balance_words",
    "before_plan",
    "broker",
    "brokers_anywhere",
    "contract_view",
    "detach_archived",
    "document_amount",
    "import_contracts",
    "import_partners",
    "import_prices",
    "keeps_stock",
    "line_amount",
    "margin",
    "margins",
    "partner_card",
    "partner_problem",
    "pending_reasons",
    "record_payment",
    "refuse_stock_work",
    "refuse_without_stock",
    "selling_prices",
    "statement",
    "tables",
    "trade_prices",
]
