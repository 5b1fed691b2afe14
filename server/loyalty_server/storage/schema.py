"""The database schema as SQLAlchemy Core tables: the one description the code and migrations share.

Tenancy is built in from the first migration: every row that belongs to a program carries
`tenant_id`, and every business key is unique *within* a tenant, never across tenants.
Times are stored timezone-aware (UTC). Points are integers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.processors import str_to_datetime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on both engines. Naive datetimes are refused, not guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        assert value.tzinfo is not None, "naive datetime: times are timezone-aware everywhere"
        value = value.astimezone(dt.UTC)
        # SQLite has no time zones: store UTC wall time, read it back as UTC below.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    # On SQLite, each processor in one step instead of SQLAlchemy's two (this method, then the
    # DATETIME's own): every write binds several times and the composed pair was 5 % of a batch of
    # activities. The same text as SQLite's DATETIME stores (tests/unit/test_utc_datetime.py).
    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            assert value.tzinfo is not None, "naive datetime: times are timezone-aware everywhere"
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> dt.datetime | None:
            if value is None:
                return None
            moment = str_to_datetime(value)  # aware when the text carries an offset (SQL by hand)
            return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

        return process


def utc_aggregate(moment: dt.datetime | None) -> dt.datetime | None:
    """MIN/MAX of a UtcDateTime column bypass the column type on SQLite: read them back as UTC too."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


# Constraint names are stable so later migrations can address them on both engines.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

DEFAULT_TENANT_CODE = "default"

tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The tenant code seen by the outside (the seed's `storeCode`/`tenant_code`, e.g. "Germany").
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # The program document (TOML) as validated when it was set; NULL means "the server's configured
    # program", which is how the default tenant stays a plain setting (LOYALTY_PROGRAM).
    Column("program_toml", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Every admin and operator action: who, what, when, from where, and the request id. Append-only.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("peer", String(200), nullable=False, server_default=""),
    Column("request_id", String(200), nullable=False, server_default=""),
    Column("details_json", Text, nullable=False, server_default="{}"),
    Index(None, "tenant_id", "occurred_at"),
)

# Replay protection for every write: the first result is kept and returned to a replay; the same
# key with different content is refused. `request_hash` fingerprints the request's content.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
    Column("scope", String(100), primary_key=True),  # the operation, e.g. "LedgerService/Redeem"
    Column("key", String(200), primary_key=True),
    Column("request_hash", LargeBinary(32), nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)

# The outbox: every state change writes its event here in the same transaction. `sequence` is the
# global, increasing cursor that streams resume from and webhooks deliver in.
events = Table(
    "events",
    metadata,
    Column("sequence", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("member_id", String(64), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("payload", LargeBinary, nullable=False),  # a serialized loyalty.v1 event payload
    Index(None, "tenant_id", "sequence"),
    Index(None, "tenant_id", "member_id", "sequence"),
)

__all__ = [
    "DEFAULT_TENANT_CODE",
    "audit_log",
    "events",
    "idempotency_keys",
    "metadata",
    "tenants",
]
