"""Access tokens: what verifies and, above all, what must not (RFC 8725)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from loyalty_server.auth.keys import KeyStore
from loyalty_server.auth.tokens import AccessClaims, TokenIssuer
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Role

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
ISSUER, AUDIENCE = "urn:test-issuer", "urn:test-audience"
CLAIMS = AccessClaims(
    subject="member:m_1",
    tenant_id=1,
    tenant_code="default",
    role=Role.PARTNER,
    client_id="pc_1",
    scopes=("steps",),
    member_id="m_1",
    grant_id="gr_1",
)


def _issuer(tmp_path, name: str = "keys", algorithm: str = "EdDSA", audience: str = AUDIENCE) -> TokenIssuer:
    keys = KeyStore(tmp_path / name, verify_window_s=3600)
    keys.load_or_create(NOW, algorithm)
    return TokenIssuer(keys, issuer=ISSUER, audience=audience)


def _refused(issuer: TokenIssuer, token: str, now: dt.datetime = NOW) -> None:
    with pytest.raises(DomainError) as raised:
        issuer.verify(token, now=now)
    assert raised.value.kind is ErrorKind.UNAUTHENTICATED
    assert raised.value.reason == "INVALID_TOKEN"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_a_token_verifies_and_carries_its_claims(tmp_path, algorithm) -> None:
    issuer = _issuer(tmp_path, algorithm=algorithm)
    issued = issuer.issue(CLAIMS, now=NOW, ttl_s=600)
    assert issued.expires_at == NOW + dt.timedelta(seconds=600)
    assert issuer.verify(issued.token, now=NOW) == CLAIMS
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == algorithm
    assert header["typ"] == "at+jwt"
    assert header["kid"] == issuer.keys.signing_key().kid


def test_expired_tokens_are_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    token = issuer.issue(CLAIMS, now=NOW, ttl_s=600).token
    assert issuer.verify(token, now=NOW + dt.timedelta(seconds=599))
    _refused(issuer, token, NOW + dt.timedelta(seconds=600))


def test_tokens_from_the_future_are_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    token = issuer.issue(CLAIMS, now=NOW + dt.timedelta(hours=1), ttl_s=7200).token
    _refused(issuer, token, NOW)


def test_a_forged_payload_is_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    header, payload, signature = issuer.issue(CLAIMS, now=NOW, ttl_s=600).token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    _refused(issuer, f"{header}.{_b64(claims)}.{signature}")


def test_the_wrong_audience_or_issuer_is_refused(tmp_path) -> None:
    verifier = _issuer(tmp_path)
    other_audience = TokenIssuer(verifier.keys, issuer=ISSUER, audience="urn:someone-else")
    _refused(verifier, other_audience.issue(CLAIMS, now=NOW, ttl_s=600).token)
    other_issuer = TokenIssuer(verifier.keys, issuer="urn:evil", audience=AUDIENCE)
    _refused(verifier, other_issuer.issue(CLAIMS, now=NOW, ttl_s=600).token)


def test_a_token_signed_by_another_key_is_refused(tmp_path) -> None:
    verifier = _issuer(tmp_path, "ours")
    stranger = _issuer(tmp_path, "theirs")
    _refused(verifier, stranger.issue(CLAIMS, now=NOW, ttl_s=600).token)
    # Even when the stranger claims our kid.
    key = stranger.keys.signing_key()
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
    }
    forged = jwt.encode(
        {
            **payload,
            "jti": "j",
            "scope": "",
            "client_id": "c",
            "tid": 1,
            "tenant": "default",
            "role": "admin",
        },
        key.private_key,
        algorithm="EdDSA",
        headers={"kid": verifier.keys.signing_key().kid, "typ": "at+jwt"},
    )
    _refused(verifier, forged)


def test_alg_none_and_algorithm_confusion_are_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    kid = issuer.keys.signing_key().kid
    _header, payload, _signature = issuer.issue(CLAIMS, now=NOW, ttl_s=600).token.split(".")
    for alg in ("none", "None", "NONE"):
        _refused(issuer, f"{_b64({'alg': alg, 'kid': kid, 'typ': 'at+jwt'})}.{payload}.")
    # HS256 with the public key as the HMAC secret: the classic confusion attack.
    public_pem = issuer.keys.signing_key().public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    header = _b64({"alg": "HS256", "kid": kid, "typ": "at+jwt"})
    import hashlib
    import hmac

    signing_input = f"{header}.{_b64(claims)}".encode()
    mac = (
        base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )
    _refused(issuer, f"{header}.{_b64(claims)}.{mac}")


def test_an_es256_token_under_an_eddsa_kid_is_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path, algorithm="EdDSA")
    other = _issuer(tmp_path, "es", algorithm="ES256")
    token = jwt.encode(
        {"sub": "x"},
        other.keys.signing_key().private_key,
        algorithm="ES256",
        headers={"kid": issuer.keys.signing_key().kid, "typ": "at+jwt"},
    )
    _refused(issuer, token)


def test_other_jwt_types_and_missing_claims_are_refused(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    key = issuer.keys.signing_key()
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
        "jti": "j",
        "scope": "",
        "client_id": "c",
        "tid": 1,
        "tenant": "default",
        "role": "admin",
    }
    assert issuer.verify(
        jwt.encode(base, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"}),
        now=NOW,
    )
    _refused(issuer, jwt.encode(base, key.private_key, algorithm="EdDSA", headers={"kid": key.kid}))  # no typ
    _refused(
        issuer, jwt.encode(base, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": "JWT"})
    )
    for claim in ("exp", "jti", "scope", "client_id", "aud"):
        partial = {k: v for k, v in base.items() if k != claim}
        _refused(
            issuer,
            jwt.encode(
                partial, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"}
            ),
        )
    for garbage in ("", "a.b.c", "not a token", "x" * 5000):
        _refused(issuer, garbage)
    _refused(
        issuer,
        jwt.encode(
            base, key.private_key, algorithm="EdDSA", headers={"kid": "../../etc/passwd", "typ": "at+jwt"}
        ),
    )


def test_rotation_keeps_old_tokens_until_their_key_retires(tmp_path) -> None:
    issuer = _issuer(tmp_path)
    old_token = issuer.issue(CLAIMS, now=NOW, ttl_s=600).token
    new_key, previous = issuer.keys.rotate(NOW, "ES256")
    assert previous is not None
    assert issuer.keys.signing_key() == new_key
    assert issuer.verify(old_token, now=NOW)
    assert {k.kid for k in issuer.keys.published(NOW)} == {new_key.kid, previous.kid}
    later = NOW + dt.timedelta(seconds=3600)  # the verify window (longest token lifetime) is over
    assert [k.kid for k in issuer.keys.published(later)] == [new_key.kid]
    assert issuer.keys.verification_key(previous.kid, later) is None
    # Another process sharing the data dir finds the rotated keys on disk.
    reopened = KeyStore(tmp_path / "keys", verify_window_s=3600)
    assert reopened.load_or_create(NOW, "EdDSA").kid == new_key.kid
    assert reopened.verification_key(previous.kid, NOW) is not None


def test_a_verified_token_is_not_checked_again_but_still_expires(tmp_path, monkeypatch) -> None:
    issuer = _issuer(tmp_path)
    issued = issuer.issue(CLAIMS, now=NOW, ttl_s=600)
    decodes: list[str] = []
    decode = jwt.decode

    def counted(token: str, *args: object, **options: object) -> object:
        decodes.append(token)
        return decode(token, *args, **options)

    monkeypatch.setattr(jwt, "decode", counted)
    for _ in range(3):
        assert issuer.verify(issued.token, now=NOW) == CLAIMS
    assert len(decodes) == 1  # one signature check for three calls
    _refused(issuer, issued.token, now=NOW + dt.timedelta(seconds=600))  # expiry is checked on every use
    _refused(issuer, issued.token[:-2] + "xx")  # another text is another token: checked, and refused


def test_a_verified_token_stops_when_its_key_retires(tmp_path) -> None:
    keys = KeyStore(tmp_path / "keys", verify_window_s=60)
    keys.load_or_create(NOW, "EdDSA")
    issuer = TokenIssuer(keys, issuer=ISSUER, audience=AUDIENCE)
    token = issuer.issue(CLAIMS, now=NOW, ttl_s=600).token
    assert issuer.verify(token, now=NOW) == CLAIMS  # now known as verified
    keys.rotate(NOW, "EdDSA")
    assert issuer.verify(token, now=NOW + dt.timedelta(seconds=30)) == CLAIMS
    _refused(issuer, token, now=NOW + dt.timedelta(seconds=61))  # unexpired, but its key has retired
