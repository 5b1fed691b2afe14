"""`python -m examples.newstore_pos`: play the NewStore POS scenario against a running engine.

Needs a service account with role `pos`: `loyalty service-accounts create --name pos --role pos`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid

from examples.newstore_pos.adapter import LoyaltyAdapter
from examples.newstore_pos.scenario import ScenarioFailed, play
from loyalty.client import LoyaltyClient, LoyaltyError, Tls


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.newstore_pos", description=__doc__)
    parser.add_argument("--target", default=os.environ.get("LOYALTY_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--client-id", default=os.environ.get("LOYALTY_CLIENT_ID"))
    parser.add_argument(
        "--client-secret-env",
        default="LOYALTY_CLIENT_SECRET",
        help="the environment variable holding the secret (never a flag: flags show in `ps`)",
    )
    parser.add_argument("--ca-file", help="TLS with this CA (default: plaintext)")
    parser.add_argument("--store-id", default="store-berlin-1")
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:8], help="prefix of this run's NewStore ids")
    return parser.parse_args(argv)


async def main(argv: list[str]) -> int:
    args = parse_args(argv)
    secret = os.environ.get(args.client_secret_env)
    if not args.client_id or not secret:
        print(f"needs --client-id (or LOYALTY_CLIENT_ID) and ${args.client_secret_env}", file=sys.stderr)
        return 2
    tls = Tls(ca_file=args.ca_file) if args.ca_file else None
    print(f"NewStore POS adapter → {args.target}, store {args.store_id}, run {args.run_id}")
    async with LoyaltyClient(args.target, client_id=args.client_id, client_secret=secret, tls=tls) as client:
        try:
            view = await play(
                LoyaltyAdapter(client, store_id=args.store_id), run_id=args.run_id, store_id=args.store_id
            )
        except (LoyaltyError, ScenarioFailed) as failure:
            print(f"failed: {failure}", file=sys.stderr)
            return 1
    print(f"done: {view.loyalty_id} ends with {view.available_points} points, tier {view.tier}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
