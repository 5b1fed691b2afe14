"""Imports on SQLite and PostgreSQL: members and points from files, replays on re-runs, refused rows
with their reasons, and resuming an interrupted import from its checkpoint."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.imports import checkpoint, run
from loyalty_server.imports.checkpoint import Counts
from loyalty_server.imports.fields import Outcome, Refused
from loyalty_server.imports.members import MemberImporter
from loyalty_server.imports.points import PointsImporter
from loyalty_server.imports.reader import ReadError
from loyalty_server.imports.run import ImportJob, run_import
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import lookup_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import ledger_transactions, lots
from loyalty_server.program import load_program_file
from loyalty_server.storage.schema import events
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PROGRAM = load_program_file(DEMO_PROGRAM)
MEMBERS_CSV = (
    "loyalty_id,email,phone,given_name,family_name,time_zone,enrollment_store_id\n"
    "C1,ada@example.com,+4915112345678,Ada,Lovelace,Europe/Berlin,S1\n"
    "C2,bob@example.com,,Bob,,,\n"
    "C3,,,Cy,,,\n"
)
POINTS_HEADER = "row_id,loyalty_id,currency,points,source,reason_code,expires_at,earned_at\n"


def _job(path: Path, *, resume: bool = True, tenant: str = "default") -> ImportJob:
    report = path.with_name(path.name + ".refused.csv")
    return ImportJob(
        source=path,
        file_format="jsonl" if path.suffix == ".jsonl" else "csv",
        tenant=tenant,
        report=report,
        state=checkpoint.state_path(path, report),
        resume=resume,
    )


async def _import(job: ImportJob, importer: run.Importer) -> Counts:
    return (await run_import(job, importer, progress_stream=io.StringIO())).counts


def _credit(row_id: str, loyalty_id: str, currency: str, points: object, source: str, **extra: str) -> dict:
    values = {"row_id": row_id, "loyalty_id": loyalty_id, "currency": currency, "points": points}
    return {**values, "source": source, "reason_code": "MIGRATION", **extra}


def _jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def _refused(job: ImportJob) -> list[str]:
    return job.report.read_text().splitlines()[1:]


async def _available(ledger: Ledger, tenant_id: int, loyalty_id: str) -> dict[str, int]:
    async with ledger.engine.connect() as connection:
        member = await lookup_member(connection, tenant_id, loyalty_id=loyalty_id)
    balance = await ledger.balance(tenant_id, member.member_id)
    return {currency.currency: currency.available for currency in balance.currencies}


async def test_members_and_points_then_a_rerun_changes_nothing(tmp_path, ledger, engine, tenant_id) -> None:
    members_file = tmp_path / "members.csv"
    members_file.write_text(MEMBERS_CSV)
    points_file = tmp_path / "points.jsonl"
    points_file.write_text(
        _jsonl(
            _credit("p1", "C1", "permanent", 100, "bonus"),
            _credit("p2", "C1", "temporary", "40", "purchase", reason="old system"),
            _credit("p3", "C2", "permanent", 7, "healthy_choice"),
        )
    )
    members, points = MemberImporter(ledger, tenant_id), PointsImporter(ledger, tenant_id)
    assert await _import(_job(members_file), members) == Counts(read=3, imported=3)
    assert await _import(_job(points_file), points) == Counts(read=3, imported=3)
    await check_invariants(engine)
    assert await _available(ledger, tenant_id, "C1") == {"permanent": 100, "temporary": 40}
    assert await _available(ledger, tenant_id, "C2") == {"permanent": 7, "temporary": 0}
    async with engine.connect() as connection:
        ada = await lookup_member(connection, tenant_id, loyalty_id="C1")
        bob = await lookup_member(connection, tenant_id, loyalty_id="C2")
    assert (ada.email, ada.phone, ada.time_zone, ada.enrollment_store_id) == (
        "ada@example.com",
        "+4915112345678",
        "Europe/Berlin",
        "S1",
    )
    assert (ada.enrollment_channel, bob.time_zone, bob.phone) == ("import", PROGRAM.default_time_zone, None)

    # Running both again finds only replays: nothing enrolled or credited twice.
    assert await _import(_job(members_file), members) == Counts(read=3, skipped=3)
    assert await _import(_job(points_file), points) == Counts(read=3, skipped=3)
    assert await _available(ledger, tenant_id, "C1") == {"permanent": 100, "temporary": 40}
    async with engine.connect() as connection:
        enrolled = await connection.scalar(select(func.count()).where(events.c.type == "member.enrolled"))
        earned = await connection.scalar(
            select(func.count()).where(ledger_transactions.c.origin_type == "import")
        )
    assert (enrolled, earned) == (3, 3)
    assert not _job(points_file).state.exists()  # a finished import leaves no checkpoint
    await check_invariants(engine)


async def test_refused_rows_are_reported_with_reasons(tmp_path, ledger, engine, clock, tenant_id) -> None:
    members_file = tmp_path / "members.csv"
    members_file.write_text(MEMBERS_CSV)
    await _import(_job(members_file), MemberImporter(ledger, tenant_id))
    points_file = tmp_path / "points.csv"
    points_file.write_text(
        POINTS_HEADER
        + "ok1,C1,permanent,10,bonus,MIGRATION,,\n"
        + "bad1,C9,permanent,10,bonus,MIGRATION,,\n"
        + "bad2,C1,permanent,ten,bonus,MIGRATION,,\n"
        + "bad3,C1,gold,10,bonus,MIGRATION,,\n"
        + "bad4,C1,permanent,10,bonus,MIGRATION,2026-13-01T00:00:00Z,\n"
        + "bad5,C1,permanent,10,bonus,MIGRATION,,2026-03-02T00:00:00+00:00\n"
        + "bad6,C1,permanent,10,bonus,MIGRATION,2026-02-01T00:00:00Z,\n"
        + "bad7,C1,permanent,0,bonus,MIGRATION,,\n"
        + ",C1,permanent,10,bonus,MIGRATION,,\n"
        + "bad9,C1,permanent,10,bonus,lower case,,\n"
        + "ok1,C1,permanent,11,bonus,MIGRATION,,\n"
        + "too,many,fields,1,2,3,4,5,6\n"
        + "ok2,C2,temporary,5,bonus,MIGRATION,2026-12-31T23:00:00-01:00,2026-02-01T00:00:00Z\n"
    )
    job = _job(points_file)
    counts = await _import(job, PointsImporter(ledger, tenant_id))
    assert counts == Counts(read=13, imported=2, refused=11)
    reasons = [line.split(",")[:3] for line in _refused(job)]
    assert reasons == [
        ["3", "bad1", "MEMBER_NOT_FOUND"],
        ["4", "bad2", "INVALID_VALUE"],
        ["5", "bad3", "UNKNOWN_CURRENCY"],
        ["6", "bad4", "INVALID_VALUE"],
        ["7", "bad5", "INVALID_VALUE"],
        ["8", "bad6", "EXPIRE_TIME_INVALID"],
        ["9", "bad7", "INVALID_AMOUNT"],
        ["10", "", "MISSING_VALUE"],
        ["11", "bad9", "REASON_CODE_INVALID"],
        ["12", "ok1", "ROW_ID_REUSED"],
        ["13", "", "WRONG_FIELD_COUNT"],
    ]
    assert "row_id ok1 was imported with another points" in _refused(job)[9]
    # The explicit expiry and the earning time are the row's.
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(ledger_transactions.c.effective_at, lots.c.expires_at, ledger_transactions.c.actor)
                .join(lots, lots.c.transaction_pk == ledger_transactions.c.id)
                .where(ledger_transactions.c.origin_id == "ok2")
            )
        ).one()
    assert row.effective_at == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    assert row.expires_at == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    await check_invariants(engine)


async def test_members_already_enrolled_elsewhere(tmp_path, ledger, engine, tenant_id) -> None:
    # Enrolled at a POS, not by an import: the same details are a replay, others are refused.
    pos = {"channel": "pos", "given_name": "Bob"}
    await ledger.enroll(tenant_id, request_id="pos-1", loyalty_id="C2", email="bob@example.com", **pos)
    await ledger.enroll(tenant_id, request_id="pos-2", loyalty_id="C3", **{**pos, "given_name": "Other"})
    members_file = tmp_path / "members.jsonl"
    members_file.write_text(
        '{"loyalty_id": "C2", "email": "BOB@example.com", "given_name": "Bob"}\n'
        '{"loyalty_id": "C3", "given_name": "Cy"}\n'
        '{"loyalty_id": "C4", "emial": "typo@example.com"}\n'
        '{"loyalty_id": "C5", "email": "bob@example.com"}\n'
        '{"email": "c6@example.com"}\n'
        '{"loyalty_id": 12345}\n'
        f'{{"loyalty_id": "C7", "enrollment_store_id": "{"S" * 65}"}}\n'
    )
    job = _job(members_file)
    assert await _import(job, MemberImporter(ledger, tenant_id)) == Counts(
        read=7, imported=1, skipped=1, refused=5
    )
    assert [line.split(",")[:3] for line in _refused(job)] == [
        ["2", "C3", "MEMBER_DIFFERS"],
        ["3", "C4", "BAD_COLUMNS"],
        ["4", "C5", "EMAIL_TAKEN"],
        ["5", "", "BAD_COLUMNS"],
        ["7", "C7", "INVALID_VALUE"],
    ]
    assert "loyalty id C3 is enrolled with another given_name" in _refused(job)[0]
    async with engine.connect() as connection:
        assert (await lookup_member(connection, tenant_id, loyalty_id="12345")).enrollment_channel == "import"


class _Crash(Exception):
    pass


class _CrashingImporter:
    """Applies rows until `crash_at` (a row's row_id), then fails like a lost database would."""

    def __init__(self, inner: PointsImporter, crash_at: str, on_crash: Any = None) -> None:
        self.inner, self.crash_at, self.on_crash = inner, crash_at, on_crash
        self.kind, self.columns = inner.kind, inner.columns

    def row_id(self, values: Mapping[str, Any]) -> str:
        return self.inner.row_id(values)

    async def apply(self, values: Mapping[str, Any]) -> Outcome:
        if values["row_id"] == self.crash_at:
            if self.on_crash:
                self.on_crash()
            raise _Crash()
        return await self.inner.apply(values)


async def _members(tmp_path: Path, ledger: Ledger, tenant_id: int, count: int) -> None:
    members_file = tmp_path / "members.csv"
    members_file.write_text("loyalty_id\n" + "".join(f"M{number}\n" for number in range(count)))
    assert (await _import(_job(members_file), MemberImporter(ledger, tenant_id))).imported == count


def _points_file(tmp_path: Path, count: int, bad: int) -> Path:
    lines = [
        f"r{number},M{number},permanent,{'x' if number == bad else number + 1},bonus,MIGRATION,,\n"
        for number in range(count)
    ]
    path = tmp_path / "points.csv"
    path.write_text(POINTS_HEADER + "".join(lines))
    return path


async def test_an_interrupted_import_resumes_after_the_last_row_done(
    tmp_path, ledger, engine, tenant_id, monkeypatch
) -> None:
    monkeypatch.setattr(run, "CHECKPOINT_EVERY_ROWS", 3)
    await _members(tmp_path, ledger, tenant_id, 10)
    path = _points_file(tmp_path, 10, bad=4)
    job = _job(path)
    points = PointsImporter(ledger, tenant_id)
    with pytest.raises(_Crash):
        await _import(job, _CrashingImporter(points, crash_at="r7"))
    saved = checkpoint.load(job.state)
    assert saved is not None
    assert (saved.position.line, saved.counts) == (8, Counts(read=7, imported=6, refused=1))
    assert len(_refused(job)) == 1

    result = await run_import(job, points, progress_stream=io.StringIO())
    assert result.resumed_at_line == 8
    assert result.counts == Counts(read=10, imported=9, refused=1)
    assert len(_refused(job)) == 1
    for number in range(10):
        expected = 0 if number == 4 else number + 1
        assert (await _available(ledger, tenant_id, f"M{number}"))["permanent"] == expected
    await check_invariants(engine)


async def test_after_a_hard_crash_the_rows_since_the_checkpoint_are_replays(
    tmp_path, ledger, engine, tenant_id, monkeypatch
) -> None:
    monkeypatch.setattr(run, "CHECKPOINT_EVERY_ROWS", 3)
    await _members(tmp_path, ledger, tenant_id, 10)
    path = _points_file(tmp_path, 10, bad=6)
    job = _job(path)
    points = PointsImporter(ledger, tenant_id)
    periodic: list[str] = []  # the checkpoint as the last periodic save left it: a kill -9 keeps only that

    def remember() -> None:
        periodic.append(job.state.read_text())

    with pytest.raises(_Crash):
        await _import(job, _CrashingImporter(points, crash_at="r8", on_crash=remember))
    job.state.write_text(periodic[0])
    assert checkpoint.load(job.state).counts == Counts(read=6, imported=6)
    with job.report.open("a") as report:  # the report got the refusal of row r6 before the kill
        report.write("8,r6,INVALID_VALUE,written after the checkpoint\n")

    counts = await _import(job, points)
    # r6 (refused) and r7 (imported before the crash) are done again: r7 is now a replay.
    assert counts == Counts(read=10, imported=8, skipped=1, refused=1)
    assert [line.split(",")[:2] for line in _refused(job)] == [["8", "r6"]]
    assert (await _available(ledger, tenant_id, "M7"))["permanent"] == 8
    await check_invariants(engine)


async def test_checkpoints_belong_to_one_import(tmp_path, ledger, tenant_id, monkeypatch) -> None:
    monkeypatch.setattr(run, "CHECKPOINT_EVERY_ROWS", 2)
    await _members(tmp_path, ledger, tenant_id, 4)
    path = _points_file(tmp_path, 4, bad=-1)
    points = PointsImporter(ledger, tenant_id)
    with pytest.raises(_Crash):
        await _import(_job(path), _CrashingImporter(points, crash_at="r2"))
    with pytest.raises(ReadError, match="is of another import"):
        await _import(_job(path, tenant="Germany"), points)
    # --restart ignores the checkpoint: every row again, the first two as replays.
    assert await _import(_job(path, resume=False), points) == Counts(read=4, imported=2, skipped=2)


async def test_a_bad_header_stops_before_any_row(tmp_path, ledger, tenant_id) -> None:
    path = tmp_path / "points.csv"
    path.write_text("row_id,loyalty_id,points,source,reason_code,note\nr1,C1,5,bonus,X,\n")
    with pytest.raises(ReadError) as raised:
        await _import(_job(path), PointsImporter(ledger, tenant_id))
    assert "missing column(s) currency; unknown column(s) note" in str(raised.value)
    assert not _job(path).report.exists()


async def test_a_rerun_skips_a_credit_that_paid_off_debt(ledger, tenant_id) -> None:
    from loyalty_server.ledger.reversals import reverse_origin

    member = await ledger.enroll(tenant_id, request_id="en", loyalty_id="CARD1")
    purchase = Entry(origin_type="purchase", origin_id="o1", reason_code="PURCHASE", request_id="k1")
    await ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=100, source_id="purchase", entry=purchase
    )
    spend = Entry(origin_type="redemption", origin_id="s1", reason_code="REDEEM", request_id="s1")
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=100, entry=spend)
    await reverse_origin(
        ledger, tenant_id, ("purchase", "o1", ""), None, reason_code="RETURN", reason="", request_id="r1"
    )
    balance = await ledger.balance(tenant_id, member.member_id)
    assert next(c for c in balance.currencies if c.currency == "permanent").debt == 100
    importer = PointsImporter(ledger, tenant_id)
    row = _credit("row-1", "CARD1", "permanent", "40", "purchase")  # 40 points, all of them pay off debt
    assert await importer.apply(row) is Outcome.IMPORTED
    assert await importer.apply(row) is Outcome.SKIPPED  # a resumed run re-reads rows after the checkpoint
    with pytest.raises(Refused, match="another points"):
        await importer.apply({**row, "points": "41"})  # a really different credit is still refused
