"""The WeCom ``Sender``: outbox channels → ``WeComClient`` calls.

Channels and payloads (``core.messaging.outbox``):
- ``user``: target is userids joined by "|", sent in parts of at most 1000; payload
  ``{msgtype, …}`` as ``message/send`` takes it, except that a ``card`` payload
  (``handlers.cards.Card.to_payload()``) becomes a template card here;
- ``appchat``: target is a chat id; ``webhook``: target is a group robot's key; both take
  ``text`` and ``markdown`` payloads;
- ``card_update``: ``{userids, response_code, replace_name}`` relabels the clicked button,
  ``{userids, response_code, card}`` replaces the whole card;
- an ``image`` or ``file`` payload (``core.outbox.media_payload``) names a file under the data
  dir; it is read and uploaded now (``media/upload``) and sent by the media id WeCom answers.
  A group robot gets an image inline (base64 + md5) and a file through its own upload.
  A file that is gone cannot come back: that row fails for good.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.cards import template_card, wire_payload
from bot.wecom_api import MAX_RECIPIENTS, ROBOT_IMAGE_LIMIT, WeComApiError, WeComClient
from core.messaging.outbox import MEDIA_KINDS
from notifications.outbox_worker import DeliveryFailed


class WeComSender:
    def __init__(self, client: WeComClient, data_dir: Path | None = None) -> None:
        self._client = client
        self._data_dir = data_dir or Path(".")

    async def send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self._send(channel, target, payload)
        except WeComApiError as error:
            raise DeliveryFailed(str(error), retryable=error.retryable) from error
        except (KeyError, TypeError, ValueError) as error:
            # A payload WeCom would refuse: sending it again cannot help.
            reason = f"bad {channel} payload: {type(error).__name__}: {error}"
            raise DeliveryFailed(reason, retryable=False) from error

    async def _send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        if payload.get("msgtype") in MEDIA_KINDS:
            return await self._send_media(channel, target, payload)
        if channel == "user":
            return await self._send_to_users(target.split("|"), wire_payload(payload))
        if channel == "appchat":
            msgtype = str(payload["msgtype"])
            return await self._client.appchat_send(target, msgtype, payload[msgtype])
        if channel == "webhook":
            msgtype = str(payload["msgtype"])
            return await self._client.webhook_send(target, msgtype, payload[msgtype])
        if channel == "card_update":
            return await self._update_card(payload)
        raise ValueError(f"unknown channel {channel!r}")

    async def _read(self, media: Mapping[str, Any]) -> bytes:
        path = self._data_dir / str(media["path"])
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            reason = f"media file unreadable: {path}: {error}"
            raise DeliveryFailed(reason, retryable=False) from error

    async def _send_media(
        self, channel: str, target: str, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        kind = str(payload["msgtype"])
        media = payload[kind]
        content = await self._read(media)
        name = str(media["name"])
        if channel == "webhook":
            return await self._robot_media(target, kind, content, name)
        media_id = await self._client.upload_media(kind, content, name)
        wire: dict[str, Any] = {"msgtype": kind, kind: {"media_id": media_id}}
        if channel == "user":
            return await self._send_to_users(target.split("|"), wire)
        if channel == "appchat":
            return await self._client.appchat_send(target, kind, wire[kind])
        raise ValueError(f"{kind} cannot go to channel {channel!r}")

    async def _robot_media(self, key: str, kind: str, content: bytes, name: str) -> dict[str, Any]:
        if kind == "image":
            if len(content) > ROBOT_IMAGE_LIMIT:
                raise DeliveryFailed("image over a group robot's 2 MB", retryable=False)
            inline = {
                "base64": base64.b64encode(content).decode(),
                "md5": hashlib.md5(content).hexdigest(),
            }
            return await self._client.webhook_send(key, "image", inline)
        media_id = await self._client.webhook_upload_media(key, content, name)
        return await self._client.webhook_send(key, "file", {"media_id": media_id})

    async def _send_to_users(
        self, userids: list[str], payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One ``message/send`` per ``MAX_RECIPIENTS`` users; the first answer, with every part's.

        After a failure the row is sent again from the first part: the parts that went out
        before are repeats that WeCom's duplicate check drops.
        """
        parts = [userids[i : i + MAX_RECIPIENTS] for i in range(0, len(userids), MAX_RECIPIENTS)]
        answers = [await self._client.send_message(part, payload) for part in parts]
        if len(answers) == 1:
            return answers[0]
        return {**answers[0], "parts": answers}

    async def _update_card(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        userids = [str(userid) for userid in payload["userids"]]
        code = str(payload["response_code"])
        if "card" in payload:
            card = template_card(payload["card"])
            return await self._client.update_template_card(userids, code, card=card)
        name = str(payload["replace_name"])
        return await self._client.update_template_card(userids, code, button_replace_name=name)
