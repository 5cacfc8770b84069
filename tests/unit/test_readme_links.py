"""The README is read in a clone: every file it points to must be in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A markdown link target, or a backticked path ending in .md (how the README names documents).
LINK = re.compile(r"\]\(([^)#\s]+)\)|`([^`\s]+\.md)`")


def test_every_document_the_readme_points_to_is_inside_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [a or b for a, b in LINK.findall(text) if not (a or b).startswith("http")]
    assert targets
    for target in targets:
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), f"README points outside the repository: {target}"
        assert path.exists(), f"README points to a missing file: {target}"
