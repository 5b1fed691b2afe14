"""One benchmark run on one database: the baseline and the engine under the same loads.

For each unary scenario: a closed loop finds the saturation rate, then an open loop at half that rate
measures the latency a caller sees with headroom. The baseline (no-op servicers, same stack) serves
the same scenarios on the same database and token, so every engine figure has its ratio.

Both servers run side by side and the saturation loads take turns, round after round (baseline then
engine for each scenario, then the whole list the other way round): on a shared VM the machine's
speed drifts by 10-20 % over a minute, and measuring one server after the other would put that drift
into the ratio. Each figure is the round with the median throughput; every round's throughput is in
the JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import setup
from bench.loadgen import Load, LoadGenerator, Sample, percentile_ms
from bench.process import ServerProcess
from bench.requests import RequestSpec
from bench.streams import events_written, run_streams

PROGRAM = Path(__file__).resolve().parent / "program.toml"


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    kind: str
    batch: int = 1  # units per call (activities per PostActivities)
    concurrency: int = 32
    unit: str = "req/s"


SCENARIOS = (
    Scenario("GetBalance", "/loyalty.v1.LedgerService/GetBalance", "get_balance"),
    Scenario("PostActivities x1", "/loyalty.v1.ActivityService/PostActivities", "post_activities"),
    Scenario(
        "PostActivities x100",
        "/loyalty.v1.ActivityService/PostActivities",
        "post_activities",
        batch=100,
        concurrency=4,
        unit="activities/s",
    ),
    Scenario("RecordPurchase", "/loyalty.v1.ActivityService/RecordPurchase", "record_purchase"),
    # The streams' writer: one member.enrolled event a call (no target of its own).
    Scenario("EnrollMember", "/loyalty.v1.LedgerService/EnrollMember", "enroll_member"),
)


@dataclass(frozen=True)
class Options:
    database: str  # "sqlite" or "postgresql"
    run_dir: Path
    postgres_url: str
    duration_s: float = 10.0
    warmup_s: float = 2.0
    rounds: int = 3  # saturation loads per scenario and server, taking turns (see the module notes)
    members: int = 1000
    processes: int = 1  # load generator processes (the server has the other core)
    subscribers: int = 100
    stream_events_per_s: float = 500.0
    # StreamEvents' max_events_per_message, one streams run each: 1 (the default: one event a
    # message) and batched (events ready together share a message).
    stream_batches: tuple[int, ...] = (1, 100)
    scenarios: tuple[str, ...] = ()  # names to run; empty = all
    streams: bool = True
    profile: bool = False
    scale_members: int = 0  # > 0: GetBalance again on a database loaded with this many members...
    scale_postings: int = 0  # ...and this many postings (bench/scale_load.py)


@dataclass
class Measurement:
    database: str
    scenario: str
    mode: str  # "engine" or "baseline"
    unit: str
    throughput: float
    p50_ms: float
    p99_ms: float
    half_rate: float = float("nan")
    half_p50_ms: float = float("nan")
    half_p99_ms: float = float("nan")
    errors: dict[str, int] = field(default_factory=dict)
    server_rss_mb: float = float("nan")
    server_cpu_s_per_1k: float = float("nan")  # server CPU seconds per 1000 calls, at saturation
    round_throughputs: list[float] = field(default_factory=list)  # every round's, in run order


def run_database(options: Options) -> list[Measurement]:
    options.run_dir.mkdir(parents=True, exist_ok=True)
    data_dir = options.run_dir / "data"
    database = (
        setup.sqlite_database(options.run_dir)
        if options.database == "sqlite"
        else setup.postgres_database(options.postgres_url)
    )
    with LoadGenerator(options.processes) as generator, contextlib.ExitStack() as scale_stack:
        # The big database first: its server then takes its turns in the same rounds as the others,
        # so "vs 1,000 members" compares figures measured minutes apart, not a quarter of an hour.
        try:
            scale = [_scale_contestant(options, scale_stack)] if options.scale_members else []
            return _run_on(generator, options, database, data_dir, scale)
        finally:
            setup.drop_database(options.postgres_url, database)


@dataclass(frozen=True)
class _Contestant:
    """One scenario on one server: what the rounds measure in turn."""

    scenario: Scenario
    mode: str  # "engine" or "baseline"
    server: ServerProcess
    spec: RequestSpec
    metadata: tuple[tuple[str, str], ...]


def _scale_contestant(options: Options, stack: contextlib.ExitStack) -> _Contestant:
    """GetBalance with a big database: members and postings bulk-loaded, then the same load as at
    1,000 members, over members spread across the whole range. Its server runs until `stack` ends."""
    from bench.scale_load import load

    scale_dir = options.run_dir / "scale"
    scale_dir.mkdir(parents=True, exist_ok=True)
    database = (
        setup.sqlite_database(scale_dir)
        if options.database == "sqlite"
        else setup.postgres_database(options.postgres_url)
    )
    stack.callback(setup.drop_database, options.postgres_url, database)
    loaded = asyncio.run(
        load(
            database.url, members=options.scale_members, postings=options.scale_postings, program_path=PROGRAM
        )
    )
    print(f"  loaded: {loaded.summary()}", flush=True)
    client_id, secret = setup.create_service_account(database.url, scale_dir / "data", PROGRAM)
    server = stack.enter_context(
        _server(dataclasses.replace(options, run_dir=scale_dir), database, "engine", "scale")
    )
    token = asyncio.run(setup.access_token(server.target, client_id, secret))
    return _Contestant(
        scenario=dataclasses.replace(
            SCENARIOS[0], name=f"GetBalance @ {loaded.members:,} members, {loaded.postings:,} postings"
        ),
        mode="engine",
        server=server,
        spec=RequestSpec("get_balance", "scale", tuple(loaded.sample_member_ids)),
        metadata=(("authorization", f"Bearer {token}"),),
    )


def _server(options: Options, database: setup.Database, mode: str, label: str) -> ServerProcess:
    profile = options.run_dir / f"profile-{label}.html" if options.profile and mode == "engine" else None
    return ServerProcess(
        mode,
        database.url,
        options.run_dir / "data",
        PROGRAM,
        options.run_dir / f"server-{label}.log",
        profile,
    )


def _run_on(
    generator: LoadGenerator,
    options: Options,
    database: setup.Database,
    data_dir: Path,
    extra: list[_Contestant],
) -> list[Measurement]:
    """The engine makes the token and the members (the no-op servicers cannot enroll anyone), then
    both servers (and the `extra` ones) take turns under the same loads."""
    run_id = uuid.uuid4().hex[:8]
    client_id, secret = setup.create_service_account(database.url, data_dir, PROGRAM)
    chosen = [s for s in SCENARIOS if not options.scenarios or s.name in options.scenarios]
    with (
        _server(options, database, "engine", "engine") as engine,
        _server(options, database, "noop", "baseline") as baseline,
    ):
        token = asyncio.run(setup.access_token(engine.target, client_id, secret))
        member_ids = tuple(asyncio.run(setup.enroll_members(engine.target, token, options.members, run_id)))
        metadata = (("authorization", f"Bearer {token}"),)
        servers = {"baseline": baseline, "engine": engine}
        contestants = [
            _Contestant(scenario, mode, server, _spec(scenario, mode, member_ids, run_id), metadata)
            for scenario in chosen
            for mode, server in servers.items()
        ]
        rounds = _saturation_rounds(generator, options, contestants + extra)
        own_rounds = rounds[: len(contestants)]
        results = [_measure(generator, options, c, r) for c, r in zip(contestants, own_rounds, strict=True)]
        if options.streams:
            for per_message in options.stream_batches:
                results.append(_measure_streams(generator, options, engine, metadata, run_id, per_message))
                _print(results[-1])
        extra_rounds = rounds[len(contestants) :]
        results += [_measure(generator, options, c, r) for c, r in zip(extra, extra_rounds, strict=True)]
    return results


@dataclass(frozen=True)
class _Saturated:
    """One closed-loop load at saturation, and the server CPU it took."""

    result: Sample
    cpu_s: float

    @property
    def calls_per_s(self) -> float:
        return self.result.ok / self.result.window_s


def _saturation_rounds(
    generator: LoadGenerator, options: Options, contestants: list[_Contestant]
) -> list[list[_Saturated]]:
    """Each contestant at saturation `options.rounds` times, all taking turns: in list order, then in
    reverse order, and so on (so neither server always goes first). Per contestant, in run order."""
    assert options.rounds >= 1
    rounds: list[list[_Saturated]] = [[] for _ in contestants]
    for round_index in range(options.rounds):
        order = list(enumerate(contestants))
        for index, c in order if round_index % 2 == 0 else reversed(order):
            spec = _phase(c.spec, f"saturated-{round_index}")
            cpu_before = c.server.cpu_s()
            result = generator.run(_load(options, c.server, c.scenario, spec, c.metadata))
            rounds[index].append(_Saturated(result, c.server.cpu_s() - cpu_before))
            print(
                f"  round {round_index + 1}/{options.rounds} {c.mode:8} {c.scenario.name:28}"
                f" {rounds[index][-1].calls_per_s * c.scenario.batch:10.0f} {c.scenario.unit}",
                flush=True,
            )
    return rounds


def _load(
    options: Options,
    server: ServerProcess,
    scenario: Scenario,
    spec: RequestSpec,
    metadata: tuple[tuple[str, str], ...],
    rate: float = 0.0,
) -> Load:
    return Load(
        target=server.target,
        method=scenario.method,
        requests=spec,
        metadata=metadata,
        duration_s=options.duration_s,
        warmup_s=options.warmup_s,
        processes=options.processes,
        concurrency=scenario.concurrency,
        rate_per_s=rate,
    )


def _measure(
    generator: LoadGenerator, options: Options, contestant: _Contestant, rounds: list[_Saturated]
) -> Measurement:
    """The figures of the round with the median throughput, then latency at half that rate."""
    c, scenario = contestant, contestant.scenario
    median = sorted(rounds, key=lambda sample: sample.calls_per_s)[(len(rounds) - 1) // 2]
    saturated = median.result
    half_rate = max(1.0, median.calls_per_s / 2)
    half = generator.run(
        _load(options, c.server, scenario, _phase(c.spec, "half"), c.metadata, rate=half_rate)
    )
    codes = Counter(half.codes)
    dropped = half.dropped
    for sample in rounds:
        codes.update(sample.result.codes)
        dropped += sample.result.dropped
    errors = {code: n for code, n in codes.items() if code != "OK"}
    if dropped:
        errors["DROPPED"] = dropped
    measurement = Measurement(
        database=options.database,
        scenario=scenario.name,
        mode=c.mode,
        unit=scenario.unit,
        throughput=median.calls_per_s * scenario.batch,
        p50_ms=percentile_ms(saturated.latencies_us, 0.50),
        p99_ms=percentile_ms(saturated.latencies_us, 0.99),
        half_rate=half.ok / half.window_s * scenario.batch,
        half_p50_ms=percentile_ms(half.latencies_us, 0.50),
        half_p99_ms=percentile_ms(half.latencies_us, 0.99),
        errors=errors,
        server_rss_mb=c.server.rss_mb(),
        server_cpu_s_per_1k=median.cpu_s / max(1, sum(saturated.codes.values())) * 1000,
        round_throughputs=[sample.calls_per_s * scenario.batch for sample in rounds],
    )
    _print(measurement)
    return measurement


def _spec(scenario: Scenario, mode: str, member_ids: tuple[str, ...], run_id: str) -> RequestSpec:
    return RequestSpec(scenario.kind, f"{run_id}-{mode}-{scenario.kind}", member_ids, scenario.batch)


def _phase(spec: RequestSpec, phase: str) -> RequestSpec:
    """Each load writes under ids of its own: a write repeated from an earlier load would be a replay."""
    return dataclasses.replace(spec, run_id=f"{spec.run_id}-{phase}")


def _measure_streams(
    generator: LoadGenerator,
    options: Options,
    server: ServerProcess,
    metadata: tuple[tuple[str, str], ...],
    run_id: str,
    per_message: int,
) -> Measurement:
    writer = Load(
        target=server.target,
        method="/loyalty.v1.LedgerService/EnrollMember",  # exactly one event (member.enrolled) a call
        requests=RequestSpec("enroll_member", f"{run_id}-streams-{per_message}"),
        metadata=metadata,
        duration_s=options.duration_s,
        warmup_s=options.warmup_s,
        processes=generator.processes,
        rate_per_s=options.stream_events_per_s,
    )
    sample = run_streams(
        generator,
        writer,
        options.subscribers,
        subscriber_processes=generator.processes,
        per_message=per_message,
    )
    assert sample.writes is not None
    errors = {k: v for k, v in sample.writes.codes.items() if k != "OK"}
    for code, details in sample.writes.error_examples.items():
        print(f"  streams writer {code}: {details}", flush=True)
    # Judged by what the server wrote inside the window, not by what the writer sent: a server that
    # falls behind its writer writes fewer events there, and that is the writer's shortfall (BEHIND).
    # A write scheduled in the window's last 100 ms and answered after it may be stamped after it:
    # those few are not a shortfall (loadgen.LATE_ALLOWANCE_S). A backlog's late writes still are.
    written = asyncio.run(events_written(server.target, metadata, sample.window))
    expected = sample.writes.ok - sample.writes.finished_late
    if written < expected:
        errors["BEHIND"] = expected - written
    if sample.delivered < written * options.subscribers:
        errors["UNDELIVERED"] = written * options.subscribers - sample.delivered
    for code, count in sample.ended.items():
        errors[f"STREAMS_{code}"] = count
    return Measurement(
        database=options.database,
        scenario=f"Streams ({options.subscribers} subscribers, {options.stream_events_per_s:g} events/s)"
        + ("" if per_message == 1 else f", <= {per_message} a message"),
        mode="engine",
        unit="events/s delivered",
        throughput=sample.delivered / sample.window_s,
        p50_ms=percentile_ms(sample.lags_us, 0.50),
        p99_ms=percentile_ms(sample.lags_us, 0.99),
        errors=errors,
        server_rss_mb=server.rss_mb(),
    )


def _print(measurement: Measurement) -> None:
    m = measurement
    print(
        f"  {m.database:10} {m.mode:8} {m.scenario:28} {m.throughput:10.0f} {m.unit:18}"
        f" p50 {m.p50_ms:7.2f} p99 {m.p99_ms:7.2f} ms | at {m.half_rate:7.0f}: p50 {m.half_p50_ms:6.2f}"
        f" p99 {m.half_p99_ms:6.2f} ms | errors {m.errors or 0} | rss {m.server_rss_mb:.0f} MB",
        flush=True,
    )
