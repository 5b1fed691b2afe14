"""The authorization request's parameters (the partner API's /oauth/authorize query), as the pages
carry them from the query to the hidden fields of each form and back.

The gateway checks nothing about their meaning: ValidateAuthorization does, on every step. It only
bounds their size and refuses repeated parameters (RFC 6749 3.1), because either makes it unclear
which redirect_uri the answer would go to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Protocol
from urllib.parse import urlencode

from loyalty.v1 import auth_pb2

# The longest value the server accepts is a redirect URI (2048 characters); anything longer is junk.
PARAMETER_LENGTH_MAX = 2048
CHANNEL_DIGITS_MAX = 3


class MultiValues(Protocol):
    """Starlette's QueryParams and FormData: a name may come more than once."""

    def getlist(self, key: str) -> list[object]: ...


class BadParameters(ValueError):
    """The request cannot be answered at its redirect_uri: a parameter is repeated or far too long."""


@dataclass(frozen=True, slots=True)
class AuthParams:
    client_id: str = ""
    response_type: str = ""
    scope: str = ""
    redirect_uri: str = ""
    channel: str = ""  # as sent: "1", "5" or "6"; anything else the server refuses (INVALID_CHANNEL)
    transaction_id: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""

    @classmethod
    def of(cls, values: MultiValues) -> AuthParams:
        """From a query string or a form; absent parameters are empty, and the server says which it needs."""
        found: dict[str, str] = {}
        for name in NAMES:
            given = values.getlist(name)
            if len(given) > 1:
                raise BadParameters(f"the parameter {name} is given more than once")
            value = given[0] if given else ""
            if not isinstance(value, str):  # an uploaded file where text belongs
                raise BadParameters(f"the parameter {name} is not text")
            if len(value) > PARAMETER_LENGTH_MAX:
                raise BadParameters(f"the parameter {name} is too long")
            found[name] = value
        return cls(**found)

    def proto(self) -> auth_pb2.AuthorizationParameters:
        values = asdict(self)
        values["channel"] = _channel_number(self.channel)
        return auth_pb2.AuthorizationParameters(**values)

    def items(self) -> Mapping[str, str]:
        """The parameters that were given: an absent one and an empty one mean the same here."""
        return {name: value for name, value in asdict(self).items() if value}

    def query(self) -> str:
        return urlencode(self.items())

    def error_url(self, error_code: str, error: str, description: str) -> str:
        """The seed's "Sample Error Response": redirect_uri with the error and the echoed fields.

        Only for a redirect_uri ValidateAuthorization accepted: it is then registered exactly."""
        query = urlencode(
            {
                "error_code": error_code,
                "error": error,
                "error_description": description,
                "transaction_id": self.transaction_id,
                "state": self.state,
            }
        )
        separator = "&" if "?" in self.redirect_uri else "?"
        return f"{self.redirect_uri}{separator}{query}"


NAMES = tuple(field.name for field in fields(AuthParams))


def _channel_number(channel: str) -> int:
    """0 (CHANNEL_UNSPECIFIED, which the server refuses) for anything that is not a small number."""
    if channel.isascii() and channel.isdigit() and len(channel) <= CHANNEL_DIGITS_MAX:
        return int(channel)
    return 0
