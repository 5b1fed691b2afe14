"""A loyalty program as plain, immutable data: currencies, sources, tiers, limits, earning rules, rewards.

Built only by `loyalty_server.program.loader`, which validates the TOML document. The Ledger and
Activity domains give these parts their behaviour; this module holds no I/O and no rules logic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Expiry(enum.Enum):
    NEVER = "never"
    AFTER_DAYS = "after_days"
    END_OF_MONTH = "end_of_month"
    END_OF_YEAR = "end_of_year"


class DebtPolicy(enum.Enum):
    RECORD_DEBT = "record_debt"  # claw back what is available; future earning pays the rest off
    ALLOW_NEGATIVE = "allow_negative"  # the balance may go below zero


class Period(enum.Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Measure(enum.Enum):
    OCCURRENCE = "occurrence"  # points_per_unit per matching activity or event
    MILES = "miles"  # points_per_unit per mile (steps converted at steps_per_mile)
    AMOUNT = "amount"  # points_per_unit per amount_minor_per_unit spent


@dataclass(frozen=True, slots=True)
class Currency:
    id: str
    name: str
    expiry: Expiry
    expiry_days: int | None
    expiring_notice_days: int


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class TierLevel:
    id: str
    name: str
    threshold: int
    earn_multiplier_percent: int


@dataclass(frozen=True, slots=True)
class CustomTier:
    id: str
    name: str
    floor: str | None  # a threshold tier this one is never below
    earn_multiplier_percent: int
    temporary_points_never_expire: bool


@dataclass(frozen=True, slots=True)
class Tiers:
    qualifying_window_days: int
    downgrade_grace_days: int
    downgrade_warning_days: int
    qualifying_currencies: tuple[str, ...]
    levels: tuple[TierLevel, ...]  # sorted by threshold, the first at 0
    custom: tuple[CustomTier, ...]


@dataclass(frozen=True, slots=True)
class Limit:
    id: str
    period: Period
    points_max: int


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    activity_types: tuple[str, ...]
    purchase_categories: tuple[str, ...]  # "*" matches every category
    events: tuple[str, ...]
    measure: Measure
    points_per_unit: int
    amount_minor_per_unit: int | None
    awards_max_per_day: int | None
    awards_max_per_week: int | None
    awards_max_per_month: int | None
    shared_limits: tuple[str, ...]
    pending_days: int
    source: str
    currency: str


@dataclass(frozen=True, slots=True)
class Reward:
    id: str
    name: str
    cost: int
    currency: str
    discount_minor: int
    valid_days: int
    stock: int | None
    per_member_max: int | None
    tiers: tuple[str, ...]  # empty: every tier may redeem it


@dataclass(frozen=True, slots=True)
class ActivitySettings:
    steps_per_mile: int
    backdate_days_max: int
    future_days_max: int
    health_data_retention_days: int


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    default_time_zone: str
    debt_policy: DebtPolicy
    hold_ttl_seconds: int
    activity: ActivitySettings
    currencies: dict[str, Currency]
    sources: dict[str, Source]
    tiers: Tiers
    limits: dict[str, Limit]
    rules: tuple[Rule, ...]
    rewards: dict[str, Reward]
