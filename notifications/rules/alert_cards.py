"""Expiry and low-stock alerts as one compact card per warehouse, plus the full list as a file.

A card with buttons reaches people only as an app message (``message/send``): WeCom's app
group chats (``appchat/send``: text, image, voice, video, file, textcard, news, mpnews,
markdown) and group robots (``webhook/send``: only ``text_notice``/``news_notice`` cards,
no buttons, no callbacks) cannot carry one. So per warehouse:

- the group among the rule's recipients (app chat or robot; its registry entry says which)
  gets a compact markdown — the counts, the five most urgent lines and who got the card —
  and the full list as an XLSX file message;
- the responsible staff of the store (``card_roles``) get the card as app messages;
- with no group, the recipients' users get the card and the file.

No one to send to at all leaves the subjects undelivered (``jxc alerts run`` says so), and
the state is not marked, so the next run tries again. A list over the file-message limit is
not sent: the markdown and the card say where it is on the server.

Buttons are keyed ``alert:<action>:<card id>@<revision>[:<to warehouse>]`` and acted on by
``handlers.alert_cards`` after it checks the clicker's role; the card's lines are kept in
``core.messaging.alert_cards`` so a click acts on what the card showed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import catalog
from core.catalog import WarehouseView
from core.common import Role
from core.messaging import alert_cards, enqueue
from notifications import recipients
from notifications.recipients import Target
from notifications.render import render
from notifications.report import RuleReport, RuleRun

TOP = 5
# A card has at most 6 buttons: 报损, up to four 调拨到 …, 已处理.
MAX_TRANSFER_BUTTONS = 4

Button = tuple[str, str, int]  # text, action (with its ``:<to warehouse>`` if any), style


@dataclass(frozen=True)
class Actionable:
    """How one rule's alert looks: the card, the group's markdown and the list file."""

    title: str
    list_title: str
    card_roles: tuple[Role, ...]
    describe: Callable[[Sequence[Any]], str]
    line: Callable[[Any], tuple[str, str]]
    kept: Callable[[Any], dict[str, Any]]
    write: Callable[[list[Any], Path], Path]
    buttons: Callable[[WarehouseView, Sequence[WarehouseView]], list[Button]]


def expiry_buttons(here: WarehouseView, everywhere: Sequence[WarehouseView]) -> list[Button]:
    others = [w.code for w in everywhere if w.code != here.code][:MAX_TRANSFER_BUTTONS]
    transfers = [(f"调拨到 {code}", f"transfer:{code}", 1) for code in others]
    # With no other warehouse the button stays and says why there is nowhere to move to.
    return [
        ("报损", "writeoff", 2),
        *(transfers or [("调拨", "transfer", 1)]),
        ("已处理", "done", 1),
    ]


def low_stock_buttons(here: WarehouseView, everywhere: Sequence[WarehouseView]) -> list[Button]:
    return [("生成采购单", "order", 1), ("已处理", "done", 1)]


@dataclass(frozen=True)
class Listing:
    relative: Path
    name: str
    size: int
    limit: int

    @property
    def sendable(self) -> bool:
        return self.size <= self.limit


async def deliver(
    run: RuleRun, report: RuleReport, spec: Actionable, code: str, facts: list[Any], **context: Any
) -> bool:
    """One warehouse's alert: its card, the compact message to its groups and the list file;
    ``facts`` come most urgent first. False when there is no one to send it to."""
    everywhere = await catalog.list_warehouses(run.uow)
    [here] = [w for w in everywhere if w.code == code]
    return await _deliver(run, report, spec, here, everywhere, facts, context)


async def _deliver(
    run: RuleRun,
    report: RuleReport,
    spec: Actionable,
    warehouse: WarehouseView,
    everywhere: Sequence[WarehouseView],
    facts: list[Any],
    context: dict[str, Any],
) -> bool:
    uow = run.uow
    targets = await run.recipients(uow, warehouse)
    groups = [t for t in targets if t.channel != "user"]
    direct = [uid for t in targets if t.channel == "user" for uid in t.address.split("|")]
    staff = await catalog.users_with_roles(uow, warehouse.code, spec.card_roles)
    names = {u.userid: u.name for u in staff}
    for userid in direct:
        if userid not in names:
            user = await catalog.find_user(uow, userid)
            names[userid] = user.name if user else userid
    holders = sorted(names)
    if not holders and not groups:
        return False
    listing = await _write_list(run, spec, warehouse.code, facts)
    if holders:
        note = "完整清单见群里的 Excel 文件" if groups else "完整清单见下一条 Excel 文件"
        if not listing.sendable:
            note = (
                f"完整清单超过企业微信文件消息 {listing.limit // 1024 // 1024 or 1} MB 上限未发送，"
                f"在服务器数据目录 {listing.relative.as_posix()}"
            )
        report.messages += await _send_card(run, spec, warehouse, everywhere, facts, holders, note)
    for target in groups:
        text = render(
            run.template,
            warehouse=warehouse,
            facts=facts,
            top=facts[:TOP],
            card_names=[names[u] for u in holders],
            listing=listing,
            path=(uow.settings.data_dir / listing.relative).resolve(),
            now=run.now,
            tz=run.tz,
            **context,
        )
        report.messages += await recipients.send(uow, target, text, f"{run.key}:{warehouse.code}")
    if listing.sendable:
        for target in groups or [Target("user", "|".join(holders))]:
            report.attachments += await recipients.send_media(
                uow, target, "file", listing.relative.as_posix(), listing.name,
                f"{run.key}:{warehouse.code}:list",
            )  # fmt: skip
    return True


async def _write_list(run: RuleRun, spec: Actionable, code: str, facts: list[Any]) -> Listing:
    stamp = run.now.astimezone(run.tz).strftime("%Y%m%d-%H%M")
    relative = Path("reports") / f"{run.rule}-{code}-{stamp}.xlsx"
    path = run.uow.settings.data_dir / relative
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(spec.write, facts, path)
    size = (await asyncio.to_thread(path.stat)).st_size
    name = f"{spec.list_title}-{code}-{stamp}.xlsx"
    return Listing(relative, name, size, run.uow.settings.file_message_limit_bytes)


async def _send_card(
    run: RuleRun,
    spec: Actionable,
    warehouse: WarehouseView,
    everywhere: Sequence[WarehouseView],
    facts: list[Any],
    holders: list[str],
    note: str,
) -> int:
    code = warehouse.code
    task_id = f"{run.rule}-{code}-{run.now.strftime('%Y%m%d%H%M%S')}"
    card = await alert_cards.open_card(
        run.uow, run.rule, code, task_id, [spec.kept(f) for f in facts], holders
    )
    buttons = [
        {"text": text, "key": _key(action, card.id, card.revision), "style": style}
        for text, action, style in spec.buttons(warehouse, everywhere)
    ]
    payload = {
        "task_id": task_id,
        "title": f"{spec.title} {len(facts)} 项 · {code}",
        "description": spec.describe(facts),
        "rows": [list(spec.line(fact)) for fact in facts[:TOP]],
        "note": note,
        "buttons": buttons,
    }
    row = await enqueue(
        run.uow,
        "user",
        "|".join(holders),
        {"msgtype": "card", "card": payload},
        dedupe_key=alert_cards.card_key(card),
    )
    return int(row is not None)


def _key(action: str, card_id: int, revision: int) -> str:
    name, _, to = action.partition(":")
    return f"alert:{name}:{card_id}@{revision}" + (f":{to}" if to else "")
