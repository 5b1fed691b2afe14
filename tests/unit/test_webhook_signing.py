"""Standard Webhooks signatures: what a receiver accepts, and above all what it must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from loyalty_server.webhooks.signing import (
    SECRET_PREFIX,
    SignatureError,
    new_secret,
    secret_key,
    sign,
    signature_header,
    verify,
    webhook_headers,
)

KEY = bytes(range(32))
SECRET = SECRET_PREFIX + base64.b64encode(KEY).decode()
OTHER_SECRET = SECRET_PREFIX + base64.b64encode(bytes(range(100, 132))).decode()
MESSAGE_ID = "msg_2QvTz0s8hY1m"
TIMESTAMP_S = 1_790_000_000
BODY = b'{"type":"tier.changed","timestamp":"2026-09-21T12:00:00Z","storeCode":"default","data":{}}'


def _headers(secrets: list[str], body: bytes = BODY) -> dict[str, str]:
    return webhook_headers(secrets, MESSAGE_ID, TIMESTAMP_S, body)


def test_sign_matches_an_independent_hmac() -> None:
    signed = f"{MESSAGE_ID}.{TIMESTAMP_S}.".encode() + BODY
    expected = "v1," + base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    assert sign(SECRET, MESSAGE_ID, TIMESTAMP_S, BODY) == expected


def test_sign_matches_the_published_standard_webhooks_example() -> None:
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_carry_id_timestamp_signature_and_content_type() -> None:
    headers = _headers([SECRET])
    assert headers == {
        "webhook-id": MESSAGE_ID,
        "webhook-timestamp": str(TIMESTAMP_S),
        "webhook-signature": sign(SECRET, MESSAGE_ID, TIMESTAMP_S, BODY),
        "content-type": "application/json",
        "user-agent": "loyalty-engine-webhooks/1",
    }
    verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


def test_rotation_sends_two_signatures_and_each_secret_verifies() -> None:
    headers = _headers([SECRET, OTHER_SECRET])
    signatures = headers["webhook-signature"].split(" ")
    assert signatures == [
        sign(SECRET, MESSAGE_ID, TIMESTAMP_S, BODY),
        sign(OTHER_SECRET, MESSAGE_ID, TIMESTAMP_S, BODY),
    ]
    verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)
    verify(OTHER_SECRET, headers, BODY, now_s=TIMESTAMP_S)
    with pytest.raises(SignatureError):
        verify(new_secret(), headers, BODY, now_s=TIMESTAMP_S)


def test_signature_header_needs_a_secret() -> None:
    with pytest.raises(AssertionError):
        signature_header([], MESSAGE_ID, TIMESTAMP_S, BODY)


def test_tampered_body_fails() -> None:
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(SECRET, _headers([SECRET]), BODY.replace(b"default", b"other"), now_s=TIMESTAMP_S)


def test_tampered_id_fails() -> None:
    headers = {**_headers([SECRET]), "webhook-id": "msg_another"}
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


def test_tampered_timestamp_fails() -> None:
    headers = {**_headers([SECRET]), "webhook-timestamp": str(TIMESTAMP_S + 1)}
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


@pytest.mark.parametrize("offset_s", [-301, 301, -86_400, 86_400])
def test_stale_or_future_timestamp_fails(offset_s: int) -> None:
    with pytest.raises(SignatureError, match="webhook-timestamp"):
        verify(SECRET, _headers([SECRET]), BODY, now_s=TIMESTAMP_S + offset_s)


@pytest.mark.parametrize("offset_s", [-300, 0, 300])
def test_timestamp_within_tolerance_passes(offset_s: int) -> None:
    verify(SECRET, _headers([SECRET]), BODY, now_s=TIMESTAMP_S + offset_s)


def test_tolerance_is_adjustable() -> None:
    verify(SECRET, _headers([SECRET]), BODY, now_s=TIMESTAMP_S + 600, tolerance_s=600)
    with pytest.raises(SignatureError):
        verify(SECRET, _headers([SECRET]), BODY, now_s=TIMESTAMP_S + 60, tolerance_s=30)


def test_header_names_are_case_insensitive() -> None:
    headers = {name.title(): value for name, value in _headers([SECRET]).items()}
    assert "Webhook-Signature" in headers
    verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)
    verify(SECRET, {k.upper(): v for k, v in headers.items()}, BODY, now_s=TIMESTAMP_S)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(missing: str) -> None:
    headers = {k: v for k, v in _headers([SECRET]).items() if k != missing}
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


FULLWIDTH_DIGITS = "\uff11\uff17\uff19"  # isdigit() is true for these, int() would accept them


@pytest.mark.parametrize("timestamp", ["1790000000.5", "-1790000000", "soon", "1" * 40, FULLWIDTH_DIGITS])
def test_malformed_timestamp_fails(timestamp: str) -> None:
    headers = {**_headers([SECRET]), "webhook-timestamp": timestamp}
    with pytest.raises(SignatureError, match="webhook-timestamp"):
        verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


def test_only_v1_signatures_count() -> None:
    digest = sign(SECRET, MESSAGE_ID, TIMESTAMP_S, BODY).removeprefix("v1,")
    headers = {**_headers([SECRET]), "webhook-signature": f"v1a,{digest} v2,{digest} {digest}"}
    with pytest.raises(SignatureError):
        verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


def test_a_matching_signature_among_unknown_ones_passes() -> None:
    good = sign(SECRET, MESSAGE_ID, TIMESTAMP_S, BODY)
    headers = {**_headers([SECRET]), "webhook-signature": f"v1a,abc v1,AAAA {good}"}
    verify(SECRET, headers, BODY, now_s=TIMESTAMP_S)


def test_new_secret_is_prefixed_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert len(secret_key(first)) == 32
    assert first != second


@pytest.mark.parametrize(
    "bad",
    [
        base64.b64encode(KEY).decode(),  # no prefix
        "whsec_",  # no key
        "whsec_not base64!",
        "whsec_" + base64.b64encode(KEY).decode()[:-1],  # broken padding
        "whsec_" + base64.b64encode(bytes(23)).decode(),  # too short
        "WHSEC_" + base64.b64encode(KEY).decode(),
    ],
)
def test_bad_secrets_are_rejected_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValueError, match="webhook secret") as raised:
        secret_key(bad)
    if key_text := bad.removeprefix("whsec_"):
        assert key_text not in str(raised.value)
    with pytest.raises(ValueError, match="webhook secret"):
        sign(bad, MESSAGE_ID, TIMESTAMP_S, BODY)


def test_a_24_byte_secret_is_enough() -> None:
    assert secret_key("whsec_" + base64.b64encode(bytes(24)).decode()) == bytes(24)
