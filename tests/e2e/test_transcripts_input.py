"""The ``test_handlers_input`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_input import (
    chat,
    database_url,
    test_a_number_without_a_list_says_so,
    test_ambiguous_name_offers_a_numbered_list_and_the_number_picks,
    test_help_lists_only_the_commands_of_the_role,
    test_malformed_input_says_what_is_wrong_and_posts_nothing,
    test_pick_expires_after_ten_minutes,
    test_pick_works_for_stock_queries_and_rejects_numbers_out_of_range,
    test_refused_command_names_the_roles_that_may_use_it,
)

__all__ = [
    "chat",
    "database_url",
    "test_a_number_without_a_list_says_so",
    "test_ambiguous_name_offers_a_numbered_list_and_the_number_picks",
    "test_help_lists_only_the_commands_of_the_role",
    "test_malformed_input_says_what_is_wrong_and_posts_nothing",
    "test_pick_expires_after_ten_minutes",
    "test_pick_works_for_stock_queries_and_rejects_numbers_out_of_range",
    "test_refused_command_names_the_roles_that_may_use_it",
]
