"""One HTTP attempt of a webhook: POST the signed body, time it, keep the first KiB of the answer.

The target's name is resolved and every address checked right before the attempt (urls.py), and the
request goes to the checked address (Host header and TLS SNI keep the name), so DNS that changed
since registration cannot point us into our own network. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from loyalty_server.errors import DomainError
from loyalty_server.webhooks.backoff import parse_retry_after
from loyalty_server.webhooks.urls import UrlPolicy, check_url_syntax, resolve_checked

SNIPPET_BYTES_MAX = 1024
RETRY_AFTER_MAX_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class AttemptResult:
    started_at: dt.datetime
    http_status: int  # 0: no answer
    latency_ms: int
    response_snippet: str
    error: str  # network, TLS or policy error; "" when an answer came
    retry_after_s: int | None

    @property
    def succeeded(self) -> bool:
        return 200 <= self.http_status < 300


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    policy: UrlPolicy,
    timeout_s: float,
    now: dt.datetime,
) -> AttemptResult:
    started = time.monotonic()

    def result(
        status: int = 0, snippet: str = "", error: str = "", retry_after: int | None = None
    ) -> AttemptResult:
        latency_ms = int((time.monotonic() - started) * 1000)
        return AttemptResult(now, status, latency_ms, snippet, error, retry_after)

    try:
        # One limit for the whole attempt (resolution, connect, send, answer): it must end within
        # its lease, however slowly a receiver trickles its answer.
        async with asyncio.timeout(timeout_s):
            response, snippet = await _send(client, url, headers, body, policy, timeout_s)
    except DomainError as refused:
        return result(error=f"{refused.reason}: {refused.message}"[:300])
    except (TimeoutError, httpx.TimeoutException):
        return result(error=f"timeout after {timeout_s:g}s")
    except httpx.HTTPError as exc:
        return result(error=_network_error(exc))
    retry_after = parse_retry_after(response.headers.get("retry-after"), now, max_s=RETRY_AFTER_MAX_S)
    return result(response.status_code, snippet, retry_after=retry_after)


async def _send(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: bytes,
    policy: UrlPolicy,
    timeout_s: float,
) -> tuple[httpx.Response, str]:
    host = check_url_syntax(url, policy)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve_checked(host, port, policy, timeout_s=min(timeout_s, 5.0))
    request = client.build_request(
        "POST",
        _pinned(url, addresses[0]),
        headers={**headers, "host": parts.netloc},
        content=body,
        extensions={"sni_hostname": host, "timeout": httpx.Timeout(timeout_s).as_dict()},
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        return response, await _snippet(response)
    finally:
        await response.aclose()


def _pinned(url: str, address: str) -> str:
    """The URL with its host replaced by the checked address (bracketed for IPv6)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


async def _snippet(response: httpx.Response) -> str:
    taken = b""
    async for chunk in response.aiter_bytes():
        taken += chunk
        if len(taken) >= SNIPPET_BYTES_MAX:
            break
    return taken[:SNIPPET_BYTES_MAX].decode("utf-8", errors="replace")


def _network_error(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return f"{type(exc).__name__}: {text}"[:300]
