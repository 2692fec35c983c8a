"""Promo code admin through HTTP: create/edit (normalised, duplicates refused, concurrent edits),
the usage page after a real (offline) checkout, and batch generation with its streamed CSV."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.models import AdminAuditEntry, PromotionalCode
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in

NEW = "/admin/promos/new"
BATCH = "/admin/promos/batch"
BAD_INPUT_MESSAGES = (
    "Use letters, digits, - and _ (no spaces)",
    "A percentage is at most 100.",
    "At least 1.",
    "Must be after “Valid from”.",
    "Not a valid choice",
)


@pytest.fixture
def app_overrides(fake_stripe) -> dict:
    # No Stripe keys: checkout goes through the offline test payment page.
    return {"STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": fake_stripe.url}


def form(**changes) -> dict:
    """A valid promo form, with `changes`."""
    return {
        "code": "  spring25 ",
        "description": "Spring campaign",
        "discount_type": "percentage",
        "discount_value": "25",
        "max_uses": "100",
        "valid_from": "",
        "expires_at": "2030-01-01T00:00",
        "min_purchase_amount": "5",
        "tier": "",
        "is_active": "y",
        **changes,
    }


def created(session, code: str = "SPRING25") -> PromotionalCode:
    return session.scalar(select(PromotionalCode).where(PromotionalCode.code == code))


def test_create_normalises_the_code_and_audits_it(admin_client, session, add_ons, tiers):
    tts = add_ons["unicorn-orator-tts"]

    response = admin_client.post(
        NEW,
        data=form(applicable_to=[str(tts.id)], tier="pro", first_purchase_only="y",
                  once_per_user="y"),
    )  # fmt: skip

    promo = created(session)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/promos/{promo.id}"
    assert (promo.discount_type, promo.discount_value) == ("percentage", Decimal("25.00"))
    assert promo.applicable_to == [tts.id] and promo.min_purchase_amount == Decimal("5.00")
    assert promo.user_restrictions == {
        "first_purchase_only": True, "tier": "pro", "once_per_user": True,
    }  # fmt: skip
    assert promo.expires_at.isoformat() == "2030-01-01T00:00:00+00:00"
    entry = session.scalar(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "promo_code.create")
    )
    assert entry.object_id == str(promo.id) and entry.after["code"] == "SPRING25"
    assert "SPRING25" in admin_client.get("/admin/promos/?q=spring").text


def test_a_duplicate_in_any_case_and_bad_values_are_field_errors(admin_client, session, tiers):
    admin_client.post(NEW, data=form())

    duplicate = admin_client.post(NEW, data=form(code="Spring25"))
    bad = admin_client.post(
        NEW,
        data=form(code="no spaces!", discount_value="150", max_uses="0",
                  valid_from="2030-02-01T00:00", expires_at="2030-01-01T00:00", tier="gold"),
    )  # fmt: skip

    assert duplicate.status_code == 422
    assert "The code “SPRING25” already exists." in duplicate.text
    assert bad.status_code == 422
    for message in BAD_INPUT_MESSAGES:
        assert message in bad.text, message
    assert session.scalar(select(func.count()).select_from(PromotionalCode)) == 1


def _edit_form(admin_client, promo, **changes) -> dict:
    page = admin_client.get(f"/admin/promos/{promo.id}").text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    return {**form(), "token": token, **changes}


def test_edit_saves_and_a_concurrent_edit_is_refused(admin_client, session, tiers):
    admin_client.post(NEW, data=form())
    promo = created(session)
    first = _edit_form(admin_client, promo, discount_value="30")
    second = _edit_form(admin_client, promo, max_uses="5")

    saved = admin_client.post(f"/admin/promos/{promo.id}", data=first)
    refused = admin_client.post(f"/admin/promos/{promo.id}", data=second)

    session.refresh(promo)
    assert saved.status_code == 303 and promo.discount_value == Decimal("30.00")
    assert refused.status_code == 409 and "changed by someone else" in refused.text
    assert promo.max_uses == 100
    entry = session.scalar(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "promo_code.update")
    )
    assert (entry.before, entry.after) == ({"discount_value": "25.00"}, {"discount_value": "30.00"})


def test_the_usage_page_lists_a_checkout_that_used_the_code(
    app, admin_client, session, add_ons, tiers
):
    admin_client.post(NEW, data=form(code="thanks10", discount_type="fixed_amount",
                                     discount_value="2.00", min_purchase_amount=""))  # fmt: skip
    promo = created(session, "THANKS10")
    shopper = sign_in(app.test_client(), "shopper-sue")
    put_in_cart(session, "shopper-sue", add_ons["unicorn-orator-tts"])
    shopper.post("/cart/promo", data={"code": "Thanks10"})

    started = shopper.post("/checkout")
    session_id = started.headers["Location"].rsplit("/", 1)[1]
    paid = shopper.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})

    assert paid.status_code == 303
    page = admin_client.get(f"/admin/promos/{promo.id}/usage").text
    order_number = re.search(r"<td>([A-Z0-9-]+)</td>\s*<td>Unicorn Orator", page)
    assert "shopper-sue" in page and order_number is not None
    assert "$2.00" in page and "Completed" in page
    assert "1 order line by 1 customer; $2.00 given in discounts" in page


def test_an_unused_code_says_so(admin_client, session, tiers):
    admin_client.post(NEW, data=form())

    page = admin_client.get(f"/admin/promos/{created(session).id}/usage").text

    assert "Nobody has used this code yet." in page


def test_a_batch_makes_unique_codes_audited_once_and_downloadable(admin_client, session, tiers):
    response = admin_client.post(
        BATCH, data=form(code="", prefix="fall-", count="500", max_uses="1", once_per_user="y")
    )

    codes = list(
        session.scalars(select(PromotionalCode).where(PromotionalCode.code.like("FALL-%")))
    )
    assert response.status_code == 303
    assert len(codes) == 500 and len({c.code for c in codes}) == 500
    assert all(re.fullmatch(r"FALL-[0-9A-HJKMNP-TV-Z]{10}", c.code) for c in codes)
    assert {(c.max_uses, c.discount_value) for c in codes} == {(1, Decimal("25.00"))}
    assert {c.batch_id for c in codes} == {codes[0].batch_id}
    [entry] = session.scalars(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "promo_code.batch_create")
    )
    assert (entry.object_type, entry.object_id) == ("promo_batch", str(codes[0].batch_id))
    assert entry.after["prefix"] == "FALL-" and entry.after["count"] == 500
    assert session.scalar(select(func.count()).select_from(AdminAuditEntry)) == 1
    batch_page = admin_client.get(response.headers["Location"]).text
    assert "A batch of 500 codes" in batch_page
    download = admin_client.get(f"/admin/promos/batches/{codes[0].batch_id}.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.is_streamed
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:3] == ["code", "discount_type", "discount_value"]
    assert sorted(r[0] for r in rows[1:]) == sorted(c.code for c in codes)
    assert rows[1][1:4] == ["percentage", "25.00", "1"]


def test_a_batch_out_of_range_is_refused(admin_client, session, tiers):
    for count in ("0", "100001", "many"):
        response = admin_client.post(BATCH, data=form(prefix="X", count=count))
        assert response.status_code == 422, count
    assert session.scalar(select(func.count()).select_from(PromotionalCode)) == 0


def test_an_unknown_batch_is_a_404(admin_client):
    missing = "00000000-0000-0000-0000-000000000001"
    assert admin_client.get(f"/admin/promos/batches/{missing}").status_code == 404
    assert admin_client.get(f"/admin/promos/batches/{missing}.csv").status_code == 404


def test_the_list_pages_by_code_with_keyset_links(admin_client, session, tiers):
    admin_client.post(BATCH, data=form(prefix="page-", count="60"))
    codes = sorted(session.scalars(select(PromotionalCode.code)))

    first = admin_client.get("/admin/promos/?q=page-").text
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = admin_client.get(next_url).text

    listed = re.compile(r'class="admin-table__slug" href="[^"]+">([A-Z0-9-]+)</a>')
    assert listed.findall(first) == codes[:50]
    assert listed.findall(second) == codes[50:]
    assert 'rel="next"' not in second and "First page" in second
    assert admin_client.get("/admin/promos/?after=garbage").status_code == 400
