"""The PDF of a receipt, drawn with fpdf2 (pure Python, no system libraries)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from marketplace.account.queries import Receipt
from marketplace.pricing.money import format_money

# The PDF core fonts speak Latin-1; typographic characters outside it get plain stand-ins.
_PLAIN = str.maketrans({"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


def _plain(text: object) -> str:
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(receipt: Receipt) -> bytes:
    """Return the receipt of one purchase as a one-page A4 PDF."""
    purchase = receipt.purchase
    pdf = FPDF(format="A4")
    pdf.set_title(_plain(f"Receipt {purchase.id}"))
    pdf.set_author("Extensions Marketplace")
    pdf.set_creation_date(purchase.purchased_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "Extensions Marketplace", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, "Receipt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for label, value in _facts(receipt):
        _row(pdf, label, value)
    pdf.ln(6)
    _item_table(pdf, receipt)
    pdf.ln(2)
    for label, value in _totals(receipt):
        pdf.set_font("Helvetica", "B" if label == "Total paid" else "", 11)
        pdf.cell(135, 7, _plain(label), align="R")
        pdf.cell(0, 7, _plain(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Prices in the currency shown. Keep this receipt for your records. Questions? Contact "
        "support with the receipt number above.",
    )
    return bytes(pdf.output())


def _facts(receipt: Receipt) -> list[tuple[str, str]]:
    purchase = receipt.purchase
    facts = [
        ("Receipt number", str(purchase.id)),
        ("Date", purchase.purchased_at.strftime("%d %B %Y, %H:%M UTC")),
        ("Customer", purchase.user_id),
        ("Status", purchase.status.capitalize()),
    ]
    if purchase.stripe_payment_id:
        facts.append(("Payment reference", purchase.stripe_payment_id))
    return facts


def _item_table(pdf: FPDF, receipt: Receipt) -> None:
    purchase = receipt.purchase
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(110, 8, "Item", border="B")
    pdf.cell(25, 8, "Quantity", border="B", align="R")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(110, 8, _plain(f"{purchase.add_on.name} ({purchase.billing.label})"))
    pdf.cell(25, 8, str(purchase.quantity), align="R")
    subtotal = format_money(receipt.subtotal, purchase.currency)
    pdf.cell(0, 8, subtotal, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _totals(receipt: Receipt) -> list[tuple[str, str]]:
    purchase, currency = receipt.purchase, receipt.purchase.currency
    totals = [("Subtotal", format_money(receipt.subtotal, currency))]
    if purchase.discount_amount:
        label = f"Discount ({receipt.promo_code})" if receipt.promo_code else "Discount"
        totals.append((label, "-" + format_money(purchase.discount_amount, currency)))
    totals.append(("Total paid", format_money(purchase.amount, currency)))
    if purchase.refund_amount:
        totals.append(("Refunded", "-" + format_money(purchase.refund_amount, currency)))
    return totals


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(45, 6, _plain(label))
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _plain(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
