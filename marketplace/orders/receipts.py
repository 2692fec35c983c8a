"""An order's receipt as a PDF, drawn with fpdf2 (pure Python, no system libraries) from the
same `ReceiptView` the HTML page renders (the receipt page's download and the confirmation
e-mail's attachment both draw it with `receipt_pdf(view)`).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from marketplace.orders.receipt_view import ReceiptView, Row

# Column widths (mm) of the lines table on A4 with 10 mm margins: 190 mm in all.
ITEM, PERIOD, QUANTITY = 95, 35, 25
# After a cell: back to the left margin, on the next line.
LEFT, BELOW = XPos.LMARGIN, YPos.NEXT


def _latin1(text: str) -> str:
    """The core fonts speak Latin-1; anything else (rare in a name) becomes "?"."""
    return text.encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(view: ReceiptView) -> bytes:
    """Return the receipt as an A4 PDF."""
    pdf = FPDF(format="A4")
    pdf.set_margins(10, 12, 10)
    pdf.set_title(_latin1(view.title))
    pdf.set_author(_latin1(view.seller_name))
    pdf.set_creation_date(view.issued_at)
    pdf.add_page()
    _header(pdf, view)
    _facts(pdf, view.facts)
    _lines(pdf, view)
    _totals(pdf, view.totals)
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    for note in view.notes:
        pdf.multi_cell(0, 5, _latin1(note), new_x=LEFT, new_y=BELOW)
    return bytes(pdf.output())


def _header(pdf: FPDF, view: ReceiptView) -> None:
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(view.seller_name), new_x=LEFT, new_y=BELOW)
    pdf.set_font("Helvetica", "", 10)
    for line in view.seller_lines:
        pdf.multi_cell(0, 5, _latin1(line), new_x=LEFT, new_y=BELOW)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, _latin1(view.title), new_x=LEFT, new_y=BELOW)
    pdf.ln(2)


def _facts(pdf: FPDF, facts: tuple[Row, ...]) -> None:
    for row in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 6, _latin1(row.label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, _latin1(row.value), new_x=LEFT, new_y=BELOW)
    pdf.ln(5)


def _lines(pdf: FPDF, view: ReceiptView) -> None:
    item, period, quantity, amount = view.columns
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(ITEM, 8, item, border="B")
    pdf.cell(PERIOD, 8, period, border="B")
    pdf.cell(QUANTITY, 8, quantity, border="B", align="R")
    pdf.cell(0, 8, amount, border="B", align="R", new_x=LEFT, new_y=BELOW)
    for line in view.lines:
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(ITEM, 7, _latin1(line.item))
        pdf.cell(PERIOD, 7, _latin1(line.period))
        pdf.cell(QUANTITY, 7, line.quantity, align="R")
        pdf.cell(0, 7, _latin1(line.amount), align="R", new_x=LEFT, new_y=BELOW)
        pdf.set_font("Helvetica", "", 9)
        for row in line.adjustments:
            top = pdf.get_y()
            pdf.set_x(15)
            pdf.multi_cell(ITEM + PERIOD + QUANTITY - 5, 5, _latin1(row.label))
            bottom = pdf.get_y()
            pdf.set_xy(10 + ITEM + PERIOD + QUANTITY, top)
            pdf.cell(0, 5, _latin1(row.value), align="R")
            pdf.set_xy(10, max(bottom, top + 5))
    pdf.cell(0, 2, "", border="T", new_x=LEFT, new_y=BELOW)


def _totals(pdf: FPDF, totals: tuple[Row, ...]) -> None:
    for row in totals:
        pdf.set_font("Helvetica", "B" if row.strong else "", 10)
        pdf.cell(ITEM + PERIOD + QUANTITY, 7, _latin1(row.label), align="R")
        pdf.cell(0, 7, _latin1(row.value), align="R", new_x=LEFT, new_y=BELOW)
