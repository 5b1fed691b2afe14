"""LedgerService handlers: tiers."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class TierRpcs(LedgerRpcBase):
    pass
