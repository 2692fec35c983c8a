"""Cart scenarios: the guide's catalog, bundles and promo codes as rows, and shoppers' carts."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.models import AddOn, AddOnBundle, AddOnPurchase, CartItem, PromotionalCode

ANON_OWNER = "anon:00000000-0000-4000-8000-000000000001"

GUIDE_ADD_ONS = (
    ("tts", "Unicorn Orator - TTS", "ai-services", "9.99"),
    ("stt", "Amanuensis - STT", "ai-services", "9.99"),
    ("brigade", "Brigade - Agent Platform", "ai-services", "19.99"),
    ("bolt", "Bolt - AI Dev Environment", "development", "14.99"),
    ("presenton", "Presenton - Presentations", "productivity", "9.99"),
    ("center_deep", "Center-Deep Pro", "analytics", "19.99"),
    ("documents", "Document Processing Suite", "productivity", "12.99"),
    ("vector_search", "Vector Search Engine", "infrastructure", "14.99"),
    ("gpu", "GPU Compute Access", "infrastructure", "49.99"),
)


@dataclass
class Catalog:
    add_ons: dict[str, AddOn]
    bundles: dict[str, AddOnBundle]
    codes: dict[str, PromotionalCode]

    def __getattr__(self, key: str) -> AddOn:
        try:
            return self.add_ons[key]
        except KeyError:
            raise AttributeError(key) from None


@pytest.fixture
def catalog(session) -> Catalog:
    """The guide's 9 add-ons (monthly), its 3 bundles and its 4 promo codes."""
    now = datetime.now(UTC)
    add_ons = {
        key: AddOn(
            name=name,
            slug=name.lower().replace(" - ", "-").replace(" ", "-"),
            category=category,
            base_price=Decimal(price),
            billing_type="monthly",
        )
        for key, name, category, price in GUIDE_ADD_ONS
    }
    session.add_all(add_ons.values())
    session.flush()

    def bundle(name: str, percent: str, *keys: str) -> AddOnBundle:
        return AddOnBundle(
            name=name,
            add_on_ids=[add_ons[key].id for key in keys],
            discount_percent=Decimal(percent),
        )

    bundles = {
        "ai_productivity": bundle("AI Productivity Bundle", "15", "tts", "stt", "presenton"),
        "developer_pro": bundle("Developer Pro Bundle", "20", "brigade", "bolt", "vector_search"),
        "enterprise": bundle("Enterprise Suite", "25", *add_ons),
    }

    def code(code: str, kind: str, value: str, uses: int | None, days: int, **extra):
        return PromotionalCode(
            code=code,
            discount_type=kind,
            discount_value=Decimal(value),
            max_uses=uses,
            expires_at=now + timedelta(days=days),
            **extra,
        )

    codes = {
        "LAUNCH2025": code("LAUNCH2025", "percentage", "20", 100, 30),
        "FIRSTBUY": code(
            "FIRSTBUY",
            "percentage",
            "15",
            None,
            90,
            user_restrictions={"first_purchase_only": True},
        ),
        "FRIEND50": code("FRIEND50", "fixed_amount", "5.00", 1000, 60),
        "VIP2025": code(
            "VIP2025", "percentage", "30", 50, 365, user_restrictions={"tier": "vip_founder"}
        ),
    }
    session.add_all([*bundles.values(), *codes.values()])
    session.commit()
    return Catalog(add_ons=add_ons, bundles=bundles, codes=codes)


def put_in_cart(session, owner: str, *add_ons: AddOn, quantity: int = 1) -> list[CartItem]:
    start = datetime.now(UTC)
    items = [
        CartItem(
            user_id=owner,
            add_on_id=a.id,
            quantity=quantity,
            unit_price_seen=a.base_price,
            added_at=start + timedelta(milliseconds=i),
        )
        for i, a in enumerate(add_ons)
    ]
    session.add_all(items)
    session.commit()
    return items


@pytest.fixture
def cart_with_bundle(session, catalog) -> list[CartItem]:
    """An anonymous cart holding the AI Productivity Bundle's three add-ons."""
    return put_in_cart(session, ANON_OWNER, catalog.tts, catalog.stt, catalog.presenton)


@pytest.fixture
def anonymous_client(client):
    """A client whose signed session carries the anonymous id of ANON_OWNER."""
    with client.session_transaction() as sess:
        sess["anonymous_id"] = ANON_OWNER.removeprefix("anon:")
    return client


def sign_in(client, user_id: str = "user-1", tier: str | None = None):
    with client.session_transaction() as sess:
        sess["user"] = {"id": user_id, "tier": tier}
    return client


def completed_purchase(session, user_id: str, add_on: AddOn, promo: PromotionalCode | None = None):
    purchase = AddOnPurchase(
        user_id=user_id,
        add_on_id=add_on.id,
        amount=add_on.base_price,
        status="completed",
        promo_code_id=promo.id if promo else None,
        completed_at=datetime.now(UTC),
    )
    session.add(purchase)
    session.commit()
    return purchase


HX = {"HX-Request": "true"}


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def new_uuid() -> str:
    return str(uuid.uuid4())
