"""Domain errors. Each carries a user-safe Chinese message that can be shown as the reply."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on; ``message`` is shown to them as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass


class UnknownItem(NotFound):
    """No item matches what was typed (it may be a product not yet in the catalogue)."""


class AmbiguousItem(DomainError):
    def __init__(self, query: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(f"“{query}”对应多个商品，请说得更具体一些")
        self.query = query
        self.candidates = candidates


class InvalidInput(DomainError):
    pass


class InsufficientStock(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class ApprovalError(DomainError):
    """A decision that cannot be taken (already decided, expired, not allowed)."""


class ImportFailed(DomainError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("导入失败，未导入任何数据：\n" + "\n".join(errors))
        self.errors = errors


class ConcurrencyConflict(Exception):
    """Another transaction changed the rows we read; the whole unit of work is retried."""
