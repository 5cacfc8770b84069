"""The ``test_handlers_approvals`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_approvals import (
    chat,
    database_url,
    test_a_decided_request_is_not_decided_again,
    test_a_price_below_the_cent_is_shown_as_it_will_be_set,
    test_card_click_approves_and_answers_the_clicker,
    test_card_click_by_an_unknown_user_is_refused,
    test_card_click_reject_and_unknown_buttons,
    test_expired_request_cannot_be_approved,
    test_manager_approves_a_price_change,
    test_manager_approves_a_sale_by_text_and_it_posts,
    test_manager_of_another_warehouse_cannot_approve,
    test_manager_rejects_with_a_reason_and_nothing_posts,
    test_manager_sees_the_open_requests_of_their_warehouses,
    test_many_open_requests_are_listed_ten_with_the_rest_counted,
    test_requester_cannot_approve_their_own_request,
    test_requester_withdraws_their_request_and_others_cannot,
    test_unknown_request_number,
)

__all__ = [
    "chat",
    "database_url",
    "test_a_decided_request_is_not_decided_again",
    "test_a_price_below_the_cent_is_shown_as_it_will_be_set",
    "test_card_click_approves_and_answers_the_clicker",
    "test_card_click_by_an_unknown_user_is_refused",
    "test_card_click_reject_and_unknown_buttons",
    "test_expired_request_cannot_be_approved",
    "test_manager_approves_a_price_change",
    "test_manager_approves_a_sale_by_text_and_it_posts",
    "test_manager_of_another_warehouse_cannot_approve",
    "test_manager_rejects_with_a_reason_and_nothing_posts",
    "test_manager_sees_the_open_requests_of_their_warehouses",
    "test_many_open_requests_are_listed_ten_with_the_rest_counted",
    "test_requester_cannot_approve_their_own_request",
    "test_requester_withdraws_their_request_and_others_cannot",
    "test_unknown_request_number",
]
