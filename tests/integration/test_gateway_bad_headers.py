"""Values gRPC metadata cannot carry (tabs, non-ASCII) are the caller's mistake: a 4xx, never a 500.
Found by schemathesis: they used to escape as the channel's own exception."""

from __future__ import annotations

import pytest

from tests.gateway_support import running_gateway

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_headers_that_cannot_be_metadata(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        admin = dict(await stack.admin())
        for headers in (
            {**admin, "x-request-id": "a\tb"},
            {**admin, "x-loyalty-tenant": "Deutschl\u00e4nd".encode("latin-1")},
            {"authorization": "Bearer \u00e9".encode("latin-1")},
        ):
            for path in ("/v1/members", "/v1/events:stream"):
                answer = await stack.http.get(path, headers=headers)
                assert answer.status_code == 400, (path, headers, answer.text)
                assert answer.json()["details"][0]["reason"] == "INVALID_HEADER"


async def test_partner_tokens_that_cannot_be_metadata(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        for token in ("\u00e9", "a\nb"):
            answer = await stack.http.post(
                "/api/points", json={"act": "getBRPoints", "access_token": token, "transaction_id": "t-1"}
            )
            assert answer.status_code == 401
            assert answer.json() == {
                "error_code": "1051",
                "error": "invalid_token",
                "error_description": "invalid access token: not one this server issued",
                "transaction_id": "t-1",
            }
        batch = {"creates": [{"access_token": "\u00e9", "transaction_id": "t-2", "data": []}]}
        answer = await stack.http.post("/api/activities", json=batch)
        assert (answer.status_code, answer.json()["error_code"]) == (401, "1051")
