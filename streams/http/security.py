"""What every HTTP response and request meets first: security headers, and the Host header checked.

A browser that loads the dashboard from another origin's page (DNS rebinding, framing) is
refused: the Host header must be one of the names the worker is configured for, or a loopback
name on any port. Every response, an error or aiohttp's own 404 included, carries a Content
Security Policy that allows only the worker's own files, and tells the browser not to sniff
types, not to frame the page and not to send the page's address onwards.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from aiohttp import web

from .. import settings

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def allowed_hosts() -> frozenset[str]:
    """The configured names (TYNDAU_HTTP_ALLOWED_HOSTS, and the address the worker binds unless it is a wildcard)."""
    return _allowed(settings.HTTP_ALLOWED_HOSTS, settings.HTTP_HOST)


@lru_cache(maxsize=4)
def _allowed(configured: str, bound: str) -> frozenset[str]:
    """Parsed once per setting, not on every request."""
    names = {name.strip().lower() for name in configured.split(",") if name.strip()}
    if bound not in ("0.0.0.0", "::", ""):
        names.add(bound.lower())
    return frozenset(names)


def host_name(header: Any) -> str | None:
    """The name of a Host header without its port (`[::1]:6066` → `::1`); None when it is no host."""
    if not isinstance(header, str) or not header or len(header) > 255 or not header.isascii():
        return None
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
        try:
            ipaddress.IPv6Address(name)
        except ValueError:
            return None
        return name.lower()
    name, _, port = header.rpartition(":") if ":" in header else (header, "", "")
    if ":" in header and not port.isdigit():
        return None
    return name.lower() or None


def host_allowed(header: Any, allowed: frozenset[str]) -> bool:
    name = host_name(header)
    return name is not None and (name in LOOPBACK_NAMES or name in allowed)


@web.middleware
async def check_host(request: web.Request, handler: Any) -> web.StreamResponse:
    if not host_allowed(request.headers.get("Host"), allowed_hosts()):
        return web.json_response({"error": "this worker does not answer to that Host name; set TYNDAU_HTTP_ALLOWED_HOSTS "
                                           "to the names clients use"}, status=421)
    return await handler(request)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def install(web_app: web.Application) -> None:
    """Install both on the Faust app's aiohttp application (once, before it starts)."""
    if check_host not in web_app.middlewares:
        web_app.middlewares.append(check_host)
        web_app.on_response_prepare.append(add_security_headers)
