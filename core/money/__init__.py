"""The money side: partners, customer prices, receivables and payables, margin, contracts."""

from core.money.amounts import document_amount, line_amount
from core.money.contracts import ContractView, contract_view
from core.money.partners import PartnerFields
from core.money.payments import AdvanceOffer, PaymentView, RecordPayment, record_payment
from core.money.statements import Ageing, PartnerCard, Statement, ageing, partner_card, statement

__all__ = [
    "AdvanceOffer",
    "Ageing",
    "ContractView",
    "PartnerCard",
    "PartnerFields",
    "PaymentView",
    "RecordPayment",
    "Statement",
    "ageing",
    "contract_view",
    "document_amount",
    "line_amount",
    "partner_card",
    "record_payment",
    "statement",
]
