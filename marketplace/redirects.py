"""Where a redirect may go: only a path on this site, whatever `next=` or `Referer` says.

Every redirect built from input (`next=`, the `Referer` header) goes through
`safe_local_path`, so none can become an open redirect: no scheme, no host, nothing a browser
reads as one (`//host`, `/\\host`, control characters), dot segments resolved.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import request

# Browsers also read percent-encoded dots as dot segments (WHATWG URL standard).
_DOT_SEGMENTS = {
    ".": ".",
    "%2e": ".",
    "..": "..",
    ".%2e": "..",
    "%2e.": "..",
    "%2e%2e": "..",
}


def safe_local_path(target: str | None, default: str = "/") -> str:
    """Return `target` as a path on this site (dot segments resolved), else `default`.

    Kept: the path, query and fragment of a target that starts with a single `/`. Refused: an
    empty target, a scheme or host (`https://x`, `//x`), a backslash or control character
    anywhere (`/\\x`: browsers read a backslash as a slash), and any path that would resolve
    to start with `//`.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if any(ord(char) < 32 or ord(char) == 127 or char == "\\" for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    path = _remove_dot_segments(parts.path)
    if not path.startswith("/") or path.startswith("//"):
        return default
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def referrer_path(default: str) -> str:
    """The page this request came from, if it is on this site, as a local path; else `default`.

    `Referer` is whatever the client sent: only an http(s) URL of this host is followed, and
    its path goes through `safe_local_path` (the fragment is dropped, as browsers send none).
    """
    referrer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referrer)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return default
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return default
    local = urlunsplit(("", "", parts.path, parts.query, ""))
    return safe_local_path(local, default)


def _remove_dot_segments(path: str) -> str:
    """Resolve `.` and `..` segments as a browser does (RFC 3986 section 5.2.4, WHATWG)."""
    segments = path.split("/")
    kinds = [_DOT_SEGMENTS.get(segment.lower()) for segment in segments]
    if not any(kinds):
        return path
    resolved: list[str] = []
    for segment, kind in zip(segments[1:], kinds[1:], strict=True):
        if kind == "..":
            if resolved:
                resolved.pop()
        elif kind != ".":
            resolved.append(segment)
    if kinds[-1]:
        resolved.append("")  # "/a/b/.." is the folder "/a/", not the file "/a"
    return "/" + "/".join(resolved)
