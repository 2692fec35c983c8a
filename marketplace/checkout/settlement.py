"""After the provider: the shopper comes back paid (success page), leaves (cancel), or settles
the offline test payment; each reads the shopper's own purchases only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from marketplace.checkout import fulfilment
from marketplace.checkout.errors import CheckoutError, NotFound
from marketplace.checkout.outcomes import NOTHING, Outcome
from marketplace.models import AddOnPurchase, Order, UserAddOn
from marketplace.orders import queries as orders
from marketplace.payments import PaymentError, PaymentProvider, offline
from marketplace.shopper import SignedInShopper
from marketplace.vocabulary import PurchaseStatus, SubscriptionStatus


def amount_charged(purchases: Sequence[AddOnPurchase]) -> Decimal:
    """What a checkout's purchases add up to."""
    return sum((p.amount for p in purchases), Decimal("0.00"))


@dataclass(frozen=True)
class Receipt:
    """What a checkout session bought, its order, and what the shopper holds now because of it."""

    session_id: str
    purchases: tuple[AddOnPurchase, ...]
    holdings: tuple[UserAddOn, ...]
    order: Order | None = None

    @property
    def status(self) -> str:
        statuses = {p.status for p in self.purchases}
        if statuses == {PurchaseStatus.REFUNDED}:
            return PurchaseStatus.REFUNDED
        if statuses <= {PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED}:
            return PurchaseStatus.COMPLETED
        if PurchaseStatus.PENDING in statuses:
            return PurchaseStatus.PENDING
        return PurchaseStatus.FAILED

    @property
    def refunded(self) -> tuple[AddOnPurchase, ...]:
        """Lines paid for and given back (each says why)."""
        return tuple(p for p in self.purchases if p.status == PurchaseStatus.REFUNDED)

    @property
    def total(self) -> Decimal:
        return amount_charged(self.purchases)


def purchases_of(session: Session, user_id: str | None, session_id: str) -> list[AddOnPurchase]:
    """The user's purchases in a checkout session; someone else's session is not found."""
    if not user_id or not session_id:
        return []
    return list(
        session.scalars(
            select(AddOnPurchase)
            .options(joinedload(AddOnPurchase.add_on))  # the receipt pages name each add-on
            .where(
                AddOnPurchase.checkout_session_id == session_id,
                AddOnPurchase.user_id == user_id,
            )
            .order_by(AddOnPurchase.created_at, AddOnPurchase.id)
        )
    )


def _own_checkout(
    session: Session, shopper: SignedInShopper, session_id: str
) -> list[AddOnPurchase]:
    """The shopper's purchases in the checkout, or NotFound (someone else's is not theirs)."""
    purchases = purchases_of(session, shopper.user_id, session_id)
    if not purchases:
        raise NotFound("We couldn't find that checkout.")
    return purchases


def confirm(
    session: Session, shopper: SignedInShopper, session_id: str, provider: PaymentProvider
) -> tuple[Receipt, Outcome]:
    """Back from the provider: fulfil the session if it is paid (idempotent), return the receipt."""
    purchases = _own_checkout(session, shopper, session_id)
    outcome = NOTHING
    if any(p.status == PurchaseStatus.PENDING for p in purchases):
        try:
            paid = provider.retrieve_session(session_id)
        except PaymentError:
            paid = None  # the webhook will confirm it; the page says so
        if paid is not None and paid.is_paid:
            outcome = fulfilment.fulfil(session, fulfilment.Payment.of(paid, shopper.user_id))
    return receipt(session, shopper.user_id, session_id), outcome


def receipt(session: Session, user_id: str, session_id: str) -> Receipt:
    session.expire_all()
    purchases = purchases_of(session, user_id, session_id)
    holdings = list(
        session.scalars(
            select(UserAddOn)
            .options(joinedload(UserAddOn.add_on))
            .where(
                UserAddOn.user_id == user_id,
                UserAddOn.add_on_id.in_([p.add_on_id for p in purchases]),
                UserAddOn.status == SubscriptionStatus.ACTIVE,
            )
        )
    )
    return Receipt(
        session_id=session_id,
        purchases=tuple(purchases),
        holdings=tuple(holdings),
        order=orders.order_of_session(session, user_id, session_id),
    )


def is_open(purchases: Sequence[AddOnPurchase]) -> bool:
    """Whether a checkout still waits for payment."""
    return any(p.status == PurchaseStatus.PENDING for p in purchases)


def cancel(
    session: Session, shopper: SignedInShopper, session_id: str, provider: PaymentProvider
) -> bool:
    """The shopper left the payment page: close the session, then release it (once).

    An open Stripe session could still be paid in another tab, so it is expired first; one that
    can no longer be expired (paid meanwhile) is left for its webhook.
    """
    if not is_open(purchases_of(session, shopper.user_id, session_id)):
        return False
    try:
        closed = provider.expire_session(session_id)
    except PaymentError:
        return False  # Stripe expires it and sends checkout.session.expired
    if closed is None:
        return False  # no longer open: it completed or expired, and its webhook says which
    return fulfilment.release(
        session, session_id, "Checkout cancelled.", user_id=shopper.user_id
    ).changed


def settle_test_payment(
    session: Session, shopper: SignedInShopper, session_id: str, action: str
) -> tuple[str, Outcome]:
    """The offline test page's buttons: pay, decline or cancel a pending session of the shopper."""
    purchases = _own_checkout(session, shopper, session_id)
    if all(p.status != PurchaseStatus.PENDING for p in purchases):
        raise CheckoutError("This test payment was already settled.")
    if action == "pay":
        recurring = any(p.billing.interval for p in purchases)
        test_id = session_id.removeprefix(offline.SESSION_PREFIX)
        outcome = fulfilment.fulfil(
            session,
            fulfilment.Payment(
                session_id=session_id,
                payment_reference=f"test_pay_{test_id}",
                subscription_id=f"test_sub_{test_id}" if recurring else None,
                user_id=shopper.user_id,
            ),
        )
        return "paid", outcome
    declined = action == "decline"
    reason = "Payment declined (test payment)." if declined else "Checkout cancelled."
    return action, fulfilment.release(
        session, session_id, reason, user_id=shopper.user_id, payment_failed=declined
    )
