"""WeCom callback crypto: a thin wrapper over ``wechatpy.enterprise.crypto.WeChatCrypto``.

wechatpy does the signature (sha1 over the sorted token, timestamp, nonce and ciphertext), the
AES-256-CBC envelope and the receive-id (corp id) check. This module adds what a public endpoint
needs around it: one exception type with an HTTP status, refusal of DTDs before any XML parser
sees the body, strict UTF-8, a size cap and a freshness check against replays.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers import expat as pyexpat

import xmltodict  # type: ignore[import-untyped]
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner

# WeCom callback bodies are a few hundred bytes; anything near this is not from WeCom.
MAX_BODY_BYTES = 64 * 1024
DEFAULT_FRESHNESS_WINDOW_S = 300

_FORBIDDEN_MARKUP = ("<!doctype", "<!entity")
# What a damaged ciphertext makes wechatpy raise: bad base64, bad block size, bad length prefix,
# plaintext that is not UTF-8.
_DECRYPT_ERRORS = (ValueError, TypeError, IndexError, KeyError, struct.error)


class CallbackRejected(Exception):
    """A callback request we refuse; ``status`` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class EncryptedCallback:
    """What WeCom POSTs: the query parameters and the XML envelope."""

    body: str
    msg_signature: str
    timestamp: str
    nonce: str

    @property
    def query(self) -> dict[str, str]:
        return {
            "msg_signature": self.msg_signature,
            "timestamp": self.timestamp,
            "nonce": self.nonce,
        }


def is_fresh(
    timestamp: str | int, now: datetime, window: float = DEFAULT_FRESHNESS_WINDOW_S
) -> bool:
    """True when ``timestamp`` (Unix seconds, as WeCom sends it) is within ``window`` of ``now``."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs(now.timestamp() - sent_at) <= window


def check_xml_text(raw: bytes) -> str:
    """Decode strictly as UTF-8 and refuse DTDs (billion laughs, XXE) before any parser runs."""
    if len(raw) > MAX_BODY_BYTES:
        raise CallbackRejected("body_too_large", 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CallbackRejected("not_utf8", 400) from None
    lowered = text.lower()
    if any(marker in lowered for marker in _FORBIDDEN_MARKUP):
        raise CallbackRejected("forbidden_xml_dtd", 400)
    return text


class _DtdRefused(Exception):
    pass


def _refuse_dtd(*_args: object) -> None:
    raise _DtdRefused


class _NoDtdExpat:
    """An ``expat`` stand-in for xmltodict whose parsers fail on any DOCTYPE declaration."""

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:
        parser = pyexpat.ParserCreate(*args, **kwargs)
        parser.StartDoctypeDeclHandler = _refuse_dtd
        return parser


def parse_xml_root(text: str) -> dict[str, Any]:
    """Parse XML without DTDs and return the children of its ``<xml>`` root element."""
    try:
        doc = xmltodict.parse(text, expat=_NoDtdExpat, disable_entities=True)
    except _DtdRefused:
        raise CallbackRejected("forbidden_xml_dtd", 400) from None
    except Exception:  # expat raises its own ExpatError; any parse failure is a bad request
        raise CallbackRejected("malformed_xml", 400) from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise CallbackRejected("malformed_xml", 400)
    return root


def compute_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    return str(signer.signature)


class CallbackCrypto:
    def __init__(self, token: str, aes_key: str, corp_id: str) -> None:
        try:
            self._crypto = WeChatCrypto(token, aes_key, corp_id)
        except (AssertionError, ValueError) as exc:
            raise ValueError("the WeCom EncodingAESKey must be 43 base64 characters") from exc
        self._token = token
        self.corp_id = corp_id

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Answer WeCom's GET URL check: the decrypted echostr, to be sent back as the bare body."""
        # A "+" left unescaped in the query reaches us as a space; base64 never has spaces.
        echostr = echostr.replace(" ", "+")
        self._check_signature(signature, timestamp, nonce, echostr)
        return self._unwrap(
            lambda: self._crypto.check_signature(signature, timestamp, nonce, echostr)
        )

    def decrypt_message(self, body: bytes, signature: str, timestamp: str, nonce: str) -> str:
        """Return the plaintext XML of a POSTed callback, or raise ``CallbackRejected``."""
        envelope = parse_xml_root(check_xml_text(body))
        encrypt = envelope.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise CallbackRejected("missing_encrypt", 400)
        self._check_signature(signature, timestamp, nonce, encrypt)
        plaintext = self._unwrap(
            lambda: self._crypto.decrypt_message({"Encrypt": encrypt}, signature, timestamp, nonce)
        )
        # No textual DTD check here: a user may well type "<!DOCTYPE" into a chat, and WeCom
        # puts it inside CDATA. parse_xml_root refuses real DTDs at the parser level instead.
        return plaintext

    def encrypt(self, plaintext: str) -> str:
        """Base64 ciphertext of ``plaintext`` with our corp id as the receive id."""
        return str(PrpCrypto(self._crypto.key).encrypt(plaintext, self.corp_id).decode("ascii"))

    def encrypt_message(
        self, xml: str, nonce: str, timestamp: str | int, agent_id: int | str = 1
    ) -> EncryptedCallback:
        """Encrypt and sign ``xml`` exactly as WeCom delivers a callback (used by the fake)."""
        encrypt = self.encrypt(xml)
        ts = str(timestamp)
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
        )
        signature = self.sign(ts, nonce, encrypt)
        return EncryptedCallback(body=body, msg_signature=signature, timestamp=ts, nonce=nonce)

    def seal_reply(self, xml: str, nonce: str, timestamp: str | int) -> str:
        """The body of a passive reply (被动回复): ``xml`` encrypted, signed, in the envelope
        WeCom expects (Encrypt, MsgSignature, TimeStamp, Nonce)."""
        encrypt = self.encrypt(xml)
        ts = str(timestamp)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{self.sign(ts, nonce, encrypt)}]]></MsgSignature>"
            f"<TimeStamp>{ts}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

    def open_reply(self, body: bytes) -> str:
        """The plaintext XML of a passive reply body, after its signature check (WeCom's side:
        the fake and the benchmarks use it)."""
        envelope = parse_xml_root(check_xml_text(body))
        fields = [envelope.get(name) for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")]
        if not all(isinstance(field, str) and field for field in fields):
            raise CallbackRejected("malformed_passive_reply", 400)
        encrypt, signature, timestamp, nonce = (str(field) for field in fields)
        self._check_signature(signature, timestamp, nonce, encrypt)
        return self._unwrap(lambda: PrpCrypto(self._crypto.key).decrypt(encrypt, self.corp_id))

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return compute_signature(self._token, timestamp, nonce, encrypt)

    def url_check_query(self, echo: str, nonce: str, timestamp: str | int) -> dict[str, str]:
        """Query of a WeCom GET URL check whose right answer is ``echo`` (used by the fake)."""
        encrypt = self.encrypt(echo)
        ts = str(timestamp)
        signature = self.sign(ts, nonce, encrypt)
        return {"msg_signature": signature, "timestamp": ts, "nonce": nonce, "echostr": encrypt}

    def _check_signature(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        # wechatpy compares with "!=", so check first in constant time.
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), (signature or "").encode()):
            raise CallbackRejected("bad_signature", 403)

    @staticmethod
    def _unwrap(call: Callable[[], Any]) -> str:
        try:
            return str(call())
        except InvalidSignatureException:
            raise CallbackRejected("bad_signature", 403) from None
        except InvalidCorpIdException:
            raise CallbackRejected("wrong_receive_id", 403) from None
        except _DECRYPT_ERRORS:
            raise CallbackRejected("undecryptable", 400) from None
