"""The app's menu (what ``jxc wecom menu`` pushes) and what each of its buttons means.

WeCom allows three top-level buttons of at most 16 bytes and five sub-buttons of at most 40
bytes each, so the four scan buttons share one "扫码" entry. Scan buttons are
``scancode_waitmsg``: the camera opens, the code goes to the callback, and WeCom shows
"消息接收中" until the bot's reply arrives.
"""

from __future__ import annotations

from typing import Any

SCAN_QUERY = "scan_query"
SCAN_PICK = "scan_pick"
SCAN_RECEIVE = "scan_receive"
SCAN_COUNT = "scan_count"
HELP = "help"

SCAN_BUTTONS = (
    (SCAN_QUERY, "扫码查询"),
    (SCAN_PICK, "扫码拣货"),
    (SCAN_RECEIVE, "扫码收货"),
    (SCAN_COUNT, "扫码盘点"),
)


def app_menu() -> dict[str, Any]:
    """The ``menu/create`` body."""
    scans = [{"type": "scancode_waitmsg", "name": name, "key": key} for key, name in SCAN_BUTTONS]
    return {
        "button": [
            {"name": "扫码", "sub_button": scans},
            {"type": "click", "name": "帮助", "key": HELP},
        ]
    }
