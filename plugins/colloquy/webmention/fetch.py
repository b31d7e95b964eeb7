"""Fetching other sites' pages for webmentions: httpx, with limits, every hop checked.

A webmention makes us fetch a URL someone else chose, so each fetch is bounded: a total
time limit (redirects included), a byte limit read as a stream, at most N redirects,
and only http(s). Before each hop the host is resolved and refused if any of its
addresses is private, loopback, link-local or otherwise not on the public internet
(unless COLLOQUY_WEBMENTION_ALLOW_PRIVATE); the request then goes to the address that
was checked (Host header and TLS name kept), so a second DNS answer cannot swap in an
inner address between the check and the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "Colloquy-Webmention/1 (+https://www.w3.org/TR/webmention/)"
# What the link check can read, best first (the Recommendation asks receivers to say so).
ACCEPT = "text/html, application/xhtml+xml;q=0.9, application/json;q=0.8, text/plain;q=0.7"


class FetchError(Exception):
    """A fetch that did not give a page. `transient`: worth trying again later."""

    def __init__(self, reason: str, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1_000_000
    timeout: float = 10.0
    max_redirects: int = 5
    allow_private: bool = False

    @classmethod
    def from_settings(cls, cfg: dict) -> Limits:
        return cls(max_bytes=int(cfg["COLLOQUY_WEBMENTION_MAX_BYTES"]),
                   timeout=float(cfg["COLLOQUY_WEBMENTION_TIMEOUT"]),
                   max_redirects=int(cfg["COLLOQUY_WEBMENTION_MAX_REDIRECTS"]),
                   allow_private=bool(cfg["COLLOQUY_WEBMENTION_ALLOW_PRIVATE"]))


@dataclass
class Page:
    url: str                 # the final URL, after redirects
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"\' ')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


def client() -> httpx.AsyncClient:
    """One client for a batch of fetches; limits are applied per request."""
    return httpx.AsyncClient(headers={"user-agent": USER_AGENT, "accept": ACCEPT},
                             follow_redirects=False,
                             trust_env=False, timeout=httpx.Timeout(10.0))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses to connect to; FetchError if there is none, or a private one."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(literal)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise FetchError(f"the host {host} could not be found", transient=True) from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"the host {host} has no address", transient=True)
    if not allow_private:
        inner = [a for a in addresses if not is_public(a)]
        if inner:
            raise FetchError(f"{host} is a private, loopback or link-local address "
                             f"({inner[0]}); only public sites can be fetched")
    return addresses


async def checked_request(http: httpx.AsyncClient, method: str, url: str, limits: Limits,
                          data: dict | None = None) -> httpx.Response:
    """Send one request to the checked address of url's host; the body stays unread."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        raise FetchError(f"{url[:200]} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url[:200]} is not an http(s) URL")
    addresses = await resolve(parts.hostname, port, limits.allow_private)
    headers = {"host": target.netloc.decode("ascii")}
    if parts.scheme == "https":  # the pool knows the address, not the name: no TLS reuse
        headers["connection"] = "close"
    for number, address in enumerate(addresses, 1):
        request = http.build_request(method, target.copy_with(host=address), data=data,
                                     headers=headers,
                                     extensions={"sni_hostname": parts.hostname})
        try:
            return await http.send(request, stream=True)
        except httpx.ConnectError:
            if number == len(addresses):  # every address was tried
                raise
    raise AssertionError("unreachable: resolve returns at least one address")


async def fetch(http: httpx.AsyncClient, url: str, limits: Limits) -> Page:
    """GET url, following at most `max_redirects` redirects, each hop checked.

    Raises FetchError: transient for network trouble and timeouts, permanent for what
    would fail the same way again (private address, too big, too many redirects).
    """
    try:
        async with asyncio.timeout(limits.timeout):
            return await _fetch(http, url, limits)
    except TimeoutError:
        raise FetchError(f"{url} took longer than {limits.timeout:g} seconds to answer",
                         transient=True) from None
    except httpx.HTTPError as exc:
        if "location header" in str(exc).lower():  # httpx reads every Location it gets
            raise FetchError("a redirect to a malformed URL") from None
        raise FetchError(f"{url} could not be fetched ({type(exc).__name__})",
                         transient=True) from None


async def _fetch(http: httpx.AsyncClient, url: str, limits: Limits) -> Page:
    for _ in range(limits.max_redirects + 1):
        response = await checked_request(http, "GET", url, limits)
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                try:
                    url = urljoin(url, location.strip())
                except ValueError:
                    raise FetchError("a redirect to a malformed URL") from None
                continue
            body = await read_capped(response, limits.max_bytes, url)
            return Page(url=url, status=response.status_code, headers=response.headers,
                        body=body)
        finally:
            await response.aclose()
    raise FetchError(f"more than {limits.max_redirects} redirects from the source")


async def read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    too_big = FetchError(f"{url} is larger than {limit // 1000} kB")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_big
    return bytes(body)
