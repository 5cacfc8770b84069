from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.wecom_crypto import (
    MAX_BODY_BYTES,
    CallbackCrypto,
    CallbackRejected,
    is_fresh,
    parse_xml_root,
)
from bot.wecom_messages import PassiveText

# Official vectors, from wechatpy's own tests (see WECOM.md).
TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
CORP_ID = "wx49f0ab532d5d035a"

URL_SIGNATURE = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
URL_TIMESTAMP = "1411443780"
URL_NONCE = "437374425"
URL_ECHOSTR = (
    "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
)

MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
MSG_TIMESTAMP = "1411525903"
MSG_NONCE = "461056294"
MSG_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrs"
    "TyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+"
    "BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7"
    "vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dS"
    "hyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)


def envelope(encrypt: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        "<AgentID><![CDATA[1]]></AgentID></xml>"
    ).encode()


@pytest.fixture
def crypto() -> CallbackCrypto:
    return CallbackCrypto(TOKEN, AES_KEY, CORP_ID)


def test_url_verification_vector_answers_the_decrypted_echostr(crypto: CallbackCrypto) -> None:
    answer = crypto.verify_url(URL_SIGNATURE, URL_TIMESTAMP, URL_NONCE, URL_ECHOSTR)
    assert answer == "5927782489442352469"


def test_url_verification_with_another_nonce_fails_the_signature(crypto: CallbackCrypto) -> None:
    with pytest.raises(CallbackRejected) as err:
        crypto.verify_url(URL_SIGNATURE, URL_TIMESTAMP, "437374424", URL_ECHOSTR)
    assert (err.value.reason, err.value.status) == ("bad_signature", 403)


def test_message_vector_decrypts_to_the_text_message(crypto: CallbackCrypto) -> None:
    xml = crypto.decrypt_message(envelope(MSG_ENCRYPT), MSG_SIGNATURE, MSG_TIMESTAMP, MSG_NONCE)
    fields = parse_xml_root(xml)
    assert fields["FromUserName"] == "messense"
    assert fields["ToUserName"] == CORP_ID
    assert fields["CreateTime"] == "1411525903"
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "test"
    assert fields["MsgId"] == "4363689963896700987"
    assert fields["AgentID"] == "1"


def test_message_with_a_wrong_signature_is_rejected(crypto: CallbackCrypto) -> None:
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(envelope(MSG_ENCRYPT), "0" * 40, MSG_TIMESTAMP, MSG_NONCE)
    assert err.value.status == 403


def test_message_encrypted_for_another_corp_is_rejected(crypto: CallbackCrypto) -> None:
    other = CallbackCrypto(TOKEN, AES_KEY, "wwsomeothercorp0001")
    sealed = other.encrypt_message("<xml><MsgType>text</MsgType></xml>", "42", "1411525903")
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(
            sealed.body.encode(), sealed.msg_signature, sealed.timestamp, sealed.nonce
        )
    assert (err.value.reason, err.value.status) == ("wrong_receive_id", 403)


def test_encrypted_message_round_trips(crypto: CallbackCrypto) -> None:
    xml = "<xml><Content><![CDATA[入库 可乐 24]]></Content></xml>"
    sealed = crypto.encrypt_message(xml, "1234567", 1700000000, agent_id=1000002)
    assert "<AgentID><![CDATA[1000002]]></AgentID>" in sealed.body
    plain = crypto.decrypt_message(
        sealed.body.encode(), sealed.msg_signature, sealed.timestamp, sealed.nonce
    )
    assert plain == xml


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<xml><Encrypt>&lol2;</Encrypt></xml>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        b'<!doctype xml SYSTEM "file:///etc/passwd"><xml><Encrypt>x</Encrypt></xml>',
        b'<xml><Encrypt>x</Encrypt></xml><!ENTITY e "e">',
    ],
)
def test_bodies_with_a_dtd_are_refused_before_parsing(crypto: CallbackCrypto, body: bytes) -> None:
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(body, "sig", "1", "1")
    assert (err.value.reason, err.value.status) == ("forbidden_xml_dtd", 400)


def test_signed_plaintext_with_a_dtd_is_refused_by_the_parser(crypto: CallbackCrypto) -> None:
    sealed = crypto.encrypt_message('<!DOCTYPE xml [<!ENTITY a "b">]><xml><a>&a;</a></xml>', "1", 1)
    plain = crypto.decrypt_message(
        sealed.body.encode(), sealed.msg_signature, sealed.timestamp, sealed.nonce
    )
    with pytest.raises(CallbackRejected) as err:
        parse_xml_root(plain)
    assert (err.value.reason, err.value.status) == ("forbidden_xml_dtd", 400)


def test_a_body_that_is_not_utf8_is_refused(crypto: CallbackCrypto) -> None:
    body = "<xml><Encrypt>测试</Encrypt></xml>".encode("gbk")
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(body, "sig", "1", "1")
    assert (err.value.reason, err.value.status) == ("not_utf8", 400)


def test_an_oversized_body_is_refused(crypto: CallbackCrypto) -> None:
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(b"x" * (MAX_BODY_BYTES + 1), "sig", "1", "1")
    assert err.value.status == 413


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<xml><ToUserName>x</ToUserName></xml>", "missing_encrypt"),
        (b"<xml><Encrypt>unclosed", "malformed_xml"),
        (b"<other><Encrypt>x</Encrypt></other>", "malformed_xml"),
    ],
)
def test_malformed_envelopes_are_bad_requests(
    crypto: CallbackCrypto, body: bytes, reason: str
) -> None:
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(body, "sig", "1", "1")
    assert (err.value.reason, err.value.status) == (reason, 400)


def test_correctly_signed_garbage_ciphertext_is_a_bad_request(crypto: CallbackCrypto) -> None:
    garbage = "bm90IGEgY2lwaGVydGV4dA=="
    signature = crypto.sign("1", "2", garbage)
    with pytest.raises(CallbackRejected) as err:
        crypto.decrypt_message(envelope(garbage), signature, "1", "2")
    assert (err.value.reason, err.value.status) == ("undecryptable", 400)


def test_an_aes_key_of_the_wrong_length_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="43"):
        CallbackCrypto(TOKEN, "tooshort", CORP_ID)


NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset_s", "fresh"),
    [(0, True), (-300, True), (300, True), (-301, False), (301, False)],
)
def test_timestamps_more_than_five_minutes_away_are_not_fresh(offset_s: int, fresh: bool) -> None:
    timestamp = str(int((NOW + timedelta(seconds=offset_s)).timestamp()))
    assert is_fresh(timestamp, NOW) is fresh


@pytest.mark.parametrize("timestamp", ["", "soon", "1.5e9"])
def test_unreadable_timestamps_are_not_fresh(timestamp: str) -> None:
    assert is_fresh(timestamp, NOW) is False


def test_url_verification_survives_plus_signs_decoded_as_spaces(crypto: CallbackCrypto) -> None:
    mangled = URL_ECHOSTR.replace("+", " ")
    answer = crypto.verify_url(URL_SIGNATURE, URL_TIMESTAMP, URL_NONCE, mangled)
    assert answer == "5927782489442352469"


def test_a_sealed_passive_reply_opens_with_wechatpy_as_wecom_opens_it() -> None:
    reply = PassiveText("clerk1", CORP_ID, 1411525903, "可乐 库存 12 瓶")
    body = CallbackCrypto(TOKEN, AES_KEY, CORP_ID).seal_reply(reply.xml(), "461056294", 1411525903)
    fields = parse_xml_root(body)
    assert sorted(fields) == ["Encrypt", "MsgSignature", "Nonce", "TimeStamp"]
    plaintext = WeChatCrypto(TOKEN, AES_KEY, CORP_ID).decrypt_message(
        body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
    )
    assert PassiveText.from_xml(plaintext) == reply


def test_a_passive_reply_with_a_wrong_signature_is_refused_by_the_opener() -> None:
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP_ID)
    body = crypto.seal_reply("<xml><MsgType>text</MsgType></xml>", "1", 1411525903)
    forged = body.replace("<Nonce><![CDATA[1]]>", "<Nonce><![CDATA[2]]>")
    with pytest.raises(CallbackRejected) as refused:
        crypto.open_reply(forged.encode())
    assert refused.value.reason == "bad_signature"
