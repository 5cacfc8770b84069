"""The WeCom ``Sender``: outbox channels → ``WeComClient`` calls.

Channels and payloads (``core.messaging.outbox``):
- ``user``: target is userids joined by "|"; payload ``{msgtype, …}`` as ``message/send`` takes
  it, except that a ``card`` payload (``handlers.cards.Card.to_payload()``) becomes a template
  card here;
- ``appchat``: target is a chat id; ``webhook``: target is a group robot's key; both take
  ``text`` and ``markdown`` payloads;
- ``card_update``: ``{userids, response_code, replace_name}`` relabels the clicked button,
  ``{userids, response_code, card}`` replaces the whole card.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.cards import template_card, wire_payload
from bot.wecom_api import WeComApiError, WeComClient
from notifications.outbox_worker import DeliveryFailed


class WeComSender:
    def __init__(self, client: WeComClient) -> None:
        self._client = client

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
        if channel == "user":
            return await self._client.send_message(target, wire_payload(payload))
        if channel == "appchat":
            msgtype = str(payload["msgtype"])
            return await self._client.appchat_send(target, msgtype, payload[msgtype])
        if channel == "webhook":
            msgtype = str(payload["msgtype"])
            return await self._client.webhook_send(target, msgtype, payload[msgtype])
        if channel == "card_update":
            return await self._update_card(payload)
        raise ValueError(f"unknown channel {channel!r}")

    async def _update_card(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        userids = [str(userid) for userid in payload["userids"]]
        code = str(payload["response_code"])
        if "card" in payload:
            card = template_card(payload["card"])
            return await self._client.update_template_card(userids, code, card=card)
        name = str(payload["replace_name"])
        return await self._client.update_template_card(userids, code, button_replace_name=name)
