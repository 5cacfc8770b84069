"""The ledger's posting path books receivables and the money side numbers payments with the
ledger's numbering: each money module must import first, on its own, without a cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MONEY = Path(__file__).resolve().parents[2] / "core" / "money"
MODULES = sorted(f"core.money.{p.stem}" for p in MONEY.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", ["core.money", *MODULES])
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
