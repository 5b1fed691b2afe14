"""bench/scale_load.py on SQLite and PostgreSQL, at a small size: the loaded books keep the ledger's
invariants, every member account's figures equal its postings, nothing is due when a server starts
on them, and a real server answers GetBalance with the loaded figures (and writes nothing doing so).
Then the engine as the oracle: members' loaded histories replayed through Ledger (same moments,
same amounts) leave the same accounts, lots, draws, source balances, qualifying days and tiers.

check_invariants reads transaction by transaction, so the sizes stay small: a few seconds each.
"""

from __future__ import annotations

import shutil
import sqlite3
import time

import grpc
import pytest
from sqlalchemy import case, func, select
from sqlalchemy.engine import make_url

from bench import scale_load
from loyalty.v1 import ledger_pb2, ledger_pb2_grpc
from loyalty_server.clock import FakeClock
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import (
    accounts,
    ledger_transactions,
    lot_draws,
    lots,
    members,
    postings,
    qualifying_points,
    source_balances,
)
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.schema import events, idempotency_keys
from loyalty_server.tenancy import ensure_default_tenant
from tests.integration.conftest import DEMO
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token

MEMBERS = 120  # per load; the test loads twice (ids must continue after rows already there)
POSTINGS = 800
BALANCES_CHECKED = 8


async def _load_twice(database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[scale_load.LoadReport]:
    first = await scale_load.load(database_url, members=MEMBERS, postings=POSTINGS, seed=1, quiet=True)
    # The second load goes through the generating process that large loads use.
    monkeypatch.setattr(scale_load, "PRODUCER_MIN_TRANSACTIONS", 0)
    second = await scale_load.load(database_url, members=MEMBERS, postings=POSTINGS + 1, seed=2, quiet=True)
    return [first, second]


def _figures_of_postings():  # type: ignore[no-untyped-def]
    """Per member account: the sum of its postings, and of its earn / spend / expire postings."""

    def of(kind: str):  # type: ignore[no-untyped-def]
        return func.coalesce(
            func.sum(case((ledger_transactions.c.type == kind, postings.c.amount), else_=0)), 0
        )

    return (
        select(
            accounts.c.id,
            accounts.c.posted,
            accounts.c.lifetime_earned,
            accounts.c.lifetime_spent,
            accounts.c.lifetime_expired,
            func.coalesce(func.sum(postings.c.amount), 0).label("sum_posted"),
            of("earn").label("sum_earned"),
            of("spend").label("sum_spent"),
            of("expire").label("sum_expired"),
        )
        .join(postings, postings.c.account_pk == accounts.c.id)
        .join(ledger_transactions, ledger_transactions.c.id == postings.c.transaction_pk)
        .where(accounts.c.account_type == "member")
        .group_by(accounts.c.id)
    )


async def _check_tables(database_url: str, reports: list[scale_load.LoadReport]) -> dict[str, dict]:
    """The books as the engine keeps them; returns the figures of some members, by member id."""
    engine = create_engine(database_url)
    try:
        await check_invariants(engine)
        async with engine.connect() as connection:

            async def count(table) -> int:  # type: ignore[no-untyped-def]
                return (await connection.execute(select(func.count()).select_from(table))).scalar_one()

            assert await count(members) == 2 * MEMBERS
            assert await count(postings) == 2 * POSTINGS  # the odd posting of the second is rounded off
            assert await count(ledger_transactions) == POSTINGS
            assert [report.postings for report in reports] == [POSTINGS, POSTINGS]
            assert reports[1].first_member_pk == reports[0].first_member_pk + MEMBERS
            # Old history: its events and idempotency keys are past retention.
            assert await count(events) == 0
            assert await count(idempotency_keys) == 0
            for row in (await connection.execute(_figures_of_postings())).mappings():
                assert row["posted"] == row["sum_posted"], row
                assert row["lifetime_earned"] == row["sum_earned"], row
                assert row["lifetime_spent"] == -row["sum_spent"], row
                assert row["lifetime_expired"] == -row["sum_expired"], row
            now = scale_load.postgres_time(int(time.time()))
            due = select(func.count()).where(accounts.c.settle_at <= now)
            assert (await connection.execute(due)).scalar_one() == 0, "an account is due for settlement"
            reviews = select(func.count()).where(members.c.tier_review_at <= now)
            assert (await connection.execute(reviews)).scalar_one() == 0, "a tier review is due"
            # The demo's return window (30 days) closed for the whole history: nothing is pending.
            pending = select(func.count()).where(lots.c.pending_until.is_not(None))
            assert (await connection.execute(pending)).scalar_one() == 0
            # Qualifying points: everything earned, per member (no reversals in the history).
            earned = select(func.coalesce(func.sum(ledger_transactions.c.points), 0)).where(
                ledger_transactions.c.type == "earn"
            )
            qualified = select(func.coalesce(func.sum(qualifying_points.c.points), 0))
            assert (await connection.execute(earned)).scalar_one() == (
                await connection.execute(qualified)
            ).scalar_one()
            remaining = select(func.coalesce(func.sum(source_balances.c.remaining), 0))
            in_lots = select(func.coalesce(func.sum(lots.c.available), 0))
            assert (await connection.execute(remaining)).scalar_one() == (
                await connection.execute(in_lots)
            ).scalar_one()
            # A member's history in id order (how ListTransactions pages) is in time order.
            t = ledger_transactions
            previous = func.lag(t.c.created_at).over(partition_by=t.c.member_pk, order_by=t.c.id)
            ordered = select(t.c.created_at, previous.label("previous")).subquery()
            backwards = select(func.count()).where(ordered.c.previous > ordered.c.created_at)
            assert (await connection.execute(backwards)).scalar_one() == 0
            # The report names loaded members: every sample id and any index.
            named = [*reports[0].sample_member_ids, reports[1].member_id(MEMBERS - 1)]
            found = select(func.count()).where(members.c.member_id.in_(named))
            assert (await connection.execute(found)).scalar_one() == len(set(named))
            with_points = select(accounts.c.member_pk).where(accounts.c.posted > 0)
            rich = (
                select(members.c.member_id)
                .where(members.c.id.in_(with_points))
                .order_by(members.c.id)
                .limit(BALANCES_CHECKED)
            )
            member_ids = list((await connection.execute(rich)).scalars())
            figures: dict[str, dict] = {}
            for member_id in member_ids:
                rows = (
                    await connection.execute(
                        select(accounts)
                        .join(members, members.c.id == accounts.c.member_pk)
                        .where(members.c.member_id == member_id)
                    )
                ).mappings()
                figures[member_id] = {row["currency"]: dict(row) for row in rows}
    finally:
        await engine.dispose()
    if database_url.startswith("sqlite"):
        with sqlite3.connect(make_url(database_url).database or "") as connection:
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return figures


async def test_loaded_books_are_valid_and_served(tmp_path, database_url, monkeypatch) -> None:
    reports = await _load_twice(database_url, monkeypatch)
    expected = await _check_tables(database_url, reports)
    assert len(expected) == BALANCES_CHECKED

    server = LoyaltyServer(make_settings(tmp_path, database_url))
    await server.start()
    try:
        pos = bearer(await service_token(server, Role.POS))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            for member_id, by_currency in expected.items():
                response = await stub.GetBalance(
                    ledger_pb2.GetBalanceRequest(member_id=member_id), metadata=pos
                )
                served = {figures.currency: figures for figures in response.balance.currencies}
                for currency, row in by_currency.items():
                    figures = served[currency]
                    assert figures.available_points == row["posted"] - row["held"] - row["pending"]
                    assert figures.pending_points == row["pending"] == 0
                    assert figures.lifetime_earned_points == row["lifetime_earned"]
                    assert figures.lifetime_spent_points == row["lifetime_spent"]
                    assert figures.lifetime_expired_points == row["lifetime_expired"]
                    assert sum(source.remaining_points for source in figures.sources) == row["posted"]
    finally:
        await server.stop(grace_s=0)
    # Serving the balances settled nothing: no transaction or event was written.
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            written = select(func.count()).select_from(ledger_transactions)
            assert (await connection.execute(written)).scalar_one() == POSTINGS
            assert (await connection.execute(select(func.count()).select_from(events))).scalar_one() == 0
    finally:
        await engine.dispose()


# --- the engine as the oracle -------------------------------------------------------------------------

ORACLE_MEMBERS = 60
ORACLE_POSTINGS = 1_200
ORACLE_REPLAYED = 10  # members whose history is replayed through the engine


async def _books(connection, member_pk: int) -> dict:  # type: ignore[no-untyped-def]
    """What the engine keeps about one member, free of row ids and of the moments a settlement ran
    (the loader books those as the background jobs would, on time; a replay settles when it reads)."""
    t = ledger_transactions
    member = (await connection.execute(select(members).where(members.c.id == member_pk))).mappings().one()
    rows = (await connection.execute(select(accounts).where(accounts.c.member_pk == member_pk))).mappings()
    by_pk = {row["id"]: dict(row) for row in rows}
    figures = ("posted", "held", "pending", "debt", "lifetime_earned", "lifetime_spent", "lifetime_expired")
    transactions = (await connection.execute(select(t).where(t.c.member_pk == member_pk))).mappings()
    lot_rows = (await connection.execute(select(lots).where(lots.c.account_pk.in_(by_pk)))).mappings()
    draws = await connection.execute(
        select(t.c.effective_at, lots.c.created_at, lots.c.amount, lot_draws.c.points)
        .join(lot_draws, lot_draws.c.transaction_pk == t.c.id)
        .join(lots, lots.c.id == lot_draws.c.lot_pk)
        .where(t.c.member_pk == member_pk)
    )
    sources = (
        await connection.execute(select(source_balances).where(source_balances.c.account_pk.in_(by_pk)))
    ).mappings()
    days = await connection.execute(
        select(qualifying_points.c.day, qualifying_points.c.points).where(
            qualifying_points.c.member_pk == member_pk
        )
    )
    return {
        "member": {name: member[name] for name in ("tier_id", "tier_since", "tier_review_at", "created_at")},
        "accounts": {
            row["currency"]: {name: row[name] for name in (*figures, "settle_at")} for row in by_pk.values()
        },
        "transactions": sorted(
            (
                row["type"],
                row["currency"],
                row["points"],
                row["debt_points"],
                row["source_id"],
                row["origin_type"],
                row["reason_code"],
                row["effective_at"],
                None if row["type"] == "expire" else row["created_at"],
            )
            for row in transactions
        ),
        "lots": sorted(
            (
                by_pk[row["account_pk"]]["currency"],
                row["source_id"],
                row["amount"],
                row["available"],
                row["expires_at"],
                row["pending_until"],
                row["created_at"],
            )
            for row in lot_rows
        ),
        "draws": sorted(tuple(row) for row in draws),
        "sources": {
            (by_pk[row["account_pk"]]["currency"], row["source_id"]): (
                row["lifetime_earned"],
                row["remaining"],
            )
            for row in sources
        },
        "qualifying": dict(days.all()),
    }


async def test_replaying_the_history_through_the_engine_gives_the_same_books(
    tmp_path, sqlite_template
) -> None:
    loaded_path, oracle_path = tmp_path / "loaded.db", tmp_path / "oracle.db"
    shutil.copyfile(sqlite_template, loaded_path)
    shutil.copyfile(sqlite_template, oracle_path)
    report = await scale_load.load(
        f"sqlite:///{loaded_path}", members=ORACLE_MEMBERS, postings=ORACLE_POSTINGS, seed=3, quiet=True
    )
    loaded = create_engine(f"sqlite:///{loaded_path}")
    oracle = create_engine(f"sqlite:///{oracle_path}")
    clock = FakeClock(report.as_of)
    tenant_id = (await ensure_default_tenant(oracle, clock)).id
    ledger = Ledger(oracle, clock, lambda _tenant_id: DEMO)
    pending_days = {rule.source: rule.pending_days for rule in DEMO.rules if rule.pending_days}
    try:
        async with loaded.connect() as connection:
            busiest = select(ledger_transactions.c.member_pk).group_by(ledger_transactions.c.member_pk)
            busiest = busiest.order_by(func.count().desc()).limit(ORACLE_REPLAYED - 2)
            chosen = [*(await connection.execute(busiest)).scalars(), 1, ORACLE_MEMBERS]
            covered: set[str] = set()
            for member_pk in chosen:
                expected = await _books(connection, member_pk)
                history = await connection.execute(
                    select(ledger_transactions)
                    .where(
                        ledger_transactions.c.member_pk == member_pk, ledger_transactions.c.type != "expire"
                    )
                    .order_by(ledger_transactions.c.id)
                )
                clock.set(expected["member"]["created_at"])
                member = await ledger.enroll(tenant_id, request_id=f"enroll-{member_pk}")
                for row in history.mappings():
                    clock.set(row["created_at"])
                    entry = Entry(
                        origin_type=row["origin_type"],
                        origin_id=row["origin_id"],
                        reason_code=row["reason_code"],
                        request_id=row["request_id"],
                        actor=row["actor"],
                    )
                    if row["type"] == "earn":
                        await ledger.earn(
                            tenant_id, member.member_id, currency=row["currency"], points=row["points"],
                            source_id=row["source_id"], entry=entry,
                            pending_days=pending_days.get(row["source_id"], 0),
                        )  # fmt: skip
                    else:
                        await ledger.spend(
                            tenant_id, member.member_id, currency=row["currency"], points=-row["points"],
                            entry=entry,
                        )  # fmt: skip
                clock.set(report.as_of)
                await ledger.balance(tenant_id, member.member_id)  # settles what came due
                async with oracle.connect() as replayed:
                    assert await _books(replayed, member.pk) == expected, member_pk
                covered.update(row[0] for row in expected["transactions"])
                covered.add(f"tier:{expected['member']['tier_id']}")
        # The replayed members cover earning, spending, expiry and a tier above the lowest.
        assert {"earn", "spend", "expire", "tier:silver"} <= covered, covered
    finally:
        await loaded.dispose()
        await oracle.dispose()
