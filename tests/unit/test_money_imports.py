"""The ledger's posting path books receivables, approvals read list prices, and the money side
numbers payments with the ledger's numbering: each core package and money module must import
first, on its own, without a cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
MODULES = sorted(
    f"core.money.{p.stem}" for p in (CORE / "money").glob("*.py") if p.stem != "__init__"
)
PACKAGES = sorted(f"core.{p.parent.name}" for p in CORE.glob("*/__init__.py"))


@pytest.mark.parametrize("module", [*PACKAGES, *MODULES, "bot.app"])
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
