"""Rewards and coupons on SQLite and PostgreSQL: redeem, limits, stock under concurrency, tiers,
replays, code lookup, use, expiry and cancellation."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from loyalty.v1 import subscription_pb2
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger import coupon_codes
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rewards import Ineligibility, Rewards
from loyalty_server.ledger.tables import coupons, ledger_transactions, members, reward_counters
from loyalty_server.program import load_program_file
from loyalty_server.program.model import Reward
from loyalty_server.storage.schema import events, idempotency_keys
from loyalty_server.tenancy import create_tenant
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DEMO = load_program_file(DEMO_PROGRAM)
MUG = Reward(
    id="mug",
    name="A mug",
    cost=300,
    currency="permanent",
    discount_minor=0,
    valid_days=10,
    stock=3,
    per_member_max=2,
    tiers=(),
)
PROGRAM = dataclasses.replace(DEMO, rewards={**DEMO.rewards, MUG.id: MUG})


@pytest.fixture
def ledger(engine, clock) -> Ledger:
    return Ledger(engine, clock, lambda _tenant_id: PROGRAM)


@pytest.fixture
def rewards(ledger) -> Rewards:
    return Rewards(ledger)


async def _member_with(ledger: Ledger, tenant_id: int, points: int, name: str = "m"):
    member = await ledger.enroll(tenant_id, request_id=f"enroll-{name}")
    if points:
        entry = Entry(origin_type="bulk_award", origin_id=name, reason_code="TEST", request_id=f"earn-{name}")
        await ledger.earn(
            tenant_id, member.member_id, currency="permanent", points=points, source_id="bonus", entry=entry
        )
    return member


async def _available(ledger: Ledger, tenant_id: int, member) -> int:
    return (await ledger.balance(tenant_id, member.member_id)).total_available


async def _events(engine) -> list[tuple[str, subscription_pb2.Event]]:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(select(events.c.type, events.c.payload).order_by(events.c.sequence))
        ).all()
    return [(name, subscription_pb2.Event.FromString(payload)) for name, payload in rows]


async def _count(engine, table, *where) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def _refusal(awaitable) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await awaitable
    return raised.value


async def test_redeem_spends_issues_a_coupon_and_announces_it_without_the_code(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    redemption = await rewards.redeem_reward(
        tenant_id, member.member_id, "coupon-5", request_id="r1", store_id="store-7", actor="pos:till"
    )
    coupon, booked = redemption.coupon, redemption.booked
    assert coupon_codes.normalize(coupon.code) is not None
    assert coupon.code == coupon_codes.display(coupon_codes.normalize(coupon.code))
    assert (coupon.reward_id, coupon.status, coupon.cost_points, coupon.discount_minor) == (
        "coupon-5",
        "issued",
        500,
        500,
    )
    assert (coupon.member_id, coupon.loyalty_id, coupon.store_id) == (
        member.member_id,
        member.loyalty_id,
        "store-7",
    )
    assert coupon.expires_at == START + dt.timedelta(days=30)
    assert (booked.type, booked.points, booked.available_after) == ("spend", -500, 500)
    assert coupon.transaction_id == booked.transaction_id
    assert await _available(ledger, tenant_id, member) == 500
    async with engine.connect() as connection:
        stored = (await connection.execute(select(coupons))).mappings().one()
        spend = (
            (
                await connection.execute(
                    select(ledger_transactions).where(ledger_transactions.c.id == booked.pk)
                )
            )
            .mappings()
            .one()
        )
    body = coupon_codes.normalize(coupon.code)
    assert stored["code_sha256"] == coupon_codes.digest(body)
    assert stored["code_hint"] == body[-4:]
    assert (spend["origin_type"], spend["origin_id"], spend["actor"]) == (
        "coupon",
        coupon.coupon_id,
        "pos:till",
    )
    announced = await _events(engine)
    assert [name for name, _ in announced][-2:] == ["points.spent", "reward.redeemed"]
    spent, redeemed = announced[-2][1].points_spent, announced[-1][1].reward_redeemed
    assert (spent.points, spent.transaction_id) == (500, booked.transaction_id)
    assert (redeemed.coupon_id, redeemed.reward_id, redeemed.points, redeemed.currency) == (
        coupon.coupon_id,
        "coupon-5",
        500,
        "permanent",
    )
    for _, event in announced:  # the code is a secret: never in an event, in any spelling
        raw = event.SerializeToString()
        assert body.encode() not in raw
        assert coupon.code.encode() not in raw
    await check_invariants(engine)


async def test_insufficient_points_writes_nothing(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 499)
    before = await _events(engine)
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "INSUFFICIENT_POINTS")
    assert await _count(engine, coupons) == 0
    assert await _count(engine, ledger_transactions) == 1  # the earn
    assert await _count(engine, reward_counters, reward_counters.c.issued > 0) == 0
    assert await _count(engine, idempotency_keys, idempotency_keys.c.scope == "ledger.redeem_reward") == 0
    assert len(await _events(engine)) == len(before)
    assert await _available(ledger, tenant_id, member) == 499
    await check_invariants(engine)


async def test_unknown_reward_member_and_inactive_member(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "nope", request_id="r"))
    assert (refused.kind, refused.reason) == (ErrorKind.NOT_FOUND, "REWARD_NOT_FOUND")
    refused = await _refusal(rewards.redeem_reward(tenant_id, "m_nobody", "coupon-5", request_id="r"))
    assert refused.reason == "MEMBER_NOT_FOUND"
    async with engine.begin() as connection:
        await connection.execute(update(members).values(status="deactivated"))
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r"))
    assert refused.reason == "MEMBER_DEACTIVATED"
    view = await rewards.get_reward(tenant_id, "coupon-5", member_id=member.member_id)
    assert view.eligibility.reason is Ineligibility.MEMBER_INACTIVE
    refused = await _refusal(
        rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r", store_id="s" * 65)
    )
    assert (refused.kind, refused.reason) == (ErrorKind.INVALID_ARGUMENT, "FIELD_TOO_LONG")


async def test_per_member_limit_counts_every_coupon_but_cancelled_ones(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 2000)
    first = await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r1")
    await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r2")
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r3"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "REWARD_LIMIT_REACHED")
    view = await rewards.get_reward(tenant_id, "mug", member_id=member.member_id)
    assert (view.eligibility.reason, view.eligibility.redeemed_count) == (
        Ineligibility.MEMBER_LIMIT_REACHED,
        2,
    )
    assert await _available(ledger, tenant_id, member) == 1400
    await rewards.cancel_coupon(tenant_id, first.coupon.code, request_id="c1")
    third = await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r3")
    assert third.coupon.status == "issued"
    await check_invariants(engine)


async def test_ten_members_race_for_a_stock_of_three(ledger, rewards, engine, tenant_id) -> None:
    people = [await _member_with(ledger, tenant_id, 300, name=f"p{index}") for index in range(10)]
    outcomes = await asyncio.gather(
        *(
            rewards.redeem_reward(tenant_id, person.member_id, "mug", request_id=f"r-{person.member_id}")
            for person in people
        ),
        return_exceptions=True,
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) - len(refused) == 3
    assert {getattr(error, "reason", repr(error)) for error in refused} == {"REWARD_OUT_OF_STOCK"}
    assert await _count(engine, coupons) == 3
    async with engine.connect() as connection:
        issued = (await connection.execute(select(reward_counters.c.issued))).scalar_one()
    assert issued == 3
    balances = sorted([await _available(ledger, tenant_id, person) for person in people])
    assert balances == [0, 0, 0] + [300] * 7
    view = await rewards.get_reward(tenant_id, "mug", member_id=people[0].member_id)
    assert view.stock_remaining == 0
    await check_invariants(engine)


async def test_tier_restriction_follows_the_member_row(ledger, rewards, engine, clock, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 3000)  # earns silver: gold needs 10,000

    async def set_tier(**values: object) -> None:
        async with engine.begin() as connection:
            await connection.execute(update(members).where(members.c.id == member.pk).values(**values))

    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "gold-gift", request_id="a"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "TIER_NOT_ELIGIBLE")
    await set_tier(custom_tier_id="employee")  # floor silver: still not gold
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "gold-gift", request_id="a"))
    assert refused.reason == "TIER_NOT_ELIGIBLE"
    await set_tier(custom_tier_id="vip", custom_tier_expires_at=START + dt.timedelta(days=1))
    await rewards.redeem_reward(tenant_id, member.member_id, "gold-gift", request_id="a")
    clock.advance(dt.timedelta(days=1))  # the VIP status ended
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "gold-gift", request_id="b"))
    assert refused.reason == "TIER_NOT_ELIGIBLE"
    await set_tier(tier_id="gold")
    await rewards.redeem_reward(tenant_id, member.member_id, "gold-gift", request_id="b")
    assert await _available(ledger, tenant_id, member) == 0
    await check_invariants(engine)


async def test_a_replay_returns_the_same_coupon_masked_and_spends_once(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    first = await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")
    again = await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")
    assert again.coupon.coupon_id == first.coupon.coupon_id
    assert again.booked == first.booked
    assert again.coupon.code == "LOY-****-****-****-" + first.coupon.code[-4:]
    assert dataclasses.replace(again.coupon, code=first.coupon.code) == first.coupon
    assert await _available(ledger, tenant_id, member) == 500
    assert await _count(engine, coupons) == 1
    assert [name for name, _ in await _events(engine)].count("reward.redeemed") == 1
    refused = await _refusal(rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r"))
    assert (refused.kind, refused.reason) == (ErrorKind.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    await check_invariants(engine)


async def test_concurrent_replays_issue_one_coupon(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    outcomes = await asyncio.gather(
        *(
            rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="same")
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    done = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert len({outcome.coupon.coupon_id for outcome in done}) == 1
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            assert getattr(outcome, "reason", None) == "REQUEST_IN_PROGRESS", outcome
    assert await _count(engine, coupons) == 1
    assert await _available(ledger, tenant_id, member) == 500
    await check_invariants(engine)


async def test_code_lookup_forgives_case_dashes_and_confusables(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")).coupon
    sloppy = issued.code.lower().replace("-", "").replace("0", "o").replace("1", "l")
    found = await rewards.get_coupon(tenant_id, sloppy)
    assert found == issued
    for wrong in ("LOY-0000-0000-0000-0000", "not a code"):
        refused = await _refusal(rewards.get_coupon(tenant_id, wrong))
        assert (refused.kind, refused.reason) == (ErrorKind.NOT_FOUND, "COUPON_NOT_FOUND")
    refused = await _refusal(rewards.get_coupon(tenant_id, ""))
    assert refused.kind is ErrorKind.INVALID_ARGUMENT


async def test_another_tenant_cannot_find_the_coupon(ledger, rewards, engine, clock, tenant_id) -> None:
    other = await create_tenant(engine, clock, "Other", "Other", DEMO_PROGRAM.read_text())
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")).coupon
    refused = await _refusal(rewards.get_coupon(other.id, issued.code))
    assert refused.reason == "COUPON_NOT_FOUND"
    refused = await _refusal(rewards.use_coupon(other.id, issued.code, order_id="o", request_id="u"))
    assert refused.reason == "COUPON_NOT_FOUND"


async def test_use_marks_the_coupon_once(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")).coupon
    used = await rewards.use_coupon(
        tenant_id, issued.code.lower(), order_id="order-1", store_id="store-2", request_id="u1"
    )
    assert (used.status, used.order_id, used.store_id, used.used_at) == ("used", "order-1", "store-2", START)
    assert used.code == issued.code
    replay = await rewards.use_coupon(
        tenant_id, issued.code.lower(), order_id="order-1", store_id="store-2", request_id="u1"
    )
    assert replay == used
    refused = await _refusal(rewards.use_coupon(tenant_id, issued.code, order_id="order-2", request_id="u2"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "COUPON_USED")
    announced = [event for name, event in await _events(engine) if name == "coupon.used"]
    assert len(announced) == 1
    assert (announced[0].coupon_used.coupon_id, announced[0].coupon_used.order_id) == (
        issued.coupon_id,
        "order-1",
    )
    refused = await _refusal(rewards.use_coupon(tenant_id, issued.code, order_id="", request_id="u3"))
    assert refused.kind is ErrorKind.INVALID_ARGUMENT
    refused = await _refusal(rewards.use_coupon(tenant_id, issued.code, order_id="o" * 129, request_id="u3"))
    assert refused.reason == "FIELD_TOO_LONG"
    assert await _available(ledger, tenant_id, member) == 500
    await check_invariants(engine)


async def test_concurrent_uses_of_one_coupon_win_once(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="r")).coupon
    outcomes = await asyncio.gather(
        *(
            rewards.use_coupon(tenant_id, issued.code, order_id=f"o{index}", request_id=f"u{index}")
            for index in range(8)
        ),
        return_exceptions=True,
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) - len(refused) == 1
    assert {getattr(error, "reason", repr(error)) for error in refused} == {"COUPON_USED"}


async def test_an_expired_coupon_can_be_neither_used_nor_cancelled(
    ledger, rewards, engine, clock, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r")).coupon
    clock.advance(dt.timedelta(days=MUG.valid_days))
    assert (await rewards.get_coupon(tenant_id, issued.code)).status == "expired"
    refused = await _refusal(rewards.use_coupon(tenant_id, issued.code, order_id="o", request_id="u"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "COUPON_EXPIRED")
    refused = await _refusal(rewards.cancel_coupon(tenant_id, issued.code, request_id="c"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "COUPON_EXPIRED")
    listed, _ = await rewards.list_coupons(tenant_id, member.member_id, statuses=frozenset({"expired"}))
    assert [coupon.coupon_id for coupon in listed] == [issued.coupon_id]
    listed, _ = await rewards.list_coupons(tenant_id, member.member_id, statuses=frozenset({"issued"}))
    assert listed == []
    assert await _available(ledger, tenant_id, member) == 700  # expired coupons keep their points spent
    await check_invariants(engine)


async def test_cancel_gives_points_and_stock_back(ledger, rewards, engine, clock, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r")).coupon
    clock.advance(dt.timedelta(hours=1))
    cancelled = await rewards.cancel_coupon(tenant_id, issued.code, request_id="c", reason="changed mind")
    coupon, booked = cancelled.coupon, cancelled.booked
    assert (coupon.status, coupon.cancel_reason, coupon.cancelled_at) == (
        "cancelled",
        "changed mind",
        START + dt.timedelta(hours=1),
    )
    assert (booked.type, booked.points) == ("reverse", 300)
    assert coupon.reversal_transaction_id == booked.transaction_id
    assert await _available(ledger, tenant_id, member) == 1000
    assert (await rewards.get_reward(tenant_id, "mug")).stock_remaining == 3
    names = [name for name, _ in await _events(engine)]
    assert "points.reversed" in names
    assert names[-1] == "coupon.cancelled"
    restored = (await _events(engine))[-1][1].coupon_cancelled
    assert (restored.coupon_id, restored.points_restored) == (issued.coupon_id, 300)
    replay = await rewards.cancel_coupon(tenant_id, issued.code, request_id="c", reason="changed mind")
    assert replay == cancelled
    refused = await _refusal(rewards.cancel_coupon(tenant_id, issued.code, request_id="c2"))
    assert (refused.kind, refused.reason) == (ErrorKind.FAILED_PRECONDITION, "COUPON_CANCELLED")
    refused = await _refusal(rewards.use_coupon(tenant_id, issued.code, order_id="o", request_id="u"))
    assert refused.reason == "COUPON_CANCELLED"
    assert await _available(ledger, tenant_id, member) == 1000
    await check_invariants(engine)


async def test_a_used_coupon_whose_order_was_returned_can_be_cancelled(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r")).coupon
    await rewards.use_coupon(tenant_id, issued.code, order_id="o", request_id="u")
    cancelled = await rewards.cancel_coupon(tenant_id, issued.code, request_id="c", reason="RETURN")
    assert (cancelled.coupon.status, cancelled.coupon.order_id) == ("cancelled", "o")
    assert await _available(ledger, tenant_id, member) == 1000
    await check_invariants(engine)


async def test_list_rewards_with_eligibility_and_pages(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 600)
    everything, token = await rewards.list_rewards(tenant_id)
    assert [view.reward.id for view in everything] == ["coupon-5", "gold-gift", "mug"]
    assert token == ""
    assert all(view.eligibility is None for view in everything)
    assert [view.stock_remaining for view in everything] == [None, 1000, 3]
    first, token = await rewards.list_rewards(tenant_id, member_id=member.member_id, page_size=2)
    second, last = await rewards.list_rewards(
        tenant_id, member_id=member.member_id, page_size=2, page_token=token
    )
    assert [view.reward.id for view in first + second] == ["coupon-5", "gold-gift", "mug"]
    assert last == ""
    reasons = {view.reward.id: view.eligibility.reason for view in first + second}
    assert reasons == {"coupon-5": None, "gold-gift": Ineligibility.TIER_NOT_ELIGIBLE, "mug": None}
    eligible, _ = await rewards.list_rewards(tenant_id, member_id=member.member_id, eligible_only=True)
    assert [view.reward.id for view in eligible] == ["coupon-5", "mug"]
    refused = await _refusal(rewards.list_rewards(tenant_id, page_size=2, page_token=token))
    assert refused.reason == "PAGE_TOKEN_INVALID"  # bound to the member it was made for
    await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r")
    view = await rewards.get_reward(tenant_id, "coupon-5", member_id=member.member_id)
    assert (view.eligibility.reason, view.eligibility.redeemed_count) == (
        Ineligibility.INSUFFICIENT_POINTS,
        0,
    )
    refused = await _refusal(rewards.get_reward(tenant_id, "nope"))
    assert refused.reason == "REWARD_NOT_FOUND"


async def test_list_coupons_newest_first_masked_and_filtered(ledger, rewards, engine, tenant_id) -> None:
    member = await _member_with(ledger, tenant_id, 5000)
    issued = [
        (await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id=f"r{i}")).coupon
        for i in range(5)
    ]
    await rewards.use_coupon(tenant_id, issued[1].code, order_id="o", request_id="u")
    seen, token = [], ""
    while True:
        page, token = await rewards.list_coupons(tenant_id, member.member_id, page_size=2, page_token=token)
        seen += page
        if not token:
            break
    assert [coupon.coupon_id for coupon in seen] == [coupon.coupon_id for coupon in reversed(issued)]
    assert all(coupon.code.startswith("LOY-****-") for coupon in seen)
    used, _ = await rewards.list_coupons(tenant_id, member.member_id, statuses=frozenset({"used"}))
    assert [coupon.coupon_id for coupon in used] == [issued[1].coupon_id]
    refused = await _refusal(rewards.list_coupons(tenant_id, member.member_id, statuses=frozenset({"lost"})))
    assert refused.kind is ErrorKind.INVALID_ARGUMENT


async def test_concurrent_redemptions_of_one_member_respect_the_limit(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 3000)
    outcomes = await asyncio.gather(
        *(rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id=f"r{i}") for i in range(6)),
        return_exceptions=True,
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) - len(refused) == MUG.per_member_max
    assert {getattr(error, "reason", repr(error)) for error in refused} == {"REWARD_LIMIT_REACHED"}
    assert await _available(ledger, tenant_id, member) == 3000 - MUG.per_member_max * MUG.cost
    await check_invariants(engine)


async def test_a_coupon_used_and_cancelled_at_once_gives_its_points_back_at_most_once(
    ledger, rewards, engine, tenant_id
) -> None:
    member = await _member_with(ledger, tenant_id, 1000)
    issued = (await rewards.redeem_reward(tenant_id, member.member_id, "mug", request_id="r")).coupon
    outcomes = await asyncio.gather(
        *(rewards.cancel_coupon(tenant_id, issued.code, request_id=f"c{i}") for i in range(4)),
        *(rewards.use_coupon(tenant_id, issued.code, order_id=f"o{i}", request_id=f"u{i}") for i in range(4)),
        return_exceptions=True,
    )
    cancels, uses = outcomes[:4], outcomes[4:]
    won_cancels = [outcome for outcome in cancels if not isinstance(outcome, BaseException)]
    won_uses = [outcome for outcome in uses if not isinstance(outcome, BaseException)]
    assert len(won_cancels) == 1  # a used coupon may still be cancelled; a cancelled one never used
    assert len(won_uses) <= 1
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            assert getattr(outcome, "reason", None) in {"COUPON_CANCELLED", "COUPON_USED"}, outcome
    assert await _available(ledger, tenant_id, member) == 1000
    assert (await rewards.get_reward(tenant_id, "mug")).stock_remaining == MUG.stock
    assert await _count(engine, ledger_transactions, ledger_transactions.c.type == "reverse") == 1
    await check_invariants(engine)
