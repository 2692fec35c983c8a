"""Where composed messages go: an SMTP server, or `.eml` files in a folder (development).

The standard library speaks both: `smtplib` (STARTTLS, AUTH) and `email.message.EmailMessage`,
whose bytes are the `.eml` file a mail client opens. No Flask here, so the outbox can send from
a CLI runner, a worker or the after-response hook alike.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` on; raise when it could not be (the outbox retries it)."""


@dataclass(frozen=True)
class SmtpTransport:
    """One SMTP connection per message (the outbox sends a few at a time, retrying each)."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class EmlFolder:
    """Each message written as `<time>-<id>.eml` in `folder`, and its path logged."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        # A warning, so it shows without any logging set up: nothing was sent.
        log.warning("e-mail not sent (no MAIL_SERVER), written to %s", path)


def transport_for(config: Mapping[str, Any]) -> Transport:
    """SMTP at `MAIL_SERVER`, else (never in production: the factory refuses) `.eml` files."""
    if config.get("MAIL_SERVER"):
        return SmtpTransport(
            host=config["MAIL_SERVER"],
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS") or 10.0),
        )
    return EmlFolder(Path(config["MAIL_FILE_DIR"]))
