"""The full list behind an alert, as an XLSX file message after it, per warehouse and target.

The message keeps to what fits a phone screen; whoever acts on it opens the file. Written
under the data dir (``reports/``); the outbox uploads it when it delivers the row.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core import catalog
from notifications import recipients
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate

Writer = Callable[[list[Any], Path], Path]


async def send_lists(
    run: RuleRun,
    report: RuleReport,
    candidates: Sequence[Candidate],
    title: str,
    write: Writer,
) -> None:
    """For each warehouse with subjects alerted in this run, its list to the rule's recipients."""
    alerted = set(report.alerted)
    facts: dict[str, list[Any]] = defaultdict(list)
    for candidate in candidates:
        if candidate.subject in alerted:
            facts[candidate.warehouse].append(candidate.fact)
    if not facts:
        return
    warehouses = {w.code: w for w in await catalog.list_warehouses(run.uow)}
    stamp = run.now.astimezone(run.tz).strftime("%Y%m%d-%H%M")
    for code, members in sorted(facts.items()):
        relative = Path("reports") / f"{run.rule}-{code}-{stamp}.xlsx"
        path = run.uow.settings.data_dir / relative
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(write, members, path)
        name = f"{title}-{code}-{stamp}.xlsx"
        for target in await run.recipients(run.uow, warehouses[code]):
            report.attachments += await recipients.send_media(
                run.uow, target, "file", str(relative), name, f"{run.key}:{code}:list"
            )
