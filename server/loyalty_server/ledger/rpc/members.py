"""LedgerService handlers: enroll, read, look up, list, update, deactivate and erase members."""

from __future__ import annotations

import grpc

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.member_lifecycle import UPDATABLE_FIELDS, MemberLifecycle, check_attributes
from loyalty_server.ledger.member_list import MemberFilter, list_members
from loyalty_server.ledger.members import CHANNELS, Member, lookup_member
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import (
    MEMBER_STATUSES,
    balance_to_proto,
    datetime_of,
    member_to_proto,
)
from loyalty_server.ledger.tiers import effective_tier_id
from loyalty_server.storage.sqlite_loop import read_connection

_CHANNEL_NAMES = {value: name for name, value in CHANNELS.items()}
_STATUS_NAMES = {value: status for status, value in MEMBER_STATUSES.items()}
_Context = grpc.aio.ServicerContext


class MemberRpcs(LedgerRpcBase):
    async def EnrollMember(
        self, request: ledger_pb2.EnrollMemberRequest, context: _Context
    ) -> ledger_pb2.EnrollMemberResponse:
        given = request.member
        requests.check_request_id(request.request_id)
        check_attributes(dict(given.attributes))
        member = await self.ledger.enroll(
            self.tenant_id(),
            request_id=request.request_id,
            channel=_CHANNEL_NAMES.get(given.enrollment_channel, "api"),
            loyalty_id=given.loyalty_id or None,
            email=given.email or None,
            phone=given.phone or None,
            given_name=given.given_name,
            family_name=given.family_name,
            time_zone=given.time_zone or None,
            store_id=given.enrollment_store_id,
            attributes=dict(given.attributes),
        )
        return ledger_pb2.EnrollMemberResponse(member=self.member_proto(member))

    async def GetMember(
        self, request: ledger_pb2.GetMemberRequest, context: _Context
    ) -> ledger_pb2.GetMemberResponse:
        member = await self.member_by_id(request.member_id)
        response = ledger_pb2.GetMemberResponse(member=self.member_proto(member))
        await self._add_full_view(response, member, request.view)
        return response

    async def LookupMember(
        self, request: ledger_pb2.LookupMemberRequest, context: _Context
    ) -> ledger_pb2.LookupMemberResponse:
        key = request.WhichOneof("key")
        if key is None:
            raise invalid_argument(
                "LOOKUP_KEY_REQUIRED", "give a loyalty_id, email or phone", FieldViolation("key", "required")
            )
        async with read_connection(self.engine) as connection:
            member = await lookup_member(connection, self.tenant_id(), **{key: getattr(request, key)})
        self.check_member_access(member.member_id)
        response = ledger_pb2.LookupMemberResponse(member=self.member_proto(member))
        await self._add_full_view(response, member, request.view)
        return response

    async def ListMembers(
        self, request: ledger_pb2.ListMembersRequest, context: _Context
    ) -> ledger_pb2.ListMembersResponse:
        filters = MemberFilter(
            status=_STATUS_NAMES[request.status].value if request.status else None,
            tier_id=request.tier_id or None,
            lowest_tier_id=self.program().tiers.levels[0].id,
            created_since=datetime_of(request.create_time_start, "create_time_start")
            if request.HasField("create_time_start")
            else None,
            created_until=datetime_of(request.create_time_end, "create_time_end")
            if request.HasField("create_time_end")
            else None,
        )
        page, token = await list_members(
            self.engine, self.tenant_id(), filters, page_size=request.page_size, page_token=request.page_token
        )
        return ledger_pb2.ListMembersResponse(
            members=[self.member_proto(member) for member in page], next_page_token=token
        )

    async def UpdateMember(
        self, request: ledger_pb2.UpdateMemberRequest, context: _Context
    ) -> ledger_pb2.UpdateMemberResponse:
        given = request.member
        await self.member_by_id(given.member_id, field="member.member_id")
        changes = {}
        for path in request.update_mask.paths:
            if path not in UPDATABLE_FIELDS:
                raise invalid_argument(
                    "FIELD_NOT_UPDATABLE", f"{path!r} cannot be updated", FieldViolation("update_mask", path)
                )
            changes[path] = dict(given.attributes) if path == "attributes" else getattr(given, path)
        member = await MemberLifecycle(self.ledger).update(
            self.tenant_id(), given.member_id, changes, etag=given.etag, request_id=request.request_id
        )
        return ledger_pb2.UpdateMemberResponse(member=self.member_proto(member))

    async def DeactivateMember(
        self, request: ledger_pb2.DeactivateMemberRequest, context: _Context
    ) -> ledger_pb2.DeactivateMemberResponse:
        await self.member_by_id(request.member_id)
        member = await MemberLifecycle(self.ledger).deactivate(
            self.tenant_id(), request.member_id, reason=request.reason, request_id=request.request_id
        )
        return ledger_pb2.DeactivateMemberResponse(member=self.member_proto(member))

    async def EraseMember(
        self, request: ledger_pb2.EraseMemberRequest, context: _Context
    ) -> ledger_pb2.EraseMemberResponse:
        await self.member_by_id(request.member_id)
        erasure = await MemberLifecycle(self.ledger).erase(
            self.tenant_id(), request.member_id, reason=request.reason, request_id=request.request_id
        )
        return ledger_pb2.EraseMemberResponse(
            member=self.member_proto(erasure.member),
            health_readings_deleted=erasure.health_readings_deleted,
            grants_revoked=erasure.grants_revoked,
        )

    # --- helpers ------------------------------------------------------------------------------------

    def member_proto(self, member: Member) -> common_pb2.Member:
        return member_to_proto(
            member, self.principal().tenant_code, effective_tier_id(self.program(), member)
        )

    async def _add_full_view(self, response: object, member: Member, view: int) -> None:
        """MEMBER_VIEW_FULL: the balance and the tier too, so a POS shows a member in one round trip."""
        if view != ledger_pb2.MEMBER_VIEW_FULL:
            return
        balance = await self.ledger.balance(self.tenant_id(), member.member_id)
        response.balance.CopyFrom(balance_to_proto(balance))  # type: ignore[attr-defined]
        tier = await self.member_tier_proto(member.member_id)
        if tier is not None:
            response.tier.CopyFrom(tier)  # type: ignore[attr-defined]
