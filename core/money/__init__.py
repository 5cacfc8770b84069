"""The money side: partners, customer prices, receivables and payables, margin, contracts.

The package itself imports only what the ledger's posting path may load while it is being
imported; payments (``payments``), deals (``deals``) and imports are imported by name.
"""

from core.money.amounts import document_amount, line_amount
from core.money.contracts import ContractView, contract_view
from core.money.partners import PartnerFields
from core.money.statements import Ageing, PartnerCard, Statement, ageing, partner_card, statement

__all__ = [
    "Ageing",
    "ContractView",
    "PartnerCard",
    "PartnerFields",
    "Statement",
    "ageing",
    "contract_view",
    "document_amount",
    "line_amount",
    "partner_card",
    "statement",
]
