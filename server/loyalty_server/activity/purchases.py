"""Purchases and returns (POS): points per item category on a completed order, taken back in
proportion on returns, and the same evaluation without writing (SimulatePurchase).

A purchase is applied whole in one write transaction, like an activity (intake.py): the member's
rule accounts locked first, the rules evaluated against the member's other awards in the periods of
the purchase's local day (purchase_time in the member's time zone), one earn per rule with points,
the rule awards, the lines with each rule's points, the coupons marked used. Idempotent by order id
for ever: the same content again is a replay returning the first result; other content is
ALREADY_EXISTS (IDEMPOTENCY_KEY_REUSED).

Every matching line earns on its own amount, so a return takes back per line and per rule: after a
return, a line and rule have had floor(rule points x refunded amount so far / line amount) reversed
in all. Each return posts only what that adds, so repeated partial returns never drift and a full
return takes back exactly what the line earned. The points go back through the ledger's reversal of
the order's earns of that rule; what was spent already follows the program's debt policy
(`debt_points`). Returns are idempotent by return id, like orders.

Ledger transactions of an order and its returns carry origin ("purchase", order id) and the rule id
as reason code. A return's own transactions are kept in its items_json ({"items", "transaction_ids"}).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server import requests
from loyalty_server.activity import rules as engine_rules
from loyalty_server.activity.awards import (
    insert_award,
    load_usage,
    multiplier_of,
    post_rule_change,
    store_award,
)
from loyalty_server.activity.intake import rule_currencies
from loyalty_server.activity.tables import purchase_lines, purchase_returns, purchases, rule_awards
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.ledger import coupon_codes
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import Member, require_active
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rewards import Rewards
from loyalty_server.ledger.tables import ledger_transactions, members
from loyalty_server.ledger.tier_rules import multiplier_percent
from loyalty_server.program.model import Measure, Program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.prepared import Prepared, Row
from loyalty_server.storage.sqlite_loop import read_connection

ORIGIN_TYPE = "purchase"  # ledger origin of an order's earns and of its returns' reversals (id: order id)
ORDER_ID_LENGTH_MAX = 128
RETURN_ID_LENGTH_MAX = 128
ITEMS_MAX = 500
COUPONS_MAX = 20
COUPON_CODE_LENGTH_MAX = coupon_codes.CODE_INPUT_LENGTH_MAX  # longer input cannot be a code
LINE_ID_LENGTH_MAX = 64
SKU_LENGTH_MAX = 64
CATEGORY_LENGTH_MAX = 64
NAME_LENGTH_MAX = 200
STORE_ID_LENGTH_MAX = 64
REASON_LENGTH_MAX = 500
AMOUNT_MAX = 10**12  # minor units, of a line and of a whole order
QUANTITY_MAX = 10**9
FUTURE_MAX = dt.timedelta(days=1)  # purchase and return times at most this far ahead of the clock
CHANNELS = frozenset({"unspecified", "store", "online", "app", "phone"})
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """An order line as sent; `line_id` empty: its 1-based position."""

    sku: str
    quantity: int
    amount_minor: int
    line_id: str = ""
    category: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class PurchaseRequest:
    order_id: str
    member_id: str
    items: Sequence[Item]
    purchase_time: dt.datetime | None
    currency_code: str
    store_id: str = ""
    channel: str = "unspecified"
    coupon_codes: Sequence[str] = ()
    request_id: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class ReturnItem:
    quantity: int
    amount_minor: int
    line_id: str = ""  # empty: the first line with `sku` that has units left
    sku: str = ""


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    return_id: str
    order_id: str
    items: Sequence[ReturnItem]  # empty: everything not yet returned
    return_time: dt.datetime | None = None  # None: now
    store_id: str = ""
    reason: str = ""
    request_id: str = ""
    actor: str = "system"


# --- views ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineView:
    item: Item  # line_id resolved
    points_earned: int
    returned_quantity: int
    returned_amount_minor: int
    points_reversed: int


@dataclass(frozen=True, slots=True)
class PurchaseView:
    order_id: str
    member_id: str
    loyalty_id: str
    store_id: str
    channel: str
    currency_code: str
    total_amount_minor: int
    lines: tuple[LineView, ...]
    points_earned: int
    points_reversed: int  # by returns so far, debt included
    pending_until: dt.datetime | None
    purchase_time: dt.datetime
    created_at: dt.datetime
    coupon_ids: tuple[str, ...]
    transaction_ids: tuple[str, ...]  # its earns and its returns' reversals, in order


@dataclass(frozen=True, slots=True)
class Recorded:
    purchase: PurchaseView
    transaction_pks: list[int]  # the earns
    replayed: bool


@dataclass(frozen=True, slots=True)
class ReturnView:
    return_id: str
    order_id: str
    member_id: str
    items: tuple[ReturnItem, ...]  # resolved: line ids and skus filled in
    points_reversed: int  # taken back, debt included
    debt_points: int  # the part already spent, recorded as debt
    return_time: dt.datetime
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReturnRecorded:
    purchase_return: ReturnView
    transaction_pks: list[int]  # the reversals
    replayed: bool


@dataclass(frozen=True, slots=True)
class LineEvaluation:
    """How one rule applied to one line: `result` holds the line's own units, base points, points
    before limits and points, with the order's limit checks (limits count the whole order)."""

    matched: bool
    result: engine_rules.RuleResult


@dataclass(frozen=True, slots=True)
class SimulatedLine:
    item: Item
    points: int
    evaluations: tuple[LineEvaluation, ...]


@dataclass(frozen=True, slots=True)
class SimulatedPurchase:
    member: Member | None
    lines: tuple[SimulatedLine, ...]
    points_total: int
    pending_until: dt.datetime | None


# --- pure checks and rules ------------------------------------------------------------------------


def _field_error(reason: str, field: str, message: str) -> DomainError:
    return invalid_argument(reason, f"{field}: {message}", FieldViolation(field, message))


def _check_id(value: str, field: str, length_max: int) -> str:
    if not value:
        raise _field_error("MISSING_FIELD", field, "required")
    return requests.check_text(value, field, length_max)


def check_items(items: Sequence[Item], field: str = "items") -> list[Item]:
    """1-500 lines, each valid; line ids defaulted to the position and unique."""
    if not items:
        raise _field_error("ITEMS_REQUIRED", field, "at least one item")
    if len(items) > ITEMS_MAX:
        raise _field_error("TOO_MANY_ITEMS", field, f"at most {ITEMS_MAX} items")
    checked, seen, total = [], set(), 0
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        line_id = item.line_id or str(index + 1)
        requests.check_text(line_id, f"{where}.line_id", LINE_ID_LENGTH_MAX)
        if line_id in seen:
            raise _field_error("DUPLICATE_LINE_ID", f"{where}.line_id", f"line id {line_id!r} twice")
        seen.add(line_id)
        if not item.sku:
            raise _field_error("MISSING_FIELD", f"{where}.sku", "required")
        requests.check_text(item.sku, f"{where}.sku", SKU_LENGTH_MAX)
        requests.check_text(item.category, f"{where}.category", CATEGORY_LENGTH_MAX)
        requests.check_text(item.name, f"{where}.name", NAME_LENGTH_MAX)
        if not 0 < item.quantity <= QUANTITY_MAX:
            raise _field_error("INVALID_QUANTITY", f"{where}.quantity", f"1-{QUANTITY_MAX}")
        if not 0 <= item.amount_minor <= AMOUNT_MAX:
            raise _field_error("INVALID_AMOUNT", f"{where}.amount_minor", f"0-{AMOUNT_MAX} minor units")
        total += item.amount_minor
        checked.append(dataclasses.replace(item, line_id=line_id))
    if total > AMOUNT_MAX:
        raise _field_error("INVALID_AMOUNT", field, f"the order's total is above {AMOUNT_MAX} minor units")
    return checked


def check_currency_code(code: str, field: str = "currency_code", *, required: bool = True) -> str:
    if not code and not required:
        return code
    if not code:
        raise _field_error("MISSING_FIELD", field, "required")
    if not _CURRENCY_CODE.match(code):
        raise _field_error("UNKNOWN_CURRENCY", field, "an ISO 4217 code: three upper-case letters")
    return code


def check_time(moment: dt.datetime | None, now: dt.datetime, field: str) -> dt.datetime:
    if moment is None:
        raise _field_error("MISSING_FIELD", field, "required")
    assert moment.tzinfo is not None
    if moment > now + FUTURE_MAX:
        raise _field_error("TIME_IN_FUTURE", field, "at most one day ahead")
    return moment.astimezone(dt.UTC)


def _coupon_key(code: str) -> str:
    """What identifies a coupon code as typed: its canonical body when it has the shape of one."""
    body = coupon_codes.normalize(code)
    return (
        coupon_codes.digest(body) if body is not None else "raw:" + hashlib.sha256(code.encode()).hexdigest()
    )


def check_coupon_codes(codes: Sequence[str]) -> list[str]:
    if len(codes) > COUPONS_MAX:
        raise _field_error("TOO_MANY_COUPONS", "coupon_codes", f"at most {COUPONS_MAX}")
    seen = set()
    for index, code in enumerate(codes):
        if not code:
            raise _field_error("COUPON_CODE_REQUIRED", f"coupon_codes[{index}]", "required")
        requests.check_text(code, f"coupon_codes[{index}]", COUPON_CODE_LENGTH_MAX)
        key = _coupon_key(code)
        if key in seen:
            raise _field_error("DUPLICATE_COUPON", f"coupon_codes[{index}]", "this coupon is listed twice")
        seen.add(key)
    return list(codes)


def _sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _item_json(item: Item) -> list[Any]:
    return [item.line_id, item.sku, item.category, item.quantity, item.amount_minor, item.name]


def purchase_sha256(request: PurchaseRequest, items: Sequence[Item], purchase_time: dt.datetime) -> str:
    """What makes two posts of one order id the same order (not the request id or the actor)."""
    return _sha256(
        {
            "member_id": request.member_id,
            "store_id": request.store_id,
            "channel": request.channel,
            "currency_code": request.currency_code,
            "purchase_time": purchase_time.astimezone(dt.UTC).isoformat(),
            "items": [_item_json(item) for item in items],
            "coupons": [_coupon_key(code) for code in request.coupon_codes],
        }
    )


def return_sha256(request: ReturnRequest) -> str:
    """A return as asked (not as resolved: "everything left" means less after each return)."""
    return _sha256(
        {
            "order_id": request.order_id,
            "items": [[item.line_id, item.sku, item.quantity, item.amount_minor] for item in request.items],
            "return_time": request.return_time.astimezone(dt.UTC).isoformat() if request.return_time else "",
            "store_id": request.store_id,
            "reason": request.reason,
        }
    )


def lowest_tier_multiplier(program: Program) -> engine_rules.Multiplier:
    """The multiplier of a member at the lowest tier (a simulation without a member)."""
    return engine_rules.Multiplier(multiplier_percent(program.tiers, None, None), program.tiers.levels[0].id)


@dataclass(frozen=True, slots=True)
class OrderEvaluation:
    multiplier: engine_rules.Multiplier
    results: tuple[engine_rules.RuleResult, ...]  # per purchase rule matching a line, program order
    line_points: tuple[dict[str, int], ...]  # per line: rule id -> points, for the rules it matches

    @property
    def points(self) -> int:
        return sum(result.points for result in self.results)


def evaluate_order(
    program: Program,
    items: Sequence[Item],
    *,
    multiplier: engine_rules.Multiplier,
    day: dt.date,
    usage: engine_rules.Usage,
) -> OrderEvaluation:
    """Every purchase rule over the order (counted into `usage`), and each line's share of it."""
    matching = [{rule.id for rule in engine_rules.purchase_rules(program, item.category)} for item in items]
    results, line_points = [], [dict[str, int]() for _ in items]
    for rule in program.rules:
        if not rule.purchase_categories or not any(rule.id in ids for ids in matching):
            continue
        amounts = [
            item.amount_minor if rule.id in ids else 0 for item, ids in zip(items, matching, strict=True)
        ]
        result, shares = engine_rules.evaluate_purchase_rule(
            program, rule, amounts, multiplier=multiplier, day=day, usage=usage
        )
        results.append(result)
        for index, share in enumerate(shares):
            if rule.id in matching[index]:
                line_points[index][rule.id] = share
    return OrderEvaluation(multiplier, tuple(results), tuple(line_points))


def line_evaluations(
    program: Program, item: Item, points: Mapping[str, int], evaluation: OrderEvaluation
) -> tuple[LineEvaluation, ...]:
    """Each purchase rule of the program as it applied to one line, explained."""
    by_rule = {result.rule.id: result for result in evaluation.results}
    out = []
    for rule in program.rules:
        if not rule.purchase_categories:
            continue
        order = by_rule.get(rule.id)
        if order is None or rule.id not in points:
            categories = ", ".join(rule.purchase_categories)
            explanation = f"category {item.category!r} is not one of the rule's ({categories})"
            result = engine_rules.RuleResult(
                rule, Fraction(0), 0, evaluation.multiplier, 0, 0, (), explanation
            )
            out.append(LineEvaluation(False, result))
            continue
        units = engine_rules.units_of(rule, amount_minor=item.amount_minor)
        base = engine_rules.base_points(rule, units)
        before = engine_rules.multiplied(base, order.multiplier)
        unit_name = "units spent" if rule.measure is Measure.AMOUNT else rule.measure.value
        parts = [f"{float(units):g} {unit_name} x {rule.points_per_unit} = {base}"]
        if order.multiplier.percent != 100 and base > 0:
            parts.append(f"tier {order.multiplier.tier_id} x{order.multiplier.percent}% = {before}")
        if any(check.bit for check in order.limits):
            parts.append(f"the order's limits cut it (order: {order.explanation})")
        parts.append(f"awarded {points[rule.id]}")
        result = engine_rules.RuleResult(
            rule, units, base, order.multiplier, before, points[rule.id], order.limits, "; ".join(parts)
        )
        out.append(LineEvaluation(True, result))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LineState:
    """An order line with what was returned of it so far (read under the member's lock)."""

    pk: int
    line_id: str
    sku: str
    quantity: int
    amount_minor: int
    returned_quantity: int
    returned_amount_minor: int
    rule_points: dict[str, int]
    rule_points_reversed: dict[str, int]
    points_reversed: int

    @property
    def quantity_left(self) -> int:
        return self.quantity - self.returned_quantity

    @property
    def amount_left(self) -> int:
        return self.amount_minor - self.returned_amount_minor


def _exceeds(field: str, message: str) -> DomainError:
    return _field_error("RETURN_EXCEEDS_ORDER", field, message)


def resolve_return(lines: Sequence[LineState], items: Sequence[ReturnItem]) -> list[tuple[int, ReturnItem]]:
    """The returned items as (line index, item with line id and sku filled in). Empty items: what is
    left of every line. INVALID_ARGUMENT: RETURN_EXCEEDS_ORDER, LINE_NOT_FOUND, INVALID_QUANTITY..."""
    if not items:
        left = [
            (index, ReturnItem(line.quantity_left, line.amount_left, line.line_id, line.sku))
            for index, line in enumerate(lines)
            if line.quantity_left > 0 or line.amount_left > 0
        ]
        if not left:
            raise _exceeds("items", "nothing is left of this order to return")
        return left
    if len(items) > ITEMS_MAX:
        raise _field_error("TOO_MANY_ITEMS", "items", f"at most {ITEMS_MAX} items")
    by_id = {line.line_id: index for index, line in enumerate(lines)}
    taken_quantity = [0] * len(lines)
    taken_amount = [0] * len(lines)
    resolved = []
    for position, item in enumerate(items):
        where = f"items[{position}]"
        requests.check_text(item.line_id, f"{where}.line_id", LINE_ID_LENGTH_MAX)
        requests.check_text(item.sku, f"{where}.sku", SKU_LENGTH_MAX)
        if not 0 < item.quantity <= QUANTITY_MAX:
            raise _field_error("INVALID_QUANTITY", f"{where}.quantity", f"1-{QUANTITY_MAX}")
        if not 0 <= item.amount_minor <= AMOUNT_MAX:
            raise _field_error("INVALID_AMOUNT", f"{where}.amount_minor", f"0-{AMOUNT_MAX} minor units")
        if item.line_id:
            if item.line_id not in by_id:
                raise _field_error("LINE_NOT_FOUND", f"{where}.line_id", "no such line in the order")
            index = by_id[item.line_id]
            if item.sku and item.sku != lines[index].sku:
                raise _field_error("LINE_NOT_FOUND", f"{where}.sku", f"line {item.line_id} is another sku")
        elif item.sku:
            same_sku = [index for index, line in enumerate(lines) if line.sku == item.sku]
            if not same_sku:
                raise _field_error("LINE_NOT_FOUND", f"{where}.sku", "no line of the order has this sku")
            with_units = [
                index for index in same_sku if lines[index].quantity_left - taken_quantity[index] > 0
            ]
            if not with_units:
                raise _exceeds(f"{where}.quantity", "every unit of this sku was returned already")
            index = with_units[0]
        else:
            raise _field_error("MISSING_FIELD", f"{where}.line_id", "line_id or sku required")
        line = lines[index]
        taken_quantity[index] += item.quantity
        taken_amount[index] += item.amount_minor
        if taken_quantity[index] > line.quantity_left:
            raise _exceeds(f"{where}.quantity", f"only {line.quantity_left} of line {line.line_id} left")
        if taken_amount[index] > line.amount_left:
            raise _exceeds(f"{where}.amount_minor", f"only {line.amount_left} of line {line.line_id} left")
        resolved.append((index, ReturnItem(item.quantity, item.amount_minor, line.line_id, line.sku)))
    return resolved


def takeback(
    rule_points: Mapping[str, int], reversed_before: Mapping[str, int], amount: int, returned_amount: int
) -> dict[str, int]:
    """Points to take back now per rule, so that a line of `amount` with `returned_amount` refunded in
    all has had floor(points x returned_amount / amount) reversed (everything once fully refunded)."""
    out = {}
    for rule_id, points in rule_points.items():
        target = points if returned_amount >= amount else points * returned_amount // amount
        change = target - reversed_before.get(rule_id, 0)
        assert change >= 0, (rule_id, points, target, reversed_before)
        if change:
            out[rule_id] = change
    return out


# --- the domain -----------------------------------------------------------------------------------


class Purchases:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.clock = ledger.clock

    async def record_purchase(self, tenant_id: int, request: PurchaseRequest) -> Recorded:
        """Record a completed order and earn its points (see the module notes)."""
        program = self.ledger.program_for(tenant_id)
        now = self.clock.now()
        _check_id(request.order_id, "order_id", ORDER_ID_LENGTH_MAX)
        if request.channel not in CHANNELS:
            raise _field_error("UNKNOWN_CHANNEL", "channel", "unknown sales channel")
        requests.check_text(request.store_id, "store_id", STORE_ID_LENGTH_MAX)
        check_currency_code(request.currency_code)
        items = check_items(request.items)
        purchase_time = check_time(request.purchase_time, now, "purchase_time")
        check_coupon_codes(request.coupon_codes)
        content_sha256 = purchase_sha256(request, items, purchase_time)
        async with write_transaction(self.engine) as connection:
            found = await self._replay(connection, tenant_id, request.order_id, content_sha256)
            if found is not None:
                return found
            member = await self.ledger.lock_member(
                connection, tenant_id, request.member_id, rule_currencies(program)
            )
            found = await self._replay(connection, tenant_id, request.order_id, content_sha256)
            if found is not None:
                return found
            try:
                async with connection.begin_nested():
                    (inserted,) = await _INSERT_PURCHASE.rows(
                        connection,
                        tenant_id=tenant_id,
                        order_id=request.order_id,
                        member_pk=member.pk,
                        store_id=request.store_id,
                        channel=request.channel,
                        currency_code=request.currency_code,
                        total_amount_minor=sum(item.amount_minor for item in items),
                        points_earned=0,
                        content_sha256=content_sha256,
                        purchase_time=purchase_time,
                        created_at=now,
                    )
            except IntegrityError:  # the same order id, for another member, committed meanwhile
                raise _order_id_reused(request.order_id) from None
            purchase_pk = inserted["id"]
            earned = await self._earn(connection, program, member, purchase_pk, request, items, purchase_time)
            coupon_ids = await self._use_coupons(connection, tenant_id, member, request)
            await _SET_PURCHASE_EARNED.run(
                connection,
                b_pk=purchase_pk,
                b_points=earned.points,
                b_coupon_ids_json=json.dumps(coupon_ids),
                b_pending_until=earned.pending_until,
            )
            view = await _purchase_view(connection, purchase_pk)
            return Recorded(view, earned.transaction_pks, replayed=False)

    async def get_purchase(self, tenant_id: int, order_id: str) -> PurchaseView:
        _check_id(order_id, "order_id", ORDER_ID_LENGTH_MAX)
        async with read_connection(self.engine) as connection:
            row = await _find_purchase(connection, tenant_id, order_id)
            if row is None:
                raise _order_not_found(order_id)
            return await _purchase_view(connection, row["id"])

    async def record_return(self, tenant_id: int, request: ReturnRequest) -> ReturnRecorded:
        """Take back the points of the returned part of an order (see the module notes)."""
        program = self.ledger.program_for(tenant_id)
        now = self.clock.now()
        _check_id(request.return_id, "return_id", RETURN_ID_LENGTH_MAX)
        _check_id(request.order_id, "order_id", ORDER_ID_LENGTH_MAX)
        requests.check_text(request.store_id, "store_id", STORE_ID_LENGTH_MAX)
        requests.check_text(request.reason, "reason", REASON_LENGTH_MAX)
        return_time = check_time(request.return_time or now, now, "return_time")
        content_sha256 = return_sha256(request)
        async with write_transaction(self.engine) as connection:
            found = await self._return_replay(connection, tenant_id, request.return_id, content_sha256)
            if found is not None:
                return found
            purchase = await _find_purchase(connection, tenant_id, request.order_id)
            if purchase is None:
                raise _order_not_found(request.order_id)
            member = await self.ledger.member_by_pk(connection, purchase["member_pk"])
            member = await self.ledger.lock_member(
                connection, tenant_id, member.member_id, rule_currencies(program)
            )
            found = await self._return_replay(connection, tenant_id, request.return_id, content_sha256)
            if found is not None:
                return found
            lines = await _line_states(connection, purchase["id"])
            resolved = resolve_return(lines, request.items)
            per_rule = await _return_lines(connection, lines, resolved)
            entry = Entry(
                origin_type=ORIGIN_TYPE,
                origin_id=request.order_id,
                reason_code="",  # the rule's id, set per posting (awards.post_rule_change)
                reason=request.reason,
                request_id=request.request_id,
                actor=request.actor,
            )
            key = origin_key(purchase["id"])
            awarded = await _award_rows(connection, member.pk, key)
            transaction_ids: list[str] = []
            transaction_pks: list[int] = []
            points_reversed = debt = 0
            for rule_id in sorted(per_rule):
                points = per_rule[rule_id]
                posted = await post_rule_change(
                    self.ledger, connection, program, member, rule_id, -points, entry
                )
                points_reversed -= posted.points_delta
                debt += posted.debt_points
                transaction_ids += posted.transaction_ids
                transaction_pks += posted.transaction_pks
                day, before = awarded[rule_id]
                await store_award(connection, member, key, rule_id, day, before - points)
            await connection.execute(
                update(purchases)
                .where(purchases.c.id == purchase["id"])
                # Relative to the row as it is now: `purchase` was read before the member's lock.
                .values(points_reversed=purchases.c.points_reversed + points_reversed)
            )
            items_json = {
                "items": [_return_item_json(item) for _, item in resolved],
                "transaction_ids": transaction_ids,
            }
            try:
                async with connection.begin_nested():
                    await connection.execute(
                        insert(purchase_returns).values(
                            tenant_id=tenant_id,
                            return_id=request.return_id,
                            purchase_pk=purchase["id"],
                            items_json=json.dumps(items_json),
                            points_reversed=points_reversed,
                            debt_points=debt,
                            store_id=request.store_id,
                            reason=request.reason,
                            content_sha256=content_sha256,
                            return_time=return_time,
                            created_at=now,
                        )
                    )
            except IntegrityError:  # the same return id, on another member's order, committed meanwhile
                raise _return_id_reused(request.return_id) from None
            view = ReturnView(
                return_id=request.return_id,
                order_id=request.order_id,
                member_id=member.member_id,
                items=tuple(item for _, item in resolved),
                points_reversed=points_reversed,
                debt_points=debt,
                return_time=return_time,
                created_at=now,
            )
            return ReturnRecorded(view, transaction_pks, replayed=False)

    async def simulate_purchase(
        self,
        tenant_id: int,
        member: Member | None,
        items: Sequence[Item],
        *,
        purchase_time: dt.datetime | None = None,
        currency_code: str = "",
    ) -> SimulatedPurchase:
        """Evaluate an order as RecordPurchase would, writing nothing. Without a member: a member at
        the lowest tier who earned nothing yet, in the program's default time zone."""
        program = self.ledger.program_for(tenant_id)
        now = self.clock.now()
        checked = check_items(items)
        check_currency_code(currency_code, required=False)
        moment = check_time(purchase_time or now, now, "purchase_time")
        if member is None:
            multiplier = lowest_tier_multiplier(program)
            day = moment.astimezone(zoneinfo.ZoneInfo(program.default_time_zone)).date()
            usage = engine_rules.Usage()
        else:
            require_active(member)
            multiplier = multiplier_of(program, member)
            day = moment.astimezone(member.zone).date()
            async with self.engine.connect() as connection:
                usage = await load_usage(connection, member.pk, engine_rules.usage_window([day]))
        evaluation = evaluate_order(program, checked, multiplier=multiplier, day=day, usage=usage)
        lines = tuple(
            SimulatedLine(item, sum(points.values()), line_evaluations(program, item, points, evaluation))
            for item, points in zip(checked, evaluation.line_points, strict=True)
        )
        pending_days = [result.rule.pending_days for result in evaluation.results if result.points > 0]
        pending = max(pending_days, default=0)
        return SimulatedPurchase(
            member,
            lines,
            evaluation.points,
            now + dt.timedelta(days=pending) if pending else None,
        )

    # --- helpers ----------------------------------------------------------------------------------

    async def _replay(
        self, connection: AsyncConnection, tenant_id: int, order_id: str, content_sha256: str
    ) -> Recorded | None:
        row = await _find_purchase(connection, tenant_id, order_id)
        if row is None:
            return None
        if row["content_sha256"] != content_sha256:
            raise _order_id_reused(order_id)
        view = await _purchase_view(connection, row["id"])
        rule_ids = _rule_ids(await _line_rows(connection, row["id"]))
        earns = await _order_transactions(connection, row, rule_ids, ("earn",))
        return Recorded(view, [pk for pk, _ in earns], replayed=True)

    async def _return_replay(
        self, connection: AsyncConnection, tenant_id: int, return_id: str, content_sha256: str
    ) -> ReturnRecorded | None:
        query = (
            select(purchase_returns, purchases.c.order_id, members.c.member_id)
            .join(purchases, purchases.c.id == purchase_returns.c.purchase_pk)
            .join(members, members.c.id == purchases.c.member_pk)
            .where(purchase_returns.c.tenant_id == tenant_id, purchase_returns.c.return_id == return_id)
        )
        row = (await connection.execute(query)).mappings().first()
        if row is None:
            return None
        if row["content_sha256"] != content_sha256:
            raise _return_id_reused(return_id)
        stored = json.loads(row["items_json"])
        view = ReturnView(
            return_id=row["return_id"],
            order_id=row["order_id"],
            member_id=row["member_id"],
            items=tuple(
                ReturnItem(i["quantity"], i["amount_minor"], i["line_id"], i["sku"]) for i in stored["items"]
            ),
            points_reversed=row["points_reversed"],
            debt_points=row["debt_points"],
            return_time=row["return_time"],
            created_at=row["created_at"],
        )
        pks = await _transaction_pks(connection, stored["transaction_ids"])
        return ReturnRecorded(view, pks, replayed=True)

    async def _earn(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        purchase_pk: int,
        request: PurchaseRequest,
        items: Sequence[Item],
        purchase_time: dt.datetime,
    ) -> _Earned:
        """Evaluate, post one earn per rule with points, store the awards and the lines. The order is
        new, so its rules have no awards to update yet."""
        key = origin_key(purchase_pk)
        day = purchase_time.astimezone(member.zone).date()
        usage = await load_usage(connection, member.pk, engine_rules.usage_window([day]), exclude_origin=key)
        evaluation = evaluate_order(
            program, items, multiplier=multiplier_of(program, member), day=day, usage=usage
        )
        entry = Entry(
            origin_type=ORIGIN_TYPE,
            origin_id=request.order_id,
            reason_code="",  # the rule's id, set per posting (awards.post_rule_change)
            request_id=request.request_id,
            actor=request.actor,
        )
        transaction_pks: list[int] = []
        pending: list[dt.datetime] = []
        for result in evaluation.results:
            if result.points:
                posted = await post_rule_change(
                    self.ledger, connection, program, member, result.rule.id, result.points, entry
                )
                transaction_pks += posted.transaction_pks
                pending += [posted.pending_until] if posted.pending_until else []
            await insert_award(connection, member, key, result.rule.id, day, result.points)
        lines = [
            {
                "tenant_id": member.tenant_id,
                "purchase_pk": purchase_pk,
                "position": position,
                "line_id": item.line_id,
                "sku": item.sku,
                "category": item.category,
                "name": item.name,
                "quantity": item.quantity,
                "amount_minor": item.amount_minor,
                "rule_points_json": json.dumps(points, sort_keys=True),
                "points_earned": sum(points.values()),
            }
            for position, (item, points) in enumerate(zip(items, evaluation.line_points, strict=True))
        ]
        await _INSERT_LINES.run_many(connection, lines)  # one executemany for the whole order
        return _Earned(
            transaction_pks,
            points=sum(line["points_earned"] for line in lines),
            pending_until=max(pending, default=None),
        )

    async def _use_coupons(
        self, connection: AsyncConnection, tenant_id: int, member: Member, request: PurchaseRequest
    ) -> list[str]:
        rewards = Rewards(self.ledger)
        used = []
        for code in request.coupon_codes:
            coupon = await rewards.use_coupon_in(
                connection,
                tenant_id,
                code,
                order_id=request.order_id,
                request_id=request.request_id,
                store_id=request.store_id,
                owner=member,
            )
            used.append(coupon.coupon_id)
        return used


# --- queries --------------------------------------------------------------------------------------

# Every RecordPurchase runs these: compiled once (storage/prepared.py).
_INSERT_LINES = Prepared(
    insert(purchase_lines),
    insert_columns=(
        "tenant_id",
        "purchase_pk",
        "position",
        "line_id",
        "sku",
        "category",
        "name",
        "quantity",
        "amount_minor",
        "rule_points_json",
        "points_earned",
    ),
)
_INSERT_PURCHASE = Prepared(
    insert(purchases).returning(purchases.c.id),
    insert_columns=(
        "tenant_id",
        "order_id",
        "member_pk",
        "store_id",
        "channel",
        "currency_code",
        "total_amount_minor",
        "points_earned",
        "content_sha256",
        "purchase_time",
        "created_at",
    ),
)
_SET_PURCHASE_EARNED = Prepared(  # bind names other than the columns' (SQLAlchemy reserves those)
    update(purchases)
    .where(purchases.c.id == bindparam("b_pk"))
    .values(
        points_earned=bindparam("b_points"),
        coupon_ids_json=bindparam("b_coupon_ids_json"),
        pending_until=bindparam("b_pending_until", type_=purchases.c.pending_until.type),
    )
)
_FIND_PURCHASE = Prepared(
    select(purchases).where(
        purchases.c.tenant_id == bindparam("tenant_id"), purchases.c.order_id == bindparam("order_id")
    )
)
_LINE_ROWS = Prepared(
    select(purchase_lines)
    .where(purchase_lines.c.purchase_pk == bindparam("purchase_pk"))
    .order_by(purchase_lines.c.position)
)
_PURCHASE_ROW = Prepared(
    select(purchases, members.c.member_id, members.c.loyalty_id)
    .join(members, members.c.id == purchases.c.member_pk)
    .where(purchases.c.id == bindparam("purchase_pk"))
)


@dataclass(frozen=True, slots=True)
class _Earned:
    """What an order's earns wrote: the transactions, the lines' points in all, and the latest end of
    a pending period among the earns' lots (what RecordPurchase reports as pending_until)."""

    transaction_pks: list[int]
    points: int
    pending_until: dt.datetime | None


def origin_key(purchase_pk: int) -> str:
    return f"purchase:{purchase_pk}"


def _return_item_json(item: ReturnItem) -> dict[str, Any]:
    return {
        "line_id": item.line_id,
        "sku": item.sku,
        "quantity": item.quantity,
        "amount_minor": item.amount_minor,
    }


def _order_not_found(order_id: str) -> DomainError:
    return not_found("ORDER_NOT_FOUND", "no order with this id", order_id=order_id)


def _return_id_reused(return_id: str) -> DomainError:
    return DomainError(
        ErrorKind.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
        "this return_id was recorded before with other content",
        metadata={"return_id": return_id},
    )


def _order_id_reused(order_id: str) -> DomainError:
    return DomainError(
        ErrorKind.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
        "this order_id was recorded before with other content",
        metadata={"order_id": order_id},
    )


async def _find_purchase(connection: AsyncConnection, tenant_id: int, order_id: str) -> Row | None:
    return await _FIND_PURCHASE.first(connection, tenant_id=tenant_id, order_id=order_id)


async def _line_rows(connection: AsyncConnection, purchase_pk: int) -> list[Row]:
    return await _LINE_ROWS.rows(connection, purchase_pk=purchase_pk)


async def _line_states(connection: AsyncConnection, purchase_pk: int) -> list[LineState]:
    return [
        LineState(
            pk=row["id"],
            line_id=row["line_id"],
            sku=row["sku"],
            quantity=row["quantity"],
            amount_minor=row["amount_minor"],
            returned_quantity=row["returned_quantity"],
            returned_amount_minor=row["returned_amount_minor"],
            rule_points=json.loads(row["rule_points_json"]),
            rule_points_reversed=json.loads(row["rule_points_reversed_json"]),
            points_reversed=row["points_reversed"],
        )
        for row in await _line_rows(connection, purchase_pk)
    ]


async def _return_lines(
    connection: AsyncConnection, lines: Sequence[LineState], resolved: Sequence[tuple[int, ReturnItem]]
) -> dict[str, int]:
    """Count the returned items on their lines; the points to take back per rule."""
    amounts, quantities = [0] * len(lines), [0] * len(lines)
    for index, item in resolved:
        amounts[index] += item.amount_minor
        quantities[index] += item.quantity
    per_rule: dict[str, int] = {}
    for line, amount, quantity in zip(lines, amounts, quantities, strict=True):
        if not amount and not quantity:
            continue
        after = line.returned_amount_minor + amount
        taken = takeback(line.rule_points, line.rule_points_reversed, line.amount_minor, after)
        reversed_now = dict(line.rule_points_reversed)
        for rule_id, points in taken.items():
            per_rule[rule_id] = per_rule.get(rule_id, 0) + points
            reversed_now[rule_id] = reversed_now.get(rule_id, 0) + points
        await connection.execute(
            update(purchase_lines)
            .where(purchase_lines.c.id == line.pk)
            .values(
                returned_quantity=line.returned_quantity + quantity,
                returned_amount_minor=after,
                rule_points_reversed_json=json.dumps(reversed_now, sort_keys=True),
                points_reversed=line.points_reversed + sum(taken.values()),
            )
        )
    return per_rule


async def _award_rows(
    connection: AsyncConnection, member_pk: int, key: str
) -> dict[str, tuple[dt.date, int]]:
    query = select(rule_awards.c.rule_id, rule_awards.c.local_day, rule_awards.c.points).where(
        rule_awards.c.member_pk == member_pk, rule_awards.c.origin_key == key
    )
    return {rule_id: (day, int(points)) for rule_id, day, points in await connection.execute(query)}


async def _transaction_pks(connection: AsyncConnection, transaction_ids: Sequence[str]) -> list[int]:
    if not transaction_ids:
        return []
    t = ledger_transactions
    query = select(t.c.transaction_id, t.c.id).where(t.c.transaction_id.in_(list(transaction_ids)))
    by_id = {transaction_id: pk for transaction_id, pk in await connection.execute(query)}
    return [by_id[transaction_id] for transaction_id in transaction_ids]


async def _order_transactions(
    connection: AsyncConnection, purchase: Row, rule_ids: Sequence[str], types: Sequence[str]
) -> list[tuple[int, str]]:
    """(pk, transaction id) of the order's ledger transactions of these types, in order: its origin,
    its member, and a reason code among the rules its lines earned by."""
    if not rule_ids:
        return []
    # Through SQLAlchemy, not prepared: the lists vary in length, and the rows have no bound (an
    # order's returns, each with its reversals, are not limited in number).
    t = ledger_transactions
    query = (
        select(t.c.id, t.c.transaction_id)
        .where(
            t.c.tenant_id == purchase["tenant_id"],
            t.c.origin_type == ORIGIN_TYPE,
            t.c.origin_id == purchase["order_id"],
            t.c.member_pk == purchase["member_pk"],
            t.c.type.in_(list(types)),
            t.c.reason_code.in_(list(rule_ids)),
        )
        .order_by(t.c.id)
    )
    return [(pk, transaction_id) for pk, transaction_id in await connection.execute(query)]


def _rule_ids(line_rows: Sequence[Row]) -> list[str]:
    return sorted({rule_id for row in line_rows for rule_id in json.loads(row["rule_points_json"])})


async def _purchase_view(connection: AsyncConnection, purchase_pk: int) -> PurchaseView:
    row = await _PURCHASE_ROW.first(connection, purchase_pk=purchase_pk)
    assert row is not None, purchase_pk
    line_rows = await _line_rows(connection, purchase_pk)
    transactions = await _order_transactions(connection, row, _rule_ids(line_rows), ("earn", "reverse"))
    lines = tuple(
        LineView(
            item=Item(
                sku=line["sku"],
                quantity=line["quantity"],
                amount_minor=line["amount_minor"],
                line_id=line["line_id"],
                category=line["category"],
                name=line["name"],
            ),
            points_earned=line["points_earned"],
            returned_quantity=line["returned_quantity"],
            returned_amount_minor=line["returned_amount_minor"],
            points_reversed=line["points_reversed"],
        )
        for line in line_rows
    )
    return PurchaseView(
        order_id=row["order_id"],
        member_id=row["member_id"],
        loyalty_id=row["loyalty_id"],
        store_id=row["store_id"],
        channel=row["channel"],
        currency_code=row["currency_code"],
        total_amount_minor=row["total_amount_minor"],
        lines=lines,
        points_earned=row["points_earned"],
        points_reversed=row["points_reversed"],
        pending_until=row["pending_until"],
        purchase_time=row["purchase_time"],
        created_at=row["created_at"],
        coupon_ids=tuple(json.loads(row["coupon_ids_json"])),
        transaction_ids=tuple(transaction_id for _, transaction_id in transactions),
    )
