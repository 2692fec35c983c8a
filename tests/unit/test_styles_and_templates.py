"""One stylesheet built on its tokens, and templates without inline code or copied helpers."""

from __future__ import annotations

import re

from marketplace.config import PROJECT_ROOT

STYLESHEET = PROJECT_ROOT / "static" / "css" / "app.css"
TEMPLATES = sorted((PROJECT_ROOT / "templates").rglob("*.html"))
# E-mail is read in mail clients, not under the site's CSP: its HTML carries its styles inline
# (clients drop stylesheets), with colours from the tokens (marketplace/mail/compose.py).
MAIL_TEMPLATES = sorted((PROJECT_ROOT / "templates" / "mail").glob("*.html"))
PAGE_TEMPLATES = sorted(set(TEMPLATES) - set(MAIL_TEMPLATES))


def test_app_css_is_the_only_stylesheet():
    assert sorted(path.name for path in (PROJECT_ROOT / "static" / "css").iterdir()) == ["app.css"]


def test_colours_are_written_only_in_the_tokens():
    css = STYLESHEET.read_text()
    tokens_end = css.index("\n}\n", css.index(":root {"))

    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", css[tokens_end:]) == []
    assert re.findall(r"\b(?:rgba?|hsla?)\(", css[tokens_end:]) == []


def test_every_custom_property_used_is_defined():
    css = STYLESHEET.read_text()
    defined = set(re.findall(r"(--[\w-]+)\s*:", css))
    used = set(re.findall(r"var\(\s*(--[\w-]+)", css))

    assert used - defined == set()


def test_no_inline_script_or_style_in_templates():
    # The Content-Security-Policy refuses both (no 'unsafe-inline').
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
        for path in PAGE_TEMPLATES
        for match in re.finditer(r"<[^>]*\s(?:on[a-z]+|style)\s*=[^>]*>|<style\b", path.read_text())
    ]

    assert found == []


def test_mail_templates_take_their_colours_from_the_tokens_and_run_no_script():
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
        for path in MAIL_TEMPLATES
        for match in re.finditer(
            r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(|<script\b|\son[a-z]+\s*=|<link\b|javascript:",
            path.read_text(),
        )
    ]

    assert MAIL_TEMPLATES
    assert found == []


def test_one_csrf_macro_and_one_pagination_macro():
    macros = [
        (path.relative_to(PROJECT_ROOT).as_posix(), name)
        for path in TEMPLATES
        for name in re.findall(r"{%-?\s*macro\s+(csrf|pagination)\b", path.read_text())
    ]

    assert sorted(macros) == [
        ("templates/_macros/forms.html", "csrf"),
        ("templates/_macros/pagination.html", "pagination"),
    ]
