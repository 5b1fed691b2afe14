"""The operator's auth commands as a user runs them, and the bootstrap they allow: the first admin
credential comes from the CLI and works over gRPC at once."""

from __future__ import annotations

import json

import grpc

from loyalty.v1 import auth_pb2, auth_pb2_grpc
from loyalty_server.runtime.server import LoyaltyServer
from tests.integration.test_cli import run_cli
from tests.support import bearer, make_settings


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_bootstrap_an_admin_then_manage_partners(tmp_path, database_url) -> None:
    flags = ("--database-url", database_url)
    admin = _json(run_cli(tmp_path, "service-accounts", "create", "--name", "ops", "--role", "admin", *flags))
    assert admin["client_id"].startswith("svc_")
    assert admin["client_secret"]
    partner = _json(
        run_cli(
            tmp_path,
            "partners",
            "create",
            "--name",
            "Steps",
            "--redirect-uri",
            "https://steps.example/cb",
            "--scopes",
            "steps,points:read",
            *flags,
        )
    )
    assert set(partner) == {"client_id", "client_secret"}
    rotated = _json(run_cli(tmp_path, "partners", "rotate-secret", partner["client_id"], *flags))
    assert rotated["client_secret"] != partner["client_secret"]
    refused = run_cli(
        tmp_path,
        "partners",
        "create",
        "--name",
        "Bad",
        "--redirect-uri",
        "http://x.example/cb",
        "--scopes",
        "steps",
        *flags,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("loyalty: error: INVALID_REDIRECT_URI")
    assert len(refused.stderr.strip().splitlines()) == 1

    server = LoyaltyServer(make_settings(tmp_path, database_url))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = auth_pb2_grpc.AuthServiceStub(channel)
            token = await stub.ExchangeToken(
                auth_pb2.ExchangeTokenRequest(
                    grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                    client_id=admin["client_id"],
                    client_secret=admin["client_secret"],
                )
            )
            listed = await stub.ListPartnerClients(
                auth_pb2.ListPartnerClientsRequest(), metadata=bearer(token.access_token)
            )
            assert [c.client_id for c in listed.partner_clients] == [partner["client_id"]]
            entries = await stub.ListAuditLogEntries(
                auth_pb2.ListAuditLogEntriesRequest(), metadata=bearer(token.access_token)
            )
            assert [e.action for e in entries.entries] == [
                "partner_client.rotate_secret",
                "partner_client.create",
                "service_account.create",
            ]
            assert entries.entries[0].actor.startswith("admin-cli:")
    finally:
        await server.stop(grace_s=0)

    disabled = _json(
        run_cli(tmp_path, "partners", "disable", partner["client_id"], "--reason", "test over", *flags)
    )
    assert disabled == {"client_id": partner["client_id"], "state": "disabled", "grants_revoked": 0}
    listed = run_cli(tmp_path, "partners", "list", *flags)
    assert [json.loads(line)["state"] for line in listed.stdout.splitlines()] == ["disabled"]


async def test_service_account_as_shell_exports(tmp_path, database_url) -> None:
    """`--format env` prints lines a shell can eval: the id and secret a client reads, and they work."""
    flags = ("--database-url", database_url)
    result = run_cli(
        tmp_path, "service-accounts", "create", "--name", "pos 1", "--role", "pos", "--format", "env", *flags
    )
    assert result.returncode == 0, result.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    assert set(exports) == {"LOYALTY_CLIENT_ID", "LOYALTY_CLIENT_SECRET"}
    assert exports["LOYALTY_CLIENT_ID"].startswith("svc_")

    server = LoyaltyServer(make_settings(tmp_path, database_url))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            reply = await auth_pb2_grpc.AuthServiceStub(channel).ExchangeToken(
                auth_pb2.ExchangeTokenRequest(
                    grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                    client_id=exports["LOYALTY_CLIENT_ID"],
                    client_secret=exports["LOYALTY_CLIENT_SECRET"].strip("'"),
                ),
                timeout=10,
            )
        assert reply.access_token
    finally:
        await server.stop(grace_s=0)
