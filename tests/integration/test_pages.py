"""The member's OAuth pages over HTTP, against the real server: authorize, log in or register,
consent, the redirect back with the code or the seed's error, CSRF, cookies and headers.

Most tests run on SQLite only (the pages hold no storage logic); the full flow runs on both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from loyalty.v1 import auth_pb2, auth_pb2_grpc, common_pb2
from tests.gateway_support import REDIRECT_URI, GatewayStack, running_gateway

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "correct horse battery staple"
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


# --- reading the pages ------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # inputs with a name, hidden or not
    buttons: list[str] = field(default_factory=list)  # names of submit buttons


class FormReader(HTMLParser):
    """The page's forms by id, with their inputs' names and values (as a browser would submit them)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, Form] = {}
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = self.forms.setdefault(attributes["id"], Form(attributes["action"]))
        elif tag == "input" and self._current is not None and "name" in attributes:
            self._current.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and self._current is not None and "name" in attributes:
            self._current.buttons.append(attributes["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(page: httpx.Response) -> dict[str, Form]:
    reader = FormReader()
    reader.feed(page.text)
    return reader.forms


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, whole (the attributes are what these tests check)."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def attributes_of(set_cookie: str) -> set[str]:
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


# --- driving the flow -------------------------------------------------------------------------------


def authorize_params(client_id: str, **changes: str) -> dict[str, str]:
    params = {
        "client_id": client_id,
        "response_type": "code",
        "scope": "steps",
        "redirect_uri": REDIRECT_URI,
        "channel": "1",
        "transaction_id": "1234567890123456",
        "state": "abcd1234xyz",
    }
    params.update(changes)
    return params


async def open_authorize(stack: GatewayStack, client_id: str, **changes: str) -> httpx.Response:
    return await stack.http.get("/oauth/authorize", params=authorize_params(client_id, **changes))


async def submit(
    stack: GatewayStack, form: Form, headers: dict[str, str] | None = None, **inputs: str
) -> httpx.Response:
    return await stack.http.post(form.action, data={**form.fields, **inputs}, headers=headers)


async def register(
    stack: GatewayStack, client_id: str, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await open_authorize(stack, client_id)
    return await submit(stack, forms_of(page)["register"], email=email, password=password)


async def consent_page(stack: GatewayStack, signed_in: httpx.Response) -> httpx.Response:
    assert signed_in.status_code == 303, signed_in.text
    location = signed_in.headers["location"]
    assert location.startswith("/oauth/authorize/consent?")
    return await stack.http.get(location)


async def approve(stack: GatewayStack, signed_in: httpx.Response) -> httpx.Response:
    consent = await consent_page(stack, signed_in)
    assert consent.status_code == 200, consent.text
    return await submit(stack, forms_of(consent)["consent"], approve="1")


async def exchange(
    stack: GatewayStack, client_id: str, secret: str, code: str
) -> auth_pb2.ExchangeTokenResponse:
    return await auth_pb2_grpc.AuthServiceStub(stack.channel).ExchangeToken(
        auth_pb2.ExchangeTokenRequest(
            grant_type=auth_pb2.GRANT_TYPE_AUTHORIZATION_CODE,
            client_id=client_id,
            client_secret=secret,
            code=code,
            redirect_uri=REDIRECT_URI,
            channel=common_pb2.CHANNEL_WEB,
            transaction_id="1234567890123456",
            state="abcd1234xyz",
        )
    )


def new_email() -> str:
    return f"member-{uuid.uuid4().hex[:10]}@example.com"


def assert_redirected_with_code(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert query.keys() == {"code", "scope", "transaction_id", "state"}
    assert (query["scope"], query["transaction_id"], query["state"]) == (
        "steps",
        "1234567890123456",
        "abcd1234xyz",
    )
    return query["code"]


def assert_session_cleared(answer: httpx.Response) -> None:
    cleared = set_cookies(answer)["loyalty_session"]
    assert "max-age=0" in attributes_of(cleared) or 'loyalty_session=""' in cleared


# --- the flow ---------------------------------------------------------------------------------------


async def test_register_consent_approve_then_log_in_again(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, secret = await stack.partner_client(name="Step Counter")
        page = await open_authorize(stack, client_id)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Step Counter" in page.text
        forms = forms_of(page)
        assert {"email", "password"} <= forms["login"].fields.keys()
        assert {"email", "password", "request_id"} <= forms["register"].fields.keys()
        assert forms["register"].fields["redirect_uri"] == REDIRECT_URI

        email = new_email()
        signed_in = await submit(stack, forms["register"], email=email, password=PASSWORD)
        consent = await consent_page(stack, signed_in)
        assert consent.status_code == 200
        assert "Step Counter" in consent.text
        assert "<li>" in consent.text  # the scope's description
        assert forms_of(consent)["consent"].buttons == ["approve", "deny"]
        answer = await submit(stack, forms_of(consent)["consent"], approve="1")
        code = assert_redirected_with_code(answer)
        assert_session_cleared(answer)
        tokens = await exchange(stack, client_id, secret, code)
        assert tokens.access_token
        assert tokens.refresh_token
        assert tokens.member_id

        # The member comes back through another partner flow and logs in instead.
        page = await open_authorize(stack, client_id)
        signed_in = await submit(stack, forms_of(page)["login"], email=email, password=PASSWORD)
        again = await exchange(
            stack, client_id, secret, assert_redirected_with_code(await approve(stack, signed_in))
        )
        assert again.member_id == tokens.member_id


@SQLITE_ONLY
async def test_deny_goes_back_with_access_denied(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        consent = await consent_page(stack, await register(stack, client_id, new_email()))
        answer = await submit(stack, forms_of(consent)["consent"], deny="1")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith(REDIRECT_URI + "?")
        query = query_of(answer.headers["location"])
        assert query["error_code"] == "1021"
        assert query["error"] == "access_denied"
        assert query["error_description"]
        assert (query["transaction_id"], query["state"]) == ("1234567890123456", "abcd1234xyz")
        assert "code" not in query
        assert_session_cleared(answer)


@SQLITE_ONLY
async def test_a_double_submitted_registration_is_one_account(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        form = forms_of(await open_authorize(stack, client_id))["register"]
        email = new_email()
        first = await submit(stack, form, email=email, password=PASSWORD)
        second = await submit(stack, form, email=email, password=PASSWORD)  # the same request_id
        assert first.status_code == 303
        assert second.status_code == 200  # no second account, no EMAIL_TAKEN: log in to go on
        assert 'role="status"' in second.text
        assert forms_of(second)["login"].fields["email"] == email


# --- requests the pages must not redirect -------------------------------------------------------------


@SQLITE_ONLY
async def test_an_unknown_client_gets_an_error_page_and_no_redirect(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        page = await open_authorize(stack, "no-such-client")
        assert page.status_code == 400
        assert "location" not in page.headers
        assert 'role="alert"' in page.text
        assert REDIRECT_URI not in page.text
        assert "<form" not in page.text


@SQLITE_ONLY
async def test_a_redirect_uri_not_registered_gets_an_error_page(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        evil = "https://evil.example/callback"
        page = await open_authorize(stack, client_id, redirect_uri=evil)
        assert page.status_code == 400
        assert "location" not in page.headers
        assert evil not in page.text


@SQLITE_ONLY
async def test_a_repeated_parameter_gets_an_error_page(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        query = [*authorize_params(client_id).items(), ("redirect_uri", "https://evil.example/callback")]
        page = await stack.http.get("/oauth/authorize", params=query)
        assert page.status_code == 400
        assert "location" not in page.headers


@SQLITE_ONLY
async def test_a_scope_the_client_lacks_goes_back_with_invalid_scope(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client(scopes=("steps",))
        answer = await open_authorize(stack, client_id, scope="health:read")
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        query = query_of(location)
        assert (query["error_code"], query["error"]) == ("1031", "invalid_scope")
        assert (query["transaction_id"], query["state"]) == ("1234567890123456", "abcd1234xyz")
        assert query["error_description"]


@SQLITE_ONLY
async def test_a_bad_channel_goes_back_with_invalid_request(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        answer = await open_authorize(stack, client_id, channel="web")
        assert answer.status_code == 303
        assert query_of(answer.headers["location"])["error_code"] == "1001"


# --- CSRF ---------------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_a_post_without_the_csrf_token_is_refused_and_does_nothing(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        form = forms_of(await open_authorize(stack, client_id))["register"]
        email = new_email()
        without = {name: value for name, value in form.fields.items() if name != "csrf_token"}
        refused = await stack.http.post(form.action, data={**without, "email": email, "password": PASSWORD})
        assert refused.status_code == 403
        assert "set-cookie" not in refused.headers
        forged = await submit(stack, form, email=email, password=PASSWORD, csrf_token="forged")
        assert forged.status_code == 403
        stack.http.cookies.clear()  # the field alone, without its cookie
        assert (await submit(stack, form, email=email, password=PASSWORD)).status_code == 403
        # Nothing was registered: the e-mail is still free.
        assert (await register(stack, client_id, email)).status_code == 303


@SQLITE_ONLY
async def test_a_post_from_another_site_is_refused(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        form = forms_of(await open_authorize(stack, client_id))["register"]
        inputs = {"email": new_email(), "password": PASSWORD}
        foreign = await submit(stack, form, headers={"origin": "https://evil.example"}, **inputs)
        assert foreign.status_code == 403
        cross_site = await submit(stack, form, headers={"sec-fetch-site": "cross-site"}, **inputs)
        assert cross_site.status_code == 403
        # What a browser sends from our own page under Referrer-Policy no-referrer.
        own = await submit(stack, form, headers={"origin": "null", "sec-fetch-site": "same-origin"}, **inputs)
        assert own.status_code == 303


@SQLITE_ONLY
async def test_the_consent_post_needs_the_csrf_token_too(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        consent = await consent_page(stack, await register(stack, client_id, new_email()))
        fields = dict(forms_of(consent)["consent"].fields)
        del fields["csrf_token"]
        refused = await stack.http.post("/oauth/authorize/consent", data={**fields, "approve": "1"})
        assert refused.status_code == 403
        assert "location" not in refused.headers


# --- the forms' failures ------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_a_wrong_password_reshows_the_form_with_the_email(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        email = new_email()
        await register(stack, client_id, email)
        form = forms_of(await open_authorize(stack, client_id))["login"]
        wrong = "not the password at all"
        page = await submit(stack, form, email=email, password=wrong)
        assert page.status_code == 401
        assert 'role="alert"' in page.text
        assert "e-mail address or password is not correct" in page.text
        assert forms_of(page)["login"].fields["email"] == email
        assert forms_of(page)["login"].fields["password"] == ""
        assert wrong not in page.text
        assert "loyalty_session" not in set_cookies(page)


@SQLITE_ONLY
async def test_registration_failures_reshow_the_form(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        email = new_email()
        await register(stack, client_id, email)
        taken = await register(stack, client_id, email)
        assert taken.status_code == 409
        assert "already exists" in taken.text
        assert forms_of(taken)["register"].fields["email"] == email
        weak = await register(stack, client_id, new_email(), password="short")
        assert weak.status_code == 400
        assert 'role="alert"' in weak.text
        assert "short" not in weak.text.split('role="alert"')[1].split("</p>")[0]
        too_long = await register(stack, client_id, new_email(), password="x" * 129)
        assert too_long.status_code == 400
        assert "too long" in too_long.text


@SQLITE_ONLY
async def test_repeated_failures_are_throttled_with_retry_after(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url, login_failures_per_account_max=2) as stack:
        client_id, _secret = await stack.partner_client()
        email = new_email()
        await register(stack, client_id, email)
        form = forms_of(await open_authorize(stack, client_id))["login"]
        statuses = [
            (await submit(stack, form, email=email, password="wrong password!")).status_code for _ in range(2)
        ]
        assert statuses == [401, 401]
        throttled = await submit(stack, form, email=email, password=PASSWORD)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Too many failed attempts" in throttled.text
        assert forms_of(throttled)["login"].fields["email"] == email


@SQLITE_ONLY
async def test_consent_without_a_session_asks_to_log_in(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        page = await stack.http.get("/oauth/authorize/consent", params=authorize_params(client_id))
        assert page.status_code == 401
        assert "login" in forms_of(page)
        assert 'role="alert"' in page.text


@SQLITE_ONLY
async def test_an_ended_session_at_consent_asks_to_log_in_again(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        consent = await consent_page(stack, await register(stack, client_id, new_email()))
        stack.http.cookies.set("loyalty_session", "not-a-session", domain="127.0.0.1", path="/oauth")
        answer = await submit(stack, forms_of(consent)["consent"], approve="1")
        assert answer.status_code == 401
        assert "location" not in answer.headers
        assert 'role="alert"' in answer.text
        assert "login" in forms_of(answer)
        assert_session_cleared(answer)


@SQLITE_ONLY
async def test_a_locked_account_cannot_log_in(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, secret = await stack.partner_client()
        email = new_email()
        code = assert_redirected_with_code(await approve(stack, await register(stack, client_id, email)))
        member_id = (await exchange(stack, client_id, secret, code)).member_id
        await auth_pb2_grpc.AuthServiceStub(stack.channel).LockMemberAccount(
            auth_pb2.LockMemberAccountRequest(member_id=member_id, reason="fraud check", request_id="lock-1"),
            metadata=await stack.admin(),
        )
        form = forms_of(await open_authorize(stack, client_id))["login"]
        page = await submit(stack, form, email=email, password=PASSWORD)
        assert page.status_code == 403
        assert "locked" in page.text
        assert forms_of(page)["login"].fields["email"] == email


@SQLITE_ONLY
async def test_an_unreachable_server_is_a_friendly_page(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        await stack.server.stop(grace_s=0)
        page = await open_authorize(stack, client_id)
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Traceback" not in page.text
        assert page.headers["content-security-policy"] == CSP


# --- cookies, headers, markup -------------------------------------------------------------------------


@SQLITE_ONLY
async def test_cookies_over_plain_http(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        page = await open_authorize(stack, client_id)
        csrf = attributes_of(set_cookies(page)["loyalty_csrf"])
        assert {"httponly", "samesite=strict", "path=/oauth"} <= csrf
        assert "secure" not in csrf
        signed_in = await register(stack, client_id, new_email())
        session = attributes_of(set_cookies(signed_in)["loyalty_session"])
        assert {"httponly", "samesite=lax", "path=/oauth"} <= session
        assert "secure" not in session
        max_age = next(int(part.split("=")[1]) for part in session if part.startswith("max-age="))
        assert 800 < max_age <= 900  # the server's 15-minute member session


@SQLITE_ONLY
async def test_cookies_behind_an_https_proxy_are_secure_host_cookies(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url, gateway_https_proxy=True) as stack:
        client_id, _secret = await stack.partner_client()
        page = await open_authorize(stack, client_id)
        csrf_header = set_cookies(page)["__Host-loyalty_csrf"]
        assert {"secure", "httponly", "samesite=strict", "path=/"} <= attributes_of(csrf_header)
        assert not any(part.startswith("domain=") for part in attributes_of(csrf_header))
        # httpx keeps Secure cookies for https only; a browser behind the proxy would send it back.
        token = csrf_header.split(";")[0].split("=", 1)[1]
        form = forms_of(page)["register"]
        signed_in = await stack.http.post(
            form.action,
            data={**form.fields, "email": new_email(), "password": PASSWORD},
            headers={
                "cookie": f"__Host-loyalty_csrf={token}",
                "origin": stack.base_url.replace("http:", "https:"),
            },
        )
        session = attributes_of(set_cookies(signed_in)["__Host-loyalty_session"])
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= session


@SQLITE_ONLY
async def test_every_answer_carries_the_security_headers(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        page = await open_authorize(stack, client_id)
        answers = {
            "login page": page,
            "error page": await open_authorize(stack, "no-such-client"),
            "error redirect": await open_authorize(stack, client_id, scope="nonsense"),
            "consent redirect": await register(stack, client_id, new_email()),
            "refused post": await stack.http.post("/oauth/authorize/login", data={"email": "a@b.c"}),
        }
        for what, answer in answers.items():
            for name, value in SECURITY_HEADERS.items():
                assert answer.headers.get(name) == value, (what, name)
        css = await stack.http.get("/oauth/static/pages.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert css.headers["x-content-type-options"] == "nosniff"
        assert (await stack.http.get("/oauth/static/../routes.py")).status_code == 404
        assert (await stack.http.get("/oauth/static/missing.css")).status_code == 404


@SQLITE_ONLY
async def test_pages_are_plain_accessible_html(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client()
        page = await open_authorize(stack, client_id)
        text = page.text
        assert text.startswith("<!doctype html>")
        assert '<html lang="en">' in text
        for present in ("<main>", "<h1>", "<h2", 'rel="stylesheet"'):
            assert present in text
        for absent in ("<script", "<style", "style=", " on"):  # no inline script or style, no handlers
            assert absent not in text
        for input_id in ("login-email", "login-password", "register-email", "register-password"):
            assert f'<label for="{input_id}">' in text
        assert 'autocomplete="current-password"' in text
        assert 'autocomplete="new-password"' in text
        assert text.count('autocomplete="email"') == 2


@SQLITE_ONLY
async def test_everything_rendered_is_escaped(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        client_id, _secret = await stack.partner_client(name='<script>alert("x")</script>')
        page = await open_authorize(stack, client_id, state='"><img src=x onerror=alert(1)>')
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;script&gt;" in page.text
        assert "<img" not in page.text
        assert forms_of(page)["login"].fields["state"] == '"><img src=x onerror=alert(1)>'
