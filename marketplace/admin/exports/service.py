"""Record who exported what: an export changes nothing, but it takes customers' data out, so
the audit log keeps it (action `export.<name>`, the filters as `after`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from marketplace.admin.audit.service import Actor, record

OBJECT_TYPE = "export"


def record_export(session: Session, actor: Actor, name: str, filters: Mapping[str, str]) -> None:
    """Write and commit the audit row of export `name` with `filters`, before it streams."""
    record(session, actor, f"export.{name}", OBJECT_TYPE, name, None, {"filters": dict(filters)})
    session.commit()
