"""The member's pages of the OAuth flow: the partner API's "Request Authorization Code".

GET  /oauth/authorize            the login and registration forms
POST /oauth/authorize/login      LoginMember, then 303 to the consent page
POST /oauth/authorize/register   RegisterMember, then 303 to the consent page
GET  /oauth/authorize/consent    the consent page (needs the member session cookie)
POST /oauth/authorize/consent    approve: IssueAuthorizationCode and 303 to the redirect_uri with the
                                 code; deny: 303 to the redirect_uri with 1021 access_denied
GET  /oauth/static/{name}        the stylesheet

The authorization parameters travel in the query and in hidden fields, so every step asks
ValidateAuthorization again: the server is the judge, the pages keep no state of their own. A
failure the server marks with a seed error code goes back to the redirect_uri, except when the
client or the redirect_uri cannot be trusted: then an error page, never a redirect.
The four methods need role internal: they are always called as the gateway itself.
"""

from __future__ import annotations

import functools
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import cache
from importlib import resources

import grpc
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loyalty.v1 import auth_pb2
from loyalty_gateway.pages.params import AuthParams, BadParameters
from loyalty_gateway.pages.render import (
    BLANK_FORM,
    EMAIL_LENGTH_MAX,
    GIVEN_NAME_LENGTH_MAX,
    PASSWORD_LENGTH_MAX,
    AuthorizeView,
    FormState,
    Message,
    authorize_page,
    consent_page,
    error_page,
    redirect,
)
from loyalty_gateway.pages.security import (
    CSRF_FIELD,
    SECURITY_HEADERS,
    Cookies,
    csrf_matches,
    from_this_site,
    new_csrf_token,
)
from loyalty_gateway.rpc_errors import RpcFailure
from loyalty_gateway.upstream import Upstream
from loyalty_server.config import Settings
from loyalty_server.logs import log_event

logger = logging.getLogger("loyalty.gateway.pages")

# Reasons that mean the redirect_uri cannot be trusted (auth.proto, ValidateAuthorization).
UNTRUSTED_REDIRECT = frozenset({"UNAUTHORIZED_CLIENT", "REDIRECT_URI_MISMATCH"})
# The member session is gone (expired, or the account's sessions were ended): log in again.
SESSION_ENDED = "INVALID_TOKEN"

# The forms hold the 9 parameters, the CSRF token, a request id and at most 3 member fields.
FORM_FIELDS_MAX = 20
FORM_FIELD_BYTES_MAX = 16 * 1024  # a parameter of 2048 characters, percent-encoded, fits
USER_AGENT_LENGTH_MAX = 500  # ClientContext.user_agent
REQUEST_ID_LENGTH_MAX = 128
FIELD_LIMITS: dict[str, tuple[str, int]] = {
    "email": ("The e-mail address", EMAIL_LENGTH_MAX),
    "password": ("The password", PASSWORD_LENGTH_MAX),
    "given_name": ("The first name", GIVEN_NAME_LENGTH_MAX),
}
STATIC_TYPES = {"pages.css": "text/css; charset=utf-8"}
STATIC_CACHE_CONTROL = "public, max-age=3600"

EXPIRED_FORM = Message("Your sign-in has expired. Please log in again.")


class Stop(Exception):
    """Ends a request early with a finished answer: an error page, or the redirect back."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


Handler = Callable[["Pages", Request], Awaitable[Response]]


def _answering(handler: Handler) -> Handler:
    """A Stop becomes its answer; a failure nobody mapped becomes a friendly page, never a trace."""

    @functools.wraps(handler)
    async def run(self: Pages, request: Request) -> Response:
        try:
            return await handler(self, request)
        except Stop as stop:
            return stop.response
        except grpc.aio.AioRpcError as exc:
            return _service_failure_page(RpcFailure.of(exc))

    return run


class Pages:
    def __init__(self, upstream: Upstream, settings: Settings) -> None:
        self.upstream = upstream
        self.settings = settings
        self.cookies = Cookies.for_settings(settings)

    # --- the routes -----------------------------------------------------------------------------

    @_answering
    async def authorize(self, request: Request) -> Response:
        params = _params(request.query_params)
        checked = await self._validate(params)
        return self._authorize_page(request, params, checked)

    @_answering
    async def login(self, request: Request) -> Response:
        form = await self._posted_form(request)
        params = _params(form)
        checked = await self._validate(params)
        state = FormState(email=_kept_email(form))
        if problem := _too_long(form, ("email", "password")):
            return self._authorize_page(
                request, params, checked, login=replace(state, message=problem), status=400
            )
        call = auth_pb2.LoginMemberRequest(
            email=_text(form, "email"),
            password=_text(form, "password"),
            client_id=params.client_id,
            context=_client_context(request),
        )
        try:
            reply = await self.upstream.as_internal(self.upstream.auth.LoginMember, call)
        except grpc.aio.AioRpcError as exc:
            status, message, headers = _form_failure(RpcFailure.of(exc))
            state = replace(state, message=message)
            return self._authorize_page(request, params, checked, login=state, status=status, headers=headers)
        return self._signed_in(params, reply.member_session_token, reply.session_expire_time.ToNanoseconds())

    @_answering
    async def register(self, request: Request) -> Response:
        form = await self._posted_form(request)
        params = _params(form)
        checked = await self._validate(params)
        state = FormState(email=_kept_email(form), given_name=_kept(form, "given_name"))
        if problem := _too_long(form, ("email", "password", "given_name")):
            return self._authorize_page(
                request, params, checked, register=replace(state, message=problem), status=400
            )
        call = auth_pb2.RegisterMemberRequest(
            email=_text(form, "email"),
            password=_text(form, "password"),
            given_name=_text(form, "given_name").strip(),
            client_id=params.client_id,
            context=_client_context(request),
            request_id=_request_id(form),
        )
        try:
            reply = await self.upstream.as_internal(self.upstream.auth.RegisterMember, call)
        except grpc.aio.AioRpcError as exc:
            status, message, headers = _form_failure(RpcFailure.of(exc))
            state = replace(state, message=message)
            return self._authorize_page(
                request, params, checked, register=state, status=status, headers=headers
            )
        if not reply.member_session_token:
            # A replay of a registration whose answer was lost (a double submit): the account is there,
            # but a request id is no proof of the password, so the server opens no session.
            ready = FormState(
                email=state.email, message=Message("Your account is ready. Please log in to continue.", False)
            )
            return self._authorize_page(request, params, checked, login=ready)
        return self._signed_in(params, reply.member_session_token, reply.session_expire_time.ToNanoseconds())

    @_answering
    async def consent(self, request: Request) -> Response:
        params = _params(request.query_params)
        checked = await self._validate(params)
        if not self.cookies.session_token(request):
            return self._authorize_page(
                request, params, checked, login=FormState(message=EXPIRED_FORM), status=401
            )
        token = self.cookies.csrf_token(request) or new_csrf_token()
        response = consent_page(checked.client_name, list(checked.scope_descriptions), params, token)
        self.cookies.set_csrf(response, token)
        return response

    @_answering
    async def decide(self, request: Request) -> Response:
        form = await self._posted_form(request)
        params = _params(form)
        checked = await self._validate(params)  # never redirect to a redirect_uri the server has not accepted
        approve, deny = "approve" in form, "deny" in form
        if approve == deny:
            raise Stop(error_page(400, "Choose Allow or Deny", "The form did not say.", _START_AGAIN))
        if deny:
            response = redirect(params.error_url("1021", "access_denied", "The member denied the request."))
        else:
            response = await self._issue_code(request, params, checked)
        self.cookies.clear_session(response)  # one session, one decision
        return response

    # --- the steps ------------------------------------------------------------------------------

    async def _validate(self, params: AuthParams) -> auth_pb2.ValidateAuthorizationResponse:
        call = auth_pb2.ValidateAuthorizationRequest(parameters=params.proto())
        try:
            return await self.upstream.as_internal(self.upstream.auth.ValidateAuthorization, call)
        except grpc.aio.AioRpcError as exc:
            raise Stop(_authorization_failure(params, RpcFailure.of(exc))) from None

    async def _issue_code(
        self, request: Request, params: AuthParams, checked: auth_pb2.ValidateAuthorizationResponse
    ) -> Response:
        session = self.cookies.session_token(request)
        if not session:
            return self._authorize_page(
                request, params, checked, login=FormState(message=EXPIRED_FORM), status=401
            )
        call = auth_pb2.IssueAuthorizationCodeRequest(parameters=params.proto(), member_session_token=session)
        try:
            reply = await self.upstream.as_internal(self.upstream.auth.IssueAuthorizationCode, call)
        except grpc.aio.AioRpcError as exc:
            failure = RpcFailure.of(exc)
            if failure.reason == SESSION_ENDED:
                return self._authorize_page(
                    request, params, checked, login=FormState(message=EXPIRED_FORM), status=401
                )
            return _authorization_failure(params, failure)
        return redirect(
            reply.redirect_url
        )  # the server's: redirect_uri?code=…&scope=…&transaction_id=…&state=…

    async def _posted_form(self, request: Request) -> FormData:
        """The form of a POST from this site's own page; anything else is refused before it acts."""
        if not from_this_site(request, self.settings):
            raise Stop(_forbidden_page())
        try:
            form = await request.form(
                max_files=0, max_fields=FORM_FIELDS_MAX, max_part_size=FORM_FIELD_BYTES_MAX
            )
        except HTTPException:  # too many fields, a field too large, a file: not our form
            raise Stop(
                error_page(400, "This form could not be read", "It is not one of ours.", _START_AGAIN)
            ) from None
        if not csrf_matches(self.cookies.csrf_token(request), form.get(CSRF_FIELD)):
            raise Stop(_forbidden_page())
        return form

    def _authorize_page(
        self,
        request: Request,
        params: AuthParams,
        checked: auth_pb2.ValidateAuthorizationResponse,
        *,
        login: FormState = BLANK_FORM,
        register: FormState = BLANK_FORM,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        # A CSRF cookie already set is kept, so a second tab's forms keep working.
        token = self.cookies.csrf_token(request) or new_csrf_token()
        view = AuthorizeView(checked.client_name, params, token, uuid.uuid4().hex, login, register)
        response = authorize_page(view, status=status, headers=headers)
        self.cookies.set_csrf(response, token)
        return response

    def _signed_in(self, params: AuthParams, session_token: str, expire_ns: int) -> Response:
        """Post/redirect/get: a reload of the consent page never sends the password again."""
        response = redirect(f"/oauth/authorize/consent?{params.query()}")
        self.cookies.set_session(response, session_token, expire_ns / 1e9)
        return response


# --- failures -------------------------------------------------------------------------------------

_START_AGAIN = "Please go back to the application and start connecting again."


def _authorization_failure(params: AuthParams, failure: RpcFailure) -> Response:
    if failure.reason in UNTRUSTED_REDIRECT:
        return _untrusted_page()
    code, name = failure.metadata.get("error_code", ""), failure.metadata.get("error", "")
    if code and name:  # a seed error for the partner: it goes back with the echoed fields
        return redirect(params.error_url(code, name, failure.message))
    return _service_failure_page(failure)


def _untrusted_page() -> Response:
    return error_page(
        400,
        "This link is not valid",
        "The application that sent you here is unknown, or it asked to return to an address it has not "
        "registered.",
        "Please contact the application's support. You have not been signed in or connected.",
    )


def _form_failure(failure: RpcFailure) -> tuple[int, Message, dict[str, str]]:
    """A failure of LoginMember or RegisterMember as the status and message of the re-shown form."""
    reason = failure.reason
    if reason == "INVALID_CREDENTIALS":
        text = "The e-mail address or password is not correct."
    elif reason == "ACCOUNT_LOCKED":
        text = "This account is locked. Please contact customer service."
    elif reason == "LOGIN_THROTTLED":
        text = f"Too many failed attempts. Please wait {_wait(failure.retry_after_s)} and try again."
    elif reason == "EMAIL_TAKEN":
        text = "An account with this e-mail address already exists. Please log in instead."
    elif reason == "PASSWORD_TOO_WEAK":
        text = f"Please choose another password ({failure.message})."
    elif failure.code is grpc.StatusCode.INVALID_ARGUMENT:  # the e-mail address or a name, per the server
        text = f"Please check the form: {failure.message}."
    elif reason == "IDEMPOTENCY_KEY_REUSED":  # the same rendering of the form sent again, changed
        text = "This form was already sent. Please reload the page and try again."
    elif reason in UNTRUSTED_REDIRECT:  # the client was disabled between two steps
        raise Stop(_untrusted_page())
    else:
        raise Stop(_service_failure_page(failure))
    return failure.http_status, Message(text), failure.headers()


def _service_failure_page(failure: RpcFailure) -> Response:
    log_event(logger, "page call failed", logging.WARNING, code=failure.code.name, reason=failure.reason)
    if failure.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return error_page(
            503,
            "Temporarily unavailable",
            "The service cannot answer right now.",
            "Please try again in a few minutes.",
            headers=failure.headers(),
        )
    return error_page(500, "Something went wrong", "We could not complete your request.", _START_AGAIN)


def _forbidden_page() -> Response:
    return error_page(
        403,
        "This form has expired",
        "The form was not sent from this site's own page, or it was left open too long.",
        _START_AGAIN,
    )


def _wait(retry_after_s: float | None) -> str:
    if retry_after_s is None:
        return "a few minutes"
    minutes = max(1, math.ceil(retry_after_s / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --- the request ----------------------------------------------------------------------------------


def _params(values: object) -> AuthParams:
    try:
        return AuthParams.of(values)  # type: ignore[arg-type]
    except BadParameters as exc:
        raise Stop(
            error_page(400, "This link is not valid", f"The request is malformed: {exc}.", _START_AGAIN)
        ) from None


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _kept(form: FormData, name: str) -> str:
    """A field to show again in the re-shown form, unless it is over its limit."""
    value = _text(form, name)
    return value if len(value) <= FIELD_LIMITS[name][1] else ""


def _kept_email(form: FormData) -> str:
    return _kept(form, "email").strip()


def _too_long(form: FormData, names: tuple[str, ...]) -> Message | None:
    for name in names:
        label, limit = FIELD_LIMITS[name]
        if len(_text(form, name)) > limit:
            return Message(f"{label} is too long (at most {limit} characters).")
    return None


def _request_id(form: FormData) -> str:
    """The rendering's idempotency key; a form without one (not ours) gets a fresh one."""
    given = _text(form, "request_id")
    return given if 0 < len(given) <= REQUEST_ID_LENGTH_MAX else uuid.uuid4().hex


def _client_context(request: Request) -> auth_pb2.ClientContext:
    """The browser's address (after trusted proxies: uvicorn applies them) for throttling, and its agent."""
    address = request.client.host if request.client else ""
    user_agent = request.headers.get("user-agent", "")[:USER_AGENT_LENGTH_MAX]
    return auth_pb2.ClientContext(remote_address=address, user_agent=user_agent)


# --- the stylesheet -------------------------------------------------------------------------------


@cache
def _static_body(name: str) -> bytes:
    return resources.files("loyalty_gateway.pages").joinpath("static", name).read_bytes()


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_TYPES:  # a fixed list: no path from the request ever reaches the file system
        return Response("not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "cache-control": STATIC_CACHE_CONTROL}
    return Response(_static_body(name), media_type=STATIC_TYPES[name], headers=headers)


def page_routes(upstream: Upstream, settings: Settings) -> list[BaseRoute]:
    pages = Pages(upstream, settings)
    return [
        Route("/oauth/authorize", pages.authorize, methods=["GET"]),
        Route("/oauth/authorize/login", pages.login, methods=["POST"]),
        Route("/oauth/authorize/register", pages.register, methods=["POST"]),
        Route("/oauth/authorize/consent", pages.consent, methods=["GET"]),
        Route("/oauth/authorize/consent", pages.decide, methods=["POST"]),
        Route("/oauth/static/{name}", static_file, methods=["GET"]),
    ]
