"""What the sandbox adds to the app's state: the fake WeCom, the chat log and the way in."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.fake_wecom import CallbackClient, FakeWeCom
from bot.sandbox.chatlog import ChatLog
from config import Settings


@dataclass
class Sandbox:
    fake: FakeWeCom
    # ``jxc sandbox --preset``: the industry preset and demo shop to seed (None: the supermarket).
    preset: str | None = None
    log: ChatLog = field(default_factory=ChatLog)
    url: str = ""
    seeded: bool = False
    _callbacks: CallbackClient | None = field(default=None, init=False, repr=False)
    _last_scan: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def scan_moment(self, userid: str) -> int:
        """The CreateTime of a user's next scan: later than their last one.

        A phone cannot scan twice within a second (the camera closes after each code), and
        WeCom's event key is FromUserName + CreateTime; clicks on the page can be faster.
        """
        moment = max(self.callbacks.now(), self._last_scan.get(userid, 0) + 1)
        self._last_scan[userid] = moment
        return moment

    def connect(self, url: str, settings: Settings) -> None:
        """Once the bot listens at ``url``: play WeCom's side of its callback from here."""
        self.url = url
        self._callbacks = self.fake.callback_client(
            url,
            settings.wecom_token.get_secret_value(),
            settings.wecom_aes_key.get_secret_value(),
            settings.wecom_corp_id,
        )

    @property
    def callbacks(self) -> CallbackClient:
        if self._callbacks is None:
            raise RuntimeError("the sandbox is not serving yet")
        return self._callbacks


SANDBOX = web.AppKey("jxc_sandbox", Sandbox)
