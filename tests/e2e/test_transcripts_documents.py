"""The ``test_handlers_documents`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_documents import (
    archived_chat,
    chat,
    data_dir,
    database_url,
    test_archived_document_is_still_shown_by_number_marked_archived,
    test_bad_document_queries_are_explained,
    test_document_list_rows_show_type_status_time_total_and_customer,
    test_documents_filtered_by_period_customer_status_and_type,
    test_documents_of_other_warehouses_stay_hidden_except_for_admin_and_auditor,
    test_empty_list_says_nothing_matches,
    test_next_page_expires_after_ten_minutes,
    test_one_document_by_number_with_lines_and_total,
    test_sixty_documents_ten_a_page_reach_the_end_without_duplicates_or_gaps,
    test_transfer_is_visible_in_the_receiving_warehouse,
)

__all__ = [
    "archived_chat",
    "chat",
    "data_dir",
    "database_url",
    "test_archived_document_is_still_shown_by_number_marked_archived",
    "test_bad_document_queries_are_explained",
    "test_document_list_rows_show_type_status_time_total_and_customer",
    "test_documents_filtered_by_period_customer_status_and_type",
    "test_documents_of_other_warehouses_stay_hidden_except_for_admin_and_auditor",
    "test_empty_list_says_nothing_matches",
    "test_next_page_expires_after_ten_minutes",
    "test_one_document_by_number_with_lines_and_total",
    "test_sixty_documents_ten_a_page_reach_the_end_without_duplicates_or_gaps",
    "test_transfer_is_visible_in_the_receiving_warehouse",
]
