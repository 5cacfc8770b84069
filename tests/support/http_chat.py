"""The transcript ``Chat`` over the real wire: signed, encrypted callbacks to the running bot,
replies read from what the fake WeCom's ``message/send`` received.
"""

from __future__ import annotations

from bot.wecom_messages import OtherMessage
from core.storage import UnitOfWork
from handlers.inbound import Inbound
from tests.support.bot_harness import BotHarness
from tests.support.chat import Chat


class HttpChat(Chat):
    def __init__(self, bot: BotHarness, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.bot = bot
        self._moments: dict[str, int] = {}

    async def say(self, userid: str, text: str, *, key: str | None = None) -> str:
        # A text message's inbox key is "msg:<MsgId>": the same key is the same WeCom message.
        msg_id = key.removeprefix("msg:") if key else None
        before = len(self.bot.chat.received(userid))
        status = await self.bot.wecom.send_text(userid, text, msg_id=msg_id)
        assert status == 200, self.bot.wecom.last_body
        await self.bot.settled()
        return "\n".join(self.bot.chat.received(userid)[before:])

    async def scan(
        self, userid: str, code: str, button: str = "scan_pick", *, key: str | None = None
    ) -> str:
        # A distinct CreateTime per scan (WeCom's event key is FromUserName + CreateTime); the
        # same ``key`` again is the same event delivered again.
        before = len(self.bot.chat.received(userid))
        fresh = self.bot.wecom.now() + next(self._ids)
        moment = fresh if key is None else self._moments.setdefault(key, fresh)
        status = await self.bot.wecom.scan(userid, button, code, create_time=moment)
        assert status == 200, self.bot.wecom.last_body
        await self.bot.settled()
        return "\n".join(self.bot.chat.received(userid)[before:])

    async def click(self, userid: str, event_key: str, *, task_id: str = "task-1") -> str:
        return "\n".join(await self.bot.chat.click(userid, task_id, event_key))

    async def send(self, inbound: Inbound) -> str:
        if inbound.kind == "text":
            return await self.say(inbound.userid, inbound.text, key=inbound.key)
        if inbound.kind == "scan":
            return await self.scan(inbound.userid, inbound.text, inbound.event_key)
        if inbound.kind == "menu_click":
            before = len(self.bot.chat.received(inbound.userid))
            status = await self.bot.wecom.click_menu(inbound.userid, inbound.event_key)
            assert status == 200, self.bot.wecom.last_body
            await self.bot.settled()
            return "\n".join(self.bot.chat.received(inbound.userid)[before:])
        if inbound.kind == "card_click":
            return await self.click(inbound.userid, inbound.event_key, task_id=inbound.task_id)
        image = OtherMessage(inbound.userid, self.bot.wecom.now(), "image", msg_id=inbound.key)
        before = len(self.bot.chat.received(inbound.userid))
        assert await self.bot.wecom.send(image) == 200, self.bot.wecom.last_body
        await self.bot.settled()
        return "\n".join(self.bot.chat.received(inbound.userid)[before:])
