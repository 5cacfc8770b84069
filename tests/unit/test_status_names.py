"""An approval's status has one Chinese name, defined once (core/common/doctypes.py)."""

from __future__ import annotations

from pathlib import Path

from core import approvals
from core.common import APPROVAL_STATUS_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_every_status_an_approval_can_take_has_a_name() -> None:
    statuses = {
        approvals.PENDING,
        approvals.APPROVED,
        approvals.REJECTED,
        approvals.EXPIRED,
        approvals.CONFLICTED,
        approvals.CANCELLED,
    }
    assert set(APPROVAL_STATUS_NAMES) == statuses


def test_approval_status_names_are_written_in_one_place() -> None:
    written = {
        str(path.relative_to(ROOT))
        for folder in ("core", "handlers", "notifications", "bot")
        for path in (ROOT / folder).rglob("*.py")
        if any(f'"{name}"' in path.read_text(encoding="utf-8") for name in ("已批准", "已冲突"))
    }
    assert written == {"core/common/doctypes.py"}
