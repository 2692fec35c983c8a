"""Checkout: turn the signed-in shopper's cart into pending purchases and a payment session.

`start` re-prices the cart on the server and refuses what cannot be sold; then it writes the
pending purchases and reserves the promo use in one commit, opens the provider's session, and
records the session id in a second. If the provider fails, a third commit removes the pending
purchases and gives the promo use back: the cart is untouched throughout.

Billing intervals: Stripe charges one interval per subscription, so monthly and annual lines are
checked out separately. Usage-based add-ons are charged their monthly base fee here (the usage is
billed by Lago), so they go with monthly lines; one-time lines go with either (Stripe adds them
to the first invoice of a subscription).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from marketplace.cart import queries as cart_queries
from marketplace.checkout import fulfilment
from marketplace.checkout.locks import lock_shopper
from marketplace.models import AddOnPurchase, UserAddOn
from marketplace.models.base import utcnow
from marketplace.payments import (
    LineItem,
    PaymentError,
    PaymentProvider,
    ProviderSession,
    SessionRequest,
    offline,
)
from marketplace.payments.events import purchase_ids_metadata
from marketplace.pricing.money import CENT, format_money
from marketplace.promotions import service as promotions
from marketplace.quoting import CartView, quote_cart
from marketplace.shopper import Shopper
from marketplace.vocabulary import BillingType, PurchaseStatus, SubscriptionStatus

log = logging.getLogger(__name__)


SUPERSEDED = "Replaced by a newer checkout."


class CheckoutError(Exception):
    """A checkout that cannot go ahead; `message` is for the shopper, `status` for HTTP."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CheckoutError):
    status = 404


class ProviderFailed(CheckoutError):
    status = 502


PROVIDER_UNREACHABLE = (
    "We couldn't reach the payment provider, so nothing was charged and your cart is as it was. "
    "Please try again in a moment."
)


@dataclass(frozen=True)
class Started:
    session_id: str
    url: str


@dataclass(frozen=True)
class Urls:
    """Where the provider sends the shopper back; `success` contains {CHECKOUT_SESSION_ID}."""

    success: str
    cancel: str


def start(
    session: Session,
    shopper: Shopper,
    promo_code: str | None,
    provider: PaymentProvider,
    urls: Urls,
) -> Started:
    """Check the cart out: refuse, or return the payment session to redirect to.

    A shopper has one open checkout at most. Under the shopper's lock, the previous one is
    expired at the provider and released (its pending purchases fail, its promo use comes back)
    in the transaction that writes the new pending purchases; a previous one paid meanwhile is
    fulfilled first, so the new quote knows about it.
    """
    if not shopper.is_signed_in:
        raise CheckoutError("Sign in to check out.")
    user_id = shopper.user_id
    try:
        _close_open_checkouts(session, user_id, provider)
    except PaymentError as error:
        session.rollback()
        raise ProviderFailed(PROVIDER_UNREACHABLE) from error
    view = quote_cart(session, shopper, user_id, promo_code)
    _refuse_unsellable(session, shopper, view, promo_code)
    purchases, code_id = _write_pending(session, user_id, view)
    request = _session_request(user_id, view, purchases, urls)
    try:
        opened = provider.create_session(request)
    except PaymentError as error:
        _discard(session, purchases, code_id)
        raise ProviderFailed(PROVIDER_UNREACHABLE) from error
    if not _record_session(session, user_id, purchases, opened.id):
        _expire_quietly(provider, opened.id)
        raise CheckoutError(
            "You started another checkout at the same time, so this one was closed and nothing "
            "was charged. Use the newer one, or check out again."
        )
    return Started(session_id=opened.id, url=opened.url or urls.cancel)


def _close_open_checkouts(session: Session, user_id: str, provider: PaymentProvider) -> None:
    """Take the shopper's lock and close every checkout they have open (the lock stays held).

    Each open session is expired at the provider first, so it can no longer be paid; one the
    provider reports paid is fulfilled now. Then the pending purchases fail and their promo uses
    come back, uncommitted: `_write_pending` commits them with the new checkout.
    """
    lock_shopper(session, user_id)
    open_sessions = session.scalars(
        select(AddOnPurchase.checkout_session_id)
        .where(
            AddOnPurchase.user_id == user_id,
            AddOnPurchase.status == PurchaseStatus.PENDING,
            AddOnPurchase.checkout_session_id.is_not(None),
        )
        .distinct()
    ).all()
    for session_id in open_sessions:
        if provider.expire_session(session_id) is not None:
            continue
        current = provider.retrieve_session(session_id)
        if current.is_paid:
            fulfilment.fulfil(session, _payment_of(current, user_id))  # commits, releasing the lock
            lock_shopper(session, user_id)
    fulfilment.release_open_checkouts(session, user_id, SUPERSEDED)


def _payment_of(paid: ProviderSession, user_id: str) -> fulfilment.Payment:
    return fulfilment.Payment(
        session_id=paid.id,
        payment_reference=paid.payment_reference,
        subscription_id=paid.subscription_id,
        user_id=user_id,
    )


def _refuse_unsellable(
    session: Session, shopper: Shopper, view: CartView, promo_code: str | None
) -> None:
    if view.is_empty:
        raise CheckoutError("Your cart is empty.")
    owned = cart_queries.owned_add_on_ids(
        session, shopper.user_id, utcnow(), among=[line.add_on.id for line in view.lines]
    )
    if owned:
        names = ", ".join(line.add_on.name for line in view.lines if line.add_on.id in owned)
        raise CheckoutError(f"You already own {names}. Remove it from your cart to check out.")
    if promo_code and view.quote.promo is None:
        rejection = view.quote.promo_rejection
        reason = rejection.message if rejection else "This code can't be applied."
        raise CheckoutError(f"The code {promo_code} can't be used: {reason}")
    changed = [line for line in view.lines if line.price_changed_from is not None]
    if changed:
        details = "; ".join(
            f"{line.add_on.name} from {format_money(line.price_changed_from)} "
            f"to {format_money(line.add_on.base_price)}"
            for line in changed
        )
        # The shopper has now been shown the new prices: the next attempt goes through.
        for line in changed:
            line.item.unit_price_seen = line.add_on.base_price
        session.commit()
        raise CheckoutError(
            f"Prices changed since you added them: {details}. "
            "Please review your cart and check out again."
        )
    intervals = {BillingType(line.quote.billing_type).interval for line in view.lines} - {None}
    if len(intervals) > 1:
        annual = ", ".join(
            line.add_on.name for line in view.lines if line.quote.billing_type == BillingType.ANNUAL
        )
        raise CheckoutError(
            "Monthly and annual add-ons must be checked out separately. "
            f"Remove the annual ones ({annual}) to check out the rest, then buy them on their own."
        )


def _write_pending(
    session: Session, user_id: str, view: CartView
) -> tuple[list[AddOnPurchase], uuid.UUID | None]:
    """Reserve the promo use and write one pending purchase per line; one commit."""
    code_id = None
    if view.quote.promo is not None:
        row = promotions.find_code(session, view.quote.promo.code)
        if row is None or not fulfilment.reserve_promo(session, row.id):
            session.rollback()
            raise CheckoutError(
                f"The code {view.quote.promo.code} has just been used up or expired. "
                "Remove it to check out at the regular price."
            )
        code_id = row.id
    purchases = [
        AddOnPurchase(
            id=uuid.uuid4(),
            user_id=user_id,
            add_on_id=line.add_on.id,
            amount=line.quote.due_today,
            currency="USD",
            status=PurchaseStatus.PENDING,
            quantity=line.quote.quantity,
            billing_type=line.quote.billing_type,
            discount_amount=line.quote.subtotal - line.quote.due_today,
            promo_code_id=code_id,
        )
        for line in view.lines
    ]
    session.add_all(purchases)
    session.commit()
    return purchases, code_id


def _session_request(
    user_id: str, view: CartView, purchases: Sequence[AddOnPurchase], urls: Urls
) -> SessionRequest:
    lines = tuple(_line_item(line) for line in view.lines)
    recurring = any(line.interval for line in lines)
    ids = [str(p.id) for p in purchases]
    metadata = {"user_id": user_id, **purchase_ids_metadata(ids)}
    promo = view.quote.promo
    return SessionRequest(
        mode="subscription" if recurring else "payment",
        lines=lines,
        discount=promo.discount if promo else Decimal("0.00"),
        discount_name=promo.code if promo else None,
        client_reference_id=user_id,
        metadata=metadata,
        success_url=urls.success,
        cancel_url=urls.cancel,
        idempotency_key=idempotency_key(user_id, view, ids),
    )


def _line_item(line) -> LineItem:
    """Net unit amount × quantity when it divides into whole cents, else the line as one unit."""
    quote = line.quote
    total = quote.recurring_total
    interval = BillingType(quote.billing_type).interval
    add_on_id = str(line.add_on.id)
    if (total / quote.quantity) % CENT == 0:
        return LineItem(quote.name, total / quote.quantity, quote.quantity, interval, add_on_id)
    return LineItem(f"{quote.name} × {quote.quantity}", total, 1, interval, add_on_id)


def idempotency_key(user_id: str, view: CartView, purchase_ids: Sequence[str]) -> str:
    """A hash of the cart state (owner, lines, quantities, prices, code) and this attempt.

    The attempt's purchase ids are part of it: a retry after a cancelled or failed attempt is a
    new session, never Stripe's replay of the old one; retries of one request share the key.
    """
    parts = [user_id, view.promo_code or ""]
    for line in view.lines:
        q = line.quote
        parts.append(f"{q.add_on_id}:{q.quantity}:{q.recurring_total}:{q.due_today}")
    parts.extend(purchase_ids)
    return "checkout-" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _discard(
    session: Session, purchases: Sequence[AddOnPurchase], code_id: uuid.UUID | None
) -> None:
    """Undo `_write_pending` after the provider failed: no session exists, so nothing was paid."""
    session.rollback()
    session.execute(
        delete(AddOnPurchase).where(
            AddOnPurchase.id.in_([p.id for p in purchases]),
            AddOnPurchase.status == PurchaseStatus.PENDING,
        )
    )
    if code_id is not None:
        fulfilment.give_back_promo(session, code_id)
    session.commit()


def _record_session(
    session: Session, user_id: str, purchases: Sequence[AddOnPurchase], session_id: str
) -> bool:
    """Give the purchases their session id; False when a newer checkout released them meanwhile."""
    lock_shopper(session, user_id)
    rows = session.scalars(
        select(AddOnPurchase)
        .where(AddOnPurchase.id.in_([p.id for p in purchases]))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for purchase in rows:
        purchase.checkout_session_id = session_id
    current = all(p.status == PurchaseStatus.PENDING for p in rows)
    session.commit()
    return current


def _expire_quietly(provider: PaymentProvider, session_id: str) -> None:
    """Close a session nobody should pay; if that fails, it expires on its own (30 minutes) and
    a payment made before then is refunded by fulfilment."""
    try:
        provider.expire_session(session_id)
    except PaymentError:
        log.warning("could not expire superseded checkout %s", session_id, exc_info=True)


# After the provider -------------------------------------------------------------------------


def amount_charged(purchases: Sequence[AddOnPurchase]) -> Decimal:
    """What a checkout's purchases add up to."""
    return sum((p.amount for p in purchases), Decimal("0.00"))


@dataclass(frozen=True)
class Receipt:
    """What a checkout session bought, and what the shopper holds now because of it."""

    session_id: str
    purchases: tuple[AddOnPurchase, ...]
    holdings: tuple[UserAddOn, ...]

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


def confirm(
    session: Session, shopper: Shopper, session_id: str, provider: PaymentProvider
) -> tuple[Receipt, fulfilment.Outcome]:
    """Back from the provider: fulfil the session if it is paid (idempotent), return the receipt."""
    purchases = purchases_of(session, shopper.user_id, session_id)
    if not purchases:
        raise NotFound("We couldn't find that checkout.")
    outcome = fulfilment.NOTHING
    if any(p.status == PurchaseStatus.PENDING for p in purchases):
        try:
            paid = provider.retrieve_session(session_id)
        except PaymentError:
            paid = None  # the webhook will confirm it; the page says so
        if paid is not None and paid.is_paid:
            outcome = fulfilment.fulfil(session, _payment_of(paid, shopper.user_id))
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
    return Receipt(session_id=session_id, purchases=tuple(purchases), holdings=tuple(holdings))


def is_open(purchases: Sequence[AddOnPurchase]) -> bool:
    """Whether a checkout still waits for payment."""
    return any(p.status == PurchaseStatus.PENDING for p in purchases)


def cancel(session: Session, shopper: Shopper, session_id: str, provider: PaymentProvider) -> bool:
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
    session: Session, shopper: Shopper, session_id: str, action: str
) -> tuple[str, fulfilment.Outcome]:
    """The offline test page's buttons: pay, decline or cancel a pending session of the shopper."""
    purchases = purchases_of(session, shopper.user_id, session_id)
    if not purchases:
        raise NotFound("We couldn't find that checkout.")
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
    reason = "Payment declined (test payment)." if action == "decline" else "Checkout cancelled."
    return action, fulfilment.release(session, session_id, reason, user_id=shopper.user_id)
