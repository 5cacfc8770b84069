"""A compact card beside the expiry and low-stock alerts: the counts, the five most urgent
lines and buttons for what to do (报损 / 调拨 / 已处理, or 生成采购单 / 已处理).

Button cards reach people only as app messages (``message/send``): WeCom's app group chats
and group robots carry no button callbacks, so the card goes to the store's staff who may
act, and the group keeps its message and the full list. Each button's key is
``alert:<action>:<rule>:<warehouse>``; ``handlers.alert_cards`` checks the clicker's role.
The payload is the outbox's ``card`` form (``bot.cards`` turns it into a template card).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core import catalog
from core.doctypes import Role
from core.messaging.outbox import enqueue
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate

TOP = 5
ACTORS = (Role.CLERK, Role.PURCHASER, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class CardSpec:
    title: str
    buttons: tuple[tuple[str, str, int], ...]  # text, action, style


EXPIRY = CardSpec(
    "临期/过期", (("报损", "writeoff", 2), ("调拨", "transfer", 1), ("已处理", "done", 1))
)
LOW_STOCK = CardSpec("低库存", (("生成采购单", "order", 1), ("已处理", "done", 1)))


async def send_cards(
    run: RuleRun,
    report: RuleReport,
    candidates: Sequence[Candidate],
    spec: CardSpec,
    describe: str,
    line: Callable[[Any], tuple[str, str]],
) -> None:
    """One card per warehouse with subjects alerted in this run, ``candidates`` most urgent
    first; ``line(fact)`` is a card row (name, value)."""
    alerted = set(report.alerted)
    by_code: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.subject in alerted:
            by_code.setdefault(candidate.warehouse, []).append(candidate)
    stamp = run.now.strftime("%Y%m%d%H%M%S")
    for code, members in sorted(by_code.items()):
        users = sorted({u.userid for u in await catalog.users_with_roles(run.uow, code, ACTORS)})
        if not users:
            continue
        rows = [line(c.fact) for c in members[:TOP]]
        buttons = [
            {"text": text, "key": f"alert:{action}:{run.rule}:{code}", "style": style}
            for text, action, style in spec.buttons
        ]
        card = {
            "task_id": f"{run.rule}-{code}-{stamp}",
            "title": f"{spec.title} {len(members)} 项 · {code}",
            "description": describe.format(count=len(members), top=min(TOP, len(members))),
            "rows": [list(row) for row in rows],
            "note": "完整清单见群里的 Excel 文件",
            "buttons": buttons,
        }
        row = await enqueue(
            run.uow,
            "user",
            "|".join(users),
            {"msgtype": "card", "card": card},
            dedupe_key=f"card:{run.key}:{code}",
        )
        report.attachments += row is not None
