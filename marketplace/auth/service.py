"""Who signed in: turn the provider's verified tokens (or the development form) into an identity."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from marketplace.auth import oidc
from marketplace.auth.oidc import TokenRejected
from marketplace.mail.contacts import is_address
from marketplace.vocabulary import Role

MAX_USER_ID = 255
MAX_TIER = 50


@dataclass(frozen=True)
class Identity:
    """A signed-in user as the session stores it (`session["user"]`, see `marketplace.shopper`)."""

    user_id: str
    tier: str | None = None
    role: Role = Role.SHOPPER
    name: str | None = None
    # Where the shop's e-mail goes (kept in shopper_contacts at sign-in, not in the cookie).
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def as_session(self) -> dict[str, Any]:
        # `is_admin` stays for sessions read by code from before roles (see `session_role`).
        return {
            "id": self.user_id,
            "tier": self.tier,
            "is_admin": self.is_admin,
            "role": self.role.value,
            "name": self.name,
        }


def role_from(roles: Collection[str], *, admin: str, support: str) -> Role:
    """The marketplace role of a user holding realm `roles` (admin wins over support)."""
    if admin in roles:
        return Role.ADMIN
    return Role.SUPPORT if support in roles else Role.SHOPPER


def identity_from_tokens(
    token: dict[str, Any], *, admin_role: str, tier_claim: str, support_role: str = ""
) -> Identity:
    """Build the identity from Authlib's token response, whose ID token Authlib verified.

    The access token is verified here too (signature, issuer, expiry, audience) because the
    roles come from it; its subject must be the ID token's. The tier is read from the ID
    token's claim, else the access token's; the e-mail address from the ID token's `email`
    claim (ignored when it is not an address).
    """
    userinfo = token.get("userinfo")
    if not userinfo or not token.get("access_token"):
        raise TokenRejected("the sign-in service sent no ID token or no access token")
    access = oidc.verify_access_token(token["access_token"])
    subject = userinfo.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > MAX_USER_ID:
        raise TokenRejected("its ID token names no usable user")
    if access.get("sub") != subject:
        raise TokenRejected("its access token belongs to another user")
    tier = userinfo.get(tier_claim) or access.get(tier_claim)
    return Identity(
        user_id=subject,
        tier=str(tier)[:MAX_TIER] if tier else None,
        role=role_from(oidc.realm_roles(access), admin=admin_role, support=support_role),
        name=userinfo.get("name") or userinfo.get("preferred_username"),
        email=userinfo["email"] if is_address(userinfo.get("email")) else None,
    )
