"""Command routing: keywords (Chinese first, English alias), the roles allowed, the handler.

A handler is ``async def handler(ctx: Context, args: str) -> Reply``; it never talks to WeCom.
The first line of its docstring is what ``帮助`` shows, and must end with ``例：<example>``.
Card buttons are routed the same way: a button's key is ``<action>:<subject>`` and
``@router.card("<action>")`` registers ``async def handler(ctx: Context, subject: str)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core import catalog
from core.catalog import DEFAULT_WAREHOUSE, UserView
from core.common import ROLE_NAMES, Role
from core.ledger import DocumentCommand
from core.storage import UnitOfWork
from handlers.inbound import Inbound
from handlers.render import render

ANY = frozenset(Role)
STAFF = frozenset({Role.CLERK, Role.PURCHASER, Role.MANAGER, Role.ADMIN})
SHOP = frozenset({Role.CLERK, Role.MANAGER, Role.ADMIN})
# The supply side: buying, returning to suppliers, moving stock between stores.
SUPPLY = frozenset({Role.PURCHASER, Role.MANAGER, Role.ADMIN})
APPROVERS = frozenset({Role.MANAGER, Role.ADMIN})
# Roles that see every warehouse's documents: the owner, and the auditor who checks them all.
SEE_ALL = frozenset({Role.ADMIN, Role.AUDITOR})
# The ledger's idempotency key column is 128 characters; card-click keys can be longer.
MAX_LEDGER_KEY = 128


@dataclass(frozen=True)
class Attachment:
    """A picture or a file sent after the reply's text; ``path`` is under the data dir."""

    kind: str  # "image" or "file"
    path: str
    name: str


@dataclass(frozen=True)
class Reply:
    text: str
    markdown: bool = False
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Context:
    uow: UnitOfWork
    inbound: Inbound
    user: UserView
    router: Router
    # The command text being run: the message, or the one a numbered pick continues.
    text: str
    # Ambiguous item name → the sku the user picked from the numbered list.
    picks: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse(self) -> str:
        """The user's default warehouse: the first of theirs (admins with none: MAIN)."""
        return self.user.warehouses[0] if self.user.warehouses else DEFAULT_WAREHOUSE

    @property
    def visible_warehouses(self) -> tuple[str, ...] | None:
        """Warehouses whose documents this user may read; ``None`` means all."""
        return None if self.user.role in SEE_ALL else self.user.warehouses

    def key(self) -> str:
        """The idempotency key of the ledger request this message makes."""
        return bounded_key(self.inbound.key, MAX_LEDGER_KEY)

    async def name_of(self, userid: str) -> str:
        """How a person is shown in replies: their name, or the userid if unknown."""
        user = await catalog.find_user(self.uow, userid)
        return userid if user is None else user.name

    def render(self, template: str, **values: Any) -> Reply:
        return Reply(render(template, tz=self.uow.tz, **values))


Handler = Callable[[Context, str], Awaitable[Reply]]
# The document a command's message posts, for posting it with a batch's others (None: the
# handler does something else with this message); the handler is what posts it alone.
Prepare = Callable[[Context, str], Awaitable[DocumentCommand | None]]


@dataclass(frozen=True)
class Command:
    keyword: str
    alias: str
    roles: frozenset[Role]
    handler: Handler
    document: Prepare | None = None

    @property
    def usage(self) -> str:
        return (self.handler.__doc__ or "").strip().splitlines()[0]

    @property
    def example(self) -> str:
        return self.usage.rsplit("例：", 1)[-1]

    @property
    def role_names(self) -> str:
        return "、".join(ROLE_NAMES[r] for r in Role if r in self.roles)


class Router:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.cards: dict[str, Handler] = {}
        # ``match``'s keywords and aliases by their first character, in the commands' order:
        # every message is matched, and a scan of all the words cost more than its reply.
        self._words: dict[str, list[tuple[str, bool, Command]]] = {}

    def card(self, action: str) -> Callable[[Handler], Handler]:
        """Register the handler of card buttons keyed ``<action>:<subject>``.

        Who may click is the core's decision (as for the text command doing the same).
        """

        def register(handler: Handler) -> Handler:
            if action in self.cards or ":" in action:
                raise ValueError(f"card action {action!r} is taken or has a ':'")
            self.cards[action] = handler
            return handler

        return register

    def match_card(self, event_key: str) -> tuple[Handler, str] | None:
        """The handler of a clicked button's key, and the subject it names."""
        action, _, subject = event_key.partition(":")
        handler = self.cards.get(action)
        if handler is None or not subject:
            return None
        return handler, subject

    def command(
        self,
        keyword: str,
        alias: str,
        *,
        roles: frozenset[Role],
        document: Prepare | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if "例：" not in (handler.__doc__ or ""):
                raise ValueError(f"{handler.__name__}: docstring needs a 例： example for 帮助")
            self._add(Command(keyword, alias, roles, handler, document))
            return handler

        return register

    def include(self, *routers: Router) -> Router:
        for router in routers:
            for command in router.commands:
                self._add(command)
            for action, handler in router.cards.items():
                self.card(action)(handler)
        return self

    def match(self, text: str) -> tuple[Command, str] | None:
        """The command ``text`` starts with, and the rest of it.

        Chinese keywords may be glued to what follows (``查可乐``); English aliases must be
        followed by a space. The longest keyword wins, so ``采购退货`` is not ``退货``.
        """
        lowered = text.lower()
        found: list[tuple[int, Command, str]] = []
        for word, glued, command in self._words.get(lowered[:1], []):
            if not lowered.startswith(word):
                continue
            rest = text[len(word) :]
            if glued or not rest or rest[0].isspace():
                found.append((len(word), command, rest.strip()))
        if not found:
            return None
        _, command, rest = max(found, key=lambda match: match[0])
        return command, rest

    def _add(self, command: Command) -> None:
        self.commands.append(command)
        for word, glued in ((command.keyword, True), (command.alias, False)):
            self._words.setdefault(word[:1], []).append((word, glued, command))


def bounded_key(key: str, limit: int) -> str:
    if len(key) <= limit:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
