"""What every LedgerService handler shares: the ledger, the caller's tenant, and member access.

The tenant always comes from the caller's credentials (`current_principal()`), never from a request
field. Partner tokens reach only the member their grant is for; everyone else reaches every member of
their tenant (the policy table in auth/policy.py has already checked the role).
"""

from __future__ import annotations

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.v1 import common_pb2
from loyalty_server import requests
from loyalty_server.auth import audit
from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.ledger.members import Member, get_member, lookup_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.principal import Principal, current_principal
from loyalty_server.program.model import Program
from loyalty_server.runtime.context import AppContext
from loyalty_server.storage.sqlite_loop import read_connection

# Member ids are "m_" and 20 hex digits, loyalty ids at most 64 characters (members.py): a longer
# reference cannot name a member, so it is refused as too long rather than looked up.
MEMBER_ID_LENGTH_MAX = 64
LOYALTY_ID_LENGTH_MAX = 64


class LedgerRpcBase:
    def __init__(self, app: AppContext, ledger: Ledger) -> None:
        self.app = app
        self.ledger = ledger

    @property
    def engine(self) -> AsyncEngine:
        return self.ledger.engine

    @property
    def clock(self) -> Clock:
        return self.ledger.clock

    def principal(self) -> Principal:
        return current_principal()

    def tenant_id(self) -> int:
        return current_principal().tenant_id

    def program(self) -> Program:
        return self.ledger.program_for(self.tenant_id())

    def actor(self) -> str:
        """Who a transaction records as its author, named as the audit log names it."""
        return audit.actor_name(current_principal())

    async def member_tier_proto(self, member_id: str) -> common_pb2.MemberTier | None:
        """The member's tier, for MEMBER_VIEW_FULL. TierRpcs overrides this hook."""
        return None

    def audit_actor(self, context: grpc.aio.ServicerContext, request_id: str) -> audit.Actor:
        """Who did it, for the audit log: the credentials, the peer and the user agent."""
        metadata = {
            key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)
        }
        return audit.Actor.of(
            current_principal(),
            remote_address=context.peer() or "",
            user_agent=metadata.get("user-agent", ""),
            request_id=request_id,
        )

    def check_member_access(self, member_id: str) -> None:
        """PERMISSION_DENIED (MEMBER_NOT_GRANTED) when a partner token asks for another member."""
        if not current_principal().can_reach_member(member_id):
            raise DomainError(
                ErrorKind.PERMISSION_DENIED,
                "MEMBER_NOT_GRANTED",
                "this token was granted for another member",
                metadata={"member_id": member_id},
            )

    async def member_for(self, ref: common_pb2.MemberRef, field: str = "member") -> Member:
        """Resolve a MemberRef (member id or loyalty id) in the caller's tenant, access checked."""
        which = ref.WhichOneof("ref")
        if which is None or not getattr(ref, which):
            raise invalid_argument(
                "MEMBER_REF_REQUIRED",
                "give the member's member_id or loyalty_id",
                FieldViolation(field, "member_id or loyalty_id required"),
            )
        length_max = MEMBER_ID_LENGTH_MAX if which == "member_id" else LOYALTY_ID_LENGTH_MAX
        requests.check_text(getattr(ref, which), f"{field}.{which}", length_max)
        async with read_connection(self.engine) as connection:
            if which == "member_id":
                member = await get_member(connection, self.tenant_id(), ref.member_id)
            else:
                member = await lookup_member(connection, self.tenant_id(), loyalty_id=ref.loyalty_id)
        self.check_member_access(member.member_id)
        return member

    def check_member_id(self, member_id: str, field: str = "member_id") -> None:
        """A member id that is well formed and that the caller may name (not yet that it exists)."""
        if not member_id:
            raise invalid_argument(
                "MEMBER_REF_REQUIRED", "member_id is required", FieldViolation(field, "required")
            )
        requests.check_text(member_id, field, MEMBER_ID_LENGTH_MAX)
        self.check_member_access(member_id)

    async def member_by_id(self, member_id: str, field: str = "member_id") -> Member:
        self.check_member_id(member_id, field)
        async with read_connection(self.engine) as connection:
            return await get_member(connection, self.tenant_id(), member_id)
