"""ActivityService handlers: partner activities (being written)."""

from __future__ import annotations

from loyalty_server.activity.rpc.base import ActivityRpcBase


class ActivityRpcs(ActivityRpcBase):
    pass
