"""ActivityService handlers: purchases and returns (being written)."""

from __future__ import annotations

from loyalty_server.activity.rpc.base import ActivityRpcBase


class PurchaseRpcs(ActivityRpcBase):
    pass
