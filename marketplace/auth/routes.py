"""Sign-in and sign-out: `/login`, `/auth/callback`, `/logout`."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError

from marketplace.auth import oidc, queries, sessions
from marketplace.auth.forms import DEV_MAIL_DOMAIN, DevSignInForm
from marketplace.auth.oidc import TokenRejected
from marketplace.auth.service import Identity, identity_from_tokens
from marketplace.cart import promo_codes
from marketplace.cart import service as cart_service
from marketplace.current import current_shopper
from marketplace.extensions import db, limiter
from marketplace.mail import contacts
from marketplace.redirects import safe_local_path
from marketplace.shopper import ANONYMOUS_PREFIX

bp = Blueprint("auth", __name__)
bp.before_app_request(sessions.forget_revoked_session)

NEXT_KEY = "login_next"
ID_TOKEN_KEY = "id_token"
UNREACHABLE = "The sign-in service can't be reached right now. Please try again in a moment."
TOO_MANY_SIGN_INS = (
    "Too many sign-in attempts from your address. Please wait a minute and try again."
)


def _sign_in_limit() -> str:
    return current_app.config.get("SIGN_IN_RATE_LIMIT", "10/minute")


# One counter per client IP for both ways in (the development form and the OIDC callback).
sign_in_limit = limiter.shared_limit(
    _sign_in_limit, scope="sign-in", error_message=TOO_MANY_SIGN_INS
)


def dev_sign_in_enabled() -> bool:
    """The development form stands in for OIDC only outside production."""
    return not oidc.is_configured() and current_app.config["MARKETPLACE_ENV"] != "production"


@bp.get("/login")
def login():
    """Sign in: redirect to Keycloak, or show the development form."""
    next_url = safe_local_path(request.args.get("next"))
    if current_shopper().is_signed_in:
        return redirect(next_url)
    if oidc.is_configured():
        session[NEXT_KEY] = next_url
        try:
            return oidc.client().authorize_redirect(url_for("auth.callback", _external=True))
        except (requests.RequestException, ValueError, RuntimeError):
            current_app.logger.warning("OIDC discovery failed", exc_info=True)
            return _refused(503, UNREACHABLE)
    if not dev_sign_in_enabled():
        abort(404)
    form = DevSignInForm(next=next_url).with_tiers(queries.tier_choices(db.session()))
    return render_template("auth/dev_login.html", form=form, mail_domain=DEV_MAIL_DOMAIN)


@bp.post("/login")
@sign_in_limit
def dev_login():
    """Sign in with the development form (never in production)."""
    if not dev_sign_in_enabled():
        abort(404)
    form = DevSignInForm().with_tiers(queries.tier_choices(db.session()))
    if not form.validate():
        return render_template("auth/dev_login.html", form=form, mail_domain=DEV_MAIL_DOMAIN), 422
    identity = Identity(
        user_id=(form.user_id.data or "").strip(),
        tier=form.tier.data or None,
        role=form.role(),
        email=form.address(),
    )
    return _signed_in(identity, safe_local_path(form.next.data))


@bp.get("/auth/callback")
@sign_in_limit
def callback():
    """Finish a Keycloak sign-in: check the tokens, start the session, merge the cart."""
    if not oidc.is_configured():
        abort(404)
    config = current_app.config
    try:
        token = oidc.client().authorize_access_token(
            claims_options=oidc.id_token_claims_options(), leeway=oidc.LEEWAY
        )
        identity = identity_from_tokens(
            token,
            admin_role=config["OIDC_ADMIN_ROLE"],
            support_role=config["OIDC_SUPPORT_ROLE"],
            tier_claim=config["OIDC_TIER_CLAIM"],
        )
    except MismatchingStateError:
        return _refused(
            400,
            "This sign-in response was already used or has expired. Please sign in again.",
        )
    except AuthlibBaseError as error:
        reason = error.description or error.error
        return _refused(400, f"The sign-in service refused the sign-in: {reason}.")
    except (JoseError, TokenRejected) as error:
        return _refused(401, f"We couldn't verify your sign-in: {oidc.describe(error)}.")
    except requests.RequestException:
        current_app.logger.warning("OIDC token exchange failed", exc_info=True)
        return _refused(502, UNREACHABLE)
    return _signed_in(
        identity, safe_local_path(session.get(NEXT_KEY)), id_token=token.get("id_token")
    )


@bp.get("/logout")
def confirm_logout():
    """Ask before signing out (sign-out is a POST)."""
    if not current_shopper().is_signed_in:
        return redirect(url_for("catalog.index"))
    return render_template("auth/logout.html", oidc_sign_out=oidc.is_configured())


@bp.post("/logout")
def logout():
    """End the session here and everywhere else the user is signed in (copied cookies too),
    then the provider's session."""
    id_token = session.get(ID_TOKEN_KEY)
    user_id = current_shopper().user_id
    # The cookie is cleared first, so this browser is signed out even if recording the
    # sign-out fails (the request then ends on an error page).
    session.clear()
    if user_id:
        sessions.end_all(user_id)
    flash("You are signed out.", "success")
    home = url_for("catalog.index", _external=True)
    if oidc.is_configured():
        try:
            end_session = oidc.client().load_server_metadata().get("end_session_endpoint")
        except (requests.RequestException, ValueError):
            current_app.logger.warning("OIDC discovery failed at sign-out", exc_info=True)
            end_session = None
        if end_session:
            params = {
                "post_logout_redirect_uri": home,
                "client_id": current_app.config["OIDC_CLIENT_ID"],
            }
            if id_token:
                params["id_token_hint"] = id_token
            separator = "&" if "?" in end_session else "?"
            return redirect(f"{end_session}{separator}{urlencode(params)}", 303)
    return redirect(home, 303)


def _signed_in(identity: Identity, next_url: str, *, id_token: str | None = None):
    """Start a fresh session for `identity`, merge the anonymous cart and go to `next_url`.

    The session is cleared first (no fixation); the anonymous cart's promo code carries over
    to the user's cart.
    """
    anonymous_id = session.get("anonymous_id")
    promo = promo_codes.anonymous_code()
    session.clear()
    session["user"] = sessions.start(identity)
    contacts.remember(db.session(), identity.user_id, identity.email, identity.name)
    if id_token:
        session[ID_TOKEN_KEY] = id_token
    promo_codes.carry_over(db.session(), identity.user_id, promo)
    flash(f"Welcome, {identity.name or identity.user_id}. You are signed in.", "success")
    if anonymous_id:
        merged = cart_service.merge_carts(
            db.session(), f"{ANONYMOUS_PREFIX}{anonymous_id}", identity.user_id
        )
        if merged.message:
            flash(merged.message, "info")
    return redirect(next_url, 303)


def _refused(status: int, message: str, **context):
    session.pop(NEXT_KEY, None)
    return render_template("auth/error.html", message=message, **context), status
