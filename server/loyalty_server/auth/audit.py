"""The append-only audit log of admin and operator actions: who, what, when, from where, request id.

Entries are written in the transaction of the action they record, so an action and its entry
exist together or not at all. Never a secret, token or health value in them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.clock import Clock
from loyalty_server.principal import Principal
from loyalty_server.storage.schema import audit_log

USER_AGENT_LENGTH_MAX = 500


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and from where; built once per call by the servicer (or the CLI)."""

    actor: str  # "service:<id>", "admin-cli:<os user>", "member:<id>"
    role: str  # "admin", "internal", ... ("admin" for the CLI)
    tenant_id: int
    remote_address: str = ""
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def of(cls, principal: Principal, *, remote_address: str, user_agent: str, request_id: str) -> Actor:
        return cls(
            actor_name(principal),
            principal.role.value,
            principal.tenant_id,
            remote_address,
            user_agent[:USER_AGENT_LENGTH_MAX],
            request_id,
        )


def actor_name(principal: Principal) -> str:
    """How audit entries and ledger transactions name who acted: "service:<id>", "member:<id>"."""
    subject = principal.subject
    return (subject if ":" in subject else f"service:{subject}")[:200]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    entry_id: int
    tenant_id: int
    occurred_at: dt.datetime
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    request_id: str
    remote_address: str
    user_agent: str
    outcome: str
    details: dict[str, str] = field(default_factory=dict)


async def record(
    connection: AsyncConnection,
    clock: Clock,
    who: Actor,
    *,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, str] | None = None,
    outcome: str = "success",
) -> None:
    extra = {
        "actor_role": who.role,
        "user_agent": who.user_agent,
        "outcome": outcome,
        "details": {key: str(value) for key, value in (details or {}).items()},
    }
    await connection.execute(
        insert(audit_log).values(
            tenant_id=who.tenant_id,
            occurred_at=clock.now(),
            actor=who.actor[:200],
            action=action,
            target=f"{target_type}:{target_id}"[:200],
            peer=who.remote_address[:200],
            request_id=who.request_id[:200],
            details_json=json.dumps(extra, sort_keys=True),
        )
    )


def _to_entry(row: RowMapping) -> AuditEntry:
    extra = json.loads(row["details_json"] or "{}")
    target_type, _, target_id = row["target"].partition(":")
    return AuditEntry(
        entry_id=row["id"],
        tenant_id=row["tenant_id"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        actor_role=extra.get("actor_role", ""),
        action=row["action"],
        target_type=target_type,
        target_id=target_id,
        request_id=row["request_id"],
        remote_address=row["peer"],
        user_agent=extra.get("user_agent", ""),
        outcome=extra.get("outcome", "success"),
        details=dict(extra.get("details", {})),
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str = ""
    action: str = ""  # exact, or a prefix ending in "."
    target_type: str = ""
    target_id: str = ""
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None


async def list_entries(
    connection: AsyncConnection, *, tenant_id: int, where: AuditFilter, before_id: int | None, limit: int
) -> list[AuditEntry]:
    """Newest first."""
    query = select(audit_log).where(audit_log.c.tenant_id == tenant_id)
    if where.actor:
        query = query.where(audit_log.c.actor == where.actor)
    if where.action.endswith("."):
        query = query.where(audit_log.c.action.startswith(where.action, autoescape=True))
    elif where.action:
        query = query.where(audit_log.c.action == where.action)
    if where.target_type and where.target_id:
        query = query.where(audit_log.c.target == f"{where.target_type}:{where.target_id}")
    elif where.target_type:
        query = query.where(audit_log.c.target.startswith(f"{where.target_type}:", autoescape=True))
    elif where.target_id:
        query = query.where(audit_log.c.target.endswith(f":{where.target_id}", autoescape=True))
    if where.start_time:
        query = query.where(audit_log.c.occurred_at >= where.start_time)
    if where.end_time:
        query = query.where(audit_log.c.occurred_at < where.end_time)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    query = query.order_by(audit_log.c.id.desc()).limit(limit)
    return [_to_entry(row) for row in (await connection.execute(query)).mappings()]
