"""The benchmark harness works end to end (tiny loads, no figure judged: speed is bench/'s business,
never a unit test's), and its report checks the issue's targets the way they are written."""

from __future__ import annotations

import math
import time
from pathlib import Path

import grpc
import pytest

from bench import report
from bench.harness import Measurement, Options, run_database
from bench.loadgen import LATE_ALLOWANCE_S, Load, _Recorder, percentile_ms
from bench.requests import RequestSpec
from bench.server import bench_settings
from loyalty_server.config import Settings
from tests.conftest import IN_CI, PG_URL


def test_percentiles_are_nearest_rank() -> None:
    latencies_us = list(range(1000, 101_000, 1000))  # 1 ms .. 100 ms
    assert percentile_ms(latencies_us, 0.50) == 50.0
    assert percentile_ms(latencies_us, 0.99) == 99.0
    assert percentile_ms([7000], 0.99) == 7.0
    assert math.isnan(percentile_ms([], 0.5))


def _m(scenario: str, mode: str, throughput: float, **figures: float) -> Measurement:
    values = {"p50_ms": 1.0, "p99_ms": 2.0, "half_p99_ms": 3.0, "server_rss_mb": 100.0} | figures
    return Measurement("sqlite", scenario, mode, "req/s", throughput, **values)  # type: ignore[arg-type]


def test_targets_are_judged_against_the_baseline_of_the_same_run() -> None:
    results = [
        _m("GetBalance", "baseline", 1000),
        _m("GetBalance", "engine", 750),
        _m("PostActivities x1", "baseline", 1000),
        _m("PostActivities x1", "engine", 349, half_p99_ms=25.1),
        _m("PostActivities x100", "engine", 10_000),
        _m("Streams (100 subscribers, 500 events/s)", "engine", 50_000, p99_ms=100.0),
        _m("GetBalance @ 1,000,000 members, 10,000,000 postings", "engine", 674, server_rss_mb=301),
    ]
    verdicts = {v.what: v.met for v in report.verdicts(results)}
    assert verdicts == {
        "GetBalance vs baseline": True,  # exactly 75 %
        "GetBalance p99 at half load": True,
        "PostActivities x1 vs baseline": False,  # 34.9 %
        "PostActivities x1 p99 at half load": False,  # 25.1 ms
        "batched activities": True,
        "PostActivities x100 p99 at half load": True,
        "stream lag p99": True,
        "GetBalance @ 1,000,000 members, 10,000,000 postings vs 1,000": False,  # 89.9 %
        "GetBalance @ 1,000,000 members, 10,000,000 postings server RSS": False,
    }
    assert "MISSED" in report.verdict_table(report.verdicts(results))


def test_a_stream_lag_is_met_only_when_every_event_was_delivered_at_the_rate() -> None:
    on_time = _m("Streams (100 subscribers, 500 events/s)", "engine", 50_000, p99_ms=40.0)
    short = _m("Streams (100 subscribers, 500 events/s)", "engine", 20_000, p99_ms=40.0)
    short.errors = {"UNAVAILABLE": 2542, "UNDELIVERED": 30_000}  # the writer refused, events lost
    (met,) = report.verdicts([on_time])
    (missed,) = report.verdicts([short])
    assert (met.met, missed.met) == (True, False)
    assert "UNAVAILABLE 2542" in missed.measured


def test_a_ratio_is_the_median_of_the_rounds_ratios_so_drift_between_rounds_cancels() -> None:
    # The machine slowed down in round 2 for both: the ratio of the medians (900/1000) would say 90 %.
    engine = _m("GetBalance", "engine", 900, round_throughputs=[900, 450, 950])
    baseline = _m("GetBalance", "baseline", 1000, round_throughputs=[1000, 500, 1300])
    assert report.paired_ratio(engine, baseline) == pytest.approx(0.9)  # of 0.9, 0.9 and 0.73
    slower = _m("GetBalance", "engine", 900, round_throughputs=[700, 350, 950])
    assert report.paired_ratio(slower, baseline) == pytest.approx(0.7)  # of 0.7, 0.7 and 0.73
    assert report.paired_ratio(_m("GetBalance", "engine", 600), _m("GetBalance", "baseline", 800)) == 0.75
    unpaired = _m("GetBalance", "engine", 600, round_throughputs=[600])
    assert report.paired_ratio(unpaired, baseline) == 0.6  # rounds that do not pair: the figures


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_tiny_run_measures_engine_and_baseline_without_errors(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database == "postgresql":
        request.getfixturevalue("postgres_server_url")  # skips (or fails under CI) without a server
    options = Options(
        database=database,
        run_dir=tmp_path / database,
        postgres_url=PG_URL,
        duration_s=0.6,
        warmup_s=0.2,
        rounds=2,  # the servers take turns: baseline first, then engine first
        members=10,
        subscribers=3,
        stream_events_per_s=20.0,
        scenarios=("GetBalance", "PostActivities x1") if database == "sqlite" else ("GetBalance",),
        scale_members=50 if database == "sqlite" else 0,
        scale_postings=200,
    )
    results = run_database(options)
    measured = {(m.scenario, m.mode) for m in results}
    assert ("GetBalance", "baseline") in measured
    assert ("GetBalance", "engine") in measured
    assert any(m.scenario.startswith("Streams") for m in results)
    for m in results:
        assert m.errors == {}, (m.scenario, m.mode, m.errors)
        assert m.throughput > 0, (m.scenario, m.mode)
        if not m.scenario.startswith("Streams"):
            assert len(m.round_throughputs) == 2, (m.scenario, m.mode)
            assert m.throughput in m.round_throughputs  # the median round's (the lower of two)
            assert m.throughput == min(m.round_throughputs)
    report.write_json(tmp_path / "results.json", results, report.verdicts(results), {"ci": IN_CI})
    assert '"targets"' in (tmp_path / "results.json").read_text()


def test_a_sqlite_database_left_in_the_run_dir_is_not_reused(tmp_path: Path) -> None:
    """A run stopped half-way (or --run-dir given again) leaves a database: the next run starts new."""
    from bench import setup

    for name in ("loyalty.db", "loyalty.db-wal", "loyalty.db-shm"):
        (tmp_path / name).write_bytes(b"left by an earlier run")
    database = setup.sqlite_database(tmp_path)
    assert database.url == f"sqlite:///{tmp_path / 'loyalty.db'}"
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_the_baseline_runs_no_background_job_and_the_engine_runs_them_as_deployed(tmp_path: Path) -> None:
    """Both share one database: a job of the baseline that writes would make the engine's writer wait
    for the lock (bench/server.py)."""
    noop = bench_settings("sqlite:///x.db", str(tmp_path), None, mode="noop")
    engine = bench_settings("sqlite:///x.db", str(tmp_path), None, mode="engine")
    defaults = Settings(database_url="sqlite:///x.db", data_dir=str(tmp_path))
    day_s = 24 * 3600
    assert noop.event_poll_interval_ms >= day_s * 1000
    intervals = ("webhook_poll_interval_s", "expiry_interval_s", "tier_interval_s")
    intervals += ("health_purge_interval_s", "event_retention_interval_s")
    for name in intervals:
        assert getattr(noop, name) >= day_s, name
        assert getattr(engine, name) == getattr(defaults, name), name
    assert engine.event_poll_interval_ms == defaults.event_poll_interval_ms


def test_only_a_call_scheduled_at_the_windows_end_may_return_late() -> None:
    """A stream writer's call scheduled just before the window's end may have its event stamped after
    it: the streams' BEHIND check allows for those, not for a backlog's (bench/harness.py)."""
    load = Load("127.0.0.1:1", "/m", RequestSpec("get_balance", "r"), (), duration_s=60.0, warmup_s=0.0)
    recorder = _Recorder(load)
    recorder.record(recorder.window_start, grpc.StatusCode.OK)  # returns now: inside the window
    recorder.record(recorder.window_start, grpc.StatusCode.UNAVAILABLE)
    now = time.perf_counter()
    recorder.window_start, recorder.end = now - 60.0, now  # the window closed as these returned:
    recorder.record(now - LATE_ALLOWANCE_S / 2, grpc.StatusCode.OK)  # sent at its very end
    recorder.record(now - 10.0, grpc.StatusCode.OK)  # queued for 10 s: a backlog, not the edge
    assert (recorder.sample.ok, recorder.sample.finished_late) == (3, 1)
