"""The requests each benchmark sends, built in the load generator's processes.

A `RequestSpec` is plain data (it crosses the process boundary); `request_builder` turns it into a
function from the call's index to the serialized request. Reads cycle through the members; every
write gets ids that are unique in the run (run id, worker, index), so nothing is a replay.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from loyalty.v1 import activity_pb2, common_pb2, ledger_pb2

ACTIVITIES_PER_ENTRY_MAX = 10  # a batch is spread over several members, as a partner's would be
STEPS_PER_ACTIVITY = 4000  # 2 miles: 40 points under the bench program


@dataclass(frozen=True)
class RequestSpec:
    kind: str  # "get_balance", "post_activities", "record_purchase", "enroll_member"
    run_id: str
    member_ids: tuple[str, ...] = ()
    batch: int = 1  # activities per PostActivities call
    options: dict[str, str] = field(default_factory=dict)


def request_builder(spec: RequestSpec, worker_index: int) -> Callable[[int], bytes]:
    builders = {
        "get_balance": _get_balance,
        "post_activities": _post_activities,
        "record_purchase": _record_purchase,
        "enroll_member": _enroll_member,
    }
    return builders[spec.kind](spec, worker_index)


def _stride(count: int, worker_index: int, index: int) -> int:
    # A stride through the members, different per worker: spreads the load without a random source.
    return (index * 7919 + worker_index * 104_729) % count


def _member(spec: RequestSpec, worker_index: int, index: int) -> str:
    return spec.member_ids[_stride(len(spec.member_ids), worker_index, index)]


def _get_balance(spec: RequestSpec, worker_index: int) -> Callable[[int], bytes]:
    bodies = [ledger_pb2.GetBalanceRequest(member_id=m).SerializeToString() for m in spec.member_ids]
    return lambda index: bodies[_stride(len(bodies), worker_index, index)]


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(time.time_ns() - 60_000_000_000)  # a minute ago: never "in the future"
    return stamp


def _post_activities(spec: RequestSpec, worker_index: int) -> Callable[[int], bytes]:
    def build(index: int) -> bytes:
        when = _now()
        prefix = f"{spec.run_id}-{worker_index}-{index}"
        entries = []
        for start in range(0, spec.batch, ACTIVITIES_PER_ENTRY_MAX):
            count = min(ACTIVITIES_PER_ENTRY_MAX, spec.batch - start)
            data = [
                activity_pb2.ActivityData(
                    id=f"{prefix}-{start + k}",
                    device_tracked=True,
                    occur_time=when,
                    value=activity_pb2.ActivityValue(
                        total_steps=activity_pb2.TotalStepsValue(steps=STEPS_PER_ACTIVITY)
                    ),
                )
                for k in range(count)
            ]
            entries.append(
                activity_pb2.ActivityEntry(
                    member_id=_member(spec, worker_index, index * spec.batch + start),
                    transaction_id=prefix[-64:],
                    user_device_id="bench-device",
                    manufacturer_name="Bench",
                    device_name="Band",
                    data=data,
                )
            )
        return activity_pb2.PostActivitiesRequest(creates=entries).SerializeToString()

    return build


def _record_purchase(spec: RequestSpec, worker_index: int) -> Callable[[int], bytes]:
    def build(index: int) -> bytes:
        order_id = f"{spec.run_id}-{worker_index}-{index}"
        request = activity_pb2.RecordPurchaseRequest(
            request_id=order_id,
            order_id=order_id,
            member=common_pb2.MemberRef(member_id=_member(spec, worker_index, index)),
            store_id="bench-store",
            currency_code="EUR",
            purchase_time=_now(),
            items=[
                activity_pb2.PurchaseItem(sku="SKU-1", category="sports", quantity=1, amount_minor=4999),
                activity_pb2.PurchaseItem(sku="SKU-2", category="food", quantity=2, amount_minor=1250),
            ],
        )
        return request.SerializeToString()

    return build


def _enroll_member(spec: RequestSpec, worker_index: int) -> Callable[[int], bytes]:
    def build(index: int) -> bytes:
        key = f"{spec.run_id}-{worker_index}-{index}"
        request = ledger_pb2.EnrollMemberRequest(
            request_id=key, member=common_pb2.Member(email=f"{key}@bench.example")
        )
        return request.SerializeToString()

    return build
