"""The bundle admin through HTTP: create with a picker, validation, the engine's preview (equal
to what the cart charges), concurrent edits, deactivation with a confirm step — audited."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from marketplace import quoting
from marketplace.models import AddOnBundle, AdminAuditEntry
from marketplace.shopper import Shopper
from tests.fixtures.catalog import RETIRED, put_in_cart
from tests.fixtures.shoppers import ANON_OWNER

NEW = "/admin/bundles/new"
PREVIEW = "/admin/bundles/preview"
HX_PREVIEW = {"HX-Request": "true", "HX-Target": "bundle-preview"}


def form(*add_ons, **changes) -> dict:
    """A valid bundle form over `add_ons`, with `changes`."""
    return {
        "name": "Voice Duo",
        "description": "Speak and listen.",
        "add_on_ids": [str(a.id) for a in add_ons],
        "discount_kind": "amount",
        "discount_value": "5.00",
        "valid_from": "",
        "valid_until": "",
        "display_order": "10",
        "is_active": "y",
        **changes,
    }


def money(text: str) -> list[str]:
    return re.findall(r"\$\d+\.\d\d", text)


def test_create_saves_the_bundle_and_audits_it(admin_client, session, add_ons):
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]

    response = admin_client.post(
        NEW, data=form(tts, stt, valid_from="2026-01-01T00:00", valid_until="2027-01-01T00:00")
    )

    bundle = session.scalar(select(AddOnBundle).where(AddOnBundle.name == "Voice Duo"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/bundles/{bundle.id}"
    assert set(bundle.add_on_ids) == {tts.id, stt.id}
    assert (bundle.discount_percent, bundle.discount_amount) == (None, Decimal("5.00"))
    assert bundle.valid_from.isoformat() == "2026-01-01T00:00:00+00:00"
    entry = session.scalar(select(AdminAuditEntry).where(AdminAuditEntry.action == "bundle.create"))
    assert entry.object_id == str(bundle.id) and entry.after["discount_amount"] == "5.00"
    listing = admin_client.get("/admin/bundles/?q=duo").text
    assert "Voice Duo" in listing and tts.name in listing


def test_bad_input_names_each_field(admin_client, session, add_ons):
    tts = add_ons["unicorn-orator-tts"]

    response = admin_client.post(
        NEW,
        data=form(tts, name="", discount_kind="percent", discount_value="0",
                  valid_from="2026-05-01T00:00", valid_until="2026-04-01T00:00"),
    )  # fmt: skip

    assert response.status_code == 422
    text = response.text
    assert "Enter a name." in text
    assert "Choose at least two add-ons." in text
    assert "A percentage is more than 0 and at most 100." in text
    assert "Must be after “Valid from”." in text
    assert session.scalar(select(AddOnBundle)) is None


def test_an_amount_above_the_members_total_and_inactive_members_are_refused(
    admin_client, session, add_ons
):
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]

    too_much = admin_client.post(NEW, data=form(tts, stt, discount_value="20.00"))
    retired = admin_client.post(NEW, data=form(tts, add_ons[RETIRED]))

    assert too_much.status_code == 422
    assert "The amount off is more than the add-ons cost together (19.98)." in too_much.text
    assert retired.status_code == 422
    # The picker offers active add-ons only; a retired one sent anyway is not a choice.
    assert "something ticked is no longer offered (deactivated?)" in retired.text
    assert session.scalar(select(AddOnBundle)) is None


def test_the_preview_shows_what_the_cart_charges(admin_client, session, add_ons):
    members = [
        add_ons[s] for s in ("unicorn-orator-tts", "amanuensis-stt", "brigade-agent-platform")
    ]
    data = form(*members, discount_value="5.00")

    htmx = admin_client.post(
        PREVIEW, data=data, headers={"HX-Request": "true", "HX-Target": "bundle-preview"}
    )
    plain = admin_client.post(PREVIEW, data=data)
    admin_client.post(NEW, data=data)
    put_in_cart(session, ANON_OWNER, *members)
    cart = quoting.quote_cart(session, Shopper.anonymous(), ANON_OWNER, None)

    assert htmx.status_code == 200 and '<section id="bundle-preview"' in htmx.text
    assert "<form" not in htmx.text
    assert plain.status_code == 200 and 'id="bundle-form"' in plain.text
    shares = {line.add_on_id: line for line in cart.quote.lines}
    expected = []
    for add_on in sorted(members, key=lambda a: a.name):
        line = shares[add_on.id]
        expected += [f"${line.recurring_total + line.bundle_discount}",
                     f"${line.bundle_discount}", f"${line.recurring_total}"]  # fmt: skip
    total = sum(line.recurring_total for line in cart.quote.lines)
    assert sum(line.bundle_discount for line in cart.quote.lines) == Decimal("5.00")
    assert money(htmx.text) == [*expected, "$39.97", "$5.00", f"${total}"]
    assert total == Decimal("34.97")


def test_preview_of_an_impossible_bundle_says_why(admin_client, add_ons):
    response = admin_client.post(
        PREVIEW,
        data=form(add_ons["unicorn-orator-tts"]),
        headers=HX_PREVIEW,
    )

    assert response.status_code == 422
    assert "Choose at least two add-ons." in response.text


def _created(admin_client, session, add_ons) -> AddOnBundle:
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    admin_client.post(NEW, data=form(tts, stt))
    return session.scalar(select(AddOnBundle).where(AddOnBundle.name == "Voice Duo"))


def _edit_form(admin_client, bundle, add_ons, **changes) -> dict:
    page = admin_client.get(f"/admin/bundles/{bundle.id}").text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    return {**form(tts, stt), "token": token, **changes}


def test_edit_saves_and_a_concurrent_edit_is_refused(admin_client, session, add_ons):
    bundle = _created(admin_client, session, add_ons)
    first = _edit_form(admin_client, bundle, add_ons, discount_kind="percent", discount_value="15")
    second = _edit_form(admin_client, bundle, add_ons, name="Voice Pair")

    saved = admin_client.post(f"/admin/bundles/{bundle.id}", data=first)
    refused = admin_client.post(f"/admin/bundles/{bundle.id}", data=second)

    session.refresh(bundle)
    assert saved.status_code == 303
    assert (bundle.discount_percent, bundle.discount_amount) == (Decimal("15.00"), None)
    assert refused.status_code == 409
    assert "changed by someone else" in refused.text and bundle.name == "Voice Duo"
    entry = session.scalar(select(AdminAuditEntry).where(AdminAuditEntry.action == "bundle.update"))
    assert entry.before == {"discount_percent": None, "discount_amount": "5.00"}
    assert entry.after == {"discount_percent": "15.00", "discount_amount": None}


def test_deactivate_asks_first_then_leaves_the_shop(admin_client, session, add_ons):
    bundle = _created(admin_client, session, add_ons)
    url = f"/admin/bundles/{bundle.id}/deactivate"

    confirm = admin_client.get(url)
    session.refresh(bundle)
    assert confirm.status_code == 200 and "Yes, deactivate" in confirm.text and bundle.is_active
    assert "Voice Duo" in admin_client.get("/bundles").text

    done = admin_client.post(url)

    session.refresh(bundle)
    assert done.status_code == 303 and not bundle.is_active
    assert "“Voice Duo” was deactivated." in admin_client.get(done.headers["Location"]).text
    assert "Voice Duo" not in admin_client.get("/bundles").text
    actions = session.scalars(select(AdminAuditEntry.action)).all()
    assert "bundle.deactivate" in actions
    assert "Voice Duo" in admin_client.get("/admin/bundles/?status=inactive").text
    assert "Voice Duo" not in admin_client.get("/admin/bundles/?status=active").text


def test_a_missing_bundle_is_a_404(admin_client):
    assert (
        admin_client.get("/admin/bundles/00000000-0000-0000-0000-000000000001").status_code == 404
    )
