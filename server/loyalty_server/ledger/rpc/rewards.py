"""LedgerService handlers: rewards."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class RewardRpcs(LedgerRpcBase):
    pass
