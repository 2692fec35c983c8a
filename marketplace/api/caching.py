"""Conditional reads: an `ETag` on every catalog, add-on and entitlement read, a 304 when the
client's `If-None-Match` still matches, and a deliberate `Cache-Control`.

The catalog's tag is made from the catalog version (a counter PostgreSQL bumps with every
catalog change, marketplace/catalog/version.py) and the request's URL, so a hit is answered
before any catalog query runs. An entitlement's tag is made from the entitlements themselves.
"""

from __future__ import annotations

import hashlib

from flask import Response, json, request

# Anyone may cache the catalog for 30 s (the storefront's pages are as fresh); after that a
# client revalidates with its ETag. Prices in a cart are always re-read, so a stale card never
# changes what anyone pays.
PUBLIC_CATALOG = "public, max-age=30"
# Entitlements change the moment a purchase completes: a client revalidates every time.
PRIVATE_REVALIDATE = "private, no-cache"


def tag_of(*parts: object) -> str:
    """A strong ETag of `parts` (anything JSON can write)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def not_modified(tag: str, cache_control: str) -> Response | None:
    """The 304 for a client whose `If-None-Match` holds `tag`, else None."""
    if not request.if_none_match.contains(tag.strip('"')):
        return None
    response = Response(status=304)
    response.headers.update({"ETag": tag, "Cache-Control": cache_control})
    return response


def headers(tag: str, cache_control: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": cache_control}
