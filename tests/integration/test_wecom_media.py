"""Pictures and files: media/upload on the fake WeCom (real HTTP, multipart) and the sender
that uploads an outbox row's file at delivery time."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.fake_wecom import FakeWeCom
from bot.wecom_api import WeComApiError, WeComClient
from bot.wecom_sender import WeComSender
from core.messaging.outbox import media_payload
from notifications.outbox_worker import DeliveryFailed
from tests.support.bot_harness import AGENT_ID, CORP_ID, SECRET, new_fake

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    async with new_fake(users=["mgr1"]) as server:
        yield server


@pytest.fixture
async def client(fake: FakeWeCom) -> AsyncIterator[WeComClient]:
    async with aiohttp.ClientSession() as session:
        yield WeComClient(
            session, fake.api_base, CORP_ID, SECRET, AGENT_ID, max_attempts=2, retry_base_delay=0
        )


async def test_upload_sends_multipart_media_field_and_returns_a_media_id(
    fake: FakeWeCom, client: WeComClient
) -> None:
    media_id = await client.upload_media("file", b"a,b\n1,2\n", "报表.csv")
    stored = fake.media(media_id)
    assert stored is not None
    assert (stored.kind, stored.filename, stored.content) == ("file", "报表.csv", b"a,b\n1,2\n")
    [call] = fake.successful("media/upload")
    assert call.query["type"] == "file"


async def test_fake_refuses_what_wecom_refuses(fake: FakeWeCom, client: WeComClient) -> None:
    token = await client.access_token()
    async with aiohttp.ClientSession() as session:

        async def upload(kind: str, content: bytes, field: str = "media") -> int:
            form = aiohttp.FormData()
            form.add_field(field, content, filename="x.bin")
            url = fake.api_base + "media/upload"
            params = {"access_token": token, "type": kind}
            async with session.post(url, params=params, data=form) as resp:
                return int((await resp.json())["errcode"])

        assert await upload("file", b"12345") == 40006  # WeCom wants more than 5 bytes
        assert await upload("image", b"not a picture at all") == 40004
        assert await upload("video", PNG) == 40005
        assert await upload("file", PNG, field="other") == 41005
        assert await upload("file", b"x" * (20 * 1024 * 1024 + 1)) == 40006
        assert await upload("image", PNG) == 0


async def test_client_refuses_oversized_media_before_sending(
    fake: FakeWeCom, client: WeComClient
) -> None:
    with pytest.raises(WeComApiError) as refused:
        await client.upload_media("image", PNG + b"\x00" * (10 * 1024 * 1024), "big.png")
    assert refused.value.errcode == 40009 and not refused.value.retryable
    assert fake.successful("media/upload") == []


async def test_sender_uploads_the_rows_file_then_sends_image_and_file_messages(
    fake: FakeWeCom, client: WeComClient, tmp_path: Path
) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "chart.png").write_bytes(PNG)
    (tmp_path / "reports" / "book.xlsx").write_bytes(b"PK\x03\x04 workbook")
    sender = WeComSender(client, tmp_path)

    await sender.send("user", "mgr1", media_payload("image", "reports/chart.png", "趋势.png"))
    await sender.send("user", "mgr1", media_payload("file", "reports/book.xlsx", "体检.xlsx"))

    image, file = fake.messages_to("mgr1")
    assert image["msgtype"] == "image" and file["msgtype"] == "file"
    picture = fake.media(image["image"]["media_id"])
    workbook = fake.media(file["file"]["media_id"])
    assert picture is not None and picture.content == PNG
    assert workbook is not None and workbook.filename == "体检.xlsx"


async def test_a_message_naming_unknown_media_is_refused(
    fake: FakeWeCom, client: WeComClient
) -> None:
    with pytest.raises(WeComApiError) as refused:
        await client.send_message("mgr1", {"msgtype": "image", "image": {"media_id": "nope"}})
    assert refused.value.errcode == 40007


async def test_group_robot_gets_the_image_inline_and_the_file_by_its_upload(
    fake: FakeWeCom, client: WeComClient, tmp_path: Path
) -> None:
    (tmp_path / "c.png").write_bytes(PNG)
    (tmp_path / "b.xlsx").write_bytes(b"PK\x03\x04 workbook")
    sender = WeComSender(client, tmp_path)
    await sender.send("webhook", "robot", media_payload("image", "c.png", "c.png"))
    await sender.send("webhook", "robot", media_payload("file", "b.xlsx", "b.xlsx"))

    image, file = fake.webhook_messages("robot")
    assert base64.b64decode(image["image"]["base64"]) == PNG
    assert image["image"]["md5"] == hashlib.md5(PNG).hexdigest()
    assert fake.media(file["file"]["media_id"]) is not None
    assert fake.successful("webhook/upload_media")


async def test_a_vanished_file_is_a_permanent_failure(client: WeComClient, tmp_path: Path) -> None:
    sender = WeComSender(client, tmp_path)
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send("user", "mgr1", media_payload("file", "gone.xlsx", "gone.xlsx"))
    assert not failed.value.retryable


async def test_a_button_card_is_refused_by_a_group_chat_and_a_group_robot(
    fake: FakeWeCom, client: WeComClient
) -> None:
    """WeCom's 应用推送消息 (appchat/send) has no template_card; a robot only text_notice and
    news_notice cards: a button card sent to either fails as it would there."""
    card = {"card_type": "button_interaction", "main_title": {"title": "临期"}, "task_id": "t1"}
    with pytest.raises(WeComApiError) as chat:
        await client.appchat_send("G1", "template_card", card)
    with pytest.raises(WeComApiError) as robot:
        await client.webhook_send("ROBOT1", "template_card", card)
    assert chat.value.errcode == robot.value.errcode == 40008
    notice = {**card, "card_type": "text_notice"}
    assert (await client.webhook_send("ROBOT1", "template_card", notice))["errcode"] == 0
    assert (await client.appchat_send("G1", "markdown", {"content": "**临期**"}))["errcode"] == 0
