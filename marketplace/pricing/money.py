"""Money arithmetic: the one rounding rule, discounting, and cent-exact allocation."""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# What the catalog's prices (add-ons, bundles, tier rules, promo amounts) are in.
CATALOG_CURRENCY = "USD"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """How an amount reads to people, everywhere: 1234.5 → "$1,234.50" (other currencies
    without a symbol here: "1,234.50 CHF")."""
    text = f"{round_money(Decimal(amount)):,}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def round_money(amount: Decimal) -> Decimal:
    """Round ``amount`` half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def discounted_price(
    amount: Decimal, *, percent: Decimal | None, amount_off: Decimal | None
) -> Decimal:
    """Return ``amount`` after ``percent`` off, then ``amount_off``; rounded, never below zero."""
    price = amount
    if percent is not None:
        price = round_money(price * (100 - percent) / 100)
    if amount_off is not None:
        price -= amount_off
    return max(round_money(price), ZERO)


def allocate(total: Decimal, weights: Mapping[UUID, Decimal]) -> dict[UUID, Decimal]:
    """Split ``total`` over ``weights`` in proportion, in whole cents that add up to ``total``.

    Largest remainder: every key gets the floor of its exact share, and the cents left over go to
    the largest remainders, ties to the smaller key, so the split never depends on input order.
    As ``total`` may not exceed the sum of the weights, no share exceeds its own weight.
    """
    cents = _cents(total)
    weight_cents = {key: _cents(weight) for key, weight in weights.items()}
    whole = sum(weight_cents.values())
    if cents < 0 or any(weight < 0 for weight in weight_cents.values()):
        raise ValueError("allocate needs a non-negative total and non-negative weights")
    if cents > whole:
        raise ValueError(f"cannot allocate {total} over weights that sum to {whole * CENT}")
    if cents == 0:
        return {key: ZERO for key in weights}
    shares: dict[UUID, int] = {}
    remainders: dict[UUID, int] = {}
    for key, weight in weight_cents.items():
        shares[key], remainders[key] = divmod(cents * weight, whole)
    leftover = cents - sum(shares.values())
    for key in sorted(remainders, key=lambda key: (-remainders[key], key))[:leftover]:
        shares[key] += 1
    return {key: share * CENT for key, share in shares.items()}


def _cents(amount: Decimal) -> int:
    cents = amount / CENT
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(cents)


def spread_refund(
    cumulative: Decimal, lines: Mapping[UUID, tuple[Decimal, Decimal]]
) -> dict[UUID, Decimal]:
    """Return what each line newly gets back when a payment's refunds add up to ``cumulative``.

    ``lines`` maps each line the payment covered to (charged, refunded so far). Refunds already
    recorded are part of the cumulative amount, so only what goes beyond them is new; it is
    spread in proportion to what each line has left, never past what was charged. Lines getting
    nothing are left out.
    """
    charged = sum((amount for amount, _ in lines.values()), ZERO)
    recorded = sum((refunded for _, refunded in lines.values()), ZERO)
    new = min(cumulative, charged) - recorded
    left = {key: amount - refunded for key, (amount, refunded) in lines.items()}
    if new <= 0:
        return {}
    shares = allocate(new, {key: value for key, value in left.items() if value > 0})
    return {key: share for key, share in shares.items() if share > 0}
