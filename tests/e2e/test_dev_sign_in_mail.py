"""The development sign-in in Chromium: the prefilled e-mail address follows the user id until
the shopper types one of their own."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_prefilled_address_follows_the_user_id_until_edited(page: Page):
    page.goto("/login")
    user_id, email = page.get_by_label("User id"), page.get_by_label("E-mail address")
    expect(email).to_have_value("dev-user@example.test")

    user_id.fill("grace")
    expect(email).to_have_value("grace@example.test")

    email.fill("grace.hopper@example.test")
    user_id.fill("grace-h")
    expect(email).to_have_value("grace.hopper@example.test")
