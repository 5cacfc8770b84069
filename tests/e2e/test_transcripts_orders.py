"""The ``test_handlers_orders`` transcripts again, end to end: orders, picking and receiving by
real signed ``scancode_waitmsg`` events from the fake WeCom (``chat_factory`` in this folder's
conftest), replies read from its ``message/send``.
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixture they use).
from tests.integration.test_handlers_orders import (
    chat,
    test_a_bare_barcode_is_a_scan_in_the_open_session,
    test_a_batch_label_picks_that_batch,
    test_a_pack_barcode_counts_its_units_and_a_misread_digit_is_refused,
    test_a_weighed_label_picks_its_weight,
    test_an_approved_over_receipt_is_posted,
    test_cancel_releases_the_reservation_and_later_scans_are_refused,
    test_count_task_done_by_scans,
    test_count_variance_over_the_threshold_waits_for_approval,
    test_manager_registers_a_pack_barcode_and_clerks_may_not,
    test_menu_help_button_lists_the_commands,
    test_order_reserves_without_moving_stock,
    test_orders_of_today_list_their_progress,
    test_orders_refuse_bad_input_with_an_example,
    test_over_receipt_beyond_tolerance_waits_for_approval,
    test_over_receipt_within_tolerance_posts_at_once,
    test_partial_shipment_leaves_the_rest_open_and_unscanned_needs_a_manager,
    test_pick_by_scans_then_ship_moves_stock_and_releases_reservation,
    test_purchase_order_received_short_by_scans,
    test_query_by_a_registered_code_finds_its_item,
    test_scan_without_a_session_and_unknown_codes_say_what_to_do,
    test_session_expires_after_idle_time_with_a_reply,
    test_ship_refused_while_someone_else_is_picking,
    test_the_same_scan_delivered_twice_counts_once,
    test_without_scan_required_a_clerk_may_ship_unscanned_lines,
    test_wrong_item_and_beyond_ordered_scans_are_refused_and_change_nothing,
)

__all__ = [
    "chat",
    "test_a_bare_barcode_is_a_scan_in_the_open_session",
    "test_a_batch_label_picks_that_batch",
    "test_a_pack_barcode_counts_its_units_and_a_misread_digit_is_refused",
    "test_a_weighed_label_picks_its_weight",
    "test_an_approved_over_receipt_is_posted",
    "test_cancel_releases_the_reservation_and_later_scans_are_refused",
    "test_count_task_done_by_scans",
    "test_count_variance_over_the_threshold_waits_for_approval",
    "test_manager_registers_a_pack_barcode_and_clerks_may_not",
    "test_menu_help_button_lists_the_commands",
    "test_order_reserves_without_moving_stock",
    "test_orders_of_today_list_their_progress",
    "test_orders_refuse_bad_input_with_an_example",
    "test_over_receipt_beyond_tolerance_waits_for_approval",
    "test_over_receipt_within_tolerance_posts_at_once",
    "test_partial_shipment_leaves_the_rest_open_and_unscanned_needs_a_manager",
    "test_pick_by_scans_then_ship_moves_stock_and_releases_reservation",
    "test_purchase_order_received_short_by_scans",
    "test_query_by_a_registered_code_finds_its_item",
    "test_scan_without_a_session_and_unknown_codes_say_what_to_do",
    "test_session_expires_after_idle_time_with_a_reply",
    "test_ship_refused_while_someone_else_is_picking",
    "test_the_same_scan_delivered_twice_counts_once",
    "test_without_scan_required_a_clerk_may_ship_unscanned_lines",
    "test_wrong_item_and_beyond_ordered_scans_are_refused_and_change_nothing",
]
