"""The earning rules engine: which rules an activity, purchase line or event matches, how many points
each gives, and which per-period limits cut them.

Pure: the caller loads what the member already earned in the periods concerned (`Usage`) and writes
the results. One rule's award, in order:
  units (miles, 1 occurrence, or amount / amount_minor_per_unit) x points_per_unit, rounded down
  -> x the member's tier multiplier (rounded down, at least 1)
  -> the rule's own award limits (awards_max_per_day/week/month): a full period blocks the award
  -> each shared points limit in the rule's order: the award is cut to what is left of it.
Limits count in the member's calendar (local days); awards count only when they gave points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from loyalty_server.activity.timing import period_days
from loyalty_server.ledger.tier_rules import apply_multiplier
from loyalty_server.program.model import Measure, Period, Program, Rule

MATCH_ALL = "*"  # a purchase rule's category that matches every line


@dataclass(frozen=True, slots=True)
class Multiplier:
    percent: int  # 100 = none
    tier_id: str  # the tier it comes from

    def __post_init__(self) -> None:
        assert self.percent > 0, self.percent


NO_MULTIPLIER = Multiplier(100, "")


@dataclass(frozen=True, slots=True)
class LimitCheck:
    limit_id: str  # a shared limit's id, or "<rule_id>/awards_per_<period>"
    kind: str  # points | awards
    period: Period
    start_day: dt.date
    end_day: dt.date  # exclusive
    maximum: int
    used: int  # before this award
    bit: bool  # the limit reduced or blocked the award
    points_cut: int


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: Rule
    units: Fraction
    base_points: int
    multiplier: Multiplier
    points_before_limits: int
    points: int  # awarded
    limits: tuple[LimitCheck, ...]
    explanation: str


@dataclass
class Usage:
    """What the member's rules awarded per (rule id, local day): points and number of awards. Loaded
    for the periods concerned, then kept current as awards are evaluated one after the other."""

    by_rule_day: dict[tuple[str, dt.date], tuple[int, int]] = field(default_factory=dict)

    def points(self, rule_ids: Iterable[str], start: dt.date, end: dt.date) -> int:
        wanted = set(rule_ids)
        return sum(
            points
            for (rule_id, day), (points, _) in self.by_rule_day.items()
            if rule_id in wanted and start <= day < end
        )

    def awards(self, rule_id: str, start: dt.date, end: dt.date) -> int:
        return sum(
            awards
            for (rule, day), (_, awards) in self.by_rule_day.items()
            if rule == rule_id and start <= day < end
        )

    def add(self, rule_id: str, day: dt.date, points: int) -> None:
        """Count an award (points > 0) or take one back (points < 0)."""
        if points == 0:
            return
        old_points, old_awards = self.by_rule_day.get((rule_id, day), (0, 0))
        self.by_rule_day[(rule_id, day)] = (old_points + points, old_awards + (1 if points > 0 else -1))


def usage_window(days: Iterable[dt.date]) -> tuple[dt.date, dt.date]:
    """The local days whose awards any limit of these days can count: from the earliest week or month
    start to the latest week or month end."""
    starts, ends = [], []
    for day in days:
        for period in (Period.WEEK, Period.MONTH):
            start, end = period_days(period, day)
            starts.append(start)
            ends.append(end)
    assert starts, "at least one day"
    return min(starts), max(ends)


def activity_rules(program: Program, type_name: str) -> list[Rule]:
    return [rule for rule in program.rules if type_name in rule.activity_types]


def purchase_rules(program: Program, category: str) -> list[Rule]:
    return [
        rule
        for rule in program.rules
        if MATCH_ALL in rule.purchase_categories or (category and category in rule.purchase_categories)
    ]


def event_rules(program: Program, event: str) -> list[Rule]:
    return [rule for rule in program.rules if event in rule.events]


def purchase_rule_ids(program: Program) -> list[str]:
    return [rule.id for rule in program.rules if rule.purchase_categories]


def units_of(rule: Rule, *, miles: Fraction = Fraction(0), amount_minor: int = 0) -> Fraction:
    if rule.measure is Measure.OCCURRENCE:
        return Fraction(1)
    if rule.measure is Measure.MILES:
        return miles
    assert rule.amount_minor_per_unit is not None
    return Fraction(amount_minor, rule.amount_minor_per_unit)


def base_points(rule: Rule, units: Fraction) -> int:
    assert units >= 0, units
    return math.floor(units * rule.points_per_unit)


def multiplied(points: int, multiplier: Multiplier) -> int:
    return apply_multiplier(points, multiplier.percent) if points > 0 else 0


def _cut_by_limits(
    program: Program, rule: Rule, award: int, day: dt.date, usage: Usage
) -> tuple[int, list[LimitCheck]]:
    checks: list[LimitCheck] = []
    award_limits = (
        (Period.DAY, rule.awards_max_per_day),
        (Period.WEEK, rule.awards_max_per_week),
        (Period.MONTH, rule.awards_max_per_month),
    )
    for period, maximum in award_limits:
        if maximum is None:
            continue
        start, end = period_days(period, day)
        used = usage.awards(rule.id, start, end)
        bit = award > 0 and used >= maximum
        limit_id = f"{rule.id}/awards_per_{period.value}"
        checks.append(
            LimitCheck(limit_id, "awards", period, start, end, maximum, used, bit, award if bit else 0)
        )
        if bit:
            award = 0
    for limit_id in rule.shared_limits:
        limit = program.limits[limit_id]
        start, end = period_days(limit.period, day)
        sharing = [other.id for other in program.rules if limit_id in other.shared_limits]
        used = usage.points(sharing, start, end)
        cut = max(0, award - max(0, limit.points_max - used))
        checks.append(
            LimitCheck(limit_id, "points", limit.period, start, end, limit.points_max, used, cut > 0, cut)
        )
        award -= cut
    assert award >= 0
    return award, checks


_PERIOD_WORDS = {Period.DAY: "daily", Period.WEEK: "weekly", Period.MONTH: "monthly"}


def _explain(
    rule: Rule,
    units: Fraction,
    base: int,
    multiplier: Multiplier,
    before: int,
    checks: Sequence[LimitCheck],
    points: int,
) -> str:
    unit_name = {Measure.MILES: "miles", Measure.OCCURRENCE: "occurrence", Measure.AMOUNT: "units spent"}[
        rule.measure
    ]
    parts = [f"{float(units):g} {unit_name} x {rule.points_per_unit} = {base}"]
    if multiplier.percent != 100 and base > 0:
        parts.append(f"tier {multiplier.tier_id} x{multiplier.percent}% = {before}")
    for check in checks:
        if check.kind == "awards":
            state = "reached: no award" if check.bit else f"{check.used} of {check.maximum} used"
            parts.append(f"{_PERIOD_WORDS[check.period]} awards {check.limit_id}: {state}")
        else:
            left = max(0, check.maximum - check.used)
            state = f"{left} left, cut {check.points_cut}" if check.bit else f"{left} left"
            parts.append(f"{_PERIOD_WORDS[check.period]} limit {check.limit_id}: {state}")
    parts.append(f"awarded {points}")
    return "; ".join(parts)


def evaluate_rule(
    program: Program, rule: Rule, units: Fraction, *, multiplier: Multiplier, day: dt.date, usage: Usage
) -> RuleResult:
    """One rule's award for one activity or event on a local day, counted into `usage`."""
    base = base_points(rule, units)
    before = multiplied(base, multiplier)
    points, checks = _cut_by_limits(program, rule, before, day, usage)
    usage.add(rule.id, day, points)
    explanation = _explain(rule, units, base, multiplier, before, checks, points)
    return RuleResult(rule, units, base, multiplier, before, points, tuple(checks), explanation)


def evaluate_purchase_rule(
    program: Program,
    rule: Rule,
    line_amounts_minor: Sequence[int],
    *,
    multiplier: Multiplier,
    day: dt.date,
    usage: Usage,
) -> tuple[RuleResult, list[int]]:
    """One purchase rule over an order: every matching line (amount > 0 here; 0 = not matching) earns
    on its own amount, so returns can take back per line; a limit that cuts the order's total is
    shared out over the lines in proportion. Returns the result and each line's points."""
    befores = [
        multiplied(base_points(rule, units_of(rule, amount_minor=amount)), multiplier)
        for amount in line_amounts_minor
    ]
    before = sum(befores)
    points, checks = _cut_by_limits(program, rule, before, day, usage)
    usage.add(rule.id, day, points)
    units = units_of(rule, amount_minor=sum(line_amounts_minor))
    base = sum(base_points(rule, units_of(rule, amount_minor=amount)) for amount in line_amounts_minor)
    explanation = _explain(rule, units, base, multiplier, before, checks, points)
    result = RuleResult(rule, units, base, multiplier, before, points, tuple(checks), explanation)
    return result, share_out(points, befores)


def share_out(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over the weights in proportion, rounded down, the remainder one point each to the
    largest remainders (ties: the earlier line). Sums to `total` exactly; never above a weight."""
    weight_sum = sum(weights)
    assert 0 <= total <= weight_sum, (total, weights)
    if total == weight_sum:
        return list(weights)
    shares = [total * weight // weight_sum for weight in weights]
    remainders = sorted(
        range(len(weights)), key=lambda index: (-(total * weights[index] % weight_sum), index)
    )
    for index in remainders[: total - sum(shares)]:
        shares[index] += 1
    assert sum(shares) == total
    return shares
