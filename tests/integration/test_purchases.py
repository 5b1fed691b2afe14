"""Purchases and returns through the domain (no gRPC), on SQLite and PostgreSQL: points by category,
replays, proportional returns that never drift, debt after spending, coupons, tier multipliers, the
purchase's local day for limits, and simulations that write nothing.

Demo program: purchase_general 1 point per 1.00 on every line, purchase_sports 2 more per 1.00 on
"sports"; both pending 30 days. Members live in America/Chicago (the program's default zone)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from loyalty_server.activity.purchases import (
    Item,
    LineState,
    PurchaseRequest,
    Purchases,
    ReturnItem,
    ReturnRequest,
    resolve_return,
    takeback,
)
from loyalty_server.activity.tables import purchase_lines, purchase_returns, purchases, rule_awards
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rewards import Rewards
from loyalty_server.ledger.tables import coupons, ledger_transactions
from loyalty_server.ledger.tiers import Tiers
from loyalty_server.ledger.transactions import load_transactions
from loyalty_server.program.model import Limit, Period
from tests.integration.conftest import DEMO
from tests.ledger_invariants import check_invariants

BALL = Item(sku="BALL", category="sports", quantity=2, amount_minor=2599, name="Football")
BOOK = Item(sku="BOOK", category="books", quantity=1, amount_minor=1250)


@pytest.fixture
def shop(ledger) -> Purchases:
    return Purchases(ledger)


async def enroll(ledger, tenant_id, name: str = "m"):
    return await ledger.enroll(tenant_id, request_id=f"enroll-{name}")


def order(member_id: str, order_id: str = "o-1", items=(BALL, BOOK), **changes) -> PurchaseRequest:
    values = {
        "order_id": order_id,
        "member_id": member_id,
        "items": list(items),
        "purchase_time": dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.UTC),
        "currency_code": "USD",
        "store_id": "store-7",
        "channel": "store",
        "request_id": f"req-{order_id}",
    }
    values.update(changes)
    return PurchaseRequest(**values)


def giving_back(return_id: str, order_id: str = "o-1", items=(), **changes) -> ReturnRequest:
    return ReturnRequest(
        return_id=return_id, order_id=order_id, items=list(items), request_id=f"req-{return_id}", **changes
    )


async def permanent(ledger, tenant_id, member_id):
    balance = await ledger.balance(tenant_id, member_id)
    return next(view for view in balance.currencies if view.currency == "permanent")


async def count(engine, table) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def refused(call, kind: ErrorKind, reason: str) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await call
    assert (raised.value.kind, raised.value.reason) == (kind, reason), raised.value.message
    return raised.value


# --- earning --------------------------------------------------------------------------------------


async def test_a_purchase_earns_by_category_pending_for_the_return_window(
    shop, ledger, tenant_id, engine, clock
) -> None:
    member = await enroll(ledger, tenant_id)
    recorded = await shop.record_purchase(tenant_id, order(member.member_id))
    view = recorded.purchase
    # BALL 25.99 sports: general floor(25.99) = 25, sports floor(2 x 25.99) = 51; BOOK 12.50: 12.
    assert [line.points_earned for line in view.lines] == [76, 12]
    assert [line.item.line_id for line in view.lines] == ["1", "2"]
    assert (view.points_earned, view.points_reversed, view.total_amount_minor) == (88, 0, 3849)
    assert (view.member_id, view.loyalty_id, view.store_id, view.channel, view.currency_code) == (
        member.member_id,
        member.loyalty_id,
        "store-7",
        "store",
        "USD",
    )
    assert view.pending_until == clock.now() + dt.timedelta(days=30)
    assert not recorded.replayed
    async with engine.connect() as connection:
        earns = await load_transactions(connection, recorded.transaction_pks)
        awards = dict((await connection.execute(select(rule_awards.c.rule_id, rule_awards.c.points))).all())
        stored_lines = (
            await connection.execute(
                select(purchase_lines.c.rule_points_json).order_by(purchase_lines.c.position)
            )
        ).scalars()
        assert list(stored_lines) == [
            '{"purchase_general": 25, "purchase_sports": 51}',
            '{"purchase_general": 12}',
        ]
    assert [(t.type, t.reason_code, t.points, t.source_id) for t in earns] == [
        ("earn", "purchase_general", 37, "purchase"),
        ("earn", "purchase_sports", 51, "purchase"),
    ]
    assert {(t.origin_type, t.origin_id, t.request_id) for t in earns} == {("purchase", "o-1", "req-o-1")}
    assert view.transaction_ids == tuple(t.transaction_id for t in earns)
    assert awards == {"purchase_general": 37, "purchase_sports": 51}
    figures = await permanent(ledger, tenant_id, member.member_id)
    assert (figures.available, figures.pending, figures.lifetime_earned) == (0, 88, 88)
    assert await shop.get_purchase(tenant_id, "o-1") == view
    await check_invariants(engine)


async def test_a_replay_returns_the_first_result_and_other_content_is_refused(
    shop, ledger, tenant_id, engine
) -> None:
    member = await enroll(ledger, tenant_id)
    other = await enroll(ledger, tenant_id, "other")
    first = await shop.record_purchase(tenant_id, order(member.member_id))
    again = await shop.record_purchase(tenant_id, order(member.member_id, request_id="another-request"))
    assert again.replayed
    assert (again.purchase, again.transaction_pks) == (first.purchase, first.transaction_pks)
    changed = order(member.member_id, items=[BALL, dataclasses.replace(BOOK, amount_minor=1251)])
    for different in (
        changed,
        order(other.member_id),
        order(member.member_id, store_id="store-8"),
        order(member.member_id, purchase_time=dt.datetime(2026, 3, 1, 11, 31, tzinfo=dt.UTC)),
    ):
        await refused(
            shop.record_purchase(tenant_id, different), ErrorKind.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED"
        )
    assert (await permanent(ledger, tenant_id, member.member_id)).pending == 88
    assert (await permanent(ledger, tenant_id, other.member_id)).pending == 0
    assert await count(engine, purchases) == 1
    assert await count(engine, ledger_transactions) == 2
    await check_invariants(engine)


async def test_a_tier_multiplier_applies_line_by_line(shop, ledger, tenant_id, engine) -> None:
    member = await enroll(ledger, tenant_id)
    await Tiers(ledger).set_custom(tenant_id, member.member_id, "employee", reason="staff", request_id="t")
    recorded = await shop.record_purchase(tenant_id, order(member.member_id))
    # Employee: 200 % of each line's points: (25 + 51) x 2 and 12 x 2.
    assert [line.points_earned for line in recorded.purchase.lines] == [152, 24]
    assert (await permanent(ledger, tenant_id, member.member_id)).pending == 176
    await check_invariants(engine)


async def test_limits_count_the_purchase_day_in_the_members_zone(engine, clock, tenant_id) -> None:
    """A program whose sports points are capped at 30 a day: the cut is shared over the lines in
    proportion, a purchase at 03:00 UTC the next day is still the same Chicago day, and a return
    frees what it took back."""
    rules = tuple(
        dataclasses.replace(rule, shared_limits=("sports_daily",)) if rule.id == "purchase_sports" else rule
        for rule in DEMO.rules
    )
    program = dataclasses.replace(
        DEMO, limits={**DEMO.limits, "sports_daily": Limit("sports_daily", Period.DAY, 30)}, rules=rules
    )
    ledger = Ledger(engine, clock, lambda _tenant_id: program)
    shop = Purchases(ledger)
    member = await enroll(ledger, tenant_id)
    big = Item(sku="BIKE", category="sports", quantity=1, amount_minor=2000)
    small = Item(sku="PUMP", category="sports", quantity=1, amount_minor=1000)
    first = await shop.record_purchase(tenant_id, order(member.member_id, items=[big, small]))
    # Sports 40 + 20 = 60, cut to 30 and shared 20 / 10; general 20 and 10.
    assert [line.points_earned for line in first.purchase.lines] == [40, 20]
    late = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 21:00 on March 1st in Chicago
    second = await shop.record_purchase(
        tenant_id, order(member.member_id, "o-2", items=[small], purchase_time=late)
    )
    assert second.purchase.points_earned == 10  # general only: the day's sports limit is full
    back = await shop.record_return(tenant_id, giving_back("r-1", items=[ReturnItem(1, 2000, line_id="1")]))
    assert back.purchase_return.points_reversed == 40
    third = await shop.record_purchase(
        tenant_id, order(member.member_id, "o-3", items=[small], purchase_time=late)
    )
    assert third.purchase.points_earned == 30  # the return freed 20 of the day's sports points
    next_day = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)  # 01:00 on March 2nd in Chicago
    fourth = await shop.record_purchase(
        tenant_id, order(member.member_id, "o-4", items=[small], purchase_time=next_day)
    )
    assert fourth.purchase.points_earned == 30
    await check_invariants(engine)


# --- returns --------------------------------------------------------------------------------------


async def test_partial_returns_then_the_rest_take_back_exactly_what_was_earned(
    shop, ledger, tenant_id, engine
) -> None:
    member = await enroll(ledger, tenant_id)
    balls = Item(sku="BALL", category="sports", quantity=3, amount_minor=1000)
    await shop.record_purchase(tenant_id, order(member.member_id, items=[balls, BOOK]))
    # BALL 10.00: general 10, sports 20; BOOK: 12. Returning a third three times: a fresh floor of
    # each return's share would take 3 + 6, 3 + 6, 3 + 6 = 27 of the line's 30.
    one = await shop.record_return(tenant_id, giving_back("r-1", items=[ReturnItem(1, 333, line_id="1")]))
    assert (one.purchase_return.points_reversed, one.purchase_return.debt_points) == (9, 0)
    async with engine.connect() as connection:
        reversals = await load_transactions(connection, one.transaction_pks)
    assert [(t.type, t.reason_code, t.points) for t in reversals] == [
        ("reverse", "purchase_general", -3),
        ("reverse", "purchase_sports", -6),
    ]
    two = await shop.record_return(tenant_id, giving_back("r-2", items=[ReturnItem(1, 333, sku="BALL")]))
    assert two.purchase_return.points_reversed == 10  # floor(10 x 666/1000) - 3, floor(20 x 666/1000) - 6
    assert two.purchase_return.items == (ReturnItem(1, 333, "1", "BALL"),)
    rest = await shop.record_return(tenant_id, giving_back("r-3"))
    assert rest.purchase_return.items == (ReturnItem(1, 334, "1", "BALL"), ReturnItem(1, 1250, "2", "BOOK"))
    assert rest.purchase_return.points_reversed == 11 + 12
    view = await shop.get_purchase(tenant_id, "o-1")
    assert (view.points_earned, view.points_reversed) == (42, 42)
    assert [
        (line.returned_quantity, line.returned_amount_minor, line.points_reversed) for line in view.lines
    ] == [
        (3, 1000, 30),
        (1, 1250, 12),
    ]
    assert len(view.transaction_ids) == 2 + 2 + 2 + 2  # the earns, then one reversal per rule and return
    figures = await permanent(ledger, tenant_id, member.member_id)
    assert (figures.pending, figures.available, figures.debt, figures.lifetime_earned) == (0, 0, 0, 0)
    async with engine.connect() as connection:
        awards = (await connection.execute(select(rule_awards.c.points))).scalars()
        assert set(awards) == {0}
    await refused(
        shop.record_return(tenant_id, giving_back("r-4")), ErrorKind.INVALID_ARGUMENT, "RETURN_EXCEEDS_ORDER"
    )
    # A return id replays its first result; other content under it is refused.
    replay = await shop.record_return(tenant_id, giving_back("r-1", items=[ReturnItem(1, 333, line_id="1")]))
    assert replay.replayed
    assert (replay.purchase_return, replay.transaction_pks) == (one.purchase_return, one.transaction_pks)
    await refused(
        shop.record_return(tenant_id, giving_back("r-1", items=[ReturnItem(1, 334, line_id="1")])),
        ErrorKind.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
    )
    assert await count(engine, purchase_returns) == 3
    await check_invariants(engine)


async def test_a_return_after_the_points_were_spent_records_debt(
    shop, ledger, tenant_id, engine, clock
) -> None:
    member = await enroll(ledger, tenant_id)
    bike = Item(sku="BIKE", category="sports", quantity=1, amount_minor=10000)
    await shop.record_purchase(tenant_id, order(member.member_id, items=[bike]))  # 100 + 200
    clock.advance(dt.timedelta(days=31))  # past the 30 pending days
    entry = Entry(origin_type="redemption", origin_id="gift", reason_code="GIFT", request_id="spend-1")
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=250, entry=entry)
    back = await shop.record_return(tenant_id, giving_back("r-1"))
    assert (back.purchase_return.points_reversed, back.purchase_return.debt_points) == (300, 250)
    figures = await permanent(ledger, tenant_id, member.member_id)
    assert (figures.available, figures.pending, figures.debt) == (0, 0, 250)
    async with engine.connect() as connection:
        reversals = await load_transactions(connection, back.transaction_pks)
    assert sum(-t.debt_points for t in reversals) == 250
    assert sum(t.points + t.debt_points for t in reversals) == -300
    await check_invariants(engine)


async def test_returning_more_than_is_left_or_an_unknown_order_fails_and_writes_nothing(
    shop, ledger, tenant_id, engine
) -> None:
    member = await enroll(ledger, tenant_id)
    await shop.record_purchase(tenant_id, order(member.member_id))
    await shop.record_return(tenant_id, giving_back("r-1", items=[ReturnItem(1, 1000, line_id="1")]))
    too_much = [
        [ReturnItem(2, 100, line_id="1")],  # one unit left
        [ReturnItem(1, 1600, line_id="1")],  # 15.99 left
        [ReturnItem(1, 1000, line_id="1"), ReturnItem(1, 1000, sku="BALL")],  # together over
        [ReturnItem(1, 1250, sku="BOOK"), ReturnItem(1, 0, sku="BOOK")],  # no unit of BOOK left
    ]
    for index, items in enumerate(too_much):
        error = await refused(
            shop.record_return(tenant_id, giving_back(f"x-{index}", items=items)),
            ErrorKind.INVALID_ARGUMENT,
            "RETURN_EXCEEDS_ORDER",
        )
        assert error.field_violations[0].field.startswith("items[")
    await refused(
        shop.record_return(tenant_id, giving_back("x-9", items=[ReturnItem(1, 1, line_id="7")])),
        ErrorKind.INVALID_ARGUMENT,
        "LINE_NOT_FOUND",
    )
    await refused(
        shop.record_return(tenant_id, giving_back("x-10", "o-404")), ErrorKind.NOT_FOUND, "ORDER_NOT_FOUND"
    )
    await refused(shop.get_purchase(tenant_id, "o-404"), ErrorKind.NOT_FOUND, "ORDER_NOT_FOUND")
    view = await shop.get_purchase(tenant_id, "o-1")
    assert view.points_reversed == 9 + 19  # floor(25 x 1000/2599), floor(51 x 1000/2599)
    assert view.lines[0].returned_amount_minor == 1000
    assert await count(engine, purchase_returns) == 1
    await check_invariants(engine)


def test_takeback_is_cumulative_and_ends_at_everything() -> None:
    points = {"a": 25, "b": 51}
    first = takeback(points, {}, 2599, 1299)
    assert first == {"a": 12, "b": 25}
    assert takeback(points, first, 2599, 2599) == {"a": 13, "b": 26}
    assert takeback({"a": 0}, {}, 0, 0) == {}


def test_an_empty_return_is_everything_left() -> None:
    lines = [
        LineState(1, "1", "A", 2, 500, 2, 500, {}, {}, 0),
        LineState(2, "2", "B", 3, 900, 1, 300, {}, {}, 0),
    ]
    assert resolve_return(lines, []) == [(1, ReturnItem(2, 600, "2", "B"))]


# --- coupons --------------------------------------------------------------------------------------


async def test_coupons_listed_are_marked_used_on_the_order(shop, ledger, tenant_id, engine) -> None:
    rewards = Rewards(ledger)
    member = await enroll(ledger, tenant_id)
    other = await enroll(ledger, tenant_id, "other")
    for who in (member, other):
        entry = Entry(
            origin_type="bulk_award", origin_id=who.member_id, reason_code="T", request_id=who.member_id
        )
        await ledger.earn(
            tenant_id, who.member_id, currency="permanent", points=600, source_id="bonus", entry=entry
        )
    mine = await rewards.redeem_reward(tenant_id, member.member_id, "coupon-5", request_id="redeem-1")
    theirs = await rewards.redeem_reward(tenant_id, other.member_id, "coupon-5", request_id="redeem-2")
    # Another member's coupon refuses the whole order: nothing earned, nothing used.
    await refused(
        shop.record_purchase(tenant_id, order(member.member_id, coupon_codes=[theirs.coupon.code])),
        ErrorKind.FAILED_PRECONDITION,
        "COUPON_MEMBER_MISMATCH",
    )
    assert await count(engine, purchases) == 0
    assert (await permanent(ledger, tenant_id, member.member_id)).pending == 0
    code = mine.coupon.code.lower()  # as typed at a till
    recorded = await shop.record_purchase(tenant_id, order(member.member_id, coupon_codes=[code]))
    assert recorded.purchase.coupon_ids == (mine.coupon.coupon_id,)
    used = await rewards.get_coupon(tenant_id, mine.coupon.code)
    assert (used.status, used.order_id, used.store_id) == ("used", "o-1", "store-7")
    replay = await shop.record_purchase(tenant_id, order(member.member_id, coupon_codes=[mine.coupon.code]))
    assert replay.replayed
    await refused(
        shop.record_purchase(tenant_id, order(member.member_id, "o-2", coupon_codes=[code])),
        ErrorKind.FAILED_PRECONDITION,
        "COUPON_USED",
    )
    await refused(
        shop.record_purchase(
            tenant_id, order(member.member_id, "o-3", coupon_codes=[code, mine.coupon.code])
        ),
        ErrorKind.INVALID_ARGUMENT,
        "DUPLICATE_COUPON",
    )
    assert await count(engine, purchases) == 1
    async with engine.connect() as connection:
        statuses = (await connection.execute(select(coupons.c.coupon_id, coupons.c.status))).all()
    assert dict(statuses) == {mine.coupon.coupon_id: "used", theirs.coupon.coupon_id: "issued"}
    await check_invariants(engine)


# --- checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"items": []}, "ITEMS_REQUIRED", "items"),
        ({"items": [dataclasses.replace(BALL, amount_minor=-1)]}, "INVALID_AMOUNT", "items[0].amount_minor"),
        ({"items": [dataclasses.replace(BALL, quantity=0)]}, "INVALID_QUANTITY", "items[0].quantity"),
        ({"items": [dataclasses.replace(BALL, sku="")]}, "MISSING_FIELD", "items[0].sku"),
        ({"items": [dataclasses.replace(BALL, sku="S" * 65)]}, "FIELD_TOO_LONG", "items[0].sku"),
        ({"items": [BALL, dataclasses.replace(BOOK, line_id="1")]}, "DUPLICATE_LINE_ID", "items[1].line_id"),
        ({"items": [BALL] * 501}, "TOO_MANY_ITEMS", "items"),
        ({"currency_code": ""}, "MISSING_FIELD", "currency_code"),
        ({"currency_code": "usd"}, "UNKNOWN_CURRENCY", "currency_code"),
        ({"purchase_time": None}, "MISSING_FIELD", "purchase_time"),
        ({"purchase_time": dt.datetime(2026, 3, 2, 12, 1, tzinfo=dt.UTC)}, "TIME_IN_FUTURE", "purchase_time"),
        ({"order_id": ""}, "MISSING_FIELD", "order_id"),
        ({"order_id": "o" * 129}, "FIELD_TOO_LONG", "order_id"),
        ({"coupon_codes": [""]}, "COUPON_CODE_REQUIRED", "coupon_codes[0]"),
        ({"channel": "fax"}, "UNKNOWN_CHANNEL", "channel"),
    ],
)
async def test_bad_purchases_are_refused_with_their_reason(
    shop, ledger, tenant_id, engine, changes, reason, field
):
    member = await enroll(ledger, tenant_id)
    error = await refused(
        shop.record_purchase(tenant_id, order(member.member_id, **changes)),
        ErrorKind.INVALID_ARGUMENT,
        reason,
    )
    assert [violation.field for violation in error.field_violations] == [field]
    assert await count(engine, purchases) == 0


async def test_an_inactive_member_cannot_earn(shop, ledger, tenant_id) -> None:
    from loyalty_server.ledger.member_lifecycle import MemberLifecycle

    member = await enroll(ledger, tenant_id)
    await MemberLifecycle(ledger).deactivate(tenant_id, member.member_id, reason="left", request_id="d")
    await refused(
        shop.record_purchase(tenant_id, order(member.member_id)),
        ErrorKind.FAILED_PRECONDITION,
        "MEMBER_DEACTIVATED",
    )


# --- simulation -----------------------------------------------------------------------------------


async def test_simulate_purchase_explains_and_writes_nothing(shop, ledger, tenant_id, engine, clock) -> None:
    member = await enroll(ledger, tenant_id)
    await shop.record_purchase(tenant_id, order(member.member_id, "o-0"))
    tables = (purchases, purchase_lines, rule_awards, ledger_transactions, purchase_returns)
    before = [await count(engine, table) for table in tables]
    simulated = await shop.simulate_purchase(tenant_id, member, [BALL, BOOK], currency_code="USD")
    assert (simulated.points_total, [line.points for line in simulated.lines]) == (88, [76, 12])
    assert simulated.pending_until == clock.now() + dt.timedelta(days=30)
    ball, book = simulated.lines
    assert [(e.result.rule.id, e.matched, e.result.points) for e in ball.evaluations] == [
        ("purchase_general", True, 25),
        ("purchase_sports", True, 51),
    ]
    assert [(e.result.rule.id, e.matched, e.result.points) for e in book.evaluations] == [
        ("purchase_general", True, 12),
        ("purchase_sports", False, 0),
    ]
    general = ball.evaluations[0].result
    assert (general.base_points, general.points_before_limits, general.multiplier.percent) == (25, 25, 100)
    assert general.explanation == "25.99 units spent x 1 = 25; awarded 25"
    assert "'books' is not one of" in book.evaluations[1].result.explanation
    assert [await count(engine, table) for table in tables] == before
    # An employee earns double; with no member, the lowest tier applies.
    await Tiers(ledger).set_custom(tenant_id, member.member_id, "employee", reason="staff", request_id="t")
    async with engine.connect() as connection:
        refreshed = await get_member(connection, tenant_id, member.member_id)
    doubled = await shop.simulate_purchase(tenant_id, refreshed, [BALL, BOOK])
    assert doubled.points_total == 176
    sports = doubled.lines[0].evaluations[1].result
    assert (sports.multiplier.percent, sports.multiplier.tier_id) == (200, "employee")
    assert sports.explanation == "25.99 units spent x 2 = 51; tier employee x200% = 102; awarded 102"
    anonymous = await shop.simulate_purchase(tenant_id, None, [BALL, BOOK])
    assert (anonymous.member, anonymous.points_total) == (None, 88)
    assert anonymous.lines[0].evaluations[0].result.multiplier.tier_id == "bronze"
    await refused(shop.simulate_purchase(tenant_id, None, []), ErrorKind.INVALID_ARGUMENT, "ITEMS_REQUIRED")


async def test_concurrent_returns_of_one_order_add_up(shop, ledger, tenant_id, engine) -> None:
    """Each return reads the order's lines under the member's lock: together they take back exactly
    what the three returns would one after the other, and the order's total counts every one."""
    member = await enroll(ledger, tenant_id)
    balls = Item(sku="BALL", category="sports", quantity=3, amount_minor=1000)
    await shop.record_purchase(tenant_id, order(member.member_id, items=[balls]))
    done = await asyncio.gather(
        *(
            shop.record_return(tenant_id, giving_back(f"r-{i}", items=[ReturnItem(1, 333, line_id="1")]))
            for i in range(3)
        )
    )
    assert sorted(d.purchase_return.points_reversed for d in done) == [9, 9, 10]
    view = await shop.get_purchase(tenant_id, "o-1")
    assert (view.points_earned, view.points_reversed) == (30, 28)
    await check_invariants(engine)
