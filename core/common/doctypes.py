"""Document types, statuses and the roles of DESIGN §1, with their Chinese names."""

from __future__ import annotations

from enum import StrEnum


class DocType(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    SALES_RETURN = "sales_return"
    PURCHASE_RETURN = "purchase_return"
    TRANSFER = "transfer"
    COUNT = "count"
    WRITEOFF = "writeoff"
    ADJUSTMENT = "adjustment"
    ISSUE = "issue"
    PRODUCTION = "production"


class DocStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CONFLICTED = "conflicted"


class Role(StrEnum):
    CLERK = "clerk"
    PURCHASER = "purchaser"
    MANAGER = "manager"
    ADMIN = "admin"
    AUDITOR = "auditor"


APPROVER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
# Document types whose pending lines hold stock back until they are decided.
RESERVING_TYPES = frozenset(
    {DocType.SALE, DocType.PURCHASE_RETURN, DocType.TRANSFER, DocType.WRITEOFF, DocType.ISSUE}
)

DOC_PREFIX = {
    DocType.RECEIPT: "RK",
    DocType.SALE: "XS",
    DocType.SALES_RETURN: "XT",
    DocType.PURCHASE_RETURN: "CT",
    DocType.TRANSFER: "DB",
    DocType.COUNT: "PD",
    DocType.WRITEOFF: "BS",
    DocType.ADJUSTMENT: "TZ",
    DocType.ISSUE: "LY",
    DocType.PRODUCTION: "SC",
}
APPROVAL_PREFIX = "SP"

DOC_TYPE_NAMES = {
    DocType.RECEIPT: "入库",
    DocType.SALE: "销售",
    DocType.SALES_RETURN: "销售退货",
    DocType.PURCHASE_RETURN: "采购退货",
    DocType.TRANSFER: "调拨",
    DocType.COUNT: "盘点",
    DocType.WRITEOFF: "报损",
    DocType.ADJUSTMENT: "调整",
    DocType.ISSUE: "领用",
    DocType.PRODUCTION: "生产",
}

DOC_STATUS_NAMES = {
    DocStatus.PENDING: "待审批",
    DocStatus.POSTED: "已过账",
    DocStatus.REJECTED: "已驳回",
    DocStatus.CANCELLED: "已撤回",
    DocStatus.EXPIRED: "已过期",
    DocStatus.CONFLICTED: "已冲突",
}

# An approval request's status (core.approvals) and its name on cards, replies and refusals.
APPROVAL_STATUS_NAMES = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "expired": "已过期",
    "conflicted": "已冲突",
    "cancelled": "已撤回",
}

ROLE_NAMES = {
    Role.CLERK: "店员",
    Role.PURCHASER: "采购",
    Role.MANAGER: "店长",
    Role.ADMIN: "管理员",
    Role.AUDITOR: "审计",
}

# Partner kinds as stored (``partners.kind``); departments are the cost centres 领用 names.
PARTNER_KIND_NAMES = {
    "customer": "客户",
    "supplier": "供应商",
    "both": "客户/供应商",
    "department": "部门",
}
