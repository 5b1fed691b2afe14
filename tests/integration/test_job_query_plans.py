"""The background jobs' scans use their indexes on SQLite, which plans without statistics: a scan
that walks a whole table runs every minute and at 1M members costs seconds of CPU a round."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy import Select
from sqlalchemy.dialects import sqlite

from loyalty_server.ledger import expiry_job, transactions
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import migrate

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _plan(database: Path, query: Select) -> list[str]:  # type: ignore[type-arg]
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with sqlite3.connect(database) as connection:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled}")]


async def test_expiring_notices_start_from_the_lots_inside_the_window(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    await migrate(engine)
    await engine.dispose()
    windows = {"points": NOW + dt.timedelta(days=7), "miles": NOW + dt.timedelta(days=30)}
    plan = _plan(tmp_path / "plans.db", expiry_job.notice_query(1, windows, NOW, 500))
    # The lots come first, through the expiry index and bounded by the widest window; accounts and
    # members are then found by primary key. Never "SCAN" and never every account of the tenant.
    assert plan[0] == "SEARCH lots USING INDEX ix_lots_expires_at (expires_at>? AND expires_at<?)", plan
    assert "SEARCH accounts USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not [step for step in plan if step.startswith("SCAN")], plan


async def test_reading_transactions_back_uses_indexes_only(tmp_path: Path) -> None:
    """Every write's response reads its transactions back: a scan of lots or postings there grows
    with the whole ledger (a lot scan made RecordPurchase ten times slower after a bench's rounds)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    await migrate(engine)
    await engine.dispose()
    for query in (transactions._TRANSACTIONS, transactions._POSTINGS, transactions._LOT_TIMES):
        plan = _plan(tmp_path / "plans.db", query.params(pks=[1, 2, 3]))
        assert not [step for step in plan if step.startswith("SCAN")], plan
    lot_plan = _plan(tmp_path / "plans.db", transactions._LOT_TIMES.params(pks=[1, 2, 3]))
    assert "SEARCH lots USING INDEX ix_lots_transaction_pk (transaction_pk=?)" in lot_plan, lot_plan
