"""The pages as HTML: one template per page inside a base layout, filled with string.Template.

Every value reaches a template through this module and is escaped here, once; the handlers never
build HTML. Every answer carries the security headers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from starlette.responses import HTMLResponse, RedirectResponse, Response

from loyalty_gateway.pages.params import AuthParams
from loyalty_gateway.pages.security import CSRF_FIELD, SECURITY_HEADERS

# Limits of RegisterMember (auth.proto); the gateway checks them before calling, the browser too.
EMAIL_LENGTH_MAX = 254
PASSWORD_LENGTH_MIN = 10
PASSWORD_LENGTH_MAX = 128
GIVEN_NAME_LENGTH_MAX = 100


@dataclass(frozen=True, slots=True)
class Message:
    """A line above a form: an error (role=alert, marks the fields invalid) or a notice (role=status)."""

    text: str
    is_error: bool = True


@dataclass(frozen=True, slots=True)
class FormState:
    """What a re-shown form keeps: the e-mail (never the password), the given name, and a message."""

    email: str = ""
    given_name: str = ""
    message: Message | None = None


BLANK_FORM = FormState()


@dataclass(frozen=True, slots=True)
class AuthorizeView:
    client_name: str
    params: AuthParams
    csrf_token: str
    request_id: str  # RegisterMember's idempotency key: one per rendering, so a double submit is one
    login: FormState = BLANK_FORM
    register: FormState = BLANK_FORM


@cache
def _template(name: str) -> Template:
    text = resources.files("loyalty_gateway.pages").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def _escape(value: str) -> str:
    return html.escape(value, quote=True)


def _document(title: str, content: str, status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    body = _template("base.html").substitute(title=_escape(title), content=content)
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _hidden_fields(params: AuthParams, csrf_token: str) -> str:
    pairs = [*params.items().items(), (CSRF_FIELD, csrf_token)]
    return "\n".join(
        f'<input type="hidden" name="{_escape(name)}" value="{_escape(value)}">' for name, value in pairs
    )


def _message(form_id: str, message: Message | None) -> str:
    if message is None:
        return ""
    if message.is_error:
        return f'<p class="alert" role="alert" id="{form_id}-error">{_escape(message.text)}</p>'
    return f'<p class="notice" role="status">{_escape(message.text)}</p>'


def _invalid_marker(state: FormState) -> str:
    if state.message is None or not state.message.is_error:
        return ""
    return ' aria-invalid="true"'  # the message itself is announced: role=alert


def authorize_page(
    view: AuthorizeView, *, status: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    content = _template("authorize.html").substitute(
        client_name=_escape(view.client_name),
        hidden_fields=_hidden_fields(view.params, view.csrf_token),
        request_id=_escape(view.request_id),
        login_message=_message("login", view.login.message),
        login_email=_escape(view.login.email),
        login_invalid=_invalid_marker(view.login),
        register_message=_message("register", view.register.message),
        register_email=_escape(view.register.email),
        register_invalid=_invalid_marker(view.register),
        given_name=_escape(view.register.given_name),
        email_max=EMAIL_LENGTH_MAX,
        password_min=PASSWORD_LENGTH_MIN,
        password_max=PASSWORD_LENGTH_MAX,
        given_name_max=GIVEN_NAME_LENGTH_MAX,
    )
    return _document(f"Log in to connect {view.client_name}", content, status, headers)


def consent_page(
    client_name: str, scope_descriptions: list[str], params: AuthParams, csrf_token: str
) -> HTMLResponse:
    items = "\n".join(f"<li>{_escape(text)}</li>" for text in scope_descriptions)
    content = _template("consent.html").substitute(
        client_name=_escape(client_name),
        scope_items=items,
        hidden_fields=_hidden_fields(params, csrf_token),
    )
    return _document(f"Allow {client_name} to connect?", content, 200)


def error_page(
    status: int, heading: str, message: str, advice: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    content = _template("error.html").substitute(
        heading=_escape(heading), message=_escape(message), advice=_escape(advice)
    )
    return _document(heading, content, status, headers)


def redirect(url: str) -> Response:
    """303: the browser follows with a GET whatever the method was. no-referrer and no-store matter
    here too: the target carries the code and the state."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
