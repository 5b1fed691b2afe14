"""LedgerService handlers: balances."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class BalanceRpcs(LedgerRpcBase):
    pass
