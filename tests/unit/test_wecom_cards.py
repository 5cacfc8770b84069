from __future__ import annotations

from typing import Any

import pytest

from bot.cards import check_task_id, template_card, wire_payload


def approval_card(**changes: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "task_id": "SP-20261126-0001",
        "title": "改价审批",
        "description": "可乐 3.00 → 3.50",
        "rows": [["申请人", "店员 小王"], ["门店", "MAIN"]],
        "note": "24 小时内有效",
        "buttons": [
            {"text": "同意", "key": "approve:SP-20261126-0001", "style": 1},
            {"text": "驳回", "key": "reject:SP-20261126-0001", "style": 2},
        ],
    }
    card.update(changes)
    return card


def test_plain_card_becomes_a_button_interaction_template_card() -> None:
    assert template_card(approval_card()) == {
        "card_type": "button_interaction",
        "main_title": {"title": "改价审批", "desc": "可乐 3.00 → 3.50"},
        "task_id": "SP-20261126-0001",
        "horizontal_content_list": [
            {"keyname": "申请人", "value": "店员 小王"},
            {"keyname": "门店", "value": "MAIN"},
        ],
        "sub_title_text": "24 小时内有效",
        "button_list": [
            {"text": "同意", "style": 1, "key": "approve:SP-20261126-0001"},
            {"text": "驳回", "style": 2, "key": "reject:SP-20261126-0001"},
        ],
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"rows": [["k", "v"]] * 7},
        {"buttons": []},
        {"buttons": [{"text": "x", "key": f"k{i}"} for i in range(7)]},
        {"buttons": [{"text": "a", "key": "same"}, {"text": "b", "key": "same"}]},
        {"buttons": [{"text": "a", "key": "k" * 1025}]},
        {"buttons": [{"text": "a", "key": "k", "style": 5}]},
        {"task_id": "审批-1"},
    ],
)
def test_cards_breaking_wecom_limits_fail_early(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        template_card(approval_card(**changes))


@pytest.mark.parametrize("task_id", ["", "a b", "a" * 129, "x:y"])
def test_task_ids_outside_wecom_rules_are_refused(task_id: str) -> None:
    with pytest.raises(ValueError):
        check_task_id(task_id)


def test_task_id_with_allowed_characters_passes() -> None:
    assert check_task_id("SP_2026-11@MAIN") == "SP_2026-11@MAIN"


def test_outbox_card_payload_becomes_a_template_card_message() -> None:
    wire = wire_payload({"msgtype": "card", "card": approval_card()})
    assert wire["msgtype"] == "template_card"
    assert wire["template_card"]["task_id"] == "SP-20261126-0001"


def test_other_outbox_payloads_pass_through() -> None:
    text = {"msgtype": "text", "text": {"content": "hi"}}
    assert wire_payload(text) == text
