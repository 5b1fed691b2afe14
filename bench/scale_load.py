"""Scale loader: many members and postings written straight into the tables, not through the API.

    python -m bench.scale_load --database-url sqlite:////tmp/scale.db --members 1000000 --postings 10000000

The rows are those the engine itself would hold after that history, as if its members had been
imported and had earned (bulk awards), redeemed and let bonus points expire over the past year:

- members (channel `import`, a generated loyalty id and e-mail), each with the accounts it used;
  every member account row carries posted / lifetime figures equal to the sums of its postings;
- double-entry transactions of two postings each (earn: issuance -> member; spend: member ->
  redemption; expire: member -> expiry), their lots (spends drawn soonest-expiring first, each draw
  in `lot_draws`), per-source balances, qualifying points per UTC day and the tier they earned.

The history lies between HISTORY_OLDEST_DAYS and HISTORY_NEWEST_DAYS ago, which keeps the books
settled and quiet when a server starts on them: purchase points are out of their return window (the
settlement released them), no expiry or "points expiring" notice is due, every tier review lies
ahead, idempotency keys (kept 7 days) and events (kept 30 days) of that history are gone, so none
are written. A bonus lot either expired long ago (with its expiry transaction) or expires later
than its notice window.

SQLite: a plain sqlite3 connection, a transaction per chunk, `synchronous=OFF` during the load only
(WAL is kept; a crash mid-load can lose the load, never the rest of the file). PostgreSQL: one
transaction of COPYs (asyncpg `copy_records_to_table`). On both, the loaded tables' secondary
indexes (and on PostgreSQL their unique and foreign-key constraints) are dropped first and built
again at the end from their own definitions: one sort per index instead of millions of random
inserts. Ids continue after the rows already there; a database may be loaded more than once.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import datetime as dt
import hashlib
import multiprocessing
import os
import queue
import random
import sqlite3
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from loyalty_server.clock import SystemClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.ledger import tier_rules
from loyalty_server.ledger.lots import expires_at_for
from loyalty_server.program import Program, load_program_file
from loyalty_server.program.model import Expiry
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import migrate
from loyalty_server.tenancy import ensure_default_tenant, get_tenant, tenant_program

DAY_S = 86_400
HISTORY_OLDEST_DAYS = 360  # inside the 365-day tier window: no day has left it, no review is due
HISTORY_NEWEST_DAYS = 31  # past the 30-day return window and the 30-day event retention
EVENT_RETENTION_DAYS = 30  # the server's default `event_retention_days`
ENROLLED_BEFORE_MAX_DAYS = 3 * 365  # how long before their first transaction members joined
EXPIRY_JOB_INTERVAL_S = 60  # an expiry is booked within this long after the lot's expiry time
CHUNK_TRANSACTIONS = 50_000  # about this many transactions (2 postings each) generated and written at once
PRODUCER_MIN_TRANSACTIONS = 200_000  # from this size on, a second process generates while this one writes
QUEUE_CHUNKS = 2  # chunks generated ahead of the writer: bounds the memory of the pipeline
PRODUCER_POLL_S = 1.0  # how often a waiting writer checks that the generating process still lives
# SQLite page cache of the load (index builds sort in as much again). At full size 128 MiB took
# 178 s and its writer peaked at 530 MB; 256 MiB took 172 s and peaked at 830 MB.
SQLITE_CACHE_MIB = 128
SAMPLE_MEMBER_IDS = 1_000  # member ids the report lists for the benchmark's requests
SPEND_SHARE = 0.25  # of a member's permanent-currency operations, when points are there to spend
BONUS_SHARE = 0.10  # of a member's operations: a bonus in the expiring currency
SPEND_MIN_POINTS = 100
ACTOR = "bench.scale_load"
LOYALTY_ID_DIGITS = 12
_LOYALTY_ID_STRIDE = 7_919_091_823  # coprime with 10**12: index -> distinct 12-digit card numbers

# The loaded tables, in load order, each with the columns the loader writes (in row order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "members": (
        "id", "tenant_id", "member_id", "loyalty_id", "email", "phone", "given_name", "family_name",
        "time_zone", "status", "attributes_json", "enrollment_channel", "enrollment_store_id",
        "tier_id", "custom_tier_id", "tier_since", "tier_review_at", "version", "created_at", "updated_at",
    ),
    "accounts": (
        "id", "tenant_id", "name", "account_type", "member_pk", "currency", "posted", "held", "pending",
        "debt", "lifetime_earned", "lifetime_spent", "lifetime_expired", "settle_at", "updated_at",
    ),
    "ledger_transactions": (
        "id", "tenant_id", "transaction_id", "type", "member_pk", "currency", "points", "debt_points",
        "source_id", "origin_type", "origin_id", "origin_client_id", "reason_code", "reason",
        "request_id", "actor", "effective_at", "created_at",
    ),
    "postings": ("id", "tenant_id", "transaction_pk", "account_pk", "amount"),
    "lots": (
        "id", "tenant_id", "account_pk", "transaction_pk", "source_id", "amount", "available",
        "expires_at", "pending_until", "expiring_notified_at", "created_at",
    ),
    "lot_draws": ("id", "tenant_id", "transaction_pk", "lot_pk", "points"),
    "source_balances": ("tenant_id", "account_pk", "source_id", "lifetime_earned", "remaining"),
    "qualifying_points": ("tenant_id", "member_pk", "day", "points"),
}  # fmt: skip
ID_TABLES = ("members", "accounts", "ledger_transactions", "postings", "lots", "lot_draws")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class LoadReport:
    """What a load wrote and how fast. Member ids follow from (seed, index): `member_id(index)` names
    any loaded member without a query; `sample_member_ids` are some of them, spread over the range."""

    database: str  # sqlite | postgresql
    tenant_id: int
    seed: int
    as_of: dt.datetime  # the moment the history leads up to (the load's start)
    first_member_pk: int  # members.id of the first loaded member; the last is first + members - 1
    members: int
    accounts: int
    transactions: int
    postings: int
    lots: int
    lot_draws: int
    other_rows: int  # source balances and qualifying points
    seconds: float  # the whole load, index builds included
    index_seconds: float  # of which: dropping and building indexes and constraints again
    sample_member_ids: list[str]

    @property
    def rows(self) -> int:
        return (
            self.members + self.accounts + self.transactions + self.postings + self.lots + self.lot_draws
        ) + self.other_rows

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def postings_per_s(self) -> float:
        return self.postings / self.seconds if self.seconds else 0.0

    def member_id(self, index: int) -> str:
        """The public id of the loaded member number `index` (0 <= index < members)."""
        assert 0 <= index < self.members, index
        return member_id_of(self.seed, index)

    def summary(self) -> str:
        return (
            f"{self.members:,} members, {self.accounts:,} accounts, {self.transactions:,} transactions, "
            f"{self.postings:,} postings, {self.lots:,} lots, {self.lot_draws:,} lot draws, "
            f"{self.other_rows:,} other rows in {self.seconds:.1f} s "
            f"(indexes {self.index_seconds:.1f} s): {self.rows_per_s:,.0f} rows/s, "
            f"{self.postings_per_s:,.0f} postings/s"
        )


def member_id_of(seed: int, index: int) -> str:
    """A member id shaped like the engine's ("m_" + 20 hex digits), reproducible from seed and index."""
    return "m_" + hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=10).hexdigest()


def loyalty_id_of(seed: int, index: int) -> str:
    """A 12-digit card number like the engine generates; distinct for distinct indexes of one seed."""
    return f"{(seed * 1_000_003 + index * _LOYALTY_ID_STRIDE) % 10**LOYALTY_ID_DIGITS:012d}"


# --- the program's shape, as the generator needs it ---------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What of the program the history uses: the spendable currency, the expiring one, sources."""

    program: Program
    main_currency: str  # never expires: earned and spent
    bonus_currency: str | None  # expires: bonus points that expire unspent
    sources: tuple[str, ...]
    pending_s: dict[str, int]  # source -> how long its points stay pending (the rules' return window)
    bonus_source: str
    qualifying: frozenset[str]
    thresholds: tuple[int, ...]  # tier level thresholds above the lowest, ascending
    expiry_days: dict[str, int | None]  # currency -> days until expiry; None: never, or calendar-bound
    # The tier state after a first earn below every threshold, when it does not depend on the time
    # (the evaluation is the costliest step per member, and this one is the same for most of them).
    first_tier: tier_rules.TierState | None


def shape_of(program: Program) -> Shape:
    never = [code for code, currency in program.currencies.items() if currency.expiry is Expiry.NEVER]
    if not never:
        raise SystemExit("scale_load: the program needs a currency that never expires")
    expiring = [code for code in program.currencies if code not in never]
    pending: dict[str, int] = {}
    for rule in program.rules:
        pending[rule.source] = max(pending.get(rule.source, 0), rule.pending_days * DAY_S)
    sources = tuple(program.sources)
    return Shape(
        program=program,
        main_currency=never[0],
        bonus_currency=expiring[0] if expiring else None,
        sources=sources,
        pending_s={source: pending.get(source, 0) for source in sources},
        bonus_source="bonus" if "bonus" in sources else sources[-1],
        qualifying=frozenset(program.tiers.qualifying_currencies),
        thresholds=tuple(level.threshold for level in program.tiers.levels[1:]),
        expiry_days={
            code: currency.expiry_days if currency.expiry is Expiry.AFTER_DAYS else None
            for code, currency in program.currencies.items()
        },
        first_tier=_time_free_first_tier(program),
    )


def _time_free_first_tier(program: Program) -> tier_rules.TierState | None:
    empty = tier_rules.TierState(None, None, None, None, None, None)
    moments = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    states = {tier_rules.evaluate(program.tiers, empty, 1, moment).state for moment in moments}
    return states.pop() if len(states) == 1 else None


# --- generation (pure: rows as tuples, times as epoch seconds) ---------------------------------------


@dataclass
class Ids:
    """The next primary key of each table."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        pk = self.next[table]
        self.next[table] = pk + 1
        return pk


@dataclass
class Chunk:
    members_done: int = 0  # members generated so far, this chunk's included
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {table: [] for table in COLUMNS})


@dataclass
class _Lot:
    pk: int
    account_pk: int
    transaction_pk: int
    source: str
    amount: int
    available: int
    expires_at: int | None
    spendable_at: int  # when it stops being pending
    created_at: int


@dataclass
class _Account:
    pk: int
    currency: str
    posted: int = 0
    earned: int = 0
    spent: int = 0
    expired: int = 0
    updated_at: int = 0
    sources: dict[str, list[int]] = field(default_factory=dict)  # source -> [lifetime earned, remaining]

    def add_source(self, source: str, earned: int, remaining: int) -> None:
        figures = self.sources.setdefault(source, [0, 0])
        figures[0] += earned
        figures[1] += remaining


@dataclass(frozen=True)
class Context:
    shape: Shape
    tenant_id: int
    seed: int
    now: int  # epoch seconds: the load's "now"
    program_pks: dict[str, int]  # "issuance/<currency>" ... -> account pk
    zone: zoneinfo.ZoneInfo
    time_zone: str
    database: str  # sqlite | postgresql: how times and days are written


class Generator:
    """Generates members and their history, chunk by chunk, with the engine's own arithmetic."""

    def __init__(self, context: Context, ids: Ids) -> None:
        self.context = context
        self.ids = ids
        self.random = random.Random(context.seed)
        self.token_bytes = random.Random(context.seed ^ 0x5CA1E).randbytes
        self.time: Callable[[int | None], Any] = (
            SqliteTimes() if context.database == "sqlite" else postgres_time
        )
        self.day: Callable[[int], Any] = sqlite_day if context.database == "sqlite" else postgres_day

    def chunk(self, first_index: int, members: int, transactions: int) -> Chunk:
        """`members` members numbered from `first_index`, sharing `transactions` transactions: each
        member's share drawn by a skewed weight, so most have a few and some have many."""
        weights = [self.random.gammavariate(2.0, 0.5) for _ in range(members)]
        cumulative = list(_accumulate(weights))
        counts = [0] * members
        total = cumulative[-1]
        for _ in range(transactions):
            counts[bisect.bisect_right(cumulative, self.random.random() * total, hi=members - 1)] += 1
        chunk = Chunk(members_done=first_index + members)
        for offset, count in enumerate(counts):
            self.member(chunk, first_index + offset, count)
        return chunk

    def member(self, chunk: Chunk, index: int, slots: int) -> None:
        """One member and `slots` transactions of history."""
        context = self.context
        member_pk = self.ids.take("members")
        member_id = member_id_of(context.seed, index)
        history = _History(self, chunk, member_pk, member_id)
        for when, kind, bonus in self.plan(slots):
            history.apply(when, kind, bonus)
        first = history.first_at if history.first_at is not None else self.history_moment()
        created_at = self.time(first - int(self.random.random() * ENROLLED_BEFORE_MAX_DAYS * DAY_S))
        tier_id, tier_since, review_at = history.tier_columns()
        chunk.rows["members"].append(
            (
                member_pk, context.tenant_id, member_id, loyalty_id_of(context.seed, index),
                f"member{index}.{context.seed}@scale.example", None, "", "", context.time_zone,
                "active", "{}", "import", "", tier_id, None, self.time(tier_since), self.time(review_at), 1,
                created_at, created_at,
            )
        )  # fmt: skip
        history.write_accounts()

    def history_moment(self) -> int:
        newest = self.context.now - HISTORY_NEWEST_DAYS * DAY_S
        return newest - int(self.random.random() * (HISTORY_OLDEST_DAYS - HISTORY_NEWEST_DAYS) * DAY_S)

    def plan(self, slots: int) -> list[tuple[int, str, int]]:
        """(when, kind, bonus number) in time order: "main" (an earn or a spend, decided on the way),
        "bonus" (an earn of expiring points), "expire" (the expiry job's transaction for the bonus of
        that number, which expired unspent: booked at its time, after what happened in between)."""
        plan: list[tuple[int, str, int]] = []
        left = slots
        while left > 0:
            when = self.history_moment()
            if self.context.shape.bonus_currency and self.random.random() < BONUS_SHARE:
                fate = self.bonus_fate(when)
                if fate == "bonus" or (fate == "bonus+expiry" and left >= 2):
                    plan.append((when, "bonus", len(plan)))
                    left -= 1
                    if fate == "bonus+expiry":
                        expires_at = self.expires_at(self.context.shape.bonus_currency, when)
                        assert expires_at is not None
                        booked_at = expires_at + int(self.random.random() * EXPIRY_JOB_INTERVAL_S)
                        plan.append((booked_at, "expire", len(plan) - 1))
                        left -= 1
                    continue
            plan.append((when, "main", 0))
            left -= 1
        plan.sort()
        return plan

    def bonus_fate(self, when: int) -> str | None:
        """Whether a bonus earned then is still live and outside its notice window now ("bonus"), or
        expired before the event retention ("bonus+expiry"); None when neither (no bonus then)."""
        expires_at = self.expires_at(self.context.shape.bonus_currency, when)
        if expires_at is None:
            return "bonus"
        currency = self.context.shape.program.currencies[self.context.shape.bonus_currency or ""]
        now = self.context.now
        notice_s = currency.expiring_notice_days * DAY_S
        if expires_at > now + notice_s + DAY_S:
            return "bonus"
        if expires_at + notice_s < now - (EVENT_RETENTION_DAYS + 1) * DAY_S:
            return "bonus+expiry"
        return None

    def expires_at(self, currency: str | None, earned_at: int) -> int | None:
        """lots.expires_at_for, with its commonest cases in integer arithmetic."""
        assert currency is not None
        rule = self.context.shape.program.currencies[currency].expiry
        if rule is Expiry.NEVER:
            return None
        days = self.context.shape.expiry_days[currency]
        if days is not None:
            return earned_at + days * DAY_S
        moment = dt.datetime.fromtimestamp(earned_at, dt.UTC)
        expires = expires_at_for(self.context.shape.program.currencies[currency], moment, self.context.zone)
        return None if expires is None else int(expires.timestamp())

    def transaction_id(self) -> str:
        return "t_" + self.token_bytes(10).hex()


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


class _History:
    """One member's history, applied in time order: lots, draws, account figures, qualifying days."""

    def __init__(self, generator: Generator, chunk: Chunk, member_pk: int, member_id: str) -> None:
        self.generator = generator
        self.context = generator.context
        self.rows = chunk.rows
        self.member_pk = member_pk
        self.member_id = member_id
        self.accounts: dict[str, _Account] = {}
        self.main_lots: list[_Lot] = []  # never expire: spent oldest first (lot pk order)
        self.bonus_lots: list[_Lot] = []
        self.bonuses: dict[int, _Lot] = {}  # bonus number (in the plan) -> its lot
        self.qualifying: dict[int, int] = {}  # day number -> points
        self.qualifying_total = 0
        self.first_at: int | None = None
        self.last_qualifying_at: int | None = None
        self.tier = tier_rules.TierState(None, None, None, None, None, None)
        self.tier_evaluated = False
        self.next_threshold = (
            generator.context.shape.thresholds[0] if generator.context.shape.thresholds else sys.maxsize
        )

    def apply(self, when: int, kind: str, bonus: int) -> None:
        if self.first_at is None:
            self.first_at = when
        rng = self.generator.random
        shape = self.context.shape
        if kind == "main":
            spendable = sum(lot.available for lot in self.main_lots if lot.spendable_at <= when)
            if spendable >= SPEND_MIN_POINTS and rng.random() < SPEND_SHARE:
                points = min(spendable, rng.choice((100, 200, 250, 500, 500, 1000)))
                self.spend(when, points)
                return
            source = rng.choice(shape.sources)
            points = 20 + 20 * int(rng.random() * 20) if source != "purchase" else 5 + int(rng.random() * 396)
            self.earn(when, shape.main_currency, source, points)
            return
        if kind == "expire":
            self.expire(self.bonuses.pop(bonus), when)
            return
        points = rng.choice((100, 250, 250, 500))
        self.bonuses[bonus] = self.earn(when, shape.bonus_currency or "", shape.bonus_source, points)

    def account(self, currency: str, when: int) -> _Account:
        account = self.accounts.get(currency)
        if account is None:
            account = self.accounts[currency] = _Account(self.generator.ids.take("accounts"), currency)
        account.updated_at = max(account.updated_at, when)
        return account

    def transaction(
        self,
        kind: str,
        currency: str,
        points: int,
        source: str | None,
        when: int,
        effective_at: int,
        *,
        expired_lot_pk: int = 0,
    ) -> int:
        """The transaction row, as the bulk award, Redeem or the expiry job write it; returns its pk."""
        pk = self.generator.ids.take("ledger_transactions")
        transaction_id = self.generator.transaction_id()
        if kind == "expire":  # the expiry job's: its origin is the lot
            origin, origin_id, reason_code, request_id, actor = "expiry", "", "EXPIRED", "", "system"
            origin_id = str(expired_lot_pk)
        else:
            request_id = f"scale-{self.context.seed}-{pk}"
            origin, origin_id, actor = ("bulk_award", request_id, ACTOR)
            reason_code = "BULK_AWARD"
            if kind == "spend":
                origin, reason_code = "redemption", "REDEEMED"
        time = self.generator.time
        self.rows["ledger_transactions"].append(
            (
                pk, self.context.tenant_id, transaction_id, kind, self.member_pk, currency, points, 0,
                source, origin, origin_id, "", reason_code, "", request_id, actor,
                time(effective_at), time(when),
            )
        )  # fmt: skip
        return pk

    def postings(
        self, transaction_pk: int, member_account_pk: int, program_account_pk: int, points: int
    ) -> None:
        """The member leg (`points`, signed) first, then the program account's, as the book writes them."""
        rows = self.rows["postings"]
        take = self.generator.ids.take
        tenant_id = self.context.tenant_id
        rows.append((take("postings"), tenant_id, transaction_pk, member_account_pk, points))
        rows.append((take("postings"), tenant_id, transaction_pk, program_account_pk, -points))

    def earn(self, when: int, currency: str, source: str, points: int) -> _Lot:
        account = self.account(currency, when)
        transaction_pk = self.transaction("earn", currency, points, source, when, when)
        self.postings(transaction_pk, account.pk, self.context.program_pks[f"issuance/{currency}"], points)
        expires_at = self.generator.expires_at(currency, when)
        pending_s = self.context.shape.pending_s[source]
        lot = _Lot(
            self.generator.ids.take("lots"), account.pk, transaction_pk, source, points, points,
            expires_at, when + pending_s, when,
        )  # fmt: skip
        (self.main_lots if currency == self.context.shape.main_currency else self.bonus_lots).append(lot)
        if pending_s and when + pending_s <= self.context.now:
            # The settlement that released it (the expiry job's, on time) wrote the account then.
            account.updated_at = max(account.updated_at, when + pending_s)
        account.posted += points
        account.earned += points
        account.add_source(source, points, points)
        if currency in self.context.shape.qualifying:
            self.count_qualifying(when, points)
        return lot

    def spend(self, when: int, points: int) -> None:
        """Soonest-expiring first: the main currency never expires, so oldest lot first."""
        currency = self.context.shape.main_currency
        account = self.account(currency, when)
        transaction_pk = self.transaction("spend", currency, -points, None, when, when)
        self.postings(transaction_pk, account.pk, self.context.program_pks[f"redemption/{currency}"], -points)
        left = points
        draws = self.rows["lot_draws"]
        for lot in self.main_lots:
            if left == 0:
                break
            if lot.available == 0 or lot.spendable_at > when:
                continue
            share = min(lot.available, left)
            lot.available -= share
            left -= share
            account.add_source(lot.source, 0, -share)
            draws.append(
                (self.generator.ids.take("lot_draws"), self.context.tenant_id, transaction_pk, lot.pk, share)
            )
        assert left == 0, (self.member_id, points, left)
        account.posted -= points
        account.spent += points

    def expire(self, lot: _Lot, booked_at: int) -> None:
        """The expiry job's transaction for a lot that expired unspent, booked shortly after its time."""
        assert lot.expires_at is not None
        currency = self.context.shape.bonus_currency or ""
        account = self.account(currency, booked_at)
        transaction_pk = self.transaction(
            "expire", currency, -lot.available, lot.source, booked_at, lot.expires_at, expired_lot_pk=lot.pk
        )
        self.postings(
            transaction_pk, account.pk, self.context.program_pks[f"expiry/{currency}"], -lot.available
        )
        account.posted -= lot.available
        account.expired += lot.available
        account.add_source(lot.source, 0, -lot.available)
        lot.available = 0

    def count_qualifying(self, when: int, points: int) -> None:
        """The earn's UTC day; a threshold crossed upgrades at once (tier_rules, as the engine does)."""
        day = when // DAY_S
        self.qualifying[day] = self.qualifying.get(day, 0) + points
        self.qualifying_total += points
        self.last_qualifying_at = when
        # Points only grow inside the window, so the state changes only where a threshold is crossed.
        if self.qualifying_total < self.next_threshold and self.tier_evaluated:
            return
        shape = self.context.shape
        if not self.tier_evaluated and self.qualifying_total < self.next_threshold and shape.first_tier:
            self.tier = shape.first_tier
        else:
            moment = dt.datetime.fromtimestamp(when, dt.UTC)
            self.tier = tier_rules.evaluate(
                shape.program.tiers, self.tier, self.qualifying_total, moment
            ).state
        self.tier_evaluated = True
        above = [threshold for threshold in shape.thresholds if threshold > self.qualifying_total]
        self.next_threshold = above[0] if above else sys.maxsize

    def tier_columns(self) -> tuple[str | None, int | None, int | None]:
        if not self.tier_evaluated:
            return None, None, None
        assert self.last_qualifying_at is not None
        tiers = self.context.shape.program.tiers
        oldest = dt.date.fromordinal(_EPOCH_ORDINAL + min(self.qualifying))
        moment = dt.datetime.fromtimestamp(self.last_qualifying_at, dt.UTC)
        review = tier_rules.next_review(tiers, self.tier, oldest, moment)
        since = self.tier.tier_since
        return (
            self.tier.tier_id,
            None if since is None else int(since.timestamp()),
            None if review is None else int(review.timestamp()),
        )

    def write_accounts(self) -> None:
        """The lots, accounts, source balances and qualifying days, as of the load's now: settled,
        so a lot still pending is one whose return window has not closed yet."""
        tenant_id = self.context.tenant_id
        now = self.context.now
        time = self.generator.time
        notice_s = {
            code: currency.expiring_notice_days * DAY_S
            for code, currency in self.context.shape.program.currencies.items()
        }
        pending: dict[int, int] = {}
        settle_at: dict[int, int] = {}
        for currency, lots in (
            (self.context.shape.main_currency, self.main_lots),
            (self.context.shape.bonus_currency, self.bonus_lots),
        ):
            for lot in lots:
                pending_until = lot.spendable_at if lot.spendable_at > now else None
                due = [moment for moment in (pending_until, lot.expires_at) if moment is not None]
                if pending_until is not None:
                    pending[lot.account_pk] = pending.get(lot.account_pk, 0) + lot.available
                if lot.available > 0 and due:
                    settle_at[lot.account_pk] = min(settle_at.get(lot.account_pk, sys.maxsize), *due)
                notified = None
                if lot.expires_at is not None and lot.available == 0 and notice_s.get(currency or ""):
                    notified = lot.expires_at - notice_s[currency or ""]  # the expiry job's notice
                self.rows["lots"].append(
                    (
                        lot.pk, tenant_id, lot.account_pk, lot.transaction_pk, lot.source, lot.amount,
                        lot.available, time(lot.expires_at), time(pending_until), time(notified),
                        time(lot.created_at),
                    )
                )  # fmt: skip
        for account in sorted(self.accounts.values(), key=lambda account: account.pk):
            self.rows["accounts"].append(
                (
                    account.pk, tenant_id, f"member/{self.member_id}/{account.currency}", "member",
                    self.member_pk, account.currency, account.posted, 0, pending.get(account.pk, 0), 0,
                    account.earned, account.spent, account.expired, time(settle_at.get(account.pk)),
                    time(account.updated_at),
                )
            )  # fmt: skip
            for source, (earned, remaining) in account.sources.items():
                self.rows["source_balances"].append((tenant_id, account.pk, source, earned, remaining))
        for day, points in self.qualifying.items():
            self.rows["qualifying_points"].append(
                (tenant_id, self.member_pk, self.generator.day(day), points)
            )


# --- writing -----------------------------------------------------------------------------------------


class SqliteTimes:
    """Epoch seconds -> the text SQLAlchemy stores for a UTC datetime on SQLite (day texts cached)."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}

    def __call__(self, seconds: int | None) -> str | None:
        if seconds is None:
            return None
        day, rest = divmod(seconds, DAY_S)
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = sqlite_day(day)
        hours, rest = divmod(rest, 3600)
        return f"{text} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"


def sqlite_day(day: int) -> str:
    return dt.date.fromordinal(_EPOCH_ORDINAL + day).isoformat()


def postgres_time(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


def postgres_day(day: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + day)


class SqliteWriter:
    """A plain sqlite3 connection: a transaction per chunk, executemany per table."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=OFF")  # the load only; the engine sets FULL
        self.connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_MIB * 1024}")
        self.time = SqliteTimes()
        self.dropped: list[str] = []

    def next_ids(self) -> dict[str, int]:
        return {
            table: self.connection.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608
            for table in ID_TABLES
        }

    def drop_indexes(self) -> None:
        """Secondary (CREATE INDEX) indexes of the loaded tables; UNIQUE constraints stay in the table."""
        names = ", ".join(f"'{table}'" for table in COLUMNS)
        query = (
            "SELECT name, sql FROM sqlite_master"  # noqa: S608 (table names are ours)
            f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names})"
        )
        for name, sql in self.connection.execute(query).fetchall():
            self.connection.execute(f'DROP INDEX "{name}"')
            self.dropped.append(sql)

    def build_indexes(self) -> None:
        for sql in self.dropped:
            self.connection.execute(sql)
        self.dropped = []

    def write(self, chunk: Chunk) -> None:
        self.connection.execute("BEGIN")
        for table, rows in chunk.rows.items():
            if not rows:
                continue
            columns = COLUMNS[table]
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
            self.connection.executemany(statement, rows)
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection.close()


class PostgresWriter:
    """asyncpg COPY inside one transaction: indexes and constraints dropped first, built at the end."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str]] = []  # (table, name, definition)

    async def next_ids(self) -> dict[str, int]:
        ids = {}
        for table in ID_TABLES:
            ids[table] = await self.connection.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return ids

    async def drop_indexes(self) -> None:
        tables = list(COLUMNS)
        # Unique and foreign-key constraints of the loaded tables (not their primary keys);
        # unique ones before foreign keys when added again, since a foreign key may need one.
        rows = await self.connection.fetch(
            "SELECT c.conrelid::regclass::text AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def"
            " FROM pg_constraint c WHERE c.contype IN ('u', 'f')"
            " AND c.conrelid::regclass::text = ANY($1::text[]) ORDER BY c.contype DESC",
            tables,
        )
        for row in rows:
            self.constraints.append((row["tbl"], row["conname"], row["def"]))
        for table, name, _ in reversed(self.constraints):  # foreign keys first
            await self.connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        indexes = await self.connection.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def"
            " FROM pg_index i WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            tables,
        )
        for row in indexes:
            await self.connection.execute(f'DROP INDEX "{row["name"]}"')
            self.indexes.append(row["def"])

    async def build_indexes(self) -> None:
        for definition in self.indexes:
            await self.connection.execute(definition)
        for table, name, definition in self.constraints:
            await self.connection.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        self.indexes, self.constraints = [], []

    async def write(self, chunk: Chunk) -> None:
        for table, rows in chunk.rows.items():
            if rows:
                await self.connection.copy_records_to_table(table, records=rows, columns=COLUMNS[table])

    async def reset_sequences(self) -> None:
        """Serial ids continue after the loaded rows."""
        for table in ID_TABLES:
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )


# --- the pipeline: generation in a second process, writing in this one ------------------------------


def _generate(
    context: Context, first_ids: dict[str, int], members: int, transactions: int
) -> Iterator[Chunk]:
    generator = Generator(context, Ids(dict(first_ids)))
    for first, count, share in _chunks(members, transactions):
        yield generator.chunk(first, count, share)


def _produce(context: Context, first_ids: dict[str, int], members: int, transactions: int, out: Any) -> None:
    """The generating process: chunks into the queue, then None."""
    for chunk in _generate(context, first_ids, members, transactions):
        out.put(chunk)
    out.put(None)


def generated_chunks(
    context: Context, first_ids: dict[str, int], members: int, transactions: int
) -> Iterator[Chunk]:
    """The chunks in order. Large loads generate them in a second process (the other core) while
    the caller writes, at most QUEUE_CHUNKS ahead; small ones in this process."""
    if transactions < PRODUCER_MIN_TRANSACTIONS:
        yield from _generate(context, first_ids, members, transactions)
        return
    spawn = multiprocessing.get_context("spawn")  # no fork of an event loop or open connections
    chunks = spawn.Queue(maxsize=QUEUE_CHUNKS)
    producer = spawn.Process(
        target=_produce, args=(context, first_ids, members, transactions, chunks), daemon=True
    )
    producer.start()
    try:
        while True:
            try:
                chunk = chunks.get(timeout=PRODUCER_POLL_S)
            except queue.Empty:
                if not producer.is_alive():
                    raise RuntimeError(
                        f"scale_load: the generating process died ({producer.exitcode})"
                    ) from None
                continue
            if chunk is None:
                break
            yield chunk
        producer.join()
    finally:
        if producer.is_alive():
            producer.terminate()  # our own child, stopped when the writer failed
            producer.join()


# --- the load ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    tenant_id: int
    program: Program


async def _prepare(database_url: str, tenant_code: str, program_path: Path) -> _Target:
    """Migrate, make sure the tenant exists (the default one is created as the server would)."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        clock = SystemClock()
        tenant = await get_tenant(engine, tenant_code)
        if tenant is None and tenant_code == "default":
            tenant = await ensure_default_tenant(engine, clock)
        if tenant is None:
            raise SystemExit(f"scale_load: no tenant {tenant_code!r}")
        return _Target(tenant.id, tenant_program(tenant, load_program_file(program_path)))
    finally:
        await engine.dispose()


def _program_account_names(shape: Shape) -> list[tuple[str, str]]:
    """(kind, currency) of the program accounts the history posts to."""
    names = [("issuance", shape.main_currency), ("redemption", shape.main_currency)]
    if shape.bonus_currency:
        names += [("issuance", shape.bonus_currency), ("expiry", shape.bonus_currency)]
    return names


def _chunks(members: int, transactions: int) -> Iterator[tuple[int, int, int]]:
    """(first index, members, transactions) per chunk: transactions shared out in proportion."""
    per_member = max(transactions / members, 1.0) if members else 1.0
    chunk_members = max(1, int(CHUNK_TRANSACTIONS / per_member))
    done_members = done_transactions = 0
    while done_members < members:
        count = min(chunk_members, members - done_members)
        upto = transactions * (done_members + count) // members
        yield done_members, count, upto - done_transactions
        done_members += count
        done_transactions = upto


def _sample_indexes(members: int) -> list[int]:
    count = min(members, SAMPLE_MEMBER_IDS)
    return sorted({int(i * members / count) for i in range(count)}) if count else []


class _Progress:
    def __init__(self, total_members: int, quiet: bool) -> None:
        self.total = total_members
        self.quiet = quiet
        self.started = time.monotonic()
        self.rows = 0
        self.counts: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def add(self, chunk: Chunk) -> None:
        for table, rows in chunk.rows.items():
            self.counts[table] += len(rows)
            self.rows += len(rows)
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(
                f"  {chunk.members_done:>10,} / {self.total:,} members, "
                f"{self.counts['postings']:>12,} postings, "
                f"{self.rows:>12,} rows in {elapsed:6.1f} s ({self.rows / max(elapsed, 1e-9):,.0f} rows/s)",
                file=sys.stderr,
                flush=True,
            )

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"  {message} ({time.monotonic() - self.started:.1f} s)", file=sys.stderr, flush=True)


async def load(
    database_url: str,
    *,
    members: int,
    postings: int,
    tenant: str = "default",
    program_path: Path | str = DEMO_PROGRAM,
    seed: int | None = None,
    rebuild_indexes: bool = True,
    quiet: bool = False,
) -> LoadReport:
    """Load `members` members and `postings` postings (rounded down to even: two per transaction)
    into the tenant's books; migrates the database and creates the default tenant first if needed.
    `program_path`: the program the server runs for the default tenant (another tenant's own program
    is read from the database). `rebuild_indexes`: drop the loaded tables' secondary indexes before
    and build them after (faster at scale). `seed`: member ids follow from it (default: random)."""
    if members < 0 or postings < 0 or (members == 0 and postings):
        raise ValueError("scale_load: members >= 0, postings >= 0, and postings need members")
    started = time.monotonic()
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
    target = await _prepare(database_url, tenant, Path(program_path))
    url = make_url(database_url)
    database = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    zone_name = target.program.default_time_zone
    context = Context(
        shape=shape_of(target.program),
        tenant_id=target.tenant_id,
        seed=seed,
        now=int(time.time()),
        program_pks={},
        zone=zoneinfo.ZoneInfo(zone_name),
        time_zone=zone_name,
        database=database,
    )
    progress = _Progress(members, quiet)
    transactions = postings // 2
    if database == "sqlite":
        index_seconds, first_member_pk = _load_sqlite(
            url.database or "", context, members, transactions, rebuild_indexes, progress
        )
    else:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        index_seconds, first_member_pk = await _load_postgres(
            dsn, context, members, transactions, rebuild_indexes, progress
        )
    counts = progress.counts
    return LoadReport(
        database=database,
        tenant_id=target.tenant_id,
        seed=seed,
        as_of=dt.datetime.fromtimestamp(context.now, dt.UTC),
        first_member_pk=first_member_pk,
        members=counts["members"],
        accounts=counts["accounts"],
        transactions=counts["ledger_transactions"],
        postings=counts["postings"],
        lots=counts["lots"],
        lot_draws=counts["lot_draws"],
        other_rows=counts["source_balances"] + counts["qualifying_points"],
        seconds=time.monotonic() - started,
        index_seconds=index_seconds,
        sample_member_ids=[member_id_of(seed, index) for index in _sample_indexes(members)],
    )


def _sqlite_program_accounts(writer: SqliteWriter, context: Context) -> dict[str, int]:
    """The program accounts, created as the book creates them (figures 0; only postings count)."""
    pks = {}
    for kind, currency in _program_account_names(context.shape):
        name = f"program/{kind}/{currency}"
        writer.connection.execute(
            "INSERT OR IGNORE INTO accounts (tenant_id, name, account_type, currency, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (context.tenant_id, name, kind, currency, writer.time(context.now)),
        )
        pks[f"{kind}/{currency}"] = writer.connection.execute(
            "SELECT id FROM accounts WHERE tenant_id = ? AND name = ?", (context.tenant_id, name)
        ).fetchone()[0]
    return pks


def _load_sqlite(
    path: str,
    context: Context,
    members: int,
    transactions: int,
    rebuild_indexes: bool,
    progress: _Progress,
) -> tuple[float, int]:
    writer = SqliteWriter(path)
    try:
        context = dataclasses.replace(context, program_pks=_sqlite_program_accounts(writer, context))
        first_ids = writer.next_ids()
        index_started = time.monotonic()
        if rebuild_indexes:
            writer.drop_indexes()
        index_seconds = time.monotonic() - index_started
        for chunk in generated_chunks(context, first_ids, members, transactions):
            writer.write(chunk)
            progress.add(chunk)
        index_started = time.monotonic()
        if rebuild_indexes:
            progress.say("building indexes")
            writer.build_indexes()
        index_seconds += time.monotonic() - index_started
    finally:
        writer.close()
    return index_seconds, first_ids["members"]


async def _postgres_program_accounts(connection: asyncpg.Connection, context: Context) -> dict[str, int]:
    pks = {}
    for kind, currency in _program_account_names(context.shape):
        name = f"program/{kind}/{currency}"
        await connection.execute(
            "INSERT INTO accounts (tenant_id, name, account_type, currency, updated_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            context.tenant_id,
            name,
            kind,
            currency,
            postgres_time(context.now),
        )
        pks[f"{kind}/{currency}"] = await connection.fetchval(
            "SELECT id FROM accounts WHERE tenant_id = $1 AND name = $2", context.tenant_id, name
        )
    return pks


async def _load_postgres(
    dsn: str,
    context: Context,
    members: int,
    transactions: int,
    rebuild_indexes: bool,
    progress: _Progress,
) -> tuple[float, int]:
    connection = await asyncpg.connect(dsn)
    try:
        context = dataclasses.replace(
            context, program_pks=await _postgres_program_accounts(connection, context)
        )
        writer = PostgresWriter(connection)
        async with connection.transaction():
            # Other writers wait rather than see a half-loaded book or the tables without indexes.
            await connection.execute(f"LOCK TABLE {', '.join(COLUMNS)} IN SHARE ROW EXCLUSIVE MODE")
            first_ids = await writer.next_ids()
            index_started = time.monotonic()
            if rebuild_indexes:
                await writer.drop_indexes()
            index_seconds = time.monotonic() - index_started
            for chunk in generated_chunks(context, first_ids, members, transactions):
                await writer.write(chunk)
                progress.add(chunk)
            index_started = time.monotonic()
            if rebuild_indexes:
                progress.say("building indexes and constraints")
                await writer.build_indexes()
            index_seconds += time.monotonic() - index_started
            await writer.reset_sequences()
        progress.say("analyzing")
        await connection.execute(f"ANALYZE {', '.join(COLUMNS)}")
    finally:
        await connection.close()
    return index_seconds, first_ids["members"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_load", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="sqlite:///FILE or postgresql://user@host/db")
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument(
        "--postings", type=int, required=True, help="rounded down to even (2 per transaction)"
    )
    parser.add_argument("--tenant", default="default", help="tenant code (default: %(default)s)")
    parser.add_argument("--program", default=str(DEMO_PROGRAM), help="the default tenant's program file")
    parser.add_argument("--seed", type=int, default=None, help="member ids follow from it (default: random)")
    parser.add_argument("--keep-indexes", action="store_true", help="insert with the indexes in place")
    args = parser.parse_args(argv)
    report = asyncio.run(
        load(
            args.database_url,
            members=args.members,
            postings=args.postings,
            tenant=args.tenant,
            program_path=args.program,
            seed=args.seed,
            rebuild_indexes=not args.keep_indexes,
        )
    )
    print(report.summary())
    last_pk = report.first_member_pk + report.members - 1
    print(f"seed {report.seed}; member pks {report.first_member_pk}..{last_pk}")
    if report.sample_member_ids:
        print(f"e.g. member {report.sample_member_ids[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
