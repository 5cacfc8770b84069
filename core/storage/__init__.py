"""The database underneath everything: engines, sessions and transactions.

Engines for SQLite and PostgreSQL (``db``), the inline SQLite driver and the database thread,
statements whose rows go to and come from that driver as they are, group commit, the unit of
work, exact column types, the declarative tables (``models``, whose ``Base`` other packages'
tables share) and the alembic migrations with their runner.
"""

from __future__ import annotations

from core.storage.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine,
    create_sessionmaker,
    is_postgres,
)
from core.storage.db_thread import (
    DatabaseThread,
    DatabaseThreadDied,
    log,
)
from core.storage.driver_reads import ReadStatement, tag, typed_null
from core.storage.driver_rows import RowStatement
from core.storage.error_reason import (
    MAX_REASON,
    short_reason,
)
from core.storage.group_commit import (
    MAX_BATCH,
    CommitterDied,
    GroupCommitter,
    Settled,
    Together,
    Work,
)
from core.storage.models import (
    MONEY,
    NAMING,
    QTY,
    AlertState,
    Approval,
    AuditHead,
    AuditLog,
    Base,
    Batch,
    ConversationState,
    DeliveryInstance,
    Document,
    DocumentLine,
    InboxMessage,
    Item,
    Lease,
    NumberSequence,
    OutboxMessage,
    Partner,
    StockBalance,
    StockLevelRow,
    StockMove,
    User,
    UserWarehouse,
    Warehouse,
)
from core.storage.schema import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    sqlite_file,
    unready_reason,
    upgrade,
)
from core.storage.sqlite_inline import (
    InlineConnection,
    InlineCursor,
)
from core.storage.streaming import STREAM_BATCH_ROWS, stream_rows
from core.storage.types import (
    SCALE,
    Fixed,
    UtcDateTime,
)
from core.storage.uow import (
    SHANGHAI,
    Transact,
    UnitOfWork,
    in_transaction,
    is_retryable,
    lost_race_on_insert,
    own_transactions,
)

__all__ = [
    "MAX_BATCH",
    "MAX_REASON",
    "MIGRATIONS",
    "MONEY",
    "NAMING",
    "QTY",
    "SCALE",
    "SHANGHAI",
    "SQLITE_BUSY_TIMEOUT_MS",
    "STREAM_BATCH_ROWS",
    "AlertState",
    "Approval",
    "AuditHead",
    "AuditLog",
    "Base",
    "Batch",
    "CommitterDied",
    "ConversationState",
    "DatabaseThread",
    "DatabaseThreadDied",
    "DeliveryInstance",
    "Document",
    "DocumentLine",
    "Fixed",
    "GroupCommitter",
    "InboxMessage",
    "InlineConnection",
    "InlineCursor",
    "Item",
    "Lease",
    "NumberSequence",
    "OutboxMessage",
    "Partner",
    "ReadStatement",
    "RowStatement",
    "Settled",
    "StockBalance",
    "StockLevelRow",
    "StockMove",
    "Together",
    "Transact",
    "UnitOfWork",
    "User",
    "UserWarehouse",
    "UtcDateTime",
    "Warehouse",
    "Work",
    "alembic_config",
    "create_engine",
    "create_sessionmaker",
    "current_revision",
    "in_transaction",
    "is_postgres",
    "is_retryable",
    "log",
    "lost_race_on_insert",
    "own_transactions",
    "short_reason",
    "sqlite_file",
    "stream_rows",
    "tag",
    "typed_null",
    "unready_reason",
    "upgrade",
]
