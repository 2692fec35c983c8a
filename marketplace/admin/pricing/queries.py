"""Read pricing rules for the admin area: the list (keyset-paged, newest first) and one rule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page
from marketplace.models import PricingRule


@dataclass(frozen=True)
class RuleFilters:
    add_on_id: uuid.UUID | None = None
    tier_code: str | None = None
    status: str | None = None  # "active", "inactive" or None (both)


def rule_list(
    session: Session, filters: RuleFilters, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[PricingRule]:
    """One page of rules, newest first, with their add-ons."""
    query = select(PricingRule).options(joinedload(PricingRule.add_on))
    if filters.add_on_id:
        query = query.where(PricingRule.add_on_id == filters.add_on_id)
    if filters.tier_code:
        query = query.where(PricingRule.tier_code == filters.tier_code)
    if filters.status:
        query = query.where(PricingRule.is_active.is_(filters.status == "active"))
    return keyset_page(
        session, query, PricingRule.created_at, PricingRule.id, after, descending=True, size=size
    )


def rule(session: Session, rule_id: uuid.UUID) -> PricingRule | None:
    return session.get(PricingRule, rule_id)
