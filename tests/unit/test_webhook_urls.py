"""Webhook target URLs: the syntax rules and the SSRF guard, with a fake resolver (no network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from loyalty_server.errors import ConfigError, DomainError, ErrorKind
from loyalty_server.webhooks.urls import (
    URL_MAX_CHARS,
    UrlPolicy,
    address_allowed,
    check_url,
    check_url_syntax,
    resolve_checked,
)

STRICT = UrlPolicy()
HTTP_OK = UrlPolicy(allow_http=True)
LOOPBACK_OK = UrlPolicy.from_settings(allow_http=True, allowed_networks="127.0.0.0/8, ::1/128")


def _refused(reason: str, url: str, policy: UrlPolicy = STRICT) -> DomainError:
    with pytest.raises(DomainError) as raised:
        check_url_syntax(url, policy)
    error = raised.value
    assert (error.kind, error.reason) == (ErrorKind.INVALID_ARGUMENT, reason), error.message
    assert [v.field for v in error.field_violations] == ["webhook_endpoint.url"]
    return error


class FakeResolver:
    """Answers like loop.getaddrinfo from a fixed table; records what it was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[tuple[Any, ...]]:
        self.asked.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_entry(address, port) for address in self.table[host]]


def _entry(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


# --- syntax ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://hooks.example.com/loyalty", "hooks.example.com"),
        ("https://Hooks.Example.COM:8443/a/b?token=x", "hooks.example.com"),
        ("HTTPS://hooks.example.com", "hooks.example.com"),
        ("https://93.184.215.14/hook", "93.184.215.14"),
        ("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    ],
)
def test_good_urls_return_their_host(url: str, host: str) -> None:
    assert check_url_syntax(url, STRICT) == host


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/" + "a" * URL_MAX_CHARS,
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "example.com/hook",
        "//example.com/hook",
        "https://",
        "https:///hook",
        "https://:443/hook",
        "https://user:pass@example.com/hook",
        "https://user@example.com/hook",
        "https://@example.com/hook",
        "https://example.com/hook#frag",
        "https://example.com/hook#",
        "https://example.com/ho ok",
        "https://example.com/hook\n",
        "https://exa\tmple.com/hook",
        "https://example.com/\x00",
        "https://example.com/\x7f",
        "https://exa\u200bmple.com/",  # zero-width space
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com:port/",
        "https://[::1/",
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    _refused("URL_INVALID", url)


def test_messages_never_echo_the_url() -> None:
    error = _refused("URL_INVALID", "https://user:s3cr3t@example.com/hook?token=t0ken")
    assert "s3cr3t" not in error.message
    assert "t0ken" not in error.message


def test_http_only_when_allowed() -> None:
    _refused("URL_INVALID", "http://example.com/hook")
    assert check_url_syntax("http://example.com/hook", HTTP_OK) == "example.com"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_literal_private_addresses_are_not_allowed(url: str) -> None:
    _refused("URL_NOT_ALLOWED", url)


def test_literal_loopback_allowed_by_the_operator() -> None:
    assert check_url_syntax("http://127.0.0.1:8080/hook", LOOPBACK_OK) == "127.0.0.1"
    assert check_url_syntax("http://[::1]:8080/hook", LOOPBACK_OK) == "::1"


# --- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",  # private
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",  # loopback
        "127.255.255.254",
        "169.254.169.254",  # link-local: cloud metadata
        "0.0.0.0",  # noqa: S104 (unspecified)
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "100.64.0.1",  # CGNAT
        "100.127.255.254",
        "::1",  # loopback
        "::",  # unspecified
        "fe80::1",  # link-local
        "fe80::1%eth0",
        "fc00::1",  # unique local
        "fd12:3456:789a::1",
        "fec0::1",  # site-local (deprecated)
        "ff02::1",  # multicast
        "::ffff:10.0.0.1",  # IPv4-mapped private
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:100.64.0.1",
        "::127.0.0.1",  # IPv4-compatible (deprecated): reserved
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), STRICT)


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "100.128.0.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), STRICT)


def test_allowed_networks_override() -> None:
    policy = UrlPolicy.from_settings(allow_http=False, allowed_networks="127.0.0.0/8")
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), policy)
    assert address_allowed(ipaddress.ip_address("127.9.9.9"), policy)
    assert address_allowed(ipaddress.ip_address("::ffff:127.0.0.1"), policy)  # mapped: same target
    assert not address_allowed(ipaddress.ip_address("::1"), policy)
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), policy)


def test_from_settings_parses_a_cidr_list() -> None:
    policy = UrlPolicy.from_settings(allow_http=True, allowed_networks=" 10.0.0.0/8 ,fd00::/8,, 192.0.2.7 ")
    assert policy.allow_http
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
        ipaddress.ip_network("192.0.2.7/32"),
    )
    assert UrlPolicy.from_settings(allow_http=False, allowed_networks="") == UrlPolicy()


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "localhost", "10.0.0.1/8", "10.0.0.0/8;rm"])
def test_bad_cidr_is_a_config_error_naming_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match="webhook_allowed_networks"):
        UrlPolicy.from_settings(allow_http=False, allowed_networks=f"127.0.0.0/8,{bad}")


# --- resolution ----------------------------------------------------------------------------------


async def test_public_name_resolves_to_its_addresses() -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14", "2606:2800::1", "93.184.215.14"]})
    addresses = await resolve_checked("hooks.example.com", 443, STRICT, resolver=resolver)
    assert addresses == ["93.184.215.14", "2606:2800::1"]
    assert resolver.asked == [("hooks.example.com", 443)]


@pytest.mark.parametrize(
    "private", ["10.0.0.7", "127.0.0.1", "169.254.169.254", "fd00::1", "::ffff:10.0.0.7"]
)
async def test_dns_rebinding_to_a_private_address_is_refused(private: str) -> None:
    resolver = FakeResolver({"innocent.example.com": ["93.184.215.14", private]})
    with pytest.raises(DomainError) as raised:
        await resolve_checked("innocent.example.com", 443, STRICT, resolver=resolver)
    assert raised.value.reason == "URL_NOT_ALLOWED"
    assert raised.value.kind is ErrorKind.INVALID_ARGUMENT
    assert "innocent.example.com" in raised.value.message
    assert private not in raised.value.message  # no map of the internal network


async def test_allowed_networks_let_a_local_receiver_through() -> None:
    resolver = FakeResolver({"localhost": ["127.0.0.1", "::1"]})
    assert await resolve_checked("localhost", 8080, LOOPBACK_OK, resolver=resolver) == ["127.0.0.1", "::1"]


async def test_unknown_name_is_unresolvable() -> None:
    with pytest.raises(DomainError) as raised:
        await resolve_checked("nowhere.invalid", 443, STRICT, resolver=FakeResolver({}))
    assert raised.value.reason == "URL_UNRESOLVABLE"
    assert raised.value.kind is ErrorKind.INVALID_ARGUMENT


async def test_empty_answer_is_unresolvable() -> None:
    with pytest.raises(DomainError) as raised:
        await resolve_checked(
            "empty.example.com", 443, STRICT, resolver=FakeResolver({"empty.example.com": []})
        )
    assert raised.value.reason == "URL_UNRESOLVABLE"


async def test_unencodable_name_is_unresolvable() -> None:
    async def idna_fails(host: str, port: int) -> Sequence[tuple[Any, ...]]:
        raise UnicodeError("label too long")

    with pytest.raises(DomainError) as raised:
        await resolve_checked("a" * 70 + ".example.com", 443, STRICT, resolver=idna_fails)
    assert raised.value.reason == "URL_UNRESOLVABLE"


async def test_slow_resolution_times_out() -> None:
    async def never(host: str, port: int) -> Sequence[tuple[Any, ...]]:
        await asyncio.sleep(60)
        return []

    with pytest.raises(DomainError) as raised:
        await resolve_checked("slow.example.com", 443, STRICT, timeout_s=0.05, resolver=never)
    assert raised.value.reason == "URL_UNRESOLVABLE"
    assert "0.05 s" in raised.value.message


async def test_unparsable_resolved_address_is_refused() -> None:
    resolver = FakeResolver({"odd.example.com": ["not-an-address"]})
    with pytest.raises(DomainError) as raised:
        await resolve_checked("odd.example.com", 443, STRICT, resolver=resolver)
    assert raised.value.reason == "URL_NOT_ALLOWED"


async def test_system_resolver_handles_literal_addresses() -> None:
    # getaddrinfo on a literal IP answers without DNS, so this needs no network.
    assert await resolve_checked("127.0.0.1", 80, LOOPBACK_OK) == ["127.0.0.1"]
    with pytest.raises(DomainError) as raised:
        await resolve_checked("127.0.0.1", 80, STRICT)
    assert raised.value.reason == "URL_NOT_ALLOWED"


# --- check_url: syntax, then resolution ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "policy", "port"),
    [
        ("https://hooks.example.com/x", STRICT, 443),
        ("https://hooks.example.com:8443/x", STRICT, 8443),
        ("http://hooks.example.com/x", HTTP_OK, 80),
    ],
)
async def test_check_url_resolves_with_the_right_port(url: str, policy: UrlPolicy, port: int) -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    await check_url(url, policy, resolver=resolver)
    assert resolver.asked == [("hooks.example.com", port)]


async def test_check_url_stops_at_bad_syntax_without_resolving() -> None:
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})
    with pytest.raises(DomainError) as raised:
        await check_url("http://hooks.example.com/x", STRICT, resolver=resolver)
    assert raised.value.reason == "URL_INVALID"
    assert resolver.asked == []


async def test_check_url_refuses_a_name_for_a_private_address() -> None:
    resolver = FakeResolver({"metadata.example.com": ["169.254.169.254"]})
    with pytest.raises(DomainError) as raised:
        await check_url("https://metadata.example.com/latest", STRICT, resolver=resolver)
    assert raised.value.reason == "URL_NOT_ALLOWED"
