"""Running the ``jxc`` CLI in-process against a SQLite file in a test's folder."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import NamedTuple
from unittest.mock import patch

from bot.cli import main


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def jxc(tmp_path: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run the CLI in-process (each call its own event loop, as from a shell).

    ``env`` overrides the test's defaults; a value of None unsets that variable.
    """
    out, err = io.StringIO(), io.StringIO()
    values = {
        "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'jxc.db'}",
        "JXC_DATA_DIR": str(tmp_path / "data"),
        **(env or {}),
    }
    given = {name: value for name, value in values.items() if value is not None}
    with patch.dict(os.environ, given), redirect_stdout(out), redirect_stderr(err):
        kept = ("JXC_CONFIG",) if "JXC_CONFIG" not in given else ()  # only a test's own file
        for name in (*kept, *(n for n, v in values.items() if v is None)):
            os.environ.pop(name, None)
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())
