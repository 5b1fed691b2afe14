"""LedgerService handlers: program."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class ProgramRpcs(LedgerRpcBase):
    pass
