"""The ``test_handlers_inventory`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_inventory import (
    chat,
    database_url,
    test_a_write_off_beyond_stock_where_negative_is_allowed_shows_the_right_after,
    test_count_posts_the_variance,
    test_large_writeoff_awaits_approval,
    test_price_change_is_requested_for_approval,
    test_price_change_to_the_same_price_is_refused,
    test_transfer_defaults_to_own_warehouse_and_needs_a_destination,
    test_transfer_from_a_warehouse_the_user_does_not_run_is_refused,
    test_transfer_moves_stock_between_warehouses,
    test_writeoff_keeps_the_trailing_words_as_the_reason,
)

__all__ = [
    "chat",
    "database_url",
    "test_a_write_off_beyond_stock_where_negative_is_allowed_shows_the_right_after",
    "test_count_posts_the_variance",
    "test_large_writeoff_awaits_approval",
    "test_price_change_is_requested_for_approval",
    "test_price_change_to_the_same_price_is_refused",
    "test_transfer_defaults_to_own_warehouse_and_needs_a_destination",
    "test_transfer_from_a_warehouse_the_user_does_not_run_is_refused",
    "test_transfer_moves_stock_between_warehouses",
    "test_writeoff_keeps_the_trailing_words_as_the_reason",
]
