"""LedgerService over gRPC on SQLite and PostgreSQL: members, balances, history, holds, redemption,
the program, and who may see what (roles, partner tokens, tenants)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.schema import events
from loyalty_server.tenancy import create_tenant
from tests.integration.test_auth_flow import Flow, fails
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=clock)
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def stub(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield ledger_pb2_grpc.LedgerServiceStub(channel)


@pytest.fixture
async def pos(server):
    return bearer(await service_token(server, Role.POS))


@pytest.fixture
async def admin(server):
    return bearer(await service_token(server, Role.ADMIN))


def rid() -> str:
    return str(uuid.uuid4())


async def enroll(stub, metadata, **fields) -> common_pb2.Member:
    request = ledger_pb2.EnrollMemberRequest(member=common_pb2.Member(**fields), request_id=rid())
    return (await stub.EnrollMember(request, metadata=metadata)).member


async def earn(
    server, member_id: str, points: int, currency: str = "permanent", source: str = "bonus"
) -> None:
    """Points arrive from activities and purchases (other services); tests credit them directly."""
    tenant_id = server.app.default_tenant.id
    entry = Entry(origin_type="adjustment", origin_id=rid(), reason_code="TEST", request_id=rid())
    await server.app.ledger.earn(
        tenant_id, member_id, currency=currency, points=points, source_id=source, entry=entry
    )


def available(balance: common_pb2.Balance, currency: str = "permanent") -> int:
    (figures,) = [c for c in balance.currencies if c.currency == currency]
    return figures.available_points


# --- members --------------------------------------------------------------------------------------


async def test_enroll_get_and_look_up_a_member(stub, pos) -> None:
    member = await enroll(
        stub, pos, loyalty_id="CARD-1", email="Ann@Example.com", phone="+4915112345678", given_name="Ann",
        attributes={"store": "berlin-1"},
    )  # fmt: skip
    assert member.member_id.startswith("m_")
    assert member.tenant_code == "default"
    assert member.email == "ann@example.com"
    assert member.attributes["store"] == "berlin-1"
    assert member.status == common_pb2.MEMBER_STATUS_ACTIVE
    assert member.etag

    got = await stub.GetMember(
        ledger_pb2.GetMemberRequest(member_id=member.member_id, view=ledger_pb2.MEMBER_VIEW_FULL),
        metadata=pos,
    )
    assert got.member == member
    assert [c.currency for c in got.balance.currencies] == ["permanent", "temporary"]
    for key in ({"loyalty_id": "CARD-1"}, {"email": "ANN@example.com"}, {"phone": "+4915112345678"}):
        found = await stub.LookupMember(ledger_pb2.LookupMemberRequest(**key), metadata=pos)
        assert found.member.member_id == member.member_id
    await fails(
        stub.LookupMember(ledger_pb2.LookupMemberRequest(loyalty_id="nobody"), metadata=pos),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )
    await fails(
        stub.EnrollMember(
            ledger_pb2.EnrollMemberRequest(
                member=common_pb2.Member(email="ann@example.com"), request_id=rid()
            ),
            metadata=pos,
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "EMAIL_TAKEN",
    )


async def test_an_enrollment_replay_returns_the_first_member_and_other_content_is_refused(stub, pos) -> None:
    request = ledger_pb2.EnrollMemberRequest(
        member=common_pb2.Member(email="bo@example.com"), request_id=rid()
    )
    first = (await stub.EnrollMember(request, metadata=pos)).member
    assert (await stub.EnrollMember(request, metadata=pos)).member.member_id == first.member_id
    request.member.email = "other@example.com"
    await fails(
        stub.EnrollMember(request, metadata=pos), grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED"
    )


async def test_update_checks_the_etag_and_uniqueness(stub, pos) -> None:
    member = await enroll(stub, pos, email="cy@example.com")
    await enroll(stub, pos, email="taken@example.com")
    mask = field_mask_pb2.FieldMask(paths=["given_name", "time_zone"])
    change = common_pb2.Member(
        member_id=member.member_id, given_name="Cy", time_zone="Europe/Berlin", etag=member.etag
    )
    updated = (
        await stub.UpdateMember(
            ledger_pb2.UpdateMemberRequest(member=change, update_mask=mask, request_id=rid()), metadata=pos
        )
    ).member
    assert (updated.given_name, updated.time_zone) == ("Cy", "Europe/Berlin")
    assert updated.etag != member.etag
    assert updated.email == "cy@example.com"
    await fails(  # the old etag is stale now
        stub.UpdateMember(
            ledger_pb2.UpdateMemberRequest(member=change, update_mask=mask, request_id=rid()), metadata=pos
        ),
        grpc.StatusCode.ABORTED,
        "ETAG_MISMATCH",
    )
    taken = common_pb2.Member(member_id=member.member_id, email="taken@example.com")
    await fails(
        stub.UpdateMember(
            ledger_pb2.UpdateMemberRequest(
                member=taken, update_mask=field_mask_pb2.FieldMask(paths=["email"]), request_id=rid()
            ),
            metadata=pos,
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "EMAIL_TAKEN",
    )
    await fails(
        stub.UpdateMember(
            ledger_pb2.UpdateMemberRequest(
                member=taken, update_mask=field_mask_pb2.FieldMask(paths=["status"]), request_id=rid()
            ),
            metadata=pos,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "FIELD_NOT_UPDATABLE",
    )


async def test_deactivation_voids_holds_and_stops_spending(server, stub, pos, admin) -> None:
    member = await enroll(stub, pos)
    await earn(server, member.member_id, 300)
    ref = common_pb2.MemberRef(member_id=member.member_id)
    hold = (
        await stub.CreateHold(
            ledger_pb2.CreateHoldRequest(member=ref, currency="permanent", points=100, request_id=rid()),
            metadata=pos,
        )
    ).hold
    await fails(  # a POS may not deactivate
        stub.DeactivateMember(
            ledger_pb2.DeactivateMemberRequest(member_id=member.member_id, reason="closed", request_id=rid()),
            metadata=pos,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    done = await stub.DeactivateMember(
        ledger_pb2.DeactivateMemberRequest(member_id=member.member_id, reason="closed", request_id=rid()),
        metadata=admin,
    )
    assert done.member.status == common_pb2.MEMBER_STATUS_DEACTIVATED
    voided = (await stub.GetHold(ledger_pb2.GetHoldRequest(hold_id=hold.hold_id), metadata=pos)).hold
    assert voided.status == ledger_pb2.HOLD_STATUS_VOIDED
    assert voided.released_points == 100
    await fails(
        stub.Redeem(
            ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=10, request_id=rid()),
            metadata=pos,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "MEMBER_DEACTIVATED",
    )
    balance = await stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id), metadata=pos)
    assert available(balance.balance) == 300  # history and points stay


async def test_erasure_removes_personal_data_but_keeps_the_ledger(server, stub, pos, admin) -> None:
    member = await enroll(stub, pos, email="gone@example.com", given_name="Gone", phone="+4915199999999")
    await earn(server, member.member_id, 50)
    erased = await stub.EraseMember(
        ledger_pb2.EraseMemberRequest(member_id=member.member_id, reason="GDPR request", request_id=rid()),
        metadata=admin,
    )
    assert erased.member.status == common_pb2.MEMBER_STATUS_ERASED
    assert (erased.member.email, erased.member.phone, erased.member.given_name) == ("", "", "")
    assert erased.member.loyalty_id != member.loyalty_id
    history = await stub.ListTransactions(
        ledger_pb2.ListTransactionsRequest(member_id=member.member_id), metadata=admin
    )
    assert [t.points for t in history.transactions] == [50]
    # The e-mail address is free again, and the erased member cannot earn.
    await enroll(stub, pos, email="gone@example.com")
    with pytest.raises(DomainError) as raised:
        await earn(server, member.member_id, 1)
    assert raised.value.reason == "MEMBER_ERASED"


async def test_list_members_pages_newest_first(stub, pos, admin) -> None:
    ids = [(await enroll(stub, pos)).member_id for _ in range(5)]
    seen, token = [], ""
    while True:
        page = await stub.ListMembers(
            ledger_pb2.ListMembersRequest(page_size=2, page_token=token), metadata=admin
        )
        seen += [m.member_id for m in page.members]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ids))
    await fails(
        stub.ListMembers(ledger_pb2.ListMembersRequest(page_token="bm90IGEgdG9rZW4="), metadata=admin),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_INVALID",
    )


# --- balances, history, holds, redemption ---------------------------------------------------------


async def test_hold_capture_redeem_and_history(server, stub, pos) -> None:
    member = await enroll(stub, pos, loyalty_id="CARD-9")
    await earn(server, member.member_id, 1000)
    by_card = common_pb2.MemberRef(loyalty_id="CARD-9")
    created = await stub.CreateHold(
        ledger_pb2.CreateHoldRequest(
            member=by_card, currency="permanent", points=400, reference="basket-1", request_id=rid()
        ),
        metadata=pos,
    )
    assert created.balance.held_points == 400
    assert created.balance.available_points == 600
    captured = await stub.CaptureHold(
        ledger_pb2.CaptureHoldRequest(hold_id=created.hold.hold_id, points=250, request_id=rid()),
        metadata=pos,
    )
    assert captured.hold.status == ledger_pb2.HOLD_STATUS_CAPTURED
    assert captured.hold.released_points == 150
    assert captured.transaction.points == -250
    assert sum(p.points for p in captured.transaction.postings) == 0
    assert captured.balance.available_points == 750
    assert captured.balance.held_points == 0
    await fails(
        stub.CaptureHold(
            ledger_pb2.CaptureHoldRequest(hold_id=created.hold.hold_id, request_id=rid()), metadata=pos
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "HOLD_CAPTURED",
    )
    redeemed = await stub.Redeem(
        ledger_pb2.RedeemRequest(
            member=by_card, currency="permanent", points=50, reason_code="CHECKOUT", request_id=rid()
        ),
        metadata=pos,
    )
    assert redeemed.balance.available_points == 700
    assert redeemed.transaction.origin.type == common_pb2.ORIGIN_TYPE_REDEMPTION

    history = await stub.ListTransactions(
        ledger_pb2.ListTransactionsRequest(member_id=member.member_id, page_size=2), metadata=pos
    )
    assert [t.points for t in history.transactions] == [-50, -250]
    assert history.next_page_token
    spends = await stub.ListTransactions(
        ledger_pb2.ListTransactionsRequest(
            member_id=member.member_id, types=[common_pb2.TRANSACTION_TYPE_EARN]
        ),
        metadata=pos,
    )
    assert [t.points for t in spends.transactions] == [1000]
    one = await stub.GetTransaction(
        ledger_pb2.GetTransactionRequest(transaction_id=redeemed.transaction.transaction_id), metadata=pos
    )
    assert one.transaction == redeemed.transaction


async def test_bad_amounts_and_unknown_things_write_nothing(server, stub, pos) -> None:
    member = await enroll(stub, pos)
    await earn(server, member.member_id, 10)
    ref = common_pb2.MemberRef(member_id=member.member_id)
    cases = [
        (
            ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=0, request_id=rid()),
            "INVALID_AMOUNT",
        ),
        (
            ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=-5, request_id=rid()),
            "INVALID_AMOUNT",
        ),
        (
            ledger_pb2.RedeemRequest(member=ref, currency="gold", points=5, request_id=rid()),
            "UNKNOWN_CURRENCY",
        ),
        (
            ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=5, request_id=""),
            "REQUEST_ID_INVALID",
        ),
        (ledger_pb2.RedeemRequest(currency="permanent", points=5, request_id=rid()), "MEMBER_REF_REQUIRED"),
    ]
    for request, reason in cases:
        await fails(stub.Redeem(request, metadata=pos), grpc.StatusCode.INVALID_ARGUMENT, reason)
    await fails(
        stub.Redeem(
            ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=11, request_id=rid()),
            metadata=pos,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "INSUFFICIENT_POINTS",
    )
    await fails(
        stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id="m_nobody"), metadata=pos),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )
    balance = await stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id), metadata=pos)
    assert available(balance.balance) == 10
    history = await stub.ListTransactions(
        ledger_pb2.ListTransactionsRequest(member_id=member.member_id), metadata=pos
    )
    assert len(history.transactions) == 1


async def test_fifty_concurrent_redemptions_against_ten_redemptions_worth(server, stub, pos) -> None:
    member = await enroll(stub, pos)
    await earn(server, member.member_id, 100)
    ref = common_pb2.MemberRef(member_id=member.member_id)

    async def redeem() -> bool:
        request = ledger_pb2.RedeemRequest(member=ref, currency="permanent", points=10, request_id=rid())
        try:
            await stub.Redeem(request, metadata=pos)
        except grpc.aio.AioRpcError as error:
            codes.append(error.code())
            return False
        return True

    codes: list[grpc.StatusCode] = []
    outcomes = await asyncio.gather(*(redeem() for _ in range(50)))
    assert outcomes.count(True) == 10
    assert set(codes) == {grpc.StatusCode.FAILED_PRECONDITION}
    balance = await stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id), metadata=pos)
    assert available(balance.balance) == 0


async def test_expiring_points_soonest_first_with_totals(server, stub, pos, clock) -> None:
    member = await enroll(stub, pos)
    await earn(server, member.member_id, 30, currency="temporary")
    clock.advance(dt.timedelta(days=10))
    await earn(server, member.member_id, 20, currency="temporary")
    await earn(server, member.member_id, 99)  # permanent points never expire
    clock.advance(dt.timedelta(days=70))  # the first lot expires in 10 days, the second in 20
    pos = bearer(await service_token(server, Role.POS))  # service tokens live an hour
    request = ledger_pb2.ListExpiringPointsRequest(member_id=member.member_id, within_days=15)
    soon = await stub.ListExpiringPoints(request, metadata=pos)
    assert [(p.points, p.currency) for p in soon.expiring_points] == [(30, "temporary")]
    request.within_days = 30
    request.page_size = 1
    first = await stub.ListExpiringPoints(request, metadata=pos)
    assert dict(first.total_points_by_currency) == {"temporary": 50}
    assert first.next_page_token
    request.page_token = first.next_page_token
    second = await stub.ListExpiringPoints(request, metadata=pos)
    assert [p.points for p in second.expiring_points] == [20]
    assert not second.next_page_token


# --- the program ----------------------------------------------------------------------------------


async def test_get_and_reload_the_program(stub, pos, admin) -> None:
    program = (await stub.GetProgram(ledger_pb2.GetProgramRequest(), metadata=pos)).program
    assert program.name == "Demo Rewards"
    assert program.tenant_code == "default"
    assert len(program.revision) == 64
    assert [c.currency for c in program.currencies] == ["permanent", "temporary"]
    assert program.tiers[0].tier_id == "bronze"
    assert program.tiers[-1].custom

    broken = DEMO_PROGRAM.read_text().replace('currency = "temporary"', 'currency = "gold"', 1)
    error = await fails(
        stub.ReloadProgram(
            ledger_pb2.ReloadProgramRequest(program_toml=broken, request_id=rid()), metadata=admin
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PROGRAM_INVALID",
    )
    assert error.reason == "PROGRAM_INVALID"
    await fails(
        stub.ReloadProgram(ledger_pb2.ReloadProgramRequest(request_id=rid()), metadata=pos),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    renamed = DEMO_PROGRAM.read_text().replace('name = "Demo Rewards"', 'name = "Winter Rewards"', 1)
    checked = await stub.ReloadProgram(
        ledger_pb2.ReloadProgramRequest(program_toml=renamed, validate_only=True, request_id=rid()),
        metadata=admin,
    )
    assert checked.changed
    assert checked.program.name == "Winter Rewards"
    assert (
        await stub.GetProgram(ledger_pb2.GetProgramRequest(), metadata=pos)
    ).program.name == "Demo Rewards"
    installed = await stub.ReloadProgram(
        ledger_pb2.ReloadProgramRequest(program_toml=renamed, request_id=rid()), metadata=admin
    )
    assert installed.previous_revision == program.revision
    assert installed.changed
    assert (
        await stub.GetProgram(ledger_pb2.GetProgramRequest(), metadata=pos)
    ).program.name == "Winter Rewards"
    back = await stub.ReloadProgram(ledger_pb2.ReloadProgramRequest(request_id=rid()), metadata=admin)
    assert back.program.name == "Winter Rewards"
    assert not back.changed


async def test_a_program_installed_on_one_replica_reaches_another(tmp_path, database_url, clock) -> None:
    first = LoyaltyServer(make_settings(tmp_path / "a", database_url), clock=clock)
    await first.start()
    second = LoyaltyServer(make_settings(tmp_path / "b", database_url), clock=clock)
    await second.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{first.grpc_port}") as channel:
            admin = bearer(await service_token(first, Role.ADMIN))
            renamed = DEMO_PROGRAM.read_text().replace('name = "Demo Rewards"', 'name = "Spring"', 1)
            await ledger_pb2_grpc.LedgerServiceStub(channel).ReloadProgram(
                ledger_pb2.ReloadProgramRequest(program_toml=renamed, request_id=rid()), metadata=admin
            )
        assert await second.app.programs.refresh(second.app.engine) == ["default"]
        assert second.app.programs.program_for(second.app.default_tenant.id).name == "Spring"
    finally:
        await second.stop(grace_s=0)
        await first.stop(grace_s=0)


# --- who sees what --------------------------------------------------------------------------------


async def test_tenants_stay_apart(server, stub, pos) -> None:
    tenant = await create_tenant(
        server.app.engine, server.clock, "Germany", "Germany", DEMO_PROGRAM.read_text()
    )
    await server.app.programs.refresh(server.app.engine)
    german_pos = bearer(await service_token(server, Role.POS, tenant_id=tenant.id))
    here = await enroll(stub, pos, email="same@example.com", loyalty_id="CARD-7")
    there = await enroll(stub, german_pos, email="same@example.com", loyalty_id="CARD-7")
    assert here.member_id != there.member_id
    assert there.tenant_code == "Germany"
    await fails(
        stub.GetMember(ledger_pb2.GetMemberRequest(member_id=here.member_id), metadata=german_pos),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )
    found = await stub.LookupMember(ledger_pb2.LookupMemberRequest(loyalty_id="CARD-7"), metadata=german_pos)
    assert found.member.member_id == there.member_id
    await earn(server, here.member_id, 40)
    await fails(
        stub.Redeem(
            ledger_pb2.RedeemRequest(
                member=common_pb2.MemberRef(member_id=here.member_id),
                currency="permanent",
                points=1,
                request_id=rid(),
            ),
            metadata=german_pos,
        ),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )


async def test_a_partner_token_reads_only_its_own_member(server, stub, pos) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        flow = await Flow(server, channel).setup()
        _client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    other = await enroll(stub, pos)
    await earn(server, member_id, 25)
    own = await stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member_id), metadata=partner)
    assert available(own.balance) == 25
    for call in (
        stub.GetBalance(ledger_pb2.GetBalanceRequest(member_id=other.member_id), metadata=partner),
        stub.ListTransactions(
            ledger_pb2.ListTransactionsRequest(member_id=other.member_id), metadata=partner
        ),
    ):
        await fails(call, grpc.StatusCode.PERMISSION_DENIED, "MEMBER_NOT_GRANTED")
    await fails(  # and nothing a POS does
        stub.Redeem(
            ledger_pb2.RedeemRequest(
                member=common_pb2.MemberRef(member_id=member_id),
                currency="permanent",
                points=1,
                request_id=rid(),
            ),
            metadata=partner,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )


async def test_the_server_expires_points_on_its_own(tmp_path, database_url, clock) -> None:
    """No read, no write: the expiry job inside the server posts the expiry and its event."""
    server = LoyaltyServer(make_settings(tmp_path, database_url, expiry_interval_s=0.05), clock=clock)
    await server.start()
    try:
        tenant_id = server.app.default_tenant.id
        member = await server.app.ledger.enroll(tenant_id, request_id=rid())
        await earn(server, member.member_id, 70, currency="temporary")
        clock.advance(dt.timedelta(days=91))
        query = select(events.c.type).where(events.c.type == "points.expired")
        for _ in range(200):  # up to ~10 s on a busy machine; usually one job interval
            async with server.app.engine.connect() as connection:
                if (await connection.execute(query)).first() is not None:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the expiry job did not run")
    finally:
        await server.stop(grace_s=0)
