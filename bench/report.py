"""The benchmark's results: a table for people, JSON for tools, and the issue's targets checked."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.harness import Measurement

HALF_LOAD_P99_MS_MAX = 25.0
STREAM_LAG_P99_MS_MAX = 100.0
BATCH_ACTIVITIES_PER_S_MIN = 10_000.0
RATIO_MIN = {"GetBalance": 0.75, "PostActivities x1": 0.35}  # of the baseline's throughput
SCALE_RATIO_MIN = 0.90  # GetBalance at scale, of its throughput at 1,000 members
SCALE_RSS_MB_MAX = 300.0


@dataclass(frozen=True)
class Verdict:
    what: str
    target: str
    measured: str
    met: bool


def _find(results: Sequence[Measurement], database: str, scenario: str, mode: str) -> Measurement | None:
    for m in results:
        if m.database == database and m.scenario == scenario and m.mode == mode:
            return m
    return None


def ratio(results: Sequence[Measurement], m: Measurement) -> float:
    base = _find(results, m.database, m.scenario, "baseline")
    return math.nan if base is None else paired_ratio(m, base)


def paired_ratio(m: Measurement, base: Measurement) -> float:
    """The median of the per-round ratios: round i of both ran minutes apart at most, so the machine's
    drift between rounds cancels out. Without rounds (or a round at 0), the ratio of the two figures."""
    rounds, base_rounds = m.round_throughputs, base.round_throughputs
    if rounds and len(rounds) == len(base_rounds) and all(base_rounds):
        ratios = sorted(a / b for a, b in zip(rounds, base_rounds, strict=True))
        return ratios[(len(ratios) - 1) // 2]
    return m.throughput / base.throughput if base.throughput else math.nan


def verdicts(results: Sequence[Measurement]) -> list[Verdict]:
    """The issue's targets; they are set for SQLite, one server process, this 2-core machine."""
    found: list[Verdict] = []
    for m in results:
        if m.database != "sqlite" or m.mode != "engine" or m.scenario == "EnrollMember":
            continue  # the targets are SQLite's; EnrollMember is measured as the streams' writer only
        if m.scenario in RATIO_MIN:
            r = ratio(results, m)
            need = RATIO_MIN[m.scenario]
            found.append(Verdict(f"{m.scenario} vs baseline", f">= {need:.0%}", f"{r:.0%}", r >= need))
        if m.scenario == "PostActivities x100":
            found.append(
                Verdict(
                    "batched activities",
                    f">= {BATCH_ACTIVITIES_PER_S_MIN:,.0f}/s",
                    f"{m.throughput:,.0f}/s",
                    m.throughput >= BATCH_ACTIVITIES_PER_S_MIN,
                )
            )
        if m.scenario.startswith("Streams"):
            # At the rate, every event to every subscriber: a lag measured over what was delivered
            # while the writer was refused or subscribers were cut off is not the target's.
            shortfall = f" ({_errors(m.errors)})" if m.errors else ""
            found.append(
                Verdict(
                    "stream lag p99",
                    f"<= {STREAM_LAG_P99_MS_MAX:.0f} ms, all delivered",
                    f"{m.p99_ms:.1f} ms{shortfall}",
                    m.p99_ms <= STREAM_LAG_P99_MS_MAX and not m.errors,
                )
            )
        elif m.scenario.startswith("GetBalance @"):
            small = _find(results, m.database, "GetBalance", "engine")
            if small is not None:
                r = paired_ratio(m, small)
                found.append(
                    Verdict(
                        m.scenario + " vs 1,000",
                        f">= {SCALE_RATIO_MIN:.0%}",
                        f"{r:.0%}",
                        r >= SCALE_RATIO_MIN,
                    )
                )
            found.append(
                Verdict(
                    m.scenario + " server RSS",
                    f"<= {SCALE_RSS_MB_MAX:.0f} MB",
                    f"{m.server_rss_mb:.0f} MB",
                    m.server_rss_mb <= SCALE_RSS_MB_MAX,
                )
            )
        else:
            found.append(
                Verdict(
                    f"{m.scenario} p99 at half load",
                    f"<= {HALF_LOAD_P99_MS_MAX:.0f} ms",
                    f"{m.half_p99_ms:.1f} ms",
                    m.half_p99_ms <= HALF_LOAD_P99_MS_MAX,
                )
            )
    return found


def table(results: Sequence[Measurement]) -> str:
    header = (
        f"{'database':10} {'scenario':52} {'mode':8} {'throughput':>12} {'unit':18} {'ratio':>6}"
        f" {'p50 ms':>8} {'p99 ms':>8} | {'half load':>10} {'p50 ms':>7} {'p99 ms':>7}"
        f" | {'rss MB':>6}  errors"
    )
    lines = [header, "-" * len(header)]
    for m in results:
        r = ratio(results, m) if m.mode == "engine" else 1.0
        half = (
            f"{_num(m.half_rate, ',.0f'):>10} {_num(m.half_p50_ms, '.2f'):>7} {_num(m.half_p99_ms, '.2f'):>7}"
        )
        lines.append(
            f"{m.database:10} {m.scenario:52} {m.mode:8} {m.throughput:12,.0f} {m.unit:18}"
            f" {_num(r, '.0%'):>6} {m.p50_ms:8.2f} {m.p99_ms:8.2f} | {half}"
            f" | {m.server_rss_mb:6.0f}  {_errors(m.errors)}"
        )
    return "\n".join(lines)


def verdict_table(found: Sequence[Verdict]) -> str:
    lines = [f"{'target':48} {'wanted':>14} {'measured':>14}  "]
    for v in found:
        lines.append(f"{v.what:48} {v.target:>14} {v.measured:>14}  {'met' if v.met else 'MISSED'}")
    return "\n".join(lines)


def _num(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(errors.items())) or "-"


def write_json(
    path: Path, results: Sequence[Measurement], found: Sequence[Verdict], options: dict[str, object]
) -> None:
    document = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": options,
        "results": [{**asdict(m), "ratio": _json_number(ratio(results, m))} for m in results],
        "targets": [asdict(v) for v in found],
    }
    path.write_text(json.dumps(document, indent=2, default=_json_number) + "\n")


def _json_number(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
