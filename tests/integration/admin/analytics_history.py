"""A hand-computed subscription history for the analytics tests, made by the shop's own
services (fulfilment, renewal, cancellation, refund, expiry), each at a given time.

January 2026
- Jan 5  Ann: Voice (monthly, $20.00 list, $2.00 tier price, $5.00 off with SAVE5 → $13.00
         charged, renews at $18.00) and, in a second checkout, Docs (annual $120.00, $12.00
         Starter Bundle discount → $108.00, MRR $9.00): new, $27.00.
- Jan 10 Ben: GPU (usage-based, base fee $9.00): new, $9.00.
- Jan 20 Fay: Voice ($20.00); she switches renewal off (it runs out on Feb 20).
February 2026 (MRR at the start: $56.00, 3 subscribers)
- Feb 3  Ann: OCR (monthly $15.00): expansion +$15.00. Dan: Lifetime (one-time $49.00): no MRR.
- Feb 5  Ann's Voice renews (nothing moves). Eve: a complimentary Voice grant: no MRR.
- Feb 10 Ben cancels GPU: churned −$9.00.
- Feb 14 Cat: OCR ($15.00): new +$15.00.
- Feb 20 Ann's Docs payment is refunded in full ($108.00): contraction −$9.00.
- Feb 21 The weekly expiry finds Fay's Voice ended on Feb 20: churned −$20.00.
- Feb 25 Ben: Voice ($20.00): reactivation +$20.00.
MRR at the end of February: Ann 33 + Ben 20 + Cat 15 = $68.00.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from marketplace import subscription_history
from marketplace.account import service as account
from marketplace.checkout import lifecycle
from marketplace.checkout.fulfilment import Payment, fulfil
from marketplace.maintenance.analytics import refresh
from marketplace.maintenance.rows import ROW_TASKS
from marketplace.models import (
    AddOn,
    AddOnBundle,
    AddOnPurchase,
    PromotionalCode,
    PurchaseDiscount,
    UserAddOn,
)

D = Decimal


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    add_on: AddOn
    charged: str
    discounts: tuple[tuple[str, str, str], ...] = ()  # (kind, label, amount)


def add_on(session, slug: str, price: str, billing: str, category: str) -> AddOn:
    row = AddOn(name=slug.title(), slug=slug, category=category, base_price=D(price),
                billing_type=billing)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def buy(session, user: str, ref: str, when: datetime, *lines: Line, promo=None) -> None:
    """A checkout of `lines` paid at `when`: pending purchases, then the real fulfilment."""
    for line in lines:
        session.add(
            AddOnPurchase(
                user_id=user,
                add_on_id=line.add_on.id,
                amount=D(line.charged),
                status="pending",
                billing_type=line.add_on.billing_type,
                promo_code_id=promo.id if promo else None,
                checkout_session_id=f"cs_{ref}",
                created_at=when,
                purchased_at=when,
                discounts=[
                    PurchaseDiscount(kind=kind, label=label, amount=D(amount))
                    for kind, label, amount in line.discounts
                ],
            )
        )
    session.commit()
    fulfil(
        session,
        Payment(
            session_id=f"cs_{ref}",
            payment_reference=f"pi_{ref}",
            subscription_id=f"sub_{ref}",
            user_id=user,
        ),  # fmt: skip
        now=when,
    )


def held(session, user: str, add_on_row: AddOn) -> UserAddOn:
    session.expire_all()
    return session.query(UserAddOn).filter_by(user_id=user, add_on_id=add_on_row.id).one()


def make_history(session) -> dict[str, AddOn]:
    """Write the module docstring's history and refresh the rollups; the add-ons by slug."""
    voice = add_on(session, "voice", "20.00", "monthly", "ai-services")
    docs = add_on(session, "docs", "120.00", "annual", "productivity")
    gpu = add_on(session, "gpu", "9.00", "usage_based", "infrastructure")
    ocr = add_on(session, "ocr", "15.00", "monthly", "productivity")
    lifetime = add_on(session, "lifetime", "49.00", "one_time", "development")
    save5 = PromotionalCode(code="SAVE5", discount_type="fixed_amount", discount_value=D("5.00"))
    session.add_all(
        [
            save5,
            AddOnBundle(
                name="Starter Bundle", add_on_ids=[voice.id, docs.id], discount_percent=D("10")
            ),
        ]  # fmt: skip
    )
    session.commit()
    tier = ("tier", "Pro tier price", "2.00")
    promo = ("promo", "Promo code SAVE5", "5.00")
    buy(session, "ann", "ann1", at(1, 5), Line(voice, "13.00", (tier, promo)), promo=save5)
    bundle = ("bundle", "Starter Bundle", "12.00")
    buy(session, "ann", "ann2", at(1, 5), Line(docs, "108.00", (bundle,)))
    buy(session, "ben", "ben1", at(1, 10), Line(gpu, "9.00"))
    buy(session, "fay", "fay1", at(1, 20), Line(voice, "20.00"))
    account.set_auto_renew(session, "fay", held(session, "fay", voice).id, False)
    buy(session, "ann", "ann3", at(2, 3), Line(ocr, "15.00"))
    buy(session, "dan", "dan1", at(2, 3), Line(lifetime, "49.00"))
    lifecycle.renew(session, "sub_ann1", None, now=at(2, 5))
    grant = UserAddOn(user_id="eve", add_on_id=voice.id, purchased_at=at(2, 5), auto_renew=False)
    session.add(grant)
    subscription_history.record(session, [_flushed(session, grant)], at(2, 5))
    session.commit()
    account.cancel(session, "ben", held(session, "ben", gpu).id, "Too pricey", now=at(2, 10))
    buy(session, "cat", "cat1", at(2, 14), Line(ocr, "15.00"))
    lifecycle.refund(session, ["pi_ann2"], D("108.00"), now=at(2, 20))
    ROW_TASKS["expire-subscriptions"].run(session, now=at(2, 21))
    session.commit()
    buy(session, "ben", "ben2", at(2, 25), Line(voice, "20.00"))
    refresh(session, now=at(2, 27))
    session.commit()
    return {row.slug: row for row in (voice, docs, gpu, ocr, lifetime)}


def _flushed(session, row: UserAddOn) -> uuid.UUID:
    session.flush()
    return row.id
