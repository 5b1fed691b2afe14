"""What keeps the pages safe in a browser: the response headers, the cookies, and the CSRF checks.

CSRF: a double-submit token. A random value goes into a cookie and into a hidden field of every form;
a POST must bring both, equal. A cross-site page can make the browser send the cookie (or, with
SameSite=Strict, not even that) but cannot read it to fill in the field. The `__Host-` prefix (over
https) stops a sibling subdomain from planting a cookie of its own to match a field it wrote.
On top, the browser's own word on where a POST comes from (Sec-Fetch-Site, Origin) must be this
site when it gives one.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from loyalty_server.config import Settings

# No form-action: Chrome applies it to the redirect that follows a form POST, and that redirect goes
# to the partner's redirect_uri, which is on another origin. The forms post to fixed relative paths.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",  # the query carries state; the redirect carries the code
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}

CSRF_FIELD = "csrf_token"
CSRF_TOKEN_BYTES = 32
CSRF_TOKEN_LENGTH_MAX = 128  # a cookie or field longer than any token we issue is not compared at all
CSRF_COOKIE_MAX_AGE_S = 3600  # a login page left open longer must be reloaded
SESSION_COOKIE_MAX_AGE_S = 24 * 3600  # upper bound whatever the server says; its sessions last minutes

# Sec-Fetch-Site values of a POST this site may accept: from its own pages, or typed by the user.
ACCEPTED_FETCH_SITES = frozenset({"same-origin", "none"})


def new_csrf_token() -> str:
    return secrets.token_urlsafe(CSRF_TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class Cookies:
    """Names and attributes of the pages' two cookies.

    Over https both carry the `__Host-` prefix, which browsers accept only with Secure, no Domain and
    Path=/; so Path=/oauth applies over plain http only (a developer's loopback)."""

    secure: bool

    @classmethod
    def for_settings(cls, settings: Settings) -> Cookies:
        return cls(secure=settings.tls_enabled or settings.gateway_https_proxy)

    @property
    def path(self) -> str:
        return "/" if self.secure else "/oauth"

    @property
    def session_name(self) -> str:
        return "__Host-loyalty_session" if self.secure else "loyalty_session"

    @property
    def csrf_name(self) -> str:
        return "__Host-loyalty_csrf" if self.secure else "loyalty_csrf"

    def session_token(self, request: Request) -> str:
        return request.cookies.get(self.session_name, "")

    def csrf_token(self, request: Request) -> str:
        """The request's CSRF cookie if it looks like one we issued; otherwise empty."""
        token = request.cookies.get(self.csrf_name, "")
        return token if 0 < len(token) <= CSRF_TOKEN_LENGTH_MAX else ""

    def set_session(self, response: Response, token: str, expire_epoch_s: float) -> None:
        """The member session lives as long as the server's session, and no longer than a day."""
        max_age = min(SESSION_COOKIE_MAX_AGE_S, max(0, math.floor(expire_epoch_s - time.time())))
        response.set_cookie(
            self.session_name,
            token,
            max_age=max_age,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="lax",  # sent on the redirect from our own POST; not on cross-site POSTs
        )

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            self.session_name, path=self.path, secure=self.secure, httponly=True, samesite="lax"
        )

    def set_csrf(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.csrf_name,
            token,
            max_age=CSRF_COOKIE_MAX_AGE_S,
            path=self.path,
            secure=self.secure,
            httponly=True,  # the field carries the value to the form; no script needs it
            samesite="strict",  # the forms post to their own site only
        )


def csrf_matches(cookie_token: str, field_token: object) -> bool:
    if not cookie_token or not isinstance(field_token, str):
        return False
    if not 0 < len(field_token) <= CSRF_TOKEN_LENGTH_MAX:
        return False
    return hmac.compare_digest(cookie_token.encode(), field_token.encode())


def from_this_site(request: Request, settings: Settings) -> bool:
    """False when the browser says the POST comes from another site.

    `Origin: null` counts as no answer: with Referrer-Policy no-referrer the browser sends exactly that
    for a POST from our own page (Fetch: "serializing a request origin"). Sec-Fetch-Site still tells."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ACCEPTED_FETCH_SITES:
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.lower() == own_origin(request, settings)


def own_origin(request: Request, settings: Settings) -> str:
    """This gateway's origin as the browser sees it. Behind an https proxy the connection is plain
    http, so the scheme comes from the settings; the Host header is the one the browser sent."""
    https = settings.tls_enabled or settings.gateway_https_proxy or request.url.scheme == "https"
    host = request.headers.get("host", "")
    return f"{'https' if https else 'http'}://{host}".lower()
