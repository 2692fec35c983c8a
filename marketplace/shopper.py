"""Who is shopping: a signed-in user, or an anonymous cart owner (`marketplace.current` reads
them from the request's session)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketplace.vocabulary import Role

ANONYMOUS_PREFIX = "anon:"


def session_role(user: Mapping[str, Any]) -> Role:
    """The role a stored `session["user"]` carries; sessions from before roles existed have
    only `is_admin` (admin, else shopper)."""
    try:
        return Role(user["role"])
    except (KeyError, ValueError):
        return Role.ADMIN if user.get("is_admin") else Role.SHOPPER


@dataclass(frozen=True)
class Shopper:
    """The person behind a request; `user_id` is the Keycloak `sub` when signed in."""

    user_id: str | None
    tier: str | None
    anonymous_id: str | None
    name: str | None = None  # the identity provider's `name` (or username), when it gave one
    role: Role = Role.SHOPPER

    @classmethod
    def anonymous(cls, tier: str | None = None) -> Shopper:
        """Nobody in particular, on `tier`: for prices that depend on the tier alone."""
        return cls(user_id=None, tier=tier, anonymous_id=None)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """An admin or a support agent: the header links to the admin area."""
        return self.role in (Role.ADMIN, Role.SUPPORT)

    @property
    def display_name(self) -> str:
        """What the header calls a signed-in shopper: their name, else their user id."""
        return self.name or self.user_id or ""

    @property
    def is_signed_in(self) -> bool:
        return self.user_id is not None

    def signed_in(self) -> SignedInShopper | None:
        """This shopper with their user id known, or None when nobody is signed in."""
        if self.user_id is None:
            return None
        return SignedInShopper(
            user_id=self.user_id,
            tier=self.tier,
            anonymous_id=self.anonymous_id,
            name=self.name,
            role=self.role,
        )

    @property
    def cart_owner(self) -> str | None:
        """The `cart_items.user_id` of this shopper's cart, or None before they have one."""
        if self.user_id:
            return self.user_id
        return f"{ANONYMOUS_PREFIX}{self.anonymous_id}" if self.anonymous_id else None


@dataclass(frozen=True)
class SignedInShopper(Shopper):
    """A shopper known to be signed in, for work that needs a user (checkout, account)."""

    user_id: str
