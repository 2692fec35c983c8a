"""My add-ons says what a change will do before the shopper makes it.

A shared Stripe subscription (add-ons bought in one checkout) can't have an add-on's renewal
switched back on (409), so the switch is shown disabled with the reason; the cancel step says
that access ends at once and that nothing is refunded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.fixtures.identity import subscribe
from tests.fixtures.shoppers import HX, sign_in

ME = "user-1"


@pytest.fixture
def me(client):
    return sign_in(client, ME)


@pytest.fixture
def bought_together(session, catalog):
    """TTS (renewal off) and STT (renewing) on one Stripe subscription; GPU on its own."""
    until = datetime(2026, 12, 26, 12, 0, tzinfo=UTC)
    return {
        "tts": subscribe(
            session, ME, catalog.tts, stripe_subscription_id="sub_shared", auto_renew=False
        ),
        "stt": subscribe(session, ME, catalog.stt, stripe_subscription_id="sub_shared"),
        "gpu": subscribe(session, ME, catalog.gpu, stripe_subscription_id="sub_alone"),
        "until": until,
    }


def switch_of(html: str, subscription_id) -> str:
    match = re.search(
        rf'<li class="subscription[^"]*" id="subscription-{subscription_id}".*?'
        r'(<button type="submit" class="switch".*?>)',
        html,
        re.S,
    )
    assert match, "no auto-renew switch in the row"
    return match.group(1)


def test_a_shared_add_on_whose_renewal_is_off_shows_a_disabled_switch_and_why(
    me, session, bought_together
):
    tts = bought_together["tts"]
    tts.expires_at = bought_together["until"]
    session.commit()

    for html in (me.get("/account/add-ons").text, me.get(f"/account/add-ons/{tts.id}").text):
        switch = switch_of(html, tts.id)
        assert " disabled" in switch
        assert f'aria-describedby="renewal-note-{tts.id}"' in switch
        note = re.search(
            rf'<p class="subscription__note" id="renewal-note-{tts.id}">(.*?)</p>', html, re.S
        )
        assert note is not None
        text = " ".join(re.sub(r"<[^>]+>", "", note.group(1)).split())
        assert text == (
            "Bought together with other add-ons, so its renewal can't be switched back on "
            "here: it renews with a new checkout once it runs out on 26 December 2026."
        )


def test_a_shared_add_on_still_renewing_warns_before_the_switch_goes_off(me, bought_together):
    html = me.get("/account/add-ons").text
    stt = bought_together["stt"]

    switch = switch_of(html, stt.id)
    assert " disabled" not in switch
    assert f'aria-describedby="renewal-note-{stt.id}"' in switch
    assert "once you switch its renewal off, it can't be switched" in html


def test_an_add_on_on_its_own_subscription_has_a_plain_switch(me, bought_together):
    switch = switch_of(me.get("/account/add-ons").text, bought_together["gpu"].id)

    assert " disabled" not in switch and "aria-describedby" not in switch


def test_the_disabled_switch_is_what_the_service_refuses(me, bought_together):
    """The page and the service agree: switching it on anyway is still a 409."""
    tts = bought_together["tts"]

    response = me.post(
        f"/account/add-ons/{tts.id}/auto-renew", data={"auto_renew": "on"}, headers=HX
    )

    assert response.status_code == 409
    assert " disabled" in switch_of(response.text, tts.id)


def cancel_terms(html: str) -> str:
    facts = re.search(r'<ul class="cancel-form__facts".*?</ul>', html, re.S)
    assert facts, "no cancellation terms"
    return " ".join(re.sub(r"<[^>]+>", "", facts.group(0)).split())


def test_cancelling_a_renewing_add_on_says_access_ends_now_and_nothing_is_refunded(
    me, session, bought_together
):
    stt = bought_together["stt"]
    stt.expires_at = bought_together["until"]
    session.commit()
    url = f"/account/add-ons/{stt.id}/cancel"

    for html in (me.get(url).text, me.get(url, headers=HX).text):
        assert cancel_terms(html) == (
            "Access ends at once. Its features stop working for you as soon as you confirm, "
            "although it is paid until 26 December 2026. "
            "No refund is issued for the time left until 26 December 2026. "
            "No more charges. It won't renew."
        )
        # The way to keep it until then is offered next to it.
        assert "Stop renewal, keep it until" in html
        assert 'name="auto_renew" value="off"' in html


def test_cancelling_a_one_time_purchase_says_it_ends_at_once_without_refund(me, session, catalog):
    lifetime = subscribe(session, ME, catalog.documents, expires_in_days=None)

    html = me.get(f"/account/add-ons/{lifetime.id}/cancel").text

    assert cancel_terms(html) == (
        "Access ends at once. Its features stop working for you as soon as you confirm. "
        "No refund is issued for this one-time purchase."
    )
    assert "Stop renewal" not in html


def test_cancelling_an_add_on_set_not_to_renew_offers_no_alternative(me, session, bought_together):
    tts = bought_together["tts"]
    tts.expires_at = bought_together["until"]
    session.commit()

    html = me.get(f"/account/add-ons/{tts.id}/cancel").text

    assert "No more charges" not in cancel_terms(html)
    assert "Stop renewal" not in html
