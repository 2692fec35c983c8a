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
from sqlalchemy.orm import Session

from marketplace import funnel
from marketplace.cart import queries as cart_queries
from marketplace.checkout import fulfilment
from marketplace.checkout.errors import PROVIDER_UNREACHABLE, CheckoutError, ProviderFailed
from marketplace.checkout.locks import lock_shopper
from marketplace.models import AddOnPurchase
from marketplace.models.base import utcnow
from marketplace.orders import service as orders
from marketplace.payments import (
    LineItem,
    PaymentError,
    PaymentProvider,
    ProviderSession,
    SessionRequest,
)
from marketplace.payments.events import purchase_ids_metadata
from marketplace.pricing.money import CENT, format_money
from marketplace.promotions import service as promotions
from marketplace.quoting import CartLineView, CartView, quote_cart
from marketplace.shopper import SignedInShopper
from marketplace.vocabulary import BillingType, FunnelStep, PurchaseStatus

log = logging.getLogger(__name__)


SUPERSEDED = "Replaced by a newer checkout."


@dataclass(frozen=True)
class Urls:
    """Where the provider sends the shopper back; `success` contains {CHECKOUT_SESSION_ID}."""

    success: str
    cancel: str


def start(
    session: Session,
    shopper: SignedInShopper,
    promo_code: str | None,
    provider: PaymentProvider,
    urls: Urls,
) -> ProviderSession:
    """Check the cart out: refuse, or return the payment session to redirect to.

    A shopper has one open checkout at most. Under the shopper's lock, the previous one is
    expired at the provider and released (its pending purchases fail, its promo use comes back)
    in the transaction that writes the new pending purchases; a previous one paid meanwhile is
    fulfilled first, so the new quote knows about it.
    """
    user_id = shopper.user_id
    try:
        _close_open_checkouts(session, user_id, provider)
    except PaymentError as error:
        session.rollback()
        raise ProviderFailed(PROVIDER_UNREACHABLE) from error
    view = quote_cart(session, shopper, user_id, promo_code)
    try:
        _refuse_unsellable(session, shopper, view, promo_code)
    except CheckoutError as refusal:
        if isinstance(refusal, PricesChanged):
            refusal.acknowledge()
        session.commit()  # the previous checkout, closed at the provider, stays released
        raise
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
    return opened


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
    for session_id in filter(None, open_sessions):
        if provider.expire_session(session_id) is not None:
            continue
        current = provider.retrieve_session(session_id)
        if current.is_paid:
            # fulfil commits, which releases the lock: take it again.
            fulfilment.fulfil(session, fulfilment.Payment.of(current, user_id))
            lock_shopper(session, user_id)
    fulfilment.release_open_checkouts(session, user_id, SUPERSEDED)


class PricesChanged(CheckoutError):
    """Prices moved since the shopper added the lines: shown once, then accepted."""

    def __init__(self, lines: Sequence[CartLineView]) -> None:
        details = "; ".join(
            f"{line.add_on.name} from {format_money(line.price_changed_from)} "
            f"to {format_money(line.add_on.base_price)}"
            for line in lines
            if line.price_changed_from is not None
        )
        super().__init__(
            f"Prices changed since you added them: {details}. "
            "Please review your cart and check out again."
        )
        self.lines = lines

    def acknowledge(self) -> None:
        """The shopper has now been shown the new prices: the next attempt goes through."""
        for line in self.lines:
            line.item.unit_price_seen = line.add_on.base_price


def _refuse_unsellable(
    session: Session, shopper: SignedInShopper, view: CartView, promo_code: str | None
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
        raise PricesChanged(changed)
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
    """Reserve the promo use and write the pending order, one purchase per line; one commit."""
    code_id = None
    if view.quote.promo is not None:
        row = promotions.find_code(session, view.quote.promo.code)
        if row is None or not promotions.reserve_promo(session, row.id):
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
    orders.open_order(
        session,
        user_id,
        [(p, line.quote, line.bundle_name) for p, line in zip(purchases, view.lines, strict=True)],
        promo_code=view.quote.promo.code if view.quote.promo else None,
    )
    funnel.reached(session, user_id, FunnelStep.CHECKOUT)
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
    order_ids = [p.order_id for p in purchases]
    session.execute(
        delete(AddOnPurchase).where(
            AddOnPurchase.id.in_([p.id for p in purchases]),
            AddOnPurchase.status == PurchaseStatus.PENDING,
        )
    )
    orders.discard(session, order_ids)
    if code_id is not None:
        promotions.give_back_promo(session, code_id)
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
    orders.attach_session(session, rows, session_id)
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
