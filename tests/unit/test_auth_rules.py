"""The plain rules of auth: authorization requests, PKCE, scopes, passwords, throttling, seed codes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from loyalty_server.auth.authorization import AuthorizationRequest, check_authorization
from loyalty_server.auth.clients import ClientSpec, PartnerClient, check_redirect_uris, check_spec
from loyalty_server.auth.hashing import hash_secret
from loyalty_server.auth.passwords import check_password_policy, hash_password, verify_password
from loyalty_server.auth.pkce import challenge_for, check_challenge, check_verifier
from loyalty_server.auth.scopes import granted_scopes, parse_scope
from loyalty_server.auth.seed_errors import seed_code, with_seed_fields
from loyalty_server.auth.throttle import FailureWindow, after_failure, retry_after_s
from loyalty_server.errors import DomainError, ErrorKind

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
VERIFIER = "a" * 10 + "-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
CLIENT = PartnerClient(
    client_id="pc_1",
    tenant_id=1,
    name="Steps",
    description="",
    client_type="confidential",
    redirect_uris=["https://app.example/cb"],
    scopes=["steps", "points:read"],
    state="active",
    secret_hash=hash_secret("s3cret"),
    secret_hint="cret",
    previous_secret_hash=hash_secret("old"),
    previous_secret_expires_at=NOW + dt.timedelta(minutes=1),
    created_at=NOW,
    updated_at=NOW,
    secret_rotated_at=None,
    disabled_at=None,
)
REQUEST = AuthorizationRequest(
    client_id="pc_1", response_type="code", scope="steps", redirect_uri="https://app.example/cb", channel=1
)


def _reason(call, *args, **kwargs) -> str:
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    return raised.value.reason


def test_a_good_authorization_request() -> None:
    checked = check_authorization(CLIENT, dataclasses.replace(REQUEST, scope="points:read,steps"))
    assert checked.scopes == ["points:read", "steps"]
    assert checked.code_challenge is None
    assert len(checked.scope_descriptions) == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"redirect_uri": "https://app.example/cb/"}, "REDIRECT_URI_MISMATCH"),
        ({"redirect_uri": "https://app.example/cb?next=/"}, "REDIRECT_URI_MISMATCH"),
        ({"response_type": "token"}, "INVALID_RESPONSE_TYPE"),
        ({"channel": 2}, "INVALID_CHANNEL"),
        ({"channel": 0}, "INVALID_CHANNEL"),
        ({"scope": "health:read"}, "INVALID_SCOPE"),
        ({"scope": ""}, "INVALID_SCOPE"),
        ({"transaction_id": "x" * 65}, "INVALID_REQUEST"),
        ({"state": "x" * 513}, "INVALID_REQUEST"),
        (
            {"code_challenge": challenge_for(VERIFIER), "code_challenge_method": "plain"},
            "INVALID_CODE_CHALLENGE_METHOD",
        ),
        ({"code_challenge": challenge_for(VERIFIER)}, "INVALID_CODE_CHALLENGE_METHOD"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "INVALID_REQUEST"),
    ],
)
def test_bad_authorization_requests(changes, reason) -> None:
    assert _reason(check_authorization, CLIENT, dataclasses.replace(REQUEST, **changes)) == reason


def test_unknown_or_disabled_clients_come_first() -> None:
    bad_everything = dataclasses.replace(REQUEST, redirect_uri="https://evil.example", response_type="x")
    assert _reason(check_authorization, None, bad_everything) == "UNAUTHORIZED_CLIENT"
    disabled = dataclasses.replace(CLIENT, state="disabled")
    assert _reason(check_authorization, disabled, REQUEST) == "UNAUTHORIZED_CLIENT"
    assert _reason(check_authorization, CLIENT, bad_everything) == "REDIRECT_URI_MISMATCH"


def test_public_clients_need_pkce() -> None:
    public = dataclasses.replace(CLIENT, client_type="public")
    assert _reason(check_authorization, public, REQUEST) == "PKCE_REQUIRED"
    with_pkce = dataclasses.replace(
        REQUEST, code_challenge=challenge_for(VERIFIER), code_challenge_method="S256"
    )
    assert check_authorization(public, with_pkce).code_challenge == challenge_for(VERIFIER)


def test_pkce_verifiers() -> None:
    challenge = check_challenge(challenge_for(VERIFIER), "S256", public_client=False)
    check_verifier(challenge, VERIFIER)
    assert _reason(check_verifier, challenge, VERIFIER + "x") == "PKCE_MISMATCH"
    assert _reason(check_verifier, challenge, "") == "PKCE_MISMATCH"
    assert _reason(check_verifier, None, VERIFIER) == "PKCE_MISMATCH"  # downgrade
    check_verifier(None, "")
    # RFC 7636 appendix B's example.
    assert (
        challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_secrets_and_their_grace_period() -> None:
    assert CLIENT.secret_is_valid("s3cret", NOW)
    assert CLIENT.secret_is_valid("old", NOW)
    assert not CLIENT.secret_is_valid("old", NOW + dt.timedelta(minutes=1))
    assert not CLIENT.secret_is_valid("", NOW)
    assert not CLIENT.secret_is_valid("S3CRET", NOW)


def test_scopes() -> None:
    assert parse_scope(" steps,points:read  steps ") == ["steps", "points:read"]
    assert granted_scopes(["steps"], ["steps", "points:read"]) == ["steps"]
    assert _reason(granted_scopes, ["steps", "admin"], ["steps"]) == "INVALID_SCOPE"
    assert _reason(granted_scopes, [], ["steps"]) == "INVALID_SCOPE"


@pytest.mark.parametrize(
    "uri", ["http://app.example/cb", "https://app.example/cb#x", "app.example/cb", "ftp://app.example/cb", ""]
)
def test_bad_redirect_uris(uri) -> None:
    assert _reason(check_redirect_uris, [uri]) == "INVALID_REDIRECT_URI"


def test_good_redirect_uris_and_client_specs() -> None:
    uris = ["https://app.example/cb", "http://127.0.0.1:8765/cb", "http://localhost/cb", "http://[::1]/cb"]
    assert check_redirect_uris(uris) == uris
    assert _reason(check_redirect_uris, []) == "INVALID_REDIRECT_URI"
    assert (
        _reason(check_redirect_uris, [f"https://a.example/{i}" for i in range(11)]) == "INVALID_REDIRECT_URI"
    )
    spec = ClientSpec("Steps", "", "confidential", ["https://app.example/cb"], ["steps"])
    assert check_spec(spec) == spec
    assert _reason(check_spec, dataclasses.replace(spec, scopes=["admin"])) == "INVALID_SCOPE"
    assert _reason(check_spec, dataclasses.replace(spec, client_type="")) == "INVALID_REQUEST"
    assert _reason(check_spec, dataclasses.replace(spec, name="")) == "INVALID_REQUEST"


def test_password_policy_and_hashes() -> None:
    for weak in ("short", "1234567890", "password123", "zzzzzzzzzzzz", "x" * 129):
        assert _reason(check_password_policy, weak) == "PASSWORD_TOO_WEAK"
    assert _reason(check_password_policy, "ann@example.com", email="ann@example.com") == "PASSWORD_TOO_WEAK"
    check_password_policy("correct horse battery staple")
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("scrypt$")
    assert "correct" not in stored
    assert verify_password("correct horse battery staple", stored)
    assert not verify_password("correct horse battery stapl", stored)
    assert not verify_password("x", "garbage")
    assert hash_password("same password!") != hash_password("same password!")  # salted


def test_throttle_windows() -> None:
    window = None
    for _ in range(3):
        assert retry_after_s(window, now=NOW, failures_max=3, window_s=600) is None
        window = after_failure(window, now=NOW, window_s=600)
    assert window == FailureWindow(NOW, 3)
    assert retry_after_s(window, now=NOW + dt.timedelta(seconds=100), failures_max=3, window_s=600) == 500
    assert retry_after_s(window, now=NOW + dt.timedelta(seconds=600), failures_max=3, window_s=600) is None
    assert after_failure(window, now=NOW + dt.timedelta(seconds=600), window_s=600).failures == 1


@pytest.mark.parametrize(
    ("reason", "kind", "code"),
    [
        ("INVALID_GRANT_TYPE", ErrorKind.INVALID_ARGUMENT, "1001"),
        ("UNAUTHORIZED_CLIENT", ErrorKind.UNAUTHENTICATED, "1011"),
        ("REDIRECT_URI_MISMATCH", ErrorKind.INVALID_ARGUMENT, "1011"),
        ("ACCOUNT_LOCKED", ErrorKind.PERMISSION_DENIED, "1021"),
        ("INVALID_SCOPE", ErrorKind.INVALID_ARGUMENT, "1031"),
        ("PKCE_MISMATCH", ErrorKind.INVALID_ARGUMENT, "1041"),
        ("REFRESH_TOKEN_REUSED", ErrorKind.UNAUTHENTICATED, "1051"),
        ("LOGIN_THROTTLED", ErrorKind.RESOURCE_EXHAUSTED, "1061"),
        ("INVALID_EMAIL", ErrorKind.INVALID_ARGUMENT, "1001"),
        ("EMAIL_TAKEN", ErrorKind.ALREADY_EXISTS, "1071"),
    ],
)
def test_seed_error_codes(reason, kind, code) -> None:
    error = DomainError(kind, reason, "m")
    assert seed_code(error)[0] == code
    echoed = with_seed_fields(error, transaction_id="t", state="s")
    assert echoed.metadata == {
        "error_code": code,
        "error": seed_code(error)[1],
        "transaction_id": "t",
        "state": "s",
    }
    assert (echoed.kind, echoed.reason) == (kind, reason)
