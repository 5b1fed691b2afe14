"""Read and validate a program file (TOML). Every error names the bad key and says why.

Unknown keys are errors too: a typo such as `point_per_unit` must not silently mean "no points".
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from loyalty_server.errors import ConfigError
from loyalty_server.program.model import (
    ActivitySettings,
    Currency,
    CustomTier,
    DebtPolicy,
    Expiry,
    Limit,
    Measure,
    Period,
    Program,
    Reward,
    Rule,
    Source,
    TierLevel,
    Tiers,
)

ACTIVITY_TYPES = frozenset(
    {
        "total_steps", "walking", "running", "biking", "general_exercise", "weight",
        "blood_pressure", "blood_oxygen_ratio", "blood_glucose", "sleep",
    }
)  # fmt: skip
NON_EARNING_ACTIVITY_TYPES = frozenset({"sleep"})  # the seed: shown, never earns
RULE_EVENTS = frozenset({"partner.connected"})  # events that earn (activity/event_awards.py)
POINTS_MAX = 10**12  # no single setting may promise more points than this
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

T = TypeVar("T")


class _Table:
    """A TOML table being read: remembers its path for error messages and which keys were used."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path or 'program'}: expected a table")
        self.data: dict[str, Any] = data
        self.path = path
        self._used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, kind: type, default: Any, required: bool) -> Any:
        self._used.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where(key)}: required")
            return default
        value = self.data[key]
        # bool is an int in Python; an integer setting must not accept `true`.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{self.where(key)}: expected {kind.__name__}, got {value!r}")
        return value

    def str(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        return self._get(key, str, default, required)

    def int(self, key: str, default: int | None = None, *, required: bool = False, minimum: int = 0) -> Any:
        value = self._get(key, int, default, required)
        if value is not None and not minimum <= value <= POINTS_MAX:
            raise ConfigError(f"{self.where(key)}: must be between {minimum} and {POINTS_MAX}, got {value}")
        return value

    def bool(self, key: str, default: bool = False) -> bool:
        return bool(self._get(key, bool, default, False))

    def str_list(self, key: str) -> tuple[str, ...]:
        values = self._get(key, list, [], False)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise ConfigError(f"{self.where(key)}[{index}]: expected str, got {value!r}")
        return tuple(values)

    def enum(self, key: str, kind: type[T], default: T | None = None) -> T:
        raw = self.str(key, required=default is None)
        if raw is None:
            assert default is not None
            return default
        try:
            return kind(raw)  # type: ignore[call-arg]
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in kind)  # type: ignore[attr-defined]
            raise ConfigError(f"{self.where(key)}: must be one of {allowed}, got {raw!r}") from None

    def table(self, key: str, *, required: bool = False) -> _Table:
        return _Table(self._get(key, dict, {}, required), self.where(key))

    def tables(self, key: str) -> list[_Table]:
        items = self._get(key, list, [], False)
        return [_Table(item, f"{self.where(key)}[{index}]") for index, item in enumerate(items)]

    def named_tables(self, key: str) -> list[tuple[str, _Table]]:
        """`[key.NAME]` sections: the name is an id."""
        section = self.table(key)
        result = []
        for name in section.data:
            section._used.add(name)
            _check_id(name, section.where(name))
            result.append((name, _Table(section.data[name], section.where(name))))
        return result

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise ConfigError(f"{self.where(unknown[0])}: unknown key")


def _check_id(value: str, where: str) -> str:
    if not _ID.match(value):
        raise ConfigError(f"{where}: {value!r} is not an id (lowercase letters, digits, _ . -)")
    return value


def load_program_file(path: str | Path) -> Program:
    return load_program_document(path)[0]


def load_program_document(path: str | Path) -> tuple[Program, str]:
    """The validated program and the document it came from (whose hash is the program's revision)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"program file {path}: cannot read it ({exc.strerror})") from None
    return parse_program(text, origin=str(path)), text


def parse_program(text: str, *, origin: str = "program") -> Program:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"program file {origin}: not valid TOML: {exc}") from None
    try:
        return _read_program(_Table(document, ""))
    except ConfigError as exc:
        raise ConfigError(f"program file {origin}: {exc}") from None


def _read_program(root: _Table) -> Program:
    head = root.table("program", required=True)
    name = head.str("name", required=True)
    time_zone = head.str("default_time_zone", "UTC")
    _check_time_zone(time_zone, head.where("default_time_zone"))
    debt_policy = head.enum("debt_policy", DebtPolicy, DebtPolicy.RECORD_DEBT)
    hold_ttl_seconds = head.int("hold_ttl_seconds", 900, minimum=1)
    head.done()

    activity = _read_activity(root.table("activity"))
    currencies = _read_each(root.named_tables("currencies"), _read_currency)
    if not currencies:
        raise ConfigError("currencies: a program needs at least one currency")
    sources = _read_each(root.named_tables("sources"), _read_source)
    if not sources:
        raise ConfigError("sources: a program needs at least one source")
    tiers = _read_tiers(root.table("tiers", required=True), currencies)
    limits = _read_each(root.named_tables("limits"), _read_limit)
    rules = tuple(_read_rule(table, currencies, sources, limits) for table in root.tables("rules"))
    _unique([rule.id for rule in rules], "rules")
    tier_ids = {level.id for level in tiers.levels} | {custom.id for custom in tiers.custom}
    rewards = {}
    for table in root.tables("rewards"):
        reward = _read_reward(table, currencies, tier_ids)
        if reward.id in rewards:
            raise ConfigError(f"{table.where('id')}: duplicate reward id {reward.id!r}")
        rewards[reward.id] = reward
    root.done()
    return Program(
        name=name,
        default_time_zone=time_zone,
        debt_policy=debt_policy,
        hold_ttl_seconds=hold_ttl_seconds,
        activity=activity,
        currencies=currencies,
        sources=sources,
        tiers=tiers,
        limits=limits,
        rules=rules,
        rewards=rewards,
    )


def _read_each(items: list[tuple[str, _Table]], read: Callable[[str, _Table], T]) -> dict[str, T]:
    return {name: read(name, table) for name, table in items}


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            raise ConfigError(f"{where}[{index}].id: duplicate id {value!r}")
        seen.add(value)


def _check_time_zone(name: str, where: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {name!r}") from None


def _read_activity(table: _Table) -> ActivitySettings:
    settings = ActivitySettings(
        steps_per_mile=table.int("steps_per_mile", 2000, minimum=1),
        backdate_days_max=table.int("backdate_days_max", 7),
        future_days_max=table.int("future_days_max", 1),
        health_data_retention_days=table.int("health_data_retention_days", 7),
    )
    table.done()
    return settings


def _read_currency(currency_id: str, table: _Table) -> Currency:
    expiry = table.enum("expiry", Expiry)
    expiry_days = table.int("expiry_days", minimum=1)
    if (expiry is Expiry.AFTER_DAYS) != (expiry_days is not None):
        raise ConfigError(f"{table.where('expiry_days')}: required with expiry = 'after_days', and only then")
    currency = Currency(
        id=currency_id,
        name=table.str("name", currency_id),
        expiry=expiry,
        expiry_days=expiry_days,
        expiring_notice_days=table.int("expiring_notice_days", 7),
    )
    table.done()
    return currency


def _read_source(source_id: str, table: _Table) -> Source:
    source = Source(id=source_id, name=table.str("name", source_id))
    table.done()
    return source


def _read_tiers(table: _Table, currencies: dict[str, Currency]) -> Tiers:
    qualifying = table.str_list("qualifying_currencies") or tuple(currencies)
    for index, currency in enumerate(qualifying):
        if currency not in currencies:
            raise ConfigError(
                f"{table.where('qualifying_currencies')}[{index}]: unknown currency {currency!r}"
            )
    levels = []
    for level_table in table.tables("levels"):
        levels.append(
            TierLevel(
                id=_check_id(level_table.str("id", required=True), level_table.where("id")),
                name=level_table.str("name", required=True),
                threshold=level_table.int("threshold", required=True),
                earn_multiplier_percent=level_table.int("earn_multiplier_percent", 100, minimum=1),
            )
        )
        level_table.done()
    if not levels:
        raise ConfigError(f"{table.where('levels')}: at least one tier level is required")
    thresholds = [level.threshold for level in levels]
    if thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
        raise ConfigError(f"{table.where('levels')}: thresholds must start at 0 and strictly increase")
    level_ids = {level.id for level in levels}
    custom = []
    for custom_table in table.tables("custom"):
        floor = custom_table.str("floor")
        if floor is not None and floor not in level_ids:
            raise ConfigError(f"{custom_table.where('floor')}: unknown tier level {floor!r}")
        custom.append(
            CustomTier(
                id=_check_id(custom_table.str("id", required=True), custom_table.where("id")),
                name=custom_table.str("name", required=True),
                floor=floor,
                earn_multiplier_percent=custom_table.int("earn_multiplier_percent", 100, minimum=1),
                temporary_points_never_expire=custom_table.bool("temporary_points_never_expire"),
            )
        )
        custom_table.done()
    _unique([tier.id for tier in levels] + [tier.id for tier in custom], table.where("levels+custom"))
    tiers = Tiers(
        qualifying_window_days=table.int("qualifying_window_days", 365, minimum=1),
        downgrade_grace_days=table.int("downgrade_grace_days", 30),
        downgrade_warning_days=table.int("downgrade_warning_days", 7),
        qualifying_currencies=qualifying,
        levels=tuple(levels),
        custom=tuple(custom),
    )
    table.done()
    return tiers


def _read_limit(limit_id: str, table: _Table) -> Limit:
    limit = Limit(
        id=limit_id, period=table.enum("period", Period), points_max=table.int("points_max", required=True)
    )
    table.done()
    return limit


def _read_rule(
    table: _Table, currencies: dict[str, Currency], sources: dict[str, Source], limits: dict[str, Limit]
) -> Rule:
    rule_id = _check_id(table.str("id", required=True), table.where("id"))
    activity_types = table.str_list("activity_types")
    for index, activity_type in enumerate(activity_types):
        if activity_type not in ACTIVITY_TYPES:
            raise ConfigError(
                f"{table.where('activity_types')}[{index}]: unknown activity type {activity_type!r}"
            )
        if activity_type in NON_EARNING_ACTIVITY_TYPES:
            raise ConfigError(
                f"{table.where('activity_types')}[{index}]: {activity_type!r} never earns points"
            )
    categories = table.str_list("purchase_categories")
    events = table.str_list("events")
    for index, event_name in enumerate(events):
        if event_name not in RULE_EVENTS:
            raise ConfigError(f"{table.where('events')}[{index}]: unknown event {event_name!r}")
    if sum(bool(trigger) for trigger in (activity_types, categories, events)) != 1:
        raise ConfigError(
            f"{table.where('id')}: a rule matches exactly one of activity_types, purchase_categories, events"
        )
    measure = table.enum("measure", Measure)
    amount_minor_per_unit = table.int("amount_minor_per_unit", minimum=1)
    if (measure is Measure.AMOUNT) != (amount_minor_per_unit is not None):
        raise ConfigError(
            f"{table.where('amount_minor_per_unit')}: required with measure = 'amount', and only then"
        )
    if measure is Measure.AMOUNT and not categories:
        raise ConfigError(f"{table.where('measure')}: 'amount' applies to purchase rules only")
    if measure is Measure.MILES and not activity_types:
        raise ConfigError(f"{table.where('measure')}: 'miles' applies to activity rules only")
    shared = table.str_list("shared_limits")
    for index, limit_id in enumerate(shared):
        if limit_id not in limits:
            raise ConfigError(f"{table.where('shared_limits')}[{index}]: unknown limit {limit_id!r}")
    currency = table.str("currency", required=True)
    if currency not in currencies:
        raise ConfigError(f"{table.where('currency')}: unknown currency {currency!r}")
    source = table.str("source", required=True)
    if source not in sources:
        raise ConfigError(f"{table.where('source')}: unknown source {source!r}")
    rule = Rule(
        id=rule_id,
        description=table.str("description", ""),
        activity_types=activity_types,
        purchase_categories=categories,
        events=events,
        measure=measure,
        points_per_unit=table.int("points_per_unit", required=True, minimum=1),
        amount_minor_per_unit=amount_minor_per_unit,
        awards_max_per_day=table.int("awards_max_per_day", minimum=1),
        awards_max_per_week=table.int("awards_max_per_week", minimum=1),
        awards_max_per_month=table.int("awards_max_per_month", minimum=1),
        shared_limits=shared,
        pending_days=table.int("pending_days", 0),
        source=source,
        currency=currency,
    )
    table.done()
    return rule


def _read_reward(table: _Table, currencies: dict[str, Currency], tier_ids: set[str]) -> Reward:
    currency = table.str("currency", required=True)
    if currency not in currencies:
        raise ConfigError(f"{table.where('currency')}: unknown currency {currency!r}")
    tiers = table.str_list("tiers")
    for index, tier_id in enumerate(tiers):
        if tier_id not in tier_ids:
            raise ConfigError(f"{table.where('tiers')}[{index}]: unknown tier {tier_id!r}")
    reward = Reward(
        id=_check_id(table.str("id", required=True), table.where("id")),
        name=table.str("name", required=True),
        cost=table.int("cost", required=True, minimum=1),
        currency=currency,
        discount_minor=table.int("discount_minor", 0),
        valid_days=table.int("valid_days", 30, minimum=1),
        stock=table.int("stock"),
        per_member_max=table.int("per_member_max", minimum=1),
        tiers=tiers,
    )
    table.done()
    return reward
