"""Admin refunds: give money back for lines of one order through the payment provider, once.

One transaction: lock the order's lines, check the request against what is left, ask the
provider (with an idempotency key), record the refund and each line's share, suspend what a
line refunded in full bought (the shop's refund rule, `lifecycle.record_refund`), optionally
cancel those subscriptions (the shop's cancel), write the audit row, queue the letters.

The key follows from the order's refund state when the form was shown and what was asked, so
a double submit or two admins sending the same refund make one: the second waits for the
lines' locks, then finds the key recorded. A different refund from the same stale page is
refused as a concurrent change. The locks are held while the provider is asked, so Stripe's
`charge.refunded` for this refund (`lifecycle.refund`, which locks the same rows in the same
order) waits and then finds it already recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace import payments
from marketplace.account import service as subscriptions
from marketplace.admin.audit import service as audit
from marketplace.admin.audit.service import Actor
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.admin.orders.queries import OBJECT_TYPE
from marketplace.admin.orders.refund_plan import NotRefundable, plan_refund
from marketplace.checkout import lifecycle
from marketplace.models import AddOnPurchase, Order, Refund, RefundLine, UserAddOn
from marketplace.models.base import utcnow
from marketplace.orders.service import PAID_LINE
from marketplace.payments import PaymentError, PaymentProvider
from marketplace.pricing.money import ZERO
from marketplace.vocabulary import SubscriptionStatus

ACTION = "order.refund"
CHANGED = "This order's refunds changed since you opened it (someone else refunded it?). Reload."
# Subscriptions a refund can still cancel: a line refunded in full suspended its add-on.
CANCELLABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


class ProviderFailed(Refused):
    """The payment provider refused the refund or could not be reached: nothing was recorded."""


@dataclass(frozen=True)
class RefundRequest:
    """What an admin asks: `line_id` None is the whole order, `amount` None all that is left;
    `state` is `refund_state` of the order's lines as the admin's page showed them."""

    line_id: uuid.UUID | None
    amount: Decimal | None
    reason: str
    cancel_subscriptions: bool
    state: str


@dataclass(frozen=True)
class RefundMade:
    """The refund, and whether this request made it (False: it had been made already)."""

    refund: Refund
    new: bool
    outbox_ids: tuple[uuid.UUID, ...] = ()


def provider(config: Mapping[str, Any]) -> PaymentProvider:
    """The payment provider refunds go through (the admin page's and the API's)."""
    # A refund never opens a checkout page, so the offline provider needs no page address.
    return payments.provider_for(config, lambda session_id: "")


def refundable(lines: Sequence[AddOnPurchase]) -> dict[uuid.UUID, Decimal]:
    """What each paid line of an order has left to refund."""
    return {
        line.id: line.amount - (line.refund_amount or ZERO)
        for line in lines
        if line.status in PAID_LINE and line.stripe_payment_id
    }


def refund_state(lines: Sequence[AddOnPurchase]) -> str:
    """A digest of what the order's lines have refunded: it changes with every refund."""
    facts = sorted(f"{line.id}:{line.status}:{line.refund_amount or 0}" for line in lines)
    return hashlib.sha256("|".join(facts).encode()).hexdigest()[:32]


def idempotency_key(order_id: uuid.UUID, request: RefundRequest) -> str:
    """The provider's idempotency key of `request`: the same page sending the same refund."""
    asked = f"{order_id}|{request.state}|{request.line_id or 'order'}|{request.amount or 'rest'}"
    return "admin-refund-" + hashlib.sha256(asked.encode()).hexdigest()[:48]


def preview(
    session: Session, order_id: uuid.UUID, request: RefundRequest
) -> dict[uuid.UUID, Decimal]:
    """Each line's share of `request` as the order stands (the confirm step); raises Refused."""
    order = _order(session, order_id)
    if refund_state(order.lines) != request.state:
        raise Conflict(CHANGED)
    return _plan(order, order.lines, request)


def refund_order(
    session: Session,
    provider: PaymentProvider,
    actor: Actor,
    order_id: uuid.UUID,
    request: RefundRequest,
    now: datetime | None = None,
) -> RefundMade:
    """Make the refund `request` asks for on order `order_id`; one commit. Raises Refused
    (NotFound, Conflict: the order's refunds changed; ProviderFailed)."""
    now = now or utcnow()
    order = _order(session, order_id)
    lines = _lock_lines(session, order_id)
    key = idempotency_key(order_id, request)
    made = session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if made is not None:
        session.commit()
        return RefundMade(made, new=False)
    try:
        if refund_state(lines) != request.state:
            raise Conflict(CHANGED)
        shares = _plan(order, lines, request)
    except Refused:
        session.rollback()  # release the lines at once
        raise
    provider_id = _ask_provider(session, provider, lines, shares, key)
    refund, outbox_ids = _record(session, actor, lines, shares, request, provider_id, key, now)
    session.commit()
    return RefundMade(refund, new=True, outbox_ids=tuple(outbox_ids))


def _ask_provider(
    session: Session,
    provider: PaymentProvider,
    lines: Sequence[AddOnPurchase],
    shares: dict[uuid.UUID, Decimal],
    key: str,
) -> str:
    """Refund the shares' sum of the payment they were paid with; the provider's refund id.
    A refusal rolls back (releasing the locks) and records nothing."""
    [reference] = {line.stripe_payment_id for line in lines if line.id in shares}
    try:
        return provider.refund(reference or "", sum(shares.values(), ZERO), key)
    except PaymentError as error:
        session.rollback()
        raise ProviderFailed(f"The payment provider did not refund: {error}") from error


def _record(
    session: Session,
    actor: Actor,
    lines: Sequence[AddOnPurchase],
    shares: dict[uuid.UUID, Decimal],
    request: RefundRequest,
    provider_id: str,
    key: str,
    now: datetime,
) -> tuple[Refund, list[uuid.UUID]]:
    """Record the refund the provider made, what follows from it and its audit row (no
    commit); the refund and the outbox entries to deliver after the commit."""
    by_id = {line.id: line for line in lines}
    before = {str(line_id): by_id[line_id].refund_amount or ZERO for line_id in shares}
    refund = Refund(
        order_id=lines[0].order_id,
        reason=request.reason,
        provider_refund_id=provider_id,
        idempotency_key=key,
        actor=actor.user_id,
        created_at=now,
        lines=[RefundLine(purchase_id=line_id, amount=share) for line_id, share in shares.items()],
    )
    session.add(refund)
    refunded = lifecycle.record_refund(session, lines, shares, reason=request.reason, now=now)
    outbox_ids = lifecycle.refund_notices(session, refunded, shares, reason=request.reason)
    cancelled = []
    if request.cancel_subscriptions:
        cancelled = _cancel_subscriptions(session, refunded, shares, request.reason, now)
    outbox_ids += [entry for _, entries in cancelled for entry in entries]
    after = {
        "refunded": {str(line_id): by_id[line_id].refund_amount for line_id in shares},
        "amount": refund.amount,
        "reason": request.reason,
        "provider_refund_id": provider_id,
        "cancelled_subscriptions": [str(held_id) for held_id, _ in cancelled],
    }
    audit.record(session, actor, ACTION, OBJECT_TYPE, refund.order_id, {"refunded": before}, after)
    return refund, outbox_ids


def _plan(
    order: Order, lines: Sequence[AddOnPurchase], request: RefundRequest
) -> dict[uuid.UUID, Decimal]:
    if request.line_id is not None and request.line_id not in {line.id for line in lines}:
        raise Refused("Choose a line of this order.", field="line")
    try:
        shares = plan_refund(refundable(lines), request.line_id, request.amount, order.currency)
    except NotRefundable as refused:
        raise Refused(str(refused), field="amount") from None
    references = {line.stripe_payment_id for line in lines if line.id in shares}
    if len(references) != 1:
        # One provider refund pays back one payment; an order is paid once, so this is a
        # record the marketplace did not write (imported or repaired by hand).
        raise Refused("These lines were paid in separate payments: refund one line at a time.")
    return shares


def _cancel_subscriptions(
    session: Session,
    refunded: Sequence[AddOnPurchase],
    shares: dict[uuid.UUID, Decimal],
    reason: str,
    now: datetime,
) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    """Cancel the subscriptions the refunded lines bought, through the shop's cancel: each
    cancelled subscription's id and the outbox entries that stop its billing and tell the user."""
    cancelled = []
    for line in refunded:
        held = session.scalar(
            select(UserAddOn)
            .where(UserAddOn.user_id == line.user_id, UserAddOn.add_on_id == line.add_on_id)
            .with_for_update()
        )
        if held is None or held.status not in CANCELLABLE:
            continue
        entries = subscriptions.end(
            session, held, reason, now, by_shopper=False, refunded=shares[line.id]
        )
        cancelled.append((held.id, entries))
    return cancelled


def _order(session: Session, order_id: uuid.UUID) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("There is no order with this id.")
    return order


def _lock_lines(session: Session, order_id: uuid.UUID) -> list[AddOnPurchase]:
    """The order's lines, locked in id order (as `lifecycle.refund` locks them), as they are."""
    return list(
        session.scalars(
            select(AddOnPurchase)
            .where(AddOnPurchase.order_id == order_id)
            .order_by(AddOnPurchase.id)
            .options(selectinload(AddOnPurchase.add_on))
            .with_for_update(of=AddOnPurchase)
            .execution_options(populate_existing=True)
        )
    )
