"""The ledger on SQLite and PostgreSQL: members, earning, spending, lots, expiry, replays, concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from loyalty.v1 import subscription_pb2
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import lookup_member
from loyalty_server.ledger.tables import ledger_transactions, lots, postings
from loyalty_server.program import load_program_file
from loyalty_server.storage.schema import events
from loyalty_server.tenancy import create_tenant
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PROGRAM = load_program_file(DEMO_PROGRAM)


def entry(request_id: str, origin_id: str | None = None, origin_type: str = "bulk_award") -> Entry:
    return Entry(
        origin_type=origin_type, origin_id=origin_id or request_id, reason_code="TEST", request_id=request_id
    )


async def test_enroll_look_up_and_uniqueness(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="r1", email="Ada@Example.com", phone="+4915112345678")
    assert member.member_id.startswith("m_")
    assert len(member.loyalty_id) == 12
    assert member.loyalty_id.isdigit()
    assert member.email == "ada@example.com"
    assert member.time_zone == PROGRAM.default_time_zone
    async with engine.connect() as connection:
        assert (
            await lookup_member(connection, tenant_id, email="ADA@example.com")
        ).member_id == member.member_id
        assert (
            await lookup_member(connection, tenant_id, loyalty_id=member.loyalty_id)
        ).member_id == member.member_id
        assert (
            await lookup_member(connection, tenant_id, phone="+4915112345678")
        ).member_id == member.member_id
    with pytest.raises(DomainError) as raised:
        await ledger.enroll(tenant_id, request_id="r2", email="ada@example.com")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.ALREADY_EXISTS, "EMAIL_TAKEN")
    # A replay of the first enrollment returns the same member and enrolls no one new.
    assert (
        await ledger.enroll(tenant_id, request_id="r1", email="Ada@Example.com", phone="+4915112345678")
    ) == member
    with pytest.raises(DomainError, match="different request") as raised:
        await ledger.enroll(tenant_id, request_id="r1", email="other@example.com")
    assert raised.value.reason == "IDEMPOTENCY_KEY_REUSED"
    async with engine.connect() as connection:
        enrolled = (
            await connection.execute(select(func.count()).where(events.c.type == "member.enrolled"))
        ).scalar()
    assert enrolled == 1


async def test_two_tenants_keep_the_same_email_and_card_apart(ledger, engine, clock, tenant_id) -> None:
    germany = await create_tenant(engine, clock, "Germany", "Germany", DEMO_PROGRAM.read_text())
    here = await ledger.enroll(tenant_id, request_id="same", email="ada@example.com", loyalty_id="CARD-1")
    there = await ledger.enroll(germany.id, request_id="same", email="ada@example.com", loyalty_id="CARD-1")
    assert here.member_id != there.member_id
    await ledger.earn(
        tenant_id, here.member_id, currency="permanent", points=100, source_id="bonus", entry=entry("e1")
    )
    with pytest.raises(DomainError) as raised:  # one tenant cannot reach the other's member
        await ledger.balance(germany.id, here.member_id)
    assert raised.value.reason == "MEMBER_NOT_FOUND"
    assert (await ledger.balance(germany.id, there.member_id)).total_available == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, None),
        ({"phone": "0151 123"}, "phone"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"loyalty_id": "has space"}, "loyalty_id"),
    ],
)
async def test_enroll_refuses_bad_fields(ledger, tenant_id, fields, field) -> None:
    with pytest.raises(DomainError) as raised:
        await ledger.enroll(tenant_id, request_id="bad", **fields)
    assert raised.value.kind is ErrorKind.INVALID_ARGUMENT
    if field:
        assert [v.field for v in raised.value.field_violations] == [field]


async def test_earn_spend_and_balance(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    earned = await ledger.earn(
        tenant_id,
        member.member_id,
        currency="permanent",
        points=500,
        source_id="healthy_choice",
        entry=entry("e1"),
    )
    assert (earned.points, earned.available_after, earned.expires_at) == (500, 500, None)
    await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=200, source_id="purchase", entry=entry("e2")
    )
    spent = await ledger.spend(
        tenant_id,
        member.member_id,
        currency="permanent",
        points=600,
        entry=entry("s1", origin_type="redemption"),
    )
    assert (spent.points, spent.available_after) == (-600, 100)
    balance = await ledger.balance(tenant_id, member.member_id)
    permanent, temporary = balance.currencies
    assert (permanent.available, permanent.lifetime_earned, permanent.lifetime_spent) == (100, 700, 600)
    # Soonest-expiring first; among never-expiring lots the oldest first: healthy_choice went first.
    assert permanent.sources == {"healthy_choice": (500, 0), "purchase": (200, 100)}
    assert (temporary.currency, temporary.available) == ("temporary", 0)
    assert balance.total_available == 100
    await check_invariants(engine)


async def test_insufficient_points_writes_nothing(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=50, source_id="bonus", entry=entry("e")
    )
    async with engine.connect() as connection:
        before = (await connection.execute(select(func.count()).select_from(ledger_transactions))).scalar()
    with pytest.raises(DomainError) as raised:
        await ledger.spend(tenant_id, member.member_id, currency="permanent", points=51, entry=entry("s"))
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.FAILED_PRECONDITION, "INSUFFICIENT_POINTS")
    assert raised.value.metadata["available_points"] == "50"
    async with engine.connect() as connection:
        assert (
            await connection.execute(select(func.count()).select_from(ledger_transactions))
        ).scalar() == before
    # The refused request id was not used up: the same id may now succeed with a valid request.
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=50, entry=entry("s"))


@pytest.mark.parametrize(
    ("points", "currency", "reason"),
    [
        (0, "permanent", "INVALID_AMOUNT"),
        (-5, "permanent", "INVALID_AMOUNT"),
        (10, "gold", "UNKNOWN_CURRENCY"),
    ],
)
async def test_bad_amounts_and_currencies(ledger, tenant_id, points, currency, reason) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    for call in (ledger.earn, ledger.spend):
        kwargs = {"source_id": "bonus"} if call == ledger.earn else {}
        with pytest.raises(DomainError) as raised:
            await call(
                tenant_id, member.member_id, currency=currency, points=points, entry=entry("x"), **kwargs
            )
        assert raised.value.reason == reason


async def test_replays_change_nothing_and_reuse_is_refused(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    first = await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=30, source_id="bonus", entry=entry("e")
    )
    again = await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=30, source_id="bonus", entry=entry("e")
    )
    assert again == first
    assert (await ledger.balance(tenant_id, member.member_id)).total_available == 30
    with pytest.raises(DomainError) as raised:
        await ledger.earn(
            tenant_id, member.member_id, currency="permanent", points=31, source_id="bonus", entry=entry("e")
        )
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    await check_invariants(engine)


async def test_temporary_points_expire_in_order_with_an_expiry_transaction(
    ledger, engine, clock, tenant_id
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="temporary", points=100, source_id="bonus", entry=entry("old")
    )
    clock.advance(dt.timedelta(days=10))
    await ledger.earn(
        tenant_id, member.member_id, currency="temporary", points=100, source_id="bonus", entry=entry("new")
    )
    # The spend takes the soonest-expiring (older) lot first.
    await ledger.spend(tenant_id, member.member_id, currency="temporary", points=60, entry=entry("s"))
    clock.advance(dt.timedelta(days=80, seconds=1))  # the old lot (90 days) is now expired, the new one not
    temporary = (await ledger.balance(tenant_id, member.member_id)).currencies[1]
    assert (temporary.available, temporary.lifetime_expired, temporary.lifetime_spent) == (100, 40, 60)
    clock.advance(dt.timedelta(days=10))
    temporary = (await ledger.balance(tenant_id, member.member_id)).currencies[1]
    assert (temporary.available, temporary.lifetime_expired) == (0, 140)
    async with engine.connect() as connection:
        kinds = (
            await connection.execute(
                select(ledger_transactions.c.type, ledger_transactions.c.points).order_by(
                    ledger_transactions.c.id
                )
            )
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("earn", 100),
        ("earn", 100),
        ("spend", -60),
        ("expire", -40),
        ("expire", -100),
    ]
    async with engine.connect() as connection:
        stored = (
            await connection.execute(select(events.c.type, events.c.payload).order_by(events.c.sequence))
        ).all()
    announced = [(name, subscription_pb2.Event.FromString(payload)) for name, payload in stored]
    assert [name for name, _ in announced] == [
        "member.enrolled",
        "points.earned",
        "points.earned",
        "points.spent",
        "points.expired",
        "points.expired",
    ]
    first_expiry = announced[4][1]
    assert first_expiry.WhichOneof("payload") == "points_expired"
    assert (first_expiry.points_expired.points, first_expiry.points_expired.currency) == (40, "temporary")
    assert first_expiry.member.member_id == member.member_id
    assert announced[3][1].points_spent.points == 60
    await check_invariants(engine)


async def test_pending_points_become_spendable_when_the_window_closes(
    ledger, engine, clock, tenant_id
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    booked = await ledger.earn(
        tenant_id,
        member.member_id,
        currency="permanent",
        points=80,
        source_id="purchase",
        entry=entry("p"),
        pending_days=30,
    )
    assert booked.pending_until == START + dt.timedelta(days=30)
    permanent = (await ledger.balance(tenant_id, member.member_id)).currencies[0]
    assert (permanent.available, permanent.pending) == (0, 80)
    with pytest.raises(DomainError, match=r"^1 permanent points asked, 0 available$"):
        await ledger.spend(tenant_id, member.member_id, currency="permanent", points=1, entry=entry("s1"))
    clock.advance(dt.timedelta(days=30))
    permanent = (await ledger.balance(tenant_id, member.member_id)).currencies[0]
    assert (permanent.available, permanent.pending) == (80, 0)
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=80, entry=entry("s2"))
    await check_invariants(engine)


async def test_vip_temporary_points_never_expire(ledger, engine, clock, tenant_id) -> None:
    from loyalty_server.ledger.tables import members

    member = await ledger.enroll(tenant_id, request_id="m")
    async with engine.begin() as connection:
        await connection.execute(
            members.update().where(members.c.member_id == member.member_id).values(custom_tier_id="vip")
        )
    booked = await ledger.earn(
        tenant_id, member.member_id, currency="temporary", points=10, source_id="bonus", entry=entry("e")
    )
    assert booked.expires_at is None


async def test_fifty_concurrent_spends_against_ten_spends_worth(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=100, source_id="bonus", entry=entry("e")
    )

    async def spend(index: int) -> object:
        return await ledger.spend(
            tenant_id, member.member_id, currency="permanent", points=10, entry=entry(f"s{index}")
        )

    outcomes = await asyncio.gather(*(spend(index) for index in range(50)), return_exceptions=True)
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) - len(refused) == 10
    assert {getattr(error, "reason", repr(error)) for error in refused} == {"INSUFFICIENT_POINTS"}
    assert (await ledger.balance(tenant_id, member.member_id)).total_available == 0
    await check_invariants(engine)


async def test_concurrent_replays_of_one_request_count_once(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    results = await asyncio.gather(
        *(
            ledger.earn(
                tenant_id,
                member.member_id,
                currency="permanent",
                points=7,
                source_id="bonus",
                entry=entry("same"),
            )
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    booked = [r for r in results if not isinstance(r, BaseException)]
    # Each replay either returns the first result or is told the first is still in progress.
    assert all(
        isinstance(r, DomainError) and r.reason == "REQUEST_IN_PROGRESS" for r in results if r not in booked
    )
    assert len({b.transaction_id for b in booked}) == 1
    assert (await ledger.balance(tenant_id, member.member_id)).total_available == 7
    async with engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(lots))).scalar() == 1
        assert (await connection.execute(select(func.count()).select_from(postings))).scalar() == 2


# --- holds ---------------------------------------------------------------------------------------


async def _member_with(ledger, tenant_id, points: int):
    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=points, source_id="bonus", entry=entry("e")
    )
    return member


async def _available(ledger, tenant_id, member) -> tuple[int, int]:
    permanent = (await ledger.balance(tenant_id, member.member_id)).currencies[0]
    return permanent.available, permanent.held


async def test_hold_then_partial_capture_releases_the_rest(ledger, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 100)
    hold = await ledger.create_hold(
        tenant_id, member.member_id, currency="permanent", points=60, request_id="h"
    )
    assert (hold.status, hold.points) == ("active", 60)
    assert await _available(ledger, tenant_id, member) == (40, 60)
    with pytest.raises(DomainError, match="points asked") as raised:  # held points cannot be spent twice
        await ledger.spend(tenant_id, member.member_id, currency="permanent", points=41, entry=entry("s"))
    assert raised.value.reason == "INSUFFICIENT_POINTS"
    captured, booked = await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c", points=45)
    assert (captured.status, captured.captured_points, booked.points) == ("captured", 45, -45)
    assert captured.capture_transaction_id == booked.transaction_id
    assert await _available(ledger, tenant_id, member) == (55, 0)
    # A replay of the capture returns the same result; a second capture is refused.
    assert (await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c", points=45))[1] == booked
    with pytest.raises(DomainError, match="is captured") as raised:
        await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c2")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.FAILED_PRECONDITION, "HOLD_CAPTURED")
    await check_invariants(engine)


async def test_capture_more_than_held_is_refused(ledger, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 100)
    hold = await ledger.create_hold(
        tenant_id, member.member_id, currency="permanent", points=10, request_id="h"
    )
    with pytest.raises(DomainError, match="exceeds the hold") as raised:
        await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c", points=11)
    assert raised.value.reason == "CAPTURE_EXCEEDS_HOLD"
    assert (await ledger.get_hold(tenant_id, hold.hold_id)).status == "active"


async def test_void_releases_and_expiry_releases(ledger, engine, clock, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 100)
    voided = await ledger.create_hold(
        tenant_id, member.member_id, currency="permanent", points=30, request_id="h1"
    )
    assert (await ledger.void_hold(tenant_id, voided.hold_id, request_id="v")).status == "voided"
    with pytest.raises(DomainError, match="is voided"):
        await ledger.capture_hold(tenant_id, voided.hold_id, request_id="c1")
    lapsing = await ledger.create_hold(
        tenant_id, member.member_id, currency="permanent", points=70, request_id="h2", ttl_s=60
    )
    assert await _available(ledger, tenant_id, member) == (30, 70)
    clock.advance(dt.timedelta(seconds=60))
    assert await _available(ledger, tenant_id, member) == (100, 0)
    assert (await ledger.get_hold(tenant_id, lapsing.hold_id)).status == "expired"
    with pytest.raises(DomainError) as raised:
        await ledger.capture_hold(tenant_id, lapsing.hold_id, request_id="c2")
    assert raised.value.reason == "HOLD_EXPIRED"
    async with engine.connect() as connection:
        kinds = (await connection.execute(select(events.c.type).order_by(events.c.sequence))).scalars().all()
    assert kinds[-3:] == ["hold.voided", "hold.created", "hold.expired"]
    await check_invariants(engine)


async def test_unknown_hold_and_other_tenants_hold(ledger, engine, clock, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 100)
    hold = await ledger.create_hold(
        tenant_id, member.member_id, currency="permanent", points=5, request_id="h"
    )
    other = await create_tenant(engine, clock, "Other", "Other", DEMO_PROGRAM.read_text())
    for tenant, hold_id in ((tenant_id, "h_missing"), (other.id, hold.hold_id)):
        with pytest.raises(DomainError) as raised:
            await ledger.capture_hold(tenant, hold_id, request_id="c")
        assert (raised.value.kind, raised.value.reason) == (ErrorKind.NOT_FOUND, "HOLD_NOT_FOUND")


async def test_concurrent_holds_and_spends_never_overdraw(ledger, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 100)

    async def hold(index: int) -> object:
        return await ledger.create_hold(
            tenant_id, member.member_id, currency="permanent", points=10, request_id=f"h{index}"
        )

    async def spend(index: int) -> object:
        return await ledger.spend(
            tenant_id, member.member_id, currency="permanent", points=10, entry=entry(f"s{index}")
        )

    outcomes = await asyncio.gather(
        *(hold(i) for i in range(20)), *(spend(i) for i in range(20)), return_exceptions=True
    )
    assert sum(not isinstance(outcome, BaseException) for outcome in outcomes) == 10
    assert await _available(ledger, tenant_id, member) == (
        0,
        sum(10 for outcome in outcomes[:20] if not isinstance(outcome, BaseException)),
    )
    await check_invariants(engine)


# --- the scheduled expiry job ---------------------------------------------------------------------


async def _event_names(engine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(events.c.type).order_by(events.c.sequence))).scalars())


async def test_expiry_job_expires_unread_accounts_once_and_announces_ahead(
    ledger, engine, clock, tenant_id
) -> None:
    from loyalty_server.ledger.expiry_job import run_round

    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="temporary", points=25, source_id="bonus", entry=entry("e")
    )
    assert await run_round(ledger) == (0, 0)  # 90 days away: nothing to say yet
    clock.advance(dt.timedelta(days=84))  # 6 days before expiry: inside the 7-day notice window
    assert await run_round(ledger) == (0, 1)
    assert await run_round(ledger) == (0, 0)  # the notice goes out once
    async with engine.connect() as connection:
        payload = (
            await connection.execute(select(events.c.payload).order_by(events.c.sequence.desc()))
        ).scalar()
    notice = subscription_pb2.Event.FromString(payload)
    assert notice.type_name == "points.expiring"
    assert (notice.points_expiring.points, notice.points_expiring.days_until_expiry) == (25, 6)
    clock.advance(dt.timedelta(days=6))
    assert await run_round(ledger) == (1, 0)  # nobody read the account; the job expired it anyway
    assert await run_round(ledger) == (0, 0)
    names = await _event_names(engine)
    assert names.count("points.expired") == 1
    assert names[-1] == "points.expired"
    assert (await ledger.balance(tenant_id, member.member_id)).currencies[1].lifetime_expired == 25
    await check_invariants(engine)


async def test_expiry_job_and_a_reader_race_without_double_expiry(ledger, engine, clock, tenant_id) -> None:
    from loyalty_server.ledger.expiry_job import run_round

    member = await ledger.enroll(tenant_id, request_id="m")
    await ledger.earn(
        tenant_id, member.member_id, currency="temporary", points=9, source_id="bonus", entry=entry("e")
    )
    clock.advance(dt.timedelta(days=91))
    await asyncio.gather(run_round(ledger), ledger.balance(tenant_id, member.member_id), run_round(ledger))
    assert (await _event_names(engine)).count("points.expired") == 1
    await check_invariants(engine)


# --- history -------------------------------------------------------------------------------------


async def test_history_pages_newest_first_with_filters(ledger, engine, clock, tenant_id) -> None:
    from loyalty_server.ledger.history import HistoryFilter, list_transactions

    member = await ledger.enroll(tenant_id, request_id="m")
    for index in range(7):
        await ledger.earn(
            tenant_id,
            member.member_id,
            currency="permanent",
            points=10 + index,
            source_id="bonus",
            entry=entry(f"e{index}"),
        )
        clock.advance(dt.timedelta(hours=1))
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=5, entry=entry("s"))
    everything = HistoryFilter()
    seen, token = [], ""
    while True:
        page, token = await list_transactions(
            engine, tenant_id, member.member_id, everything, page_size=3, page_token=token
        )
        seen += page
        if not token:
            break
    assert [row.points for row in seen] == [-5, 16, 15, 14, 13, 12, 11, 10]
    earns, _ = await list_transactions(
        engine, tenant_id, member.member_id, HistoryFilter(types=frozenset({"spend"}))
    )
    assert [row.type for row in earns] == ["spend"]
    window = HistoryFilter(since=START + dt.timedelta(hours=2), until=START + dt.timedelta(hours=4))
    assert [
        row.points for row in (await list_transactions(engine, tenant_id, member.member_id, window))[0]
    ] == [13, 12]
    _, token = await list_transactions(engine, tenant_id, member.member_id, everything, page_size=2)
    with pytest.raises(DomainError, match="other filters"):
        await list_transactions(engine, tenant_id, member.member_id, window, page_token=token)
    with pytest.raises(DomainError, match="not a page token"):
        await list_transactions(engine, tenant_id, member.member_id, everything, page_token="garbage!")
    with pytest.raises(DomainError, match="unknown type"):
        await list_transactions(engine, tenant_id, member.member_id, HistoryFilter(types=frozenset({"gift"})))


# --- expiry job: notices across replicas and at scale, a failing account ---------------------------


async def test_expiry_notices_go_out_once_across_replicas(ledger, engine, clock, tenant_id) -> None:
    from loyalty_server.ledger.expiry_job import announce_expiring

    for i in range(20):
        member = await ledger.enroll(tenant_id, request_id=f"m{i}")
        await ledger.earn(
            tenant_id,
            member.member_id,
            currency="temporary",
            points=10,
            source_id="bonus",
            entry=entry(f"e{i}"),
        )
    clock.advance(dt.timedelta(days=85))  # 5 days before expiry: inside the 7-day notice window
    sent = await asyncio.gather(
        announce_expiring(ledger), announce_expiring(ledger), announce_expiring(ledger)
    )
    assert sum(sent) == 20
    assert (await _event_names(engine)).count("points.expiring") == 20
    assert await announce_expiring(ledger) == 0


async def test_expiry_notices_are_not_starved_by_lots_outside_the_window(
    ledger, engine, clock, tenant_id, monkeypatch
) -> None:
    from loyalty_server.ledger import expiry_job

    monkeypatch.setattr(expiry_job, "NOTICES_PER_ROUND_MAX", 2)  # stands for a full round of accounts
    far_away = clock.now() + dt.timedelta(days=365)

    async def member_with_a_lot(name: str, expires_at: dt.datetime | None) -> None:
        member = await ledger.enroll(tenant_id, request_id=name)
        await ledger.earn(
            tenant_id,
            member.member_id,
            currency="temporary",
            points=10,
            source_id="bonus",
            entry=entry(name),
            expires_at=expires_at,
        )

    # Accounts whose lots lie beyond every notice window, created both before and after the three
    # accounts due a notice (more than one round holds).
    for name in ["far0", "far1", "far2", "due0", "due1", "due2", "far3", "far4", "far5"]:
        await member_with_a_lot(name, far_away if name.startswith("far") else None)
    clock.advance(dt.timedelta(days=85))
    assert [await expiry_job.announce_expiring(ledger) for _ in range(3)] == [2, 1, 0]
    assert (await _event_names(engine)).count("points.expiring") == 3


async def test_expiry_job_settles_the_others_when_one_account_keeps_failing(
    ledger, engine, clock, tenant_id, monkeypatch
) -> None:
    from loyalty_server.ledger.expiry_job import settle_due_accounts

    ids = []
    for i in range(3):
        member = await ledger.enroll(tenant_id, request_id=f"m{i}")
        ids.append(member.member_id)
        await ledger.earn(
            tenant_id,
            member.member_id,
            currency="temporary",
            points=5,
            source_id="bonus",
            entry=entry(f"e{i}"),
        )
    clock.advance(dt.timedelta(days=91))
    balance = ledger.balance

    async def failing_for_the_first(tenant: int, member_id: str):
        if member_id == ids[0]:
            raise RuntimeError("boom")
        return await balance(tenant, member_id)

    monkeypatch.setattr(ledger, "balance", failing_for_the_first)
    assert await settle_due_accounts(ledger) == 2
    assert (await _event_names(engine)).count("points.expired") == 2
    await check_invariants(engine)


async def _temporary(ledger, tenant_id, member_id) -> tuple[int, int, int]:
    """(available, held, lifetime expired) of the temporary currency."""
    view = next(
        c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == "temporary"
    )
    return view.available, view.held, view.lifetime_expired


async def _expiries(engine) -> tuple[list[int], list[int]]:
    """Points of the expire transactions and of the points.expired events, in order."""
    async with engine.connect() as connection:
        booked = (
            await connection.execute(
                select(ledger_transactions.c.points)
                .where(ledger_transactions.c.type == "expire")
                .order_by(ledger_transactions.c.id)
            )
        ).scalars()
        stored = (
            await connection.execute(
                select(events.c.payload).where(events.c.type == "points.expired").order_by(events.c.sequence)
            )
        ).scalars()
        announced = [subscription_pb2.Event.FromString(payload).points_expired.points for payload in stored]
    return list(booked), announced


@pytest.mark.parametrize("close", ["capture", "void", "lapse"])
async def test_expiry_spares_the_points_an_active_hold_needs(ledger, engine, clock, tenant_id, close) -> None:
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id

    async def earn(points: int, key: str) -> None:
        await ledger.earn(
            tenant_id, member_id, currency="temporary", points=points, source_id="bonus", entry=entry(key)
        )

    await earn(100, "old")  # expires after 90 days
    clock.advance(dt.timedelta(days=60))
    await earn(30, "new")
    clock.advance(dt.timedelta(days=30) - dt.timedelta(hours=1))
    hold = await ledger.create_hold(
        tenant_id, member_id, currency="temporary", points=120, request_id="h", ttl_s=7200
    )
    clock.advance(dt.timedelta(hours=1, seconds=1))  # the old lot is due; the hold needs 90 of it
    assert await _temporary(ledger, tenant_id, member_id) == (0, 120, 10)
    assert await _expiries(engine) == ([-10], [10])
    await check_invariants(engine)
    if close == "capture":  # spends 80 of the 90 spared points; the 10 it leaves expire next
        await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c", points=80)
        assert await _temporary(ledger, tenant_id, member_id) == (30, 0, 20)
        assert await _expiries(engine) == ([-10, -10], [10, 10])
    else:
        if close == "void":
            await ledger.void_hold(tenant_id, hold.hold_id, request_id="v")
        else:
            clock.advance(dt.timedelta(hours=1))
        assert await _temporary(ledger, tenant_id, member_id) == (30, 0, 100)
        assert await _expiries(engine) == ([-10, -90], [10, 90])
    await check_invariants(engine)
