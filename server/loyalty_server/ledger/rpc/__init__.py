"""LedgerService over gRPC: one mixin per area (members, balances, holds, rewards, tiers, corrections,
bulk, program), combined in `servicer.py`. Each handler is thin: proto in, domain call, proto out."""
