"""What is stored about a failure (``inbox.error``, ``outbox.last_error``): class and short reason.

A database error's text carries the statement and, unless the engine hides them, its
parameters: chat text, webhook keys. Engines hide parameters (``core.storage.db``); this keeps the
stored text to the error's class and the first line of the driver's message, with quoted
values (where drivers echo the value they refused) elided, so no parameter reaches a row that
operators list and copy around.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import StatementError

MAX_REASON = 200
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def short_reason(error: BaseException) -> str:
    """``"ErrorClass: first line of its message"``, at most ``MAX_REASON`` characters."""
    if isinstance(error, StatementError) and error.orig is not None:
        cause = error.orig
        detail = _QUOTED.sub("…", _first_line(str(cause)))
        text = f"{type(error).__name__}: {type(cause).__name__}: {detail}"
    else:
        detail = _first_line(str(error))
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()
