"""LedgerService handlers: tiers (list, a member's status, custom tiers set and cleared by hand)."""

from __future__ import annotations

import base64
import json

import grpc

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger import tier_rules
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import datetime_of, timestamp
from loyalty_server.ledger.tier_rules import TierRef
from loyalty_server.ledger.tiers import MemberTierView, Tiers

_Context = grpc.aio.ServicerContext


class TierRpcs(LedgerRpcBase):
    @property
    def tiers(self) -> Tiers:
        return Tiers(self.ledger)

    async def ListTiers(
        self, request: ledger_pb2.ListTiersRequest, context: _Context
    ) -> ledger_pb2.ListTiersResponse:
        size = requests.page_size(request.page_size)
        start = _decode_offset(request.page_token)
        listed = tier_rules.all_tiers(self.program().tiers)
        end = start + size
        return ledger_pb2.ListTiersResponse(
            tiers=[tier_to_proto(tier) for tier in listed[start:end]],
            next_page_token=_encode_offset(end) if end < len(listed) else "",
        )

    async def GetMemberTier(
        self, request: ledger_pb2.GetMemberTierRequest, context: _Context
    ) -> ledger_pb2.GetMemberTierResponse:
        member = await self.member_by_id(request.member_id)
        view = await self.tiers.get_member_tier(self.tenant_id(), member.member_id)
        return ledger_pb2.GetMemberTierResponse(member_tier=member_tier_to_proto(view))

    async def SetCustomTier(
        self, request: ledger_pb2.SetCustomTierRequest, context: _Context
    ) -> ledger_pb2.SetCustomTierResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_by_id(request.member_id)
        view = await self.tiers.set_custom(
            self.tenant_id(),
            member.member_id,
            request.tier_id,
            reason=request.reason,
            request_id=request.request_id,
            expires_at=datetime_of(request.expire_time, "expire_time")
            if request.HasField("expire_time")
            else None,
            actor=self.audit_actor(context, request.request_id),
        )
        return ledger_pb2.SetCustomTierResponse(member_tier=member_tier_to_proto(view))

    async def ClearCustomTier(
        self, request: ledger_pb2.ClearCustomTierRequest, context: _Context
    ) -> ledger_pb2.ClearCustomTierResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_by_id(request.member_id)
        view = await self.tiers.clear_custom(
            self.tenant_id(),
            member.member_id,
            reason=request.reason,
            request_id=request.request_id,
            actor=self.audit_actor(context, request.request_id),
        )
        return ledger_pb2.ClearCustomTierResponse(member_tier=member_tier_to_proto(view))

    async def member_tier_proto(self, member_id: str) -> common_pb2.MemberTier | None:
        """GetMember's MEMBER_VIEW_FULL: the same status GetMemberTier shows."""
        return member_tier_to_proto(await self.tiers.get_member_tier(self.tenant_id(), member_id))


def tier_to_proto(tier: TierRef) -> common_pb2.Tier:
    return common_pb2.Tier(
        tier_id=tier.id,
        name=tier.name,
        rank=tier.rank,
        threshold_points=tier.threshold,
        custom=tier.custom,
        floor_tier_id=tier.floor_id or "",
        earn_multiplier_percent=tier.earn_multiplier_percent,
        temporary_points_never_expire=tier.temporary_points_never_expire,
    )


def member_tier_to_proto(view: MemberTierView) -> common_pb2.MemberTier:
    status = view.status
    message = common_pb2.MemberTier(
        member_id=view.member_id,
        tier=tier_to_proto(status.effective),
        threshold_tier=tier_to_proto(status.held),
        custom_tier=tier_to_proto(status.custom) if status.custom else None,
        custom_tier_expire_time=timestamp(status.custom_expires_at),
        qualifying_points=status.qualifying_points,
        window_start_time=timestamp(status.window_start),
        next_tier=tier_to_proto(status.progress.next_level) if status.progress.next_level else None,
        points_to_next_tier=status.progress.points_to_next,
        progress_percent=status.progress.percent,
        achieve_time=timestamp(status.tier_since),
        downgrade_time=timestamp(status.downgrade_at),
        downgrade_tier=tier_to_proto(status.downgrade_to) if status.downgrade_to else None,
    )
    return message


# ListTiers pages by position in the program's tier list (a short, ordered list held in memory).


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["offset"]
    except (ValueError, KeyError, TypeError):
        offset = None
    if not isinstance(offset, int) or offset < 0:
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", "not a page token", FieldViolation("page_token", "invalid")
        )
    return offset
