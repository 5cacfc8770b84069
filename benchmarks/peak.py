"""One job in a process of its own: its wall time and how far its peak RSS rose above the start.

A child process is the clean way to see a job's memory: the parent benchmark has ledgers,
servers and earlier results in its heap, and Python rarely gives freed memory back, so its own
peak says nothing about the job. The child imports everything first, then resets the kernel's
high-water mark (``5`` into ``/proc/self/clear_refs``), notes ``VmRSS``, runs the job, and
reports ``VmHWM − VmRSS at the start``: every byte the job made the process hold at its worst,
C allocations included (SQLite's page cache and sorter, XlsxWriter, matplotlib's buffers),
which ``tracemalloc`` would miss; and nothing traces allocations, so the time is the real one.

A job is ``module:function``, an ``async`` function taking JSON keyword arguments and
returning a dict of JSON figures (``count`` is the rows or documents it handled).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
Job = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Peak:
    seconds: float
    start_kb: int
    peak_kb: int
    figures: dict[str, Any]

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.start_kb) / 1024

    @property
    def count(self) -> int:
        return int(self.figures["count"])

    def raw(self) -> dict[str, Any]:
        return {
            "time_s": round(self.seconds, 3),
            "peak_mb_growth": round(self.growth_mb, 1),
            "start_rss_mb": round(self.start_kb / 1024, 1),
            **self.figures,
        }


async def in_child(job: str, **kwargs: Any) -> Peak:
    """Run ``job`` (``module:function``) in a fresh interpreter and return what it measured."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.peak", job, json.dumps(kwargs),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{job} failed ({child.returncode}): {err.decode()[-2000:]}")
    found = json.loads(out.decode().strip().splitlines()[-1])
    return Peak(found["seconds"], found["start_kb"], found["peak_kb"], found["figures"])


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status (not Linux?)")


def reset_peak() -> int:
    """Make ``VmHWM`` the current ``VmRSS`` from here on, and return that in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return status_kb("VmRSS")


async def measured(job: Job, kwargs: dict[str, Any]) -> dict[str, Any]:
    start_kb = reset_peak()
    started = time.perf_counter()
    figures = await job(**kwargs)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "start_kb": start_kb,
        "peak_kb": status_kb("VmHWM"),
        "figures": figures,
    }


def main(argv: list[str]) -> None:
    module, _, name = argv[0].partition(":")
    job: Job = getattr(importlib.import_module(module), name)
    print(json.dumps(asyncio.run(measured(job, json.loads(argv[1])))))


if __name__ == "__main__":
    main(sys.argv[1:])
