"""Matching keywords to commands, and the handler layer's import boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.common import Role
from handlers.dispatch import ROUTER
from handlers.router import ANY, Context, Reply, Router

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"


@pytest.mark.parametrize(
    ("text", "keyword", "args"),
    [
        ("查 可乐", "查", "可乐"),
        ("查可乐", "查", "可乐"),
        ("STOCK 可乐", "查", "可乐"),
        ("采购退货 可乐 4", "采购退货", "可乐 4"),
        ("退货 可乐 1", "退货", "可乐 1"),
        ("下一页", "下一页", ""),
        ("more", "下一页", ""),
    ],
)
def test_text_is_matched_to_the_longest_keyword(text: str, keyword: str, args: str) -> None:
    match = ROUTER.match(text)
    assert match is not None
    assert (match[0].keyword, match[1]) == (keyword, args)


@pytest.mark.parametrize("text", ["stockpile 可乐", "hello", "", "moreover"])
def test_english_aliases_need_a_word_boundary(text: str) -> None:
    assert ROUTER.match(text) is None


def test_every_keyword_and_alias_is_registered_once() -> None:
    words = [w for c in ROUTER.commands for w in (c.keyword, c.alias)]
    assert len(words) == len(set(words))


def test_every_command_has_a_help_line_with_an_example() -> None:
    for command in ROUTER.commands:
        assert command.example and command.example.split()[0] in (
            command.keyword,
            command.alias,
        ), command.keyword


def test_auditor_may_only_read() -> None:
    readable = {c.keyword for c in ROUTER.commands if Role.AUDITOR in c.roles}
    money = {"客户", "供应商", "应收", "应付", "对账单", "毛利", "合同"}
    assert readable == {"帮助", "查", "单据", "下一页", "健康检查", "配方", "用量"} | money


def test_a_handler_without_an_example_is_refused_at_registration() -> None:
    router = Router()

    async def undocumented(ctx: Context, args: str) -> Reply:
        return Reply("")

    with pytest.raises(ValueError, match="例："):
        router.command("无", "none", roles=ANY)(undocumented)


def test_handlers_import_neither_the_wire_nor_notifications() -> None:
    forbidden = ("bot", "notifications", "aiohttp", "wechatpy")
    for path in HANDLERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_card_buttons_are_routed_by_action_like_commands_by_keyword() -> None:
    approve = ROUTER.match_card("approve:SP-20261126-0001")
    reject = ROUTER.match_card("reject:SP-20261126-0001")
    assert approve is not None and approve[1] == "SP-20261126-0001"
    assert reject is not None and reject[0] is not approve[0]
    assert ROUTER.match_card("approve:") is None
    assert ROUTER.match_card("launch:SP-1") is None


def test_a_card_action_is_registered_once() -> None:
    router = Router()

    async def first(ctx: Context, subject: str) -> Reply:
        return Reply(subject)

    router.card("open")(first)
    with pytest.raises(ValueError, match="open"):
        router.card("open")(first)
