"""The ActivityService servicer: the area mixins over the generated base class."""

from __future__ import annotations

from loyalty.v1 import activity_pb2_grpc
from loyalty_server.activity.rpc.activities import ActivityRpcs
from loyalty_server.activity.rpc.purchases import PurchaseRpcs


class ActivityServicer(ActivityRpcs, PurchaseRpcs, activity_pb2_grpc.ActivityServiceServicer):
    pass
