"""LedgerService handlers: members."""

from __future__ import annotations

from loyalty_server.ledger.rpc.base import LedgerRpcBase


class MemberRpcs(LedgerRpcBase):
    pass
