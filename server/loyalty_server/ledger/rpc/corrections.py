"""LedgerService handlers: corrections."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class CorrectionRpcs(LedgerRpcBase):
    pass
