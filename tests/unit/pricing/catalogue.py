"""The guide's seed add-ons, bundles and promo codes, as pricing-engine inputs."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from marketplace.pricing import BundleOffer, CartLine, PromoCode, Shopper

NOW = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def _add_on(number: int, name: str, price: str) -> CartLine:
    return CartLine(
        add_on_id=UUID(int=number),
        name=name,
        unit_price=Decimal(price),
        billing_type="monthly",
        quantity=1,
    )


# Each add-on as a cart line of quantity 1; tests vary it with dataclasses.replace.
TTS = _add_on(1, "Unicorn Orator - TTS", "9.99")
STT = _add_on(2, "Amanuensis - STT", "9.99")
BRIGADE = _add_on(3, "Brigade - Agent Platform", "19.99")
BOLT = _add_on(4, "Bolt - AI Dev Environment", "14.99")
PRESENTON = _add_on(5, "Presenton - Presentations", "9.99")
CENTER_DEEP = _add_on(6, "Center-Deep Pro", "19.99")
DOCUMENTS = _add_on(7, "Document Processing Suite", "12.99")
VECTOR_SEARCH = _add_on(8, "Vector Search Engine", "14.99")
GPU = _add_on(9, "GPU Compute Access", "49.99")
ALL_ADD_ONS = (TTS, STT, BRIGADE, BOLT, PRESENTON, CENTER_DEEP, DOCUMENTS, VECTOR_SEARCH, GPU)


def _bundle(number: int, name: str, percent: str, add_ons: tuple[CartLine, ...]) -> BundleOffer:
    return BundleOffer(
        id=UUID(int=100 + number),
        name=name,
        add_on_ids=tuple(line.add_on_id for line in add_ons),
        discount_percent=Decimal(percent),
        discount_amount=None,
    )


AI_PRODUCTIVITY = _bundle(1, "AI Productivity Bundle", "15", (TTS, STT, PRESENTON))
DEVELOPER_PRO = _bundle(2, "Developer Pro Bundle", "20", (BRIGADE, BOLT, VECTOR_SEARCH))
ENTERPRISE_SUITE = _bundle(3, "Enterprise Suite", "25", ALL_ADD_ONS)
SEED_BUNDLES = (AI_PRODUCTIVITY, DEVELOPER_PRO, ENTERPRISE_SUITE)

LAUNCH2025 = PromoCode(
    code="LAUNCH2025",
    discount_type="percentage",
    discount_value=Decimal("20"),
    max_uses=100,
    current_uses=0,
    applicable_to=None,
    expires_at=NOW + timedelta(days=30),
)
FIRSTBUY = PromoCode(
    code="FIRSTBUY",
    discount_type="percentage",
    discount_value=Decimal("15"),
    max_uses=None,
    current_uses=0,
    applicable_to=None,
    expires_at=NOW + timedelta(days=90),
    user_restrictions={"first_purchase_only": True},
)
FRIEND50 = PromoCode(
    code="FRIEND50",
    discount_type="fixed_amount",
    discount_value=Decimal("5.00"),
    max_uses=1000,
    current_uses=0,
    applicable_to=None,
    expires_at=NOW + timedelta(days=60),
)
VIP2025 = PromoCode(
    code="VIP2025",
    discount_type="percentage",
    discount_value=Decimal("30"),
    max_uses=50,
    current_uses=0,
    applicable_to=None,
    expires_at=NOW + timedelta(days=365),
    user_restrictions={"tier": "vip_founder"},
)

NEW_SHOPPER = Shopper()
RETURNING_SHOPPER = Shopper(has_completed_purchase=True)
