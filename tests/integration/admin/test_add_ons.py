"""The add-on admin through HTTP: create, edit, validation, concurrent edits, (de)activation,
hard delete, bulk changes and feature mappings — each change audited in its transaction."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from marketplace.models import AddOn, AddOnFeature, AdminAuditEntry
from tests.fixtures.catalog import completed_purchase

NEW = "/admin/catalog/add-ons/new"
HX = {"HX-Request": "true"}


def form(**changes) -> dict:
    """A valid add-on form, with `changes`."""
    return {
        "name": "Voice Clone Studio",
        "slug": "",
        "description": "Clone a voice from a minute of audio.",
        "category": "ai-services",
        "base_price": "12.5",
        "billing_type": "monthly",
        "features": "voice_clone\nvoice_export",
        "icon": "microphone",
        "metadata_json": '{"tagline": "Your voice, anywhere"}',
        "display_order": "5",
        "is_active": "y",
        **changes,
    }


def edit_form(client, add_on: AddOn, **changes) -> dict:
    """The edit page's form as loaded (with its edit token), with `changes`."""
    page = client.get(f"/admin/catalog/add-ons/{add_on.id}").text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    return {**form(name=add_on.name, slug=add_on.slug), "token": token, **changes}


def audit_rows(session, action: str | None = None) -> list[AdminAuditEntry]:
    query = select(AdminAuditEntry).order_by(AdminAuditEntry.id)
    if action:
        query = query.where(AdminAuditEntry.action == action)
    return list(session.scalars(query))


def test_create_saves_every_column_and_audits_it(admin_client, session):
    response = admin_client.post(NEW, data=form(), headers={"X-Request-ID": "req-42"})

    add_on = session.scalar(select(AddOn).where(AddOn.name == "Voice Clone Studio"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/catalog/add-ons/{add_on.id}"
    assert (add_on.slug, add_on.category, add_on.billing_type) == (
        "voice-clone-studio", "ai-services", "monthly",
    )  # fmt: skip
    assert add_on.base_price == Decimal("12.50")
    assert add_on.features == ["voice_clone", "voice_export"]
    assert add_on.meta == {"tagline": "Your voice, anywhere", "icon": "microphone"}
    assert (add_on.display_order, add_on.is_active) == (5, True)
    [entry] = audit_rows(session, "add_on.create")
    assert (entry.actor, entry.actor_role, entry.object_type) == ("admin-ada", "admin", "add_on")
    assert entry.object_id == str(add_on.id) and entry.before is None
    assert entry.after["base_price"] == "12.50" and entry.after["slug"] == "voice-clone-studio"
    assert entry.request_id == "req-42" and str(entry.ip) == "127.0.0.1"
    page = admin_client.get(response.headers["Location"]).text
    assert "“Voice Clone Studio” was created." in page and "add_on.create" in page


def test_bad_input_is_the_form_again_with_each_fields_message(admin_client, session):
    response = admin_client.post(
        NEW,
        data=form(name="", base_price="-1", slug="Not A Slug", category="toys",
                  metadata_json='{\n  "a": 1\n  "b": 2\n}'),
    )  # fmt: skip

    assert response.status_code == 422
    text = response.text
    assert "Enter a name." in text
    assert "Enter a price from 0 to 99999999.99." in text
    assert "Use lower-case letters, digits and single hyphens" in text
    assert "Not a valid choice" in text
    assert "line 3, column 3: Expecting &#39;,&#39; delimiter" in text
    assert 'aria-invalid="true"' in text
    assert session.scalar(select(AddOn.id)) is None and audit_rows(session) == []


def test_metadata_must_be_an_object(admin_client, session):
    response = admin_client.post(NEW, data=form(metadata_json="[1, 2]"))

    assert response.status_code == 422
    assert "Must be a JSON object" in response.text


def test_a_taken_slug_is_refused_on_its_field(admin_client, add_ons, session):
    response = admin_client.post(NEW, data=form(slug="unicorn-orator-tts"))

    assert response.status_code == 422
    assert "Another add-on already uses the slug “unicorn-orator-tts”." in response.text
    assert audit_rows(session) == []


def test_htmx_errors_swap_the_form_alone(admin_client):
    response = admin_client.post(NEW, data=form(name=""), headers=HX)

    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form") and "<html" not in response.text
    assert "Enter a name." in response.text


def test_edit_saves_and_audits_only_the_changed_fields(admin_client, add_ons, session):
    add_on = add_ons["unicorn-orator-tts"]
    data = edit_form(admin_client, add_on, base_price="19.99", name="TTS Pro")

    response = admin_client.post(f"/admin/catalog/add-ons/{add_on.id}", data=data)

    assert response.status_code == 303
    session.refresh(add_on)
    assert (add_on.name, add_on.base_price) == ("TTS Pro", Decimal("19.99"))
    [entry] = audit_rows(session, "add_on.update")
    assert entry.before["base_price"] == "9.99" and entry.after["base_price"] == "19.99"
    assert entry.before["name"] == "Unicorn Orator - TTS" and entry.after["name"] == "TTS Pro"
    history = admin_client.get(f"/admin/catalog/add-ons/{add_on.id}").text
    assert "add_on.update" in history and "19.99" in history


def test_the_second_of_two_concurrent_saves_is_refused(admin_client, add_ons, session):
    add_on = add_ons["unicorn-orator-tts"]
    first = edit_form(admin_client, add_on, base_price="11.00")
    second = edit_form(admin_client, add_on, base_price="12.00")

    assert admin_client.post(f"/admin/catalog/add-ons/{add_on.id}", data=first).status_code == 303
    refused = admin_client.post(f"/admin/catalog/add-ons/{add_on.id}", data=second)

    assert refused.status_code == 409
    assert "changed by someone else since you opened it — reload" in refused.text
    assert 'value="12.00"' in refused.text  # the form again, as sent
    session.refresh(add_on)
    assert add_on.base_price == Decimal("11.00")
    assert len(audit_rows(session, "add_on.update")) == 1


def test_deactivate_asks_first_then_hides_the_add_on(admin_client, add_ons, session, client):
    add_on = add_ons["unicorn-orator-tts"]
    url = f"/admin/catalog/add-ons/{add_on.id}/deactivate"

    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, deactivate" in confirm.text
    assert add_on.is_active  # asking changes nothing

    assert admin_client.post(url).status_code == 303
    session.refresh(add_on)
    assert add_on.is_active is False
    assert client.get("/add-ons/unicorn-orator-tts").status_code == 404
    [entry] = audit_rows(session, "add_on.deactivate")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})

    admin_client.post(f"/admin/catalog/add-ons/{add_on.id}/reactivate")
    session.refresh(add_on)
    assert add_on.is_active and client.get("/add-ons/unicorn-orator-tts").status_code == 200


def test_an_add_on_never_sold_can_be_deleted(admin_client, add_ons, session):
    add_on_id = add_ons["unicorn-orator-tts"].id

    response = admin_client.post(f"/admin/catalog/add-ons/{add_on_id}/delete")

    assert response.status_code == 303
    session.expire_all()
    assert session.get(AddOn, add_on_id) is None
    [entry] = audit_rows(session, "add_on.delete")
    assert entry.before["name"] == "Unicorn Orator - TTS" and entry.after is None


def test_deleting_a_sold_add_on_is_refused_with_a_message(admin_client, add_ons, session):
    add_on = add_ons["unicorn-orator-tts"]
    completed_purchase(session, "buyer-1", add_on)
    session.commit()

    response = admin_client.post(f"/admin/catalog/add-ons/{add_on.id}/delete")

    assert response.status_code == 409
    assert "This add-on has been sold" in response.text and "Deactivate it instead" in response.text
    session.expire_all()
    assert session.get(AddOn, add_on.id) is not None
    assert audit_rows(session) == []


def test_bulk_deactivate_changes_each_ticked_add_on_once(admin_client, add_ons, session):
    ticked = [
        add_ons["unicorn-orator-tts"],
        add_ons["retired-voice-pack"],
        add_ons["brigade-agent-platform"],
    ]

    response = admin_client.post(
        "/admin/catalog/add-ons/bulk",
        data={"ids": [str(a.id) for a in ticked], "action": "deactivate",
              "back": "/admin/catalog/add-ons?status=active"},
    )  # fmt: skip

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/catalog/add-ons?status=active"
    session.expire_all()
    assert [session.get(AddOn, a.id).is_active for a in ticked] == [False, False, False]
    # The one already inactive is not changed again.
    assert {e.object_id for e in audit_rows(session, "add_on.deactivate")} == {
        str(ticked[0].id), str(ticked[2].id),
    }  # fmt: skip
    assert "2 add-ons deactivated." in admin_client.get(response.headers["Location"]).text


def test_bulk_refuses_ids_that_are_not_ids(admin_client, add_ons):
    response = admin_client.post(
        "/admin/catalog/add-ons/bulk", data={"ids": ["nope"], "action": "activate"}
    )

    assert response.status_code == 400


def test_feature_mappings_are_edited_on_the_add_on_page(
    admin_client, add_ons, feature_definitions, session
):
    add_on = add_ons["unicorn-orator-tts"]
    features_url = f"/admin/catalog/add-ons/{add_on.id}/features"
    key = "tts_languages"
    page = admin_client.get(f"/admin/catalog/add-ons/{add_on.id}").text
    assert '<option value="tts_languages">Speech in 30 languages (tts_languages)</option>' in page

    bad = admin_client.post(features_url, data={"feature_key": key, "configuration": '{"x": }'})
    assert bad.status_code == 422 and "line 1, column 7: Expecting value" in bad.text

    saved = admin_client.post(
        features_url, data={"feature_key": key, "enabled": "y", "configuration": '{"voices": 40}'}
    )
    assert saved.status_code == 303
    mapping = session.scalar(
        select(AddOnFeature).where(
            AddOnFeature.add_on_id == add_on.id, AddOnFeature.feature_key == key
        )
    )
    assert (mapping.enabled, mapping.configuration) == (True, {"voices": 40})

    row = admin_client.post(features_url, data={"feature_key": key, "configuration": "[1]"})
    assert row.status_code == 422
    # The error shows in that mapping's row, with what was sent; the stored value is kept.
    assert re.search(
        r'aria-invalid="true" aria-describedby="configuration-1-error">\[1\]<', row.text
    )
    session.refresh(mapping)
    assert mapping.configuration == {"voices": 40}

    unknown = admin_client.post(features_url, data={"feature_key": "no_such_feature"})
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.text

    changed = admin_client.post(features_url, data={"feature_key": key, "configuration": "{}"})
    assert changed.status_code == 303
    session.refresh(mapping)
    assert (mapping.enabled, mapping.configuration) == (False, {})

    removed = admin_client.post(f"{features_url}/{key}/delete")
    assert removed.status_code == 303
    assert [(e.action, e.before, e.after) for e in audit_rows(session)] == [
        ("add_on_feature.create", None,
         {"feature_key": key, "enabled": True, "configuration": {"voices": 40}}),
        ("add_on_feature.update",
         {"feature_key": key, "enabled": True, "configuration": {"voices": 40}},
         {"feature_key": key, "enabled": False, "configuration": {}}),
        ("add_on_feature.delete",
         {"feature_key": key, "enabled": False, "configuration": {}}, None),
    ]  # fmt: skip
