"""Coupon codes and reward eligibility: pure functions, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.ledger import coupon_codes
from loyalty_server.ledger.rewards import (
    Ineligibility,
    MemberFacts,
    coupon_status,
    effective_tiers,
    ineligibility,
    stock_remaining,
)
from loyalty_server.program import load_program_file

PROGRAM = load_program_file(DEMO_PROGRAM)
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CODE_SHAPE = re.compile(r"^LOY(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def test_a_new_code_is_80_random_bits_in_grouped_crockford_base32() -> None:
    codes = {coupon_codes.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE_SHAPE.match(code) for code in codes), next(iter(codes))
    assert coupon_codes.RANDOM_BITS >= 80
    # Every alphabet character shows up in every position: no position is fixed or biased away.
    bodies = [coupon_codes.normalize(code) for code in codes]
    for position in range(coupon_codes.BODY_CHARS):
        assert {body[position] for body in bodies if body} == set(coupon_codes.ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        "LOY-7KQ2-M9XD-4TRB-HV10",
        "loy-7kq2-m9xd-4trb-hv10",
        "7KQ2M9XD4TRBHV10",
        " loy 7kq2 m9xd 4trb hvlo ",
        "LOY7KQ2M9XD4TRBHVIO",
        "L0Y-7KQ2-M9XD-4TRB-HV1O",
        "10Y-7KQ2-M9XD-4TRB-HV10",
    ],
)
def test_normalize_accepts_case_missing_dashes_and_confusables(typed: str) -> None:
    assert coupon_codes.normalize(typed) == "7KQ2M9XD4TRBHV10"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "LOY-7KQ2-M9XD-4TRB-HV1",  # one character short
        "LOY-7KQ2-M9XD-4TRB-HV100",  # one too many
        "LOY-7KQ2-M9XD-4TRB-HVU0",  # U is not Crockford
        "LOY-7KQ2-M9XD-4TRB-HV1!",
        "ABC-7KQ2-M9XD-4TRB-HV10",  # another prefix
        "7" * 1000,
    ],
)
def test_normalize_refuses_what_cannot_be_a_code(typed: str) -> None:
    assert coupon_codes.normalize(typed) is None


def test_display_digest_hint_and_mask_of_a_code() -> None:
    body = "7KQ2M9XD4TRBHV10"
    assert coupon_codes.display(body) == "LOY-7KQ2-M9XD-4TRB-HV10"
    assert coupon_codes.normalize(coupon_codes.display(body)) == body
    assert coupon_codes.digest(body) == coupon_codes.digest(coupon_codes.normalize("loy7kq2m9xd4trbhvlo"))
    assert len(coupon_codes.digest(body)) == 64
    assert body not in coupon_codes.digest(body)
    assert coupon_codes.hint(body) == "HV10"
    assert coupon_codes.masked("HV10") == "LOY-****-****-****-HV10"


def test_effective_tiers_raise_to_the_custom_floor_while_it_lasts() -> None:
    assert effective_tiers(PROGRAM, None, None, None, NOW) == {"bronze"}
    assert effective_tiers(PROGRAM, "gold", None, None, NOW) == {"gold"}
    assert effective_tiers(PROGRAM, "bronze", "employee", None, NOW) == {"silver", "employee"}
    assert effective_tiers(PROGRAM, "gold", "employee", None, NOW) == {"gold", "employee"}  # never lowers
    assert effective_tiers(PROGRAM, None, "vip", NOW + dt.timedelta(days=1), NOW) == {"gold", "vip"}
    assert effective_tiers(PROGRAM, "silver", "vip", NOW, NOW) == {"silver"}  # the custom tier ended


def _facts(**changes: object) -> MemberFacts:
    facts = MemberFacts(active=True, tiers=frozenset({"gold"}), redeemed={}, available={"permanent": 1500})
    return dataclasses.replace(facts, **changes)


def test_ineligibility_reasons_come_in_their_documented_order() -> None:
    gift = PROGRAM.rewards["gold-gift"]  # 1500 points, stock 1000, gold and vip only
    limited = dataclasses.replace(gift, per_member_max=1)
    assert ineligibility(gift, _facts(), 1000) is None
    assert (
        ineligibility(gift, _facts(available={"permanent": 1499}), 1000) is Ineligibility.INSUFFICIENT_POINTS
    )
    assert ineligibility(gift, _facts(available={}), 0) is Ineligibility.OUT_OF_STOCK
    assert ineligibility(limited, _facts(redeemed={gift.id: 1}), 0) is Ineligibility.MEMBER_LIMIT_REACHED
    assert ineligibility(limited, _facts(tiers=frozenset({"silver"})), 0) is Ineligibility.TIER_NOT_ELIGIBLE
    assert ineligibility(gift, _facts(active=False, tiers=frozenset()), 0) is Ineligibility.MEMBER_INACTIVE
    assert ineligibility(PROGRAM.rewards["coupon-5"], _facts(tiers=frozenset({"bronze"})), None) is None


def test_stock_remaining_and_coupon_status() -> None:
    gift = PROGRAM.rewards["gold-gift"]
    assert stock_remaining(gift, 0) == 1000
    assert stock_remaining(gift, 1200) == 0
    assert stock_remaining(PROGRAM.rewards["coupon-5"], 10**6) is None
    assert coupon_status("issued", NOW + dt.timedelta(seconds=1), NOW) == "issued"
    assert coupon_status("issued", NOW, NOW) == "expired"
    assert coupon_status("used", NOW - dt.timedelta(days=1), NOW) == "used"
    assert coupon_status("cancelled", NOW - dt.timedelta(days=1), NOW) == "cancelled"
