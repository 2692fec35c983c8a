"""`flask seed`: the guide's catalog, loaded once, never clobbering later changes."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update

from marketplace import models
from marketplace.cli.seed import seed_catalog
from tests import guide

# name -> (price, category), as the seed must load them
GUIDE_ADD_ONS = {add_on.name: (add_on.price, add_on.category) for add_on in guide.GUIDE_ADD_ONS}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def all_counts(session) -> dict[str, int]:
    seeded = (
        models.SubscriptionTier,
        models.FeatureDefinition,
        models.AddOn,
        models.AddOnFeature,
        models.PromotionalCode,
        models.AddOnBundle,
        models.PricingRule,
    )
    return {model.__tablename__: count(session, model) for model in seeded}


def promo(session, code: str) -> models.PromotionalCode:
    return session.scalars(
        select(models.PromotionalCode).where(models.PromotionalCode.code == code)
    ).one()


def test_seed_loads_the_guides_nine_add_ons(session, seeded_catalog):
    add_ons = session.scalars(select(models.AddOn).order_by(models.AddOn.display_order)).all()

    assert {a.name: (a.base_price, a.category) for a in add_ons} == GUIDE_ADD_ONS
    assert [a.slug for a in add_ons][:3] == [
        "unicorn-orator-tts",
        "amanuensis-stt",
        "brigade-agent-platform",
    ]
    assert {a.billing_type for a in add_ons} == {"monthly"}
    assert all(a.is_active and len(a.description) > 100 for a in add_ons)
    tts = add_ons[0]
    assert tts.meta["languages"] == 30
    assert tts.meta["voices"] == "neural"


def test_seed_features_match_each_add_ons_feature_list(session, seeded_catalog):
    rows = session.execute(select(models.AddOn.features, models.AddOn.id)).all()
    for features, add_on_id in rows:
        keys = session.scalars(
            select(models.AddOnFeature.feature_key).where(
                models.AddOnFeature.add_on_id == add_on_id
            )
        ).all()
        assert sorted(keys) == sorted(features)
        assert len(keys) == 5

    assert count(session, models.AddOnFeature) == 45
    defined = set(session.scalars(select(models.FeatureDefinition.key)))
    used = set(session.scalars(select(models.AddOnFeature.feature_key)))
    assert used <= defined
    gpu = session.scalars(
        select(models.AddOnFeature).where(models.AddOnFeature.feature_key == "gpu_compute")
    ).one()
    assert gpu.configuration == {"gpu_types": ["A100", "H100"], "hours_per_month": 50}
    voices = session.scalars(
        select(models.AddOnFeature).where(models.AddOnFeature.feature_key == "tts_neural_voices")
    ).one()
    assert voices.configuration["voices"] == 120


def test_seed_loads_tiers_and_pricing_rules(session, seeded_catalog):
    tiers = set(session.scalars(select(models.SubscriptionTier.code)))
    assert {"free", "starter", "professional", "enterprise", "vip_founder"} <= tiers

    gpu_rule = session.execute(
        select(models.PricingRule.discount_percent, models.PricingRule.tier_code)
        .join(models.AddOn, models.AddOn.id == models.PricingRule.add_on_id)
        .where(
            models.AddOn.slug == "gpu-compute-access",
            models.PricingRule.tier_code == "professional",
        )
    ).one()
    assert gpu_rule.discount_percent == Decimal("10.00")
    enterprise = session.scalars(
        select(models.PricingRule.discount_percent).where(
            models.PricingRule.tier_code == "enterprise"
        )
    ).all()
    assert enterprise == [Decimal("15.00")] * 9
    volume = session.scalars(
        select(models.PricingRule).where(models.PricingRule.conditions == {"min_quantity": 5})
    ).one()
    assert volume.tier_code is None


def test_seed_loads_the_guides_promo_codes(session, seeded_catalog, now):
    expected = {
        "LAUNCH2025": ("percentage", Decimal("20.00"), 100, 30, {}),
        "FIRSTBUY": ("percentage", Decimal("15.00"), None, 90, {"first_purchase_only": True}),
        "FRIEND50": ("fixed_amount", Decimal("5.00"), 1000, 60, {}),
        "VIP2025": ("percentage", Decimal("30.00"), 50, 365, {"tier": "vip_founder"}),
    }
    codes = session.scalars(select(models.PromotionalCode)).all()

    assert {
        c.code: (
            c.discount_type,
            c.discount_value,
            c.max_uses,
            (c.expires_at - now) / timedelta(days=1),
            c.user_restrictions,
        )
        for c in codes
    } == expected
    assert all(c.is_active and c.current_uses == 0 and c.applicable_to is None for c in codes)


def test_seed_loads_three_bundles_at_the_guides_prices(session, seeded_catalog):
    names = dict(session.execute(select(models.AddOn.id, models.AddOn.name)).all())
    prices = dict(session.execute(select(models.AddOn.id, models.AddOn.base_price)).all())
    bundles = {b.name: b for b in session.scalars(select(models.AddOnBundle))}

    def members(name):
        return {names[add_on_id] for add_on_id in bundles[name].add_on_ids}

    def price(name):
        bundle = bundles[name]
        original = sum(prices[add_on_id] for add_on_id in bundle.add_on_ids)
        discounted = original * (100 - bundle.discount_percent) / 100
        return original, discounted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    assert set(bundles) == {"AI Productivity Bundle", "Developer Pro Bundle", "Enterprise Suite"}
    assert members("AI Productivity Bundle") == {
        "Unicorn Orator - TTS",
        "Amanuensis - STT",
        "Presenton - Presentations",
    }
    assert members("Developer Pro Bundle") == {
        "Brigade - Agent Platform",
        "Bolt - AI Dev Environment",
        "Vector Search Engine",
    }
    assert members("Enterprise Suite") == set(GUIDE_ADD_ONS)
    assert price("AI Productivity Bundle") == (Decimal("29.97"), Decimal("25.47"))
    assert price("Developer Pro Bundle") == (Decimal("49.97"), Decimal("39.98"))
    assert bundles["Enterprise Suite"].discount_percent == Decimal("25.00")


def test_second_seed_inserts_nothing_and_keeps_later_changes(session, seeded_catalog, now):
    before = all_counts(session)
    session.execute(
        update(models.PromotionalCode)
        .where(models.PromotionalCode.code == "LAUNCH2025")
        .values(current_uses=7, expires_at=now + timedelta(days=3), is_active=False)
    )
    session.execute(
        update(models.AddOn)
        .where(models.AddOn.slug == "unicorn-orator-tts")
        .values(base_price=Decimal("11.49"))
    )

    report = seed_catalog(session, now + timedelta(days=10))

    assert report.inserted == 0
    assert report.tables["add_ons"].present == 9
    assert report.tables["pricing_rules"].present == 12
    assert all_counts(session) == before
    session.expire_all()
    launch = promo(session, "LAUNCH2025")
    assert (launch.current_uses, launch.is_active) == (7, False)
    assert launch.expires_at == now + timedelta(days=3)
    tts = session.scalars(
        select(models.AddOn).where(models.AddOn.slug == "unicorn-orator-tts")
    ).one()
    assert tts.base_price == Decimal("11.49")


def test_seed_matches_promo_codes_in_any_case(session, now):
    session.add(
        models.PromotionalCode(
            code="launch2025", discount_type="percentage", discount_value=Decimal("50.00")
        )
    )
    session.flush()

    report = seed_catalog(session, now)

    assert (
        report.tables["promotional_codes"].inserted,
        report.tables["promotional_codes"].present,
    ) == (3, 1)
    codes = session.scalars(
        select(models.PromotionalCode.code).order_by(models.PromotionalCode.code)
    ).all()
    assert codes == ["FIRSTBUY", "FRIEND50", "VIP2025", "launch2025"]


def test_seed_command_reports_per_table_and_is_idempotent(runner, session):
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])

    assert first.exit_code == 0, first.output
    assert "add_ons                       9                0" in first.output
    assert "add_on_features              45                0" in first.output
    assert "promotional_codes             4                0" in first.output
    assert "Seeded 123 rows." in first.output
    assert second.exit_code == 0, second.output
    assert "add_ons                       0                9" in second.output
    assert "Nothing to do: the seed catalog is already present." in second.output
    assert count(session, models.AddOn) == 9
    assert count(session, models.PromotionalCode) == 4
    assert count(session, models.AddOnBundle) == 3
