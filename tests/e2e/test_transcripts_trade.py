"""The ``test_handlers_trade`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_trade import (
    chat,
    test_a_reply_longer_than_wecom_allows_arrives_in_parts,
    test_clerk_receives_sells_and_sees_remaining_stock,
    test_clerk_return_awaits_approval_and_manager_return_goes_to_original,
    test_full_width_and_glued_input_reads_like_ascii,
    test_inactive_user_is_refused_like_an_unknown_one,
    test_ledger_request_carries_the_inbox_key,
    test_multi_line_sale_with_customer_lists_lines_total_and_stock,
    test_negative_sale_by_clerk_awaits_approval,
    test_non_text_message_gets_the_help_hint,
    test_purchaser_receives_and_returns_to_the_supplier,
    test_receive_with_lot_expiry_unit_and_another_warehouse,
    test_return_against_a_document_that_is_no_sale_is_refused,
    test_sale_beyond_stock_is_refused_where_negative_stock_is_forbidden,
    test_sale_beyond_stock_opens_an_approval_with_the_numbers,
    test_same_message_delivered_twice_posts_once_and_is_answered_once,
    test_stock_by_barcode_shows_batches_and_expired_ones,
    test_stock_of_an_item_never_received,
    test_unknown_command_points_to_help,
    test_unknown_user_gets_one_polite_refusal_and_nothing_changes,
)

# Over the wire an unexpected error is answered with 系统繁忙 and an error id (the inbox
# worker's job, tested in test_channel_delivery); the handler-level promise differs.

__all__ = [
    "chat",
    "test_a_reply_longer_than_wecom_allows_arrives_in_parts",
    "test_clerk_receives_sells_and_sees_remaining_stock",
    "test_clerk_return_awaits_approval_and_manager_return_goes_to_original",
    "test_full_width_and_glued_input_reads_like_ascii",
    "test_inactive_user_is_refused_like_an_unknown_one",
    "test_ledger_request_carries_the_inbox_key",
    "test_multi_line_sale_with_customer_lists_lines_total_and_stock",
    "test_negative_sale_by_clerk_awaits_approval",
    "test_non_text_message_gets_the_help_hint",
    "test_purchaser_receives_and_returns_to_the_supplier",
    "test_receive_with_lot_expiry_unit_and_another_warehouse",
    "test_return_against_a_document_that_is_no_sale_is_refused",
    "test_sale_beyond_stock_is_refused_where_negative_stock_is_forbidden",
    "test_sale_beyond_stock_opens_an_approval_with_the_numbers",
    "test_same_message_delivered_twice_posts_once_and_is_answered_once",
    "test_stock_by_barcode_shows_batches_and_expired_ones",
    "test_stock_of_an_item_never_received",
    "test_unknown_command_points_to_help",
    "test_unknown_user_gets_one_polite_refusal_and_nothing_changes",
]
