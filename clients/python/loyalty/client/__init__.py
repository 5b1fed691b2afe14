"""The loyalty engine's async Python client: `LoyaltyClient` over the generated `loyalty.v1` stubs."""

from loyalty.client.channel import Tls
from loyalty.client.client import LoyaltyClient, new_request_id
from loyalty.client.errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    LoyaltyError,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from loyalty.client.retry import NO_RETRY, RetryPolicy
from loyalty.client.streams import EventStream
from loyalty.client.tokens import RenewingToken, StaticToken, TokenSource

__all__ = [
    "NO_RETRY",
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "EventStream",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "LoyaltyClient",
    "LoyaltyError",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "RenewingToken",
    "ResourceExhausted",
    "RetryPolicy",
    "StaticToken",
    "Tls",
    "TokenSource",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "new_request_id",
]
