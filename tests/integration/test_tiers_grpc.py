"""Tiers over gRPC, through a real server: ListTiers pages, GetMemberTier for pos and admin tokens,
custom tiers set and cleared by admins only, partner tokens reading only their own member."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.integration.test_auth_flow import Flow, fails
from tests.support import bearer, make_settings, service_token


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url), services=loyalty_services())
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


@pytest.fixture
def stub(channel) -> ledger_pb2_grpc.LedgerServiceStub:
    return ledger_pb2_grpc.LedgerServiceStub(channel)


async def _enroll(stub, token) -> str:
    enrolled = await stub.EnrollMember(
        ledger_pb2.EnrollMemberRequest(request_id=uuid.uuid4().hex), metadata=token, timeout=10
    )
    return enrolled.member.member_id


async def _earn(server, member_id: str, points: int) -> None:
    app = server.app
    entry = Entry(
        origin_type="bulk_award", origin_id=member_id, reason_code="TEST", request_id=uuid.uuid4().hex
    )
    await app.ledger.earn(
        app.default_tenant.id, member_id, currency="permanent", points=points, source_id="bonus", entry=entry
    )


async def test_list_tiers_pages_levels_then_custom_tiers(server, stub) -> None:
    pos = bearer(await service_token(server, Role.POS))
    seen: list[common_pb2.Tier] = []
    token = ""
    for _page in range(5):
        reply = await stub.ListTiers(
            ledger_pb2.ListTiersRequest(page_size=2, page_token=token), metadata=pos, timeout=10
        )
        seen += reply.tiers
        token = reply.next_page_token
        if not token:
            break
    assert [tier.tier_id for tier in seen] == ["bronze", "silver", "gold", "vip", "employee"]
    assert [tier.rank for tier in seen] == [0, 1, 2, 2, 1]
    vip = seen[3]
    assert (
        vip.custom,
        vip.floor_tier_id,
        vip.earn_multiplier_percent,
        vip.temporary_points_never_expire,
    ) == (
        True,
        "gold",
        150,
        True,
    )
    assert (seen[1].threshold_points, seen[1].earn_multiplier_percent) == (2000, 110)
    everything = await stub.ListTiers(ledger_pb2.ListTiersRequest(), metadata=pos, timeout=10)
    assert (len(everything.tiers), everything.next_page_token) == (5, "")
    await fails(
        stub.ListTiers(ledger_pb2.ListTiersRequest(page_token="nonsense"), metadata=pos, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_INVALID",
    )


async def test_pos_reads_admin_sets_and_clears_a_custom_tier(server, stub) -> None:
    pos = bearer(await service_token(server, Role.POS))
    admin = bearer(await service_token(server, Role.ADMIN))
    member_id = await _enroll(stub, pos)
    await _earn(server, member_id, 2500)
    read = (
        await stub.GetMemberTier(
            ledger_pb2.GetMemberTierRequest(member_id=member_id), metadata=pos, timeout=10
        )
    ).member_tier
    assert (read.member_id, read.tier.tier_id, read.threshold_tier.tier_id) == (member_id, "silver", "silver")
    assert (read.qualifying_points, read.next_tier.tier_id, read.points_to_next_tier) == (2500, "gold", 7500)
    assert read.progress_percent == 6  # 500 of the 8000 from silver to gold
    assert not read.HasField("custom_tier")
    assert not read.HasField("downgrade_time")
    assert read.HasField("achieve_time")
    assert read.HasField("window_start_time")

    expire = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30)
    request = ledger_pb2.SetCustomTierRequest(
        member_id=member_id, tier_id="vip", reason="loyal customer", request_id="vip-1"
    )
    request.expire_time.FromDatetime(expire)
    await fails(
        stub.SetCustomTier(request, metadata=pos, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    vip = (await stub.SetCustomTier(request, metadata=admin, timeout=10)).member_tier
    assert (vip.tier.tier_id, vip.custom_tier.tier_id, vip.threshold_tier.tier_id) == ("vip", "vip", "silver")
    assert vip.custom_tier_expire_time.ToDatetime(dt.UTC) == expire
    assert vip.next_tier.tier_id == ""  # gold's floor: nothing above it
    assert vip.progress_percent == 100
    replay = (await stub.SetCustomTier(request, metadata=admin, timeout=10)).member_tier
    assert replay == vip
    full = await stub.GetMember(
        ledger_pb2.GetMemberRequest(member_id=member_id, view=ledger_pb2.MEMBER_VIEW_FULL),
        metadata=pos,
        timeout=10,
    )
    assert full.tier.tier.tier_id == "vip"

    for tier_id, code, reason in (
        ("gold", grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_CUSTOM_TIER"),
        ("platinum", grpc.StatusCode.NOT_FOUND, "TIER_NOT_FOUND"),
    ):
        bad = ledger_pb2.SetCustomTierRequest(
            member_id=member_id, tier_id=tier_id, reason="why", request_id=f"bad-{tier_id}"
        )
        await fails(stub.SetCustomTier(bad, metadata=admin, timeout=10), code, reason)
    await fails(
        stub.SetCustomTier(
            ledger_pb2.SetCustomTierRequest(member_id=member_id, tier_id="vip", reason="why"),
            metadata=admin,
            timeout=10,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_INVALID",
    )

    clear = ledger_pb2.ClearCustomTierRequest(member_id=member_id, reason="ended", request_id="clear-1")
    await fails(
        stub.ClearCustomTier(clear, metadata=pos, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    cleared = (await stub.ClearCustomTier(clear, metadata=admin, timeout=10)).member_tier
    assert (cleared.tier.tier_id, cleared.HasField("custom_tier")) == ("silver", False)


async def test_a_partner_token_reads_only_its_own_members_tier(server, channel, stub) -> None:
    flow = await Flow(server, channel).setup()
    _client_id, _secret, own_member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    pos = bearer(await service_token(server, Role.POS))
    other_id = await _enroll(stub, pos)
    own = await stub.GetMemberTier(
        ledger_pb2.GetMemberTierRequest(member_id=own_member_id), metadata=partner, timeout=10
    )
    # The demo's 250-point connection bonus counts toward the tier like any earn.
    assert (own.member_tier.tier.tier_id, own.member_tier.qualifying_points) == ("bronze", 250)
    await fails(
        stub.GetMemberTier(ledger_pb2.GetMemberTierRequest(member_id=other_id), metadata=partner, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await fails(
        stub.SetCustomTier(
            ledger_pb2.SetCustomTierRequest(
                member_id=own_member_id, tier_id="vip", reason="me", request_id="p"
            ),
            metadata=partner,
            timeout=10,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    listed = await stub.ListTiers(ledger_pb2.ListTiersRequest(), metadata=partner, timeout=10)
    assert len(listed.tiers) == 5
