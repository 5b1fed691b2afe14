"""The four loyalty.v1 services and how each is put on the server.

A service whose issue has not landed yet is served by its generated base class, whose every RPC
answers UNIMPLEMENTED (the interceptor adds an ErrorInfo with reason NOT_IMPLEMENTED). A domain
replaces its entry's `make_servicer` when it lands; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc

from loyalty.v1 import (
    activity_pb2,
    activity_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    ledger_pb2,
    ledger_pb2_grpc,
    subscription_pb2,
    subscription_pb2_grpc,
)
from loyalty_server.auth.policy import AccessRule
from loyalty_server.runtime.context import AppContext


@dataclass(frozen=True, slots=True)
class ServiceRegistration:
    full_name: str  # e.g. "loyalty.v1.LedgerService": the health and reflection name
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    make_servicer: Callable[[AppContext], Any]
    # Access rules for methods outside the loyalty.v1 policy table (extra services, e.g. in tests).
    access_rules: Mapping[str, AccessRule] = field(default_factory=dict)


def _auth_servicer(app: AppContext) -> Any:
    from loyalty_server.activity.event_awards import award_partner_connected
    from loyalty_server.auth.servicer import AuthServicer
    from loyalty_server.auth.setup import auth_deps

    async def connected(connection: Any, grant: Any) -> int:
        return await award_partner_connected(app.ledger, connection, grant)

    deps = auth_deps(app.engine, app.clock, app.settings, app.keys, app.program, connected)
    return AuthServicer(deps, app.keys)


def _activity_servicer(app: AppContext) -> Any:
    from loyalty_server.activity.rpc.servicer import ActivityServicer

    return ActivityServicer(app, app.ledger)


def _ledger_servicer(app: AppContext) -> Any:
    from loyalty_server.ledger.rpc.servicer import LedgerServicer

    return LedgerServicer(app, app.ledger)


def _subscription_servicer(app: AppContext) -> Any:
    from loyalty_server.events.rpc.servicer import SubscriptionServicer

    return SubscriptionServicer(app, app.ledger)


def _full_name(module: Any, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def loyalty_services() -> list[ServiceRegistration]:
    return [
        ServiceRegistration(
            _full_name(auth_pb2, "AuthService"),
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            _auth_servicer,
        ),
        ServiceRegistration(
            _full_name(activity_pb2, "ActivityService"),
            activity_pb2_grpc.add_ActivityServiceServicer_to_server,
            _activity_servicer,
        ),
        ServiceRegistration(
            _full_name(ledger_pb2, "LedgerService"),
            ledger_pb2_grpc.add_LedgerServiceServicer_to_server,
            _ledger_servicer,
        ),
        ServiceRegistration(
            _full_name(subscription_pb2, "SubscriptionService"),
            subscription_pb2_grpc.add_SubscriptionServiceServicer_to_server,
            _subscription_servicer,
        ),
    ]
