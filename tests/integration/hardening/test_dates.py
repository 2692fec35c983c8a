"""Purchase filters: a date out of range is a 400 naming its field; a reversed range is shown in
the page, where the shopper can fix it."""

from __future__ import annotations

import pytest

from tests.fixtures.identity import purchase
from tests.fixtures.shoppers import HX, sign_in

USER = "dates-user"


@pytest.fixture
def me(client, session, catalog):
    """A signed-in shopper with one purchase, so a valid filter shows a list."""
    purchase(session, USER, catalog.tts)
    return sign_in(client, USER)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("until=9999-12-31", "To"),  # until + 1 day overflows
        ("since=9999-12-31", "From"),
        ("since=0001-01-01", "From"),
        ("since=0000-01-01", "From"),  # year 0 does not exist
        ("until=1999-12-31", "To"),
        ("since=2100-01-01", "From"),
        ("since=0001-01-01&until=9998-12-31", "From"),  # millennia of history
        ("since=2025-01-01&until=10000-01-01", "To"),
    ],
)
def test_a_date_out_of_range_is_a_400_naming_the_field(me, query, field):
    page = me.get(f"/account/purchases?{query}")
    partial = me.get(f"/account/purchases?{query}", headers=HX)

    assert page.status_code == 400 and partial.status_code == 400
    html = page.get_data(as_text=True)
    assert '<h1 id="error-title" class="error-page__title">Bad Request</h1>' in html
    assert f"{field}: " in html
    fragment = partial.get_data(as_text=True)
    assert fragment.startswith('<div class="alert alert--error"') and f"{field}: " in fragment


def test_out_of_range_names_the_dates_accepted(me):
    html = me.get("/account/purchases?until=9999-12-31").get_data(as_text=True)

    assert "To: Pick a date from 2000-01-01 to 2099-12-31." in html


def test_the_outermost_dates_accepted_show_the_list(me):
    response = me.get("/account/purchases?since=2000-01-01&until=2099-12-31")

    assert response.status_code == 200
    assert "Unicorn Orator - TTS" in response.get_data(as_text=True)


def test_the_date_inputs_offer_only_dates_accepted(me):
    html = me.get("/account/purchases").get_data(as_text=True)

    assert html.count('min="2000-01-01"') == 2 and html.count('max="2099-12-31"') == 2


def test_a_reversed_range_renders_the_page_with_the_error(me):
    response = me.get("/account/purchases?since=2025-05-01&until=2025-04-01")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "error-page" not in html  # the purchases page itself, not the bare error page
    assert 'role="search"' in html and 'value="2025-05-01"' in html and 'value="2025-04-01"' in html
    assert (
        '<p class="field__error" id="until-error">The end date is before the start date.</p>'
        in html
    )
    assert 'aria-invalid="true"' in html
    assert (
        '<div class="alert alert--error" role="alert">To: The end date is before the start date.'
        in html
    )


def test_a_reversed_range_for_htmx_is_the_results_partial_with_the_error(me):
    response = me.get("/account/purchases?since=2025-05-01&until=2025-04-01", headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<html" not in html and 'role="search"' not in html
    message = "To: The end date is before the start date."
    assert html.strip() == f'<div class="alert alert--error" role="alert">{message}</div>'
