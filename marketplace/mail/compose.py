"""Turn a letter into an e-mail: HTML and plain text from the templates in `templates/mail/`,
attachments, headers.

The HTML shares the shop's look through the stylesheet's own design tokens (the custom
properties of `static/css/app.css`, read once), written inline as mail clients need; the plain
text part says the same in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from marketplace.config import PROJECT_ROOT
from marketplace.pricing.money import format_money

MAIL_TEMPLATES = PROJECT_ROOT / "templates" / "mail"
STYLESHEET = PROJECT_ROOT / "static" / "css" / "app.css"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Letter:
    """One e-mail to write: to whom, its subject, its template (`<name>.html` and `.txt`) with
    what the template shows, and what is attached."""

    to: str
    name: str | None
    subject: str
    template: str
    context: dict[str, Any]
    attachments: tuple[Attachment, ...] = field(default=())


@cache
def design_tokens() -> dict[str, str]:
    """The stylesheet's `:root` custom properties, by name without the dashes: {"c-brand": …}."""
    css = STYLESHEET.read_text()
    root = css[css.index(":root {") : css.index("\n}\n", css.index(":root {"))]
    return {name: value.strip() for name, value in re.findall(r"--([\w-]+)\s*:\s*([^;]+);", root)}


def day(moment: datetime) -> str:
    """A date for people: "26 November 2026" (UTC)."""
    return f"{moment.day} {moment:%B %Y}"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(MAIL_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = format_money
    environment.filters["day"] = day
    return environment


def render(letter: Letter) -> tuple[str, str]:
    """The letter's plain text and HTML."""
    environment = _environment()
    context = {**letter.context, "subject": letter.subject, "name": letter.name}
    text = environment.get_template(f"{letter.template}.txt").render(context)
    html = environment.get_template(f"{letter.template}.html").render(
        context, token=design_tokens()
    )
    return text, html


def message(letter: Letter, *, sender: str) -> EmailMessage:
    """The letter as a MIME message: text, its HTML alternative, then the attachments."""
    text, html = render(letter)
    mail = EmailMessage()
    mail["Subject"] = letter.subject
    mail["From"] = sender
    mail["To"] = formataddr((letter.name or "", letter.to))
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    for attachment in letter.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        mail.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mail
