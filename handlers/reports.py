"""健康检查: the health check in chat — the summary, the charts as images, the workbook as a
file. Managers, admins and auditors; an auditor and an admin see all warehouses, a manager
their own store.
"""

from __future__ import annotations

from pathlib import Path

from core import reports
from core.common import InvalidInput, Role
from handlers.render import render
from handlers.router import Attachment, Context, Reply, Router

router = Router()
REVIEWERS = frozenset({Role.MANAGER, Role.ADMIN, Role.AUDITOR})
REPORTS_DIR = "reports"


def render_summary(files: reports.HealthFiles) -> str:
    return render("reports/summary.j2", files=files)


@router.command("健康检查", "health", roles=REVIEWERS)
async def health(ctx: Context, args: str) -> Reply:
    """近三个月的进销存体检：摘要、图表和工作簿。例：健康检查"""
    if args.strip():
        raise InvalidInput(f"健康检查后面不用写内容（“{args.strip()}”看不懂），直接发：健康检查")
    uow = ctx.uow
    period = reports.Period.months_before(uow.today(), 3, uow.tz)
    warehouse = None if ctx.user.role in (Role.ADMIN, Role.AUDITOR) else ctx.warehouse
    stamp = uow.now().astimezone(uow.tz).strftime("%Y%m%d-%H%M%S")
    relative = Path(REPORTS_DIR) / f"health-{ctx.user.userid}-{stamp}"
    data_dir = uow.settings.data_dir
    files = await reports.produce(uow, period, warehouse, data_dir / relative)
    attachments = [
        Attachment("image", str(relative / chart.path.name), f"{chart.title}.png")
        for chart in files.charts
    ]
    text = render_summary(files)
    size = files.workbook.stat().st_size
    name = f"进销存体检-{period.last:%Y%m%d}.xlsx"
    limit = uow.settings.file_message_limit_bytes
    if size <= limit:
        attachments.append(Attachment("file", str(relative / files.workbook.name), name))
    else:
        text += "\n\n" + render(
            "reports/too_big.j2",
            size=size,
            limit=limit,
            path=files.workbook.resolve(),
        )
    return Reply(text, markdown=True, attachments=tuple(attachments))
