"""The pure rules of reversals: which lots give points back, how a portion splits over an origin,
which draws a partial give-back restores, what a payoff leaves for the lots."""

from __future__ import annotations

import datetime as dt

from loyalty_server.ledger.book import Draw, NewLot, clawback_plan, without_front
from loyalty_server.ledger.lots import LotView
from loyalty_server.ledger.reversals import Proportion, draws_between, portion_shares

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def lot(pk: int, available: int, *, days: int | None = None, pending_days: int | None = None) -> LotView:
    expires = NOW + dt.timedelta(days=days) if days is not None else None
    pending = NOW + dt.timedelta(days=pending_days) if pending_days is not None else None
    return LotView(pk, available, expires, pending, "purchase")


def shares(plan) -> list[tuple[int, int]]:
    return [(view.lot_pk, share) for view, share in plan]


def test_own_lots_first_then_soonest_expiring_then_pending() -> None:
    lots = [lot(1, 10, days=5), lot(2, 10, days=1), lot(3, 10, pending_days=3), lot(4, 10)]
    plan = clawback_plan(lots, 35, NOW, own=frozenset({4}), budget=None)
    assert shares(plan) == [(4, 10), (2, 10), (1, 10), (3, 5)]


def test_the_budget_keeps_held_points_but_not_pending_ones() -> None:
    lots = [lot(1, 10, days=5), lot(2, 10, pending_days=3)]
    # 10 posted and spendable, 5 held: only 5 of the spendable points may go; pending ones may.
    assert shares(clawback_plan(lots, 30, NOW, budget=5)) == [(1, 5), (2, 10)]
    assert shares(clawback_plan(lots, 30, NOW, budget=None)) == [(1, 10), (2, 10)]


def test_expired_and_empty_lots_give_nothing() -> None:
    lots = [lot(1, 10, days=0), lot(2, 0), lot(3, 4)]
    assert shares(clawback_plan(lots, 10, NOW, own=frozenset({1}), budget=None)) == [(3, 4)]


def test_portions() -> None:
    wholes, lefts = [100, 51, 10], [100, 50, 0]
    assert portion_shares(wholes, lefts, None) == [100, 50, 0]
    assert portion_shares(wholes, lefts, 120) == [100, 20, 0]
    # Each of the ORIGINAL points, rounded down, capped by what is left.
    assert portion_shares(wholes, lefts, Proportion(1, 2)) == [50, 25, 0]
    assert portion_shares([101], [1], Proportion(1, 2)) == [1]
    assert portion_shares([3], [3], Proportion(1, 3)) == [1]


def test_two_halves_never_exceed_the_original() -> None:
    for whole in range(0, 30):
        left = whole
        for _ in range(2):
            (share,) = portion_shares([whole], [left], Proportion(1, 2))
            left -= share
        assert 0 <= left <= 1


def test_draws_between() -> None:
    draws = [Draw(1, 50), Draw(2, 20), Draw(3, 30)]
    assert draws_between(draws, 0, 30) == [Draw(1, 30)]
    assert draws_between(draws, 30, 40) == [Draw(1, 20), Draw(2, 20)]
    assert draws_between(draws, 70, 40) == [Draw(3, 30)]  # beyond the draws: the caller adds a lot
    assert draws_between(draws, 100, 5) == []


def test_a_payoff_takes_from_the_front() -> None:
    pieces = [NewLot(50, "purchase", None), Draw(7, 20)]
    assert without_front(pieces, 0) == pieces
    assert without_front(pieces, 60) == [Draw(7, 10)]
    assert without_front(pieces, 70) == []
