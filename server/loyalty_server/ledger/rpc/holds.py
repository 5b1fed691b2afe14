"""LedgerService handlers: holds."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class HoldRpcs(LedgerRpcBase):
    pass
