"""Which failures mean "try the transaction again" is decided by type, not by an error's text."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from core.common import ConcurrencyConflict
from core.storage import is_retryable, lost_race_on_insert


def unique_failure(text: str) -> IntegrityError:
    return IntegrityError("INSERT ...", {}, Exception(text))


def test_an_integrity_error_is_not_retried_because_its_text_names_a_table() -> None:
    assert not is_retryable(unique_failure("UNIQUE constraint failed: stock_balances.batch_id"))
    assert not is_retryable(unique_failure('duplicate key value violates "uq_batches_item_lot"'))


def test_an_insert_that_lost_a_race_is_a_retryable_concurrency_conflict() -> None:
    with pytest.raises(ConcurrencyConflict) as raised, lost_race_on_insert("a batch"):
        raise unique_failure("UNIQUE constraint failed: batches.item_id, batches.lot")
    assert is_retryable(raised.value)
    assert isinstance(raised.value.__cause__, IntegrityError)
