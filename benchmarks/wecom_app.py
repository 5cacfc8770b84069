"""The WeCom app a benchmark's server and its WeCom side share, with secrets made for the run.

Never the operator's ``JXC_WECOM_*``: a benchmark would otherwise sign with one set of secrets
and serve with another (or run on real secrets it has no business holding).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict, dataclass
from typing import Any

AGENT_ID = 1000002


@dataclass(frozen=True)
class WeComApp:
    corp_id: str
    secret: str
    agent_id: int
    token: str
    aes_key: str

    @classmethod
    def generate(cls) -> WeComApp:
        """Random secrets, shaped as WeCom hands them out (the AES key: 43 base64 characters)."""
        return cls(
            corp_id=f"wwbench{secrets.token_hex(5)}",
            secret=secrets.token_urlsafe(32),
            agent_id=AGENT_ID,
            token=secrets.token_hex(16),
            aes_key=base64.b64encode(secrets.token_bytes(32)).decode().rstrip("="),
        )

    def settings(self) -> dict[str, Any]:
        """The ``Settings`` fields of this app."""
        return {f"wecom_{name}": value for name, value in asdict(self).items()}

    def environment(self) -> dict[str, str]:
        """The ``JXC_WECOM_*`` variables of this app, for a ``jxc serve`` child."""
        return {f"JXC_{k.upper()}": str(v) for k, v in self.settings().items()}
