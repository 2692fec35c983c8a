"""The guide's add-ons, bundles and promo codes (`tests/guide.py`) as pricing-engine inputs."""

from datetime import UTC, datetime
from uuid import UUID

from marketplace.pricing import BundleOffer, CartLine, PromoCode, Shopper
from tests.guide import GUIDE_ADD_ONS, GUIDE_BUNDLES, GUIDE_PROMO_CODES, GuideAddOn

NOW = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def _add_on(number: int, add_on: GuideAddOn) -> CartLine:
    return CartLine(
        add_on_id=UUID(int=number),
        name=add_on.name,
        unit_price=add_on.price,
        billing_type="monthly",
        quantity=1,
    )


# Each add-on as a cart line of quantity 1; tests vary it with dataclasses.replace.
LINES = {add_on.key: _add_on(number, add_on) for number, add_on in enumerate(GUIDE_ADD_ONS, 1)}
TTS = LINES["tts"]
STT = LINES["stt"]
BRIGADE = LINES["brigade"]
BOLT = LINES["bolt"]
PRESENTON = LINES["presenton"]
CENTER_DEEP = LINES["center_deep"]
DOCUMENTS = LINES["documents"]
VECTOR_SEARCH = LINES["vector_search"]
GPU = LINES["gpu"]
ALL_ADD_ONS = tuple(LINES.values())

BUNDLES = {
    bundle.key: BundleOffer(
        id=UUID(int=100 + number),
        name=bundle.name,
        add_on_ids=tuple(LINES[key].add_on_id for key in bundle.add_on_keys),
        discount_percent=bundle.discount_percent,
        discount_amount=None,
    )
    for number, bundle in enumerate(GUIDE_BUNDLES, 1)
}
AI_PRODUCTIVITY = BUNDLES["ai_productivity"]
DEVELOPER_PRO = BUNDLES["developer_pro"]
ENTERPRISE_SUITE = BUNDLES["enterprise"]
SEED_BUNDLES = (AI_PRODUCTIVITY, DEVELOPER_PRO, ENTERPRISE_SUITE)

CODES = {
    code.code: PromoCode(
        **code.terms(NOW),
        current_uses=0,
        applicable_to=None,
        user_restrictions=dict(code.user_restrictions or {}),
    )
    for code in GUIDE_PROMO_CODES
}
LAUNCH2025 = CODES["LAUNCH2025"]
FIRSTBUY = CODES["FIRSTBUY"]
FRIEND50 = CODES["FRIEND50"]
VIP2025 = CODES["VIP2025"]

NEW_SHOPPER = Shopper()
RETURNING_SHOPPER = Shopper(has_completed_purchase=True)
