"""The ActivityService servicer: the area mixins over the generated base class; requests' strings are
checked first (request_text.py)."""

from __future__ import annotations

from loyalty.v1 import activity_pb2, activity_pb2_grpc
from loyalty_server.activity.rpc.activities import ActivityRpcs
from loyalty_server.activity.rpc.purchases import PurchaseRpcs
from loyalty_server.request_text import check_request_strings


@check_request_strings(activity_pb2.DESCRIPTOR.services_by_name["ActivityService"])
class ActivityServicer(ActivityRpcs, PurchaseRpcs, activity_pb2_grpc.ActivityServiceServicer):
    pass
