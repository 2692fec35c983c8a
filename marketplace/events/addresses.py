"""Where events may be sent: the one rule against requests into the shop's own network (SSRF).

Where WEBHOOK_ALLOW_PRIVATE_URLS is off (production), a receiver's host must resolve to public
addresses only — never private, loopback, link-local, multicast or otherwise non-global ones.
The rule is checked when an admin saves an endpoint (marketplace/admin/webhooks/service.py),
and again by every delivery as it connects (marketplace/events/sender.py), since the host may
resolve elsewhere by then (DNS rebinding): the sender connects to the very address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

SETTING = "WEBHOOK_ALLOW_PRIVATE_URLS"


class PrivateAddress(Exception):
    """The host resolves to an address events are not sent to; the message says which."""


def private_allowed(config: Mapping[str, Any]) -> bool:
    """Whether events may go to private addresses (development, tests); off when unset."""
    return bool(config.get(SETTING, False))


def public_address(host: str) -> str:
    """One address of `host` to connect to, every address it resolves to being public; raises
    PrivateAddress when one is not, OSError (or UnicodeError) when it does not resolve."""
    found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise PrivateAddress(
                f"“{host}” is a private, loopback or link-local address ({address}): events are "
                "sent only to public addresses."
            )
        addresses.append(str(address))
    if not addresses:
        raise OSError(f"{host} has no address")
    return addresses[0]


def address_problem(url: str) -> str | None:
    """Why events must not go to `url`'s host when private addresses are refused: it is, or
    resolves to, a non-public address, or it does not resolve."""
    host = urlsplit(url).hostname or ""
    try:
        public_address(host)
    except PrivateAddress as refused:
        return str(refused)
    except (OSError, UnicodeError):
        return f"The host “{host}” could not be found: enter a public address."
    return None
