"""What one run of a rule found and what it sent (printed by ``jxc alerts run``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.storage import UnitOfWork
from notifications.recipients import Route
from notifications.settings import AlertSettings


@dataclass(frozen=True)
class RuleRun:
    """One run of a rule as if at ``now`` (the scheduled fire time, or ``--now``).

    ``recipients`` and ``template`` come from the rule's registry entry: who receives what
    it finds, and the template that says it.
    """

    rule: str
    uow: UnitOfWork
    now: datetime
    settings: AlertSettings
    recipients: Route
    template: str

    @property
    def tz(self) -> ZoneInfo:
        return self.uow.tz

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.now.strftime('%Y%m%dT%H%M%S%z')}"


@dataclass
class RuleReport:
    rule: str
    at: datetime
    found: list[str] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    messages: int = 0
    # Pictures and files sent beside the messages (the digest's chart, an alert's full list).
    attachments: int = 0

    def summary(self) -> str:
        lines = [
            f"{self.rule} @ {self.at.isoformat()}: found {len(self.found)}, "
            f"alerted {len(self.alerted)}, outbox messages {self.messages}"
            + (f", attachments {self.attachments}" if self.attachments else "")
        ]
        lines += [f"  alerted: {subject}" for subject in self.alerted]
        lines += [f"  no recipient: {subject}" for subject in self.undelivered]
        return "\n".join(lines)
