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
