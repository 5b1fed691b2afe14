"""Webhook target URLs: well-formed, https, and never pointing inside our own network (SSRF).

A tenant names the URL and the engine sends requests to it, so an unchecked URL would let anyone
with an API key reach the cloud metadata service, the database or an admin port. Checked twice:
at registration (a clear INVALID_ARGUMENT) and before each attempt (DNS may have changed since).
Every resolved address must be allowed, so a name that also resolves to a private address fails.

Messages name the host, never the whole URL: query strings often carry the receiver's token.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from loyalty_server.errors import ConfigError, DomainError, FieldViolation, invalid_argument

URL_MAX_CHARS = 2048
URL_FIELD = "webhook_endpoint.url"
ALLOWED_NETWORKS_SETTING = "webhook_allowed_networks"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Same shape as loop.getaddrinfo(host, port): (family, type, proto, canonname, sockaddr) tuples.
Resolver = Callable[[str, int], Awaitable[Sequence[tuple[Any, ...]]]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT: not is_private, still not public
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False
    allowed_networks: tuple[IpNetwork, ...] = ()  # allowed although private or loopback

    @classmethod
    def from_settings(cls, allow_http: bool, allowed_networks: str) -> UrlPolicy:
        """From the settings `webhook_allow_http` and `webhook_allowed_networks` ("10.0.0.0/8, ::1")."""
        networks = []
        for item in allowed_networks.split(","):
            cidr = item.strip()
            if not cidr:
                continue
            try:
                networks.append(ipaddress.ip_network(cidr))
            except ValueError as exc:
                raise ConfigError(f"{ALLOWED_NETWORKS_SETTING}: {cidr!r} is not a CIDR ({exc})") from None
        return cls(allow_http=allow_http, allowed_networks=tuple(networks))


def check_url_syntax(url: str, policy: UrlPolicy) -> str:
    """Return the URL's host (lower case, IPv6 without brackets) or raise URL_INVALID/URL_NOT_ALLOWED."""
    if not url:
        raise _invalid("the webhook URL is empty")
    if len(url) > URL_MAX_CHARS:
        raise _invalid(f"the webhook URL is longer than {URL_MAX_CHARS} characters")
    # Before urlsplit, which silently drops tabs and newlines.
    if any(_control_or_space(char) for char in url):
        raise _invalid("the webhook URL contains whitespace or control characters")
    parts = _split(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise _invalid("the webhook URL must be https")
    if parts.scheme == "http" and not policy.allow_http:
        raise _invalid("the webhook URL must be https (http is not allowed on this server)")
    if "@" in parts.netloc:
        raise _invalid("the webhook URL must not contain a user name or password")
    if "#" in url:
        raise _invalid("the webhook URL must not contain a fragment")
    host = parts.hostname
    if not host:
        raise _invalid("the webhook URL has no host")
    _port(parts)
    literal = _literal_ip(host)
    if literal is not None and not address_allowed(literal, policy):
        raise _not_allowed(f"the webhook URL host {host} is not a public address")
    return host


def address_allowed(ip: IpAddress, policy: UrlPolicy) -> bool:
    """Whether requests may go to `ip`: public addresses, plus the operator's allowed networks."""
    judged = _as_ipv4(ip)
    if any(candidate in network for candidate in {ip, judged} for network in policy.allowed_networks):
        return True
    if (
        judged.is_private
        or judged.is_loopback
        or judged.is_link_local  # includes 169.254.169.254, the cloud metadata service
        or judged.is_unspecified
        or judged.is_multicast
        or judged.is_reserved
    ):
        return False
    if isinstance(judged, ipaddress.IPv4Address):
        return judged not in _CGNAT
    return judged not in _UNIQUE_LOCAL and not judged.is_site_local


async def resolve_checked(
    host: str, port: int, policy: UrlPolicy, *, timeout_s: float = 5.0, resolver: Resolver | None = None
) -> list[str]:
    """Resolve `host`; return its addresses if every one is allowed, else raise DomainError."""
    resolve = resolver or _system_resolver
    try:
        async with asyncio.timeout(timeout_s):
            entries = await resolve(host, port)
    except TimeoutError:
        raise _unresolvable(f"the webhook URL host {host} did not resolve within {timeout_s:g} s") from None
    except (OSError, ValueError):  # gaierror, or a name IDNA cannot encode
        raise _unresolvable(f"the webhook URL host {host} does not resolve") from None
    addresses = list(dict.fromkeys(str(entry[4][0]) for entry in entries))
    if not addresses:
        raise _unresolvable(f"the webhook URL host {host} does not resolve")
    # All, not any: the HTTP client may connect to whichever address it likes.
    if not all(_text_allowed(address, policy) for address in addresses):
        raise _not_allowed(f"the webhook URL host {host} resolves to an address that is not allowed")
    return addresses


async def check_url(url: str, policy: UrlPolicy, *, resolver: Resolver | None = None) -> None:
    host = check_url_syntax(url, policy)
    parts = urlsplit(url)
    port = _port(parts) or _DEFAULT_PORTS[parts.scheme]
    await resolve_checked(host, port, policy, resolver=resolver)


async def _system_resolver(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    return await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _as_ipv4(ip: IpAddress) -> IpAddress:
    """::ffff:10.0.0.1 reaches 10.0.0.1, so it is judged as that."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _text_allowed(address: str, policy: UrlPolicy) -> bool:
    ip = _literal_ip(address)
    return ip is not None and address_allowed(ip, policy)  # unparsable: refused, never guessed


def _literal_ip(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" in the host
        raise _invalid("the webhook URL cannot be parsed") from None


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise _invalid("the webhook URL has an invalid port") from None
    if port == 0:
        raise _invalid("the webhook URL has an invalid port")
    return port


def _control_or_space(char: str) -> bool:
    # Categories C* are control, format (zero-width), surrogate, private-use and unassigned.
    return char.isspace() or unicodedata.category(char).startswith("C")


def _invalid(message: str) -> DomainError:
    return invalid_argument("URL_INVALID", message, FieldViolation(URL_FIELD, message))


def _not_allowed(message: str) -> DomainError:
    return invalid_argument("URL_NOT_ALLOWED", message, FieldViolation(URL_FIELD, message))


def _unresolvable(message: str) -> DomainError:
    return invalid_argument("URL_UNRESOLVABLE", message, FieldViolation(URL_FIELD, message))
