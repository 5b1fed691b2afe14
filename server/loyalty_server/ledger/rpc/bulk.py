"""LedgerService handlers: bulk."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class BulkRpcs(LedgerRpcBase):
    pass
