"""The README is read in a clone: every file it points to must be in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A markdown link target, or a backticked path ending in .md (how the README names documents).
LINK = re.compile(r"\]\(([^)#\s]+)\)|`([^`\s]+\.md)`")


def readme_targets() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [a or b for a, b in LINK.findall(text) if not (a or b).startswith("http")]
    assert targets
    return targets


def test_the_readme_points_to_nothing_outside_the_repository() -> None:
    outside = [t for t in readme_targets() if not (ROOT / t).resolve().is_relative_to(ROOT)]
    assert outside == []


def test_every_document_the_readme_points_to_exists() -> None:
    assert [t for t in readme_targets() if not (ROOT / t).exists()] == []
