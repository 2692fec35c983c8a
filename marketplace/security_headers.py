"""Security headers on every response, and `Cache-Control: no-store` on pages with personal data.

A WSGI middleware rather than a Flask hook or Flask-Talisman: it sees every response the app
sends (pages, htmx partials, catalog pages served from the fragment cache, error pages, static
files) and the headers are fixed strings computed once. Talisman would add a dependency whose
main extras (forcing HTTPS, session-cookie flags, nonces) this app either does elsewhere
(`SESSION_COOKIE_*` in config.py, TLS at the proxy) or does not need: there is no inline script
or style to put a nonce on, so the policy is plain `'self'`.

A header the view already set wins (a page may tighten its own policy), except Cache-Control
on the private areas, which is always `no-store`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

# Sign-in, the cart, checkout, the account pages and the admin area: personal data that no
# browser or shared cache may keep (a back button after sign-out must not show it either).
NO_STORE_PREFIXES = ("/account", "/admin", "/auth", "/cart", "/checkout", "/login", "/logout")
# Where a non-htmx form may end up after its POST: checkout's redirect to Stripe Checkout.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
HSTS = "max-age=31536000; includeSubDomains"
# Powerful features the storefront never uses, off for it and anything it embeds.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def content_security_policy(config: Mapping[str, Any]) -> str:
    """The policy: scripts, styles and everything else from this origin only.

    Styles: no inline `style` attribute or element anywhere (htmx's own indicator styles are
    off, `includeIndicatorStyles` in base.html). Images may be `data:` URIs (the CSS draws its
    icons that way). `form-action` also admits where sign-out (the OIDC provider's end-session
    endpoint) and checkout (Stripe Checkout) redirect a submitted form, since browsers check
    the redirect's target too.
    """
    form_targets = ["'self'"]
    if config.get("OIDC_ISSUER"):
        issuer = urlsplit(config["OIDC_ISSUER"])
        form_targets.append(f"{issuer.scheme}://{issuer.netloc}")
    if config.get("STRIPE_SECRET_KEY"):
        form_targets.append(STRIPE_CHECKOUT_ORIGIN)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": " ".join(form_targets),
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def headers_for(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every response's security headers; HSTS only in production (served over HTTPS)."""
    headers = [
        ("Content-Security-Policy", content_security_policy(config)),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
    ]
    if config.get("MARKETPLACE_ENV") == "production":
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def is_private(path: str) -> bool:
    """True for a path in one of the `NO_STORE_PREFIXES` areas ("/cart/badge", not "/carts")."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in NO_STORE_PREFIXES)


class SecurityHeaders:
    """WSGI middleware adding `headers` to every response and `no-store` to private paths."""

    def __init__(self, app: Callable, headers: Iterable[tuple[str, str]]) -> None:
        self.app = app
        self.headers = list(headers)

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        private = is_private(environ.get("PATH_INFO", ""))

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend(pair for pair in self.headers if pair[0].lower() not in present)
            if private:
                headers[:] = [pair for pair in headers if pair[0].lower() != "cache-control"]
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    # Flask's documented way to add WSGI middleware; mypy objects to assigning to a method.
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers_for(app.config))  # type: ignore[method-assign]
