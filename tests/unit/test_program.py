from __future__ import annotations

from pathlib import Path

import pytest

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import ConfigError
from loyalty_server.program import load_program_file, parse_program
from loyalty_server.program.model import DebtPolicy, Expiry, Measure, Period


def test_demo_program_is_valid_and_carries_the_seed_rules() -> None:
    program = load_program_file(DEMO_PROGRAM)
    assert set(program.currencies) == {"permanent", "temporary"}
    assert program.currencies["temporary"].expiry is Expiry.AFTER_DAYS
    assert program.debt_policy is DebtPolicy.RECORD_DEBT
    rules = {rule.id: rule for rule in program.rules}
    steps = rules["steps"]
    assert steps.activity_types == ("total_steps", "walking", "running")
    assert (steps.measure, steps.points_per_unit, steps.awards_max_per_day) == (Measure.MILES, 20, None)
    assert program.activity.steps_per_mile == 2000
    assert program.limits["healthy_monthly"].period is Period.MONTH
    assert program.limits["healthy_monthly"].points_max == 1000
    assert rules["general_exercise"].shared_limits == ("healthy_monthly",)
    assert rules["blood_glucose"].awards_max_per_day == 2
    assert rules["device_connection"].awards_max_per_month == 2
    assert rules["device_connection"].points_per_unit == 250
    assert [level.threshold for level in program.tiers.levels] == [0, 2000, 10000]
    vip = next(tier for tier in program.tiers.custom if tier.id == "vip")
    assert vip.temporary_points_never_expire
    assert {c.id: c.earn_multiplier_percent for c in program.tiers.custom}["employee"] == 200


def _demo_with(old: str, new: str) -> str:
    text = DEMO_PROGRAM.read_text()
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("points_per_unit = 20", "points_per_unit = -5", r"rules\[0\]\.points_per_unit: must be between 1"),
        ("points_per_unit = 20", "point_per_unit = 20", r"rules\[0\]\.points_per_unit: required"),
        ('measure = "miles"', 'measure = "kilometres"', r"rules\[0\]\.measure: must be one of"),
        ('currency = "permanent"', 'currency = "gold"', r"rules\[0\]\.currency: unknown currency 'gold'"),
        (
            'shared_limits = ["healthy_monthly"]',
            'shared_limits = ["x"]',
            r"rules\[0\]\.shared_limits\[0\]: unknown limit",
        ),
        ('"total_steps", "walking"', '"total_steps", "swimming"', r"unknown activity type 'swimming'"),
        ('default_time_zone = "America/Chicago"', 'default_time_zone = "Mars/Olympus"', "unknown time zone"),
        ("threshold = 2000", "threshold = 20000", "thresholds must start at 0 and strictly increase"),
        ('floor = "gold"', 'floor = "platinum"', r"tiers\.custom\[0\]\.floor: unknown tier level"),
        ("expiry_days = 90", "", r"currencies\.temporary\.expiry_days: required with expiry = 'after_days'"),
        ("cost = 500", "cost = true", r"rewards\[0\]\.cost: expected int, got True"),
        (
            'tiers = ["gold", "vip"]',
            'tiers = ["diamond"]',
            r"rewards\[1\]\.tiers\[0\]: unknown tier 'diamond'",
        ),
        ("[activity]", "[activity]\nsteps_per_mille = 3", r"activity\.steps_per_mille: unknown key"),
    ],
)
def test_errors_name_the_key_and_why(old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_program(_demo_with(old, new), origin="p.toml")


def test_a_rule_matches_exactly_one_kind_of_thing() -> None:
    text = _demo_with(
        'activity_types = ["biking"]', 'activity_types = ["biking"]\npurchase_categories = ["x"]'
    )
    with pytest.raises(ConfigError, match="exactly one of activity_types, purchase_categories, events"):
        parse_program(text)


def test_sleep_never_earns() -> None:
    with pytest.raises(ConfigError, match="'sleep' never earns points"):
        parse_program(_demo_with('activity_types = ["biking"]', 'activity_types = ["sleep"]'))


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_program("[program\nname=", origin="bad.toml")
    with pytest.raises(ConfigError, match="cannot read it"):
        load_program_file(tmp_path / "missing.toml")


def test_errors_carry_the_file_name() -> None:
    with pytest.raises(ConfigError, match=r"^program file shop\.toml: program: required$"):
        parse_program("[currencies.x]\nexpiry='never'\n", origin="shop.toml")


def test_a_rule_may_only_name_an_event_that_earns() -> None:
    text = DEMO_PROGRAM.read_text().replace('events = ["partner.connected"]', 'events = ["member.enrolled"]')
    with pytest.raises(ConfigError, match=r"unknown event 'member\.enrolled'"):
        parse_program(text)
