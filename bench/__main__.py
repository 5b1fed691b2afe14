"""`python -m bench` (`make bench`): the engine against the no-op baseline, on SQLite and PostgreSQL.

Prints one line per measurement as it goes, then the table and the targets; writes the results as
JSON (`--json`, default bench/results/latest.json). See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench import report
from bench.harness import SCENARIOS, Measurement, Options, run_database

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LOYALTY_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a server where the bench may create and drop a database of its own",
    )
    parser.add_argument("--duration-s", type=float, default=10.0, help="measured seconds per load")
    parser.add_argument("--warmup-s", type=float, default=2.0, help="unmeasured seconds before each")
    parser.add_argument(
        "--rounds", type=int, default=3, help="saturation loads per scenario and server, taking turns"
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=1, help="load generator processes")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--stream-events-per-s", type=float, default=500.0)
    parser.add_argument(
        "--scenarios",
        default="",
        help="comma-separated names; default all: " + ", ".join(s.name for s in SCENARIOS),
    )
    parser.add_argument("--no-streams", action="store_true")
    parser.add_argument("--scale", action="store_true", help="also GetBalance with 1M members, 10M postings")
    parser.add_argument("--scale-members", type=int, default=1_000_000)
    parser.add_argument("--scale-postings", type=int, default=10_000_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument profiles of the engine")
    parser.add_argument("--run-dir", help="where databases, logs and profiles go (default: a temp dir)")
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "latest.json"))
    parser.add_argument("--quick", action="store_true", help="a tiny run that checks the harness works")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.quick:
        args.duration_s, args.warmup_s, args.members, args.subscribers, args.rounds = 1.0, 0.5, 20, 5, 1
        args.stream_events_per_s, args.scale_members, args.scale_postings = 50.0, 2000, 20000
    run_root = Path(args.run_dir or tempfile.mkdtemp(prefix="loyalty-bench-"))
    results: list[Measurement] = []
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        options = Options(
            database=database,
            run_dir=run_root / database,
            postgres_url=args.postgres_url,
            duration_s=args.duration_s,
            warmup_s=args.warmup_s,
            rounds=args.rounds,
            members=args.members,
            processes=args.processes,
            subscribers=args.subscribers,
            stream_events_per_s=args.stream_events_per_s,
            scenarios=tuple(s.strip() for s in args.scenarios.split(",") if s.strip()),
            streams=not args.no_streams,
            profile=args.profile,
            scale_members=args.scale_members if args.scale else 0,
            scale_postings=args.scale_postings,
        )
        print(f"== {database} (run dir {options.run_dir})", flush=True)
        results.extend(run_database(options))
    found = report.verdicts(results)
    print("\n" + report.table(results) + "\n\n" + report.verdict_table(found))
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    report.write_json(json_path, results, found, {k: v for k, v in vars(args).items() if k != "postgres_url"})
    print(f"\nJSON: {json_path}")
    if not args.run_dir and not args.profile:
        shutil.rmtree(run_root, ignore_errors=True)
    errors = sum(sum(m.errors.values()) for m in results)
    return 1 if errors and args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
