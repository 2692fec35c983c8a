"""The audit log: append-only in the database itself, and its filterable, keyset-paged page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marketplace.admin.audit.service import Actor, record
from marketplace.models import AdminAuditEntry
from marketplace.vocabulary import Role

AUDIT = "/admin/audit/"
ADA = Actor("admin-ada", Role.ADMIN, request_id="r-1", ip="10.0.0.7")
BOB = Actor("admin-bob", Role.ADMIN)


def rows_in(html: str) -> list[str]:
    """(action object_id) per row of the audit table."""
    return re.findall(r"<td>([a-z_.]+)</td>\s*<td>[a-z_]+ ([^<]+)</td>", html)


@pytest.fixture
def entries(session) -> list[AdminAuditEntry]:
    """60 changes by Ada to add-on "a-<n>", then one by Bob to a promo code."""
    made = [
        record(session, ADA, "add_on.update", "add_on", f"a-{n}", {"n": n}, {"n": n + 1})
        for n in range(60)
    ]
    made.append(record(session, BOB, "promo.create", "promo", "p-1", None, {"code": "X"}))
    session.commit()
    return made


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE admin_audit_log SET actor = 'someone-else'",
        "DELETE FROM admin_audit_log",
        "TRUNCATE admin_audit_log",
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(session, entries, statement):
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="admin_audit_log is append-only"):
        session.execute(text(statement))
    savepoint.rollback()

    assert (
        session.scalar(text("SELECT count(*) FROM admin_audit_log WHERE actor = 'admin-ada'")) == 60
    )


def test_entries_keep_who_where_and_what(session, entries):
    first = entries[0]
    session.expire_all()
    row = session.get(AdminAuditEntry, first.id)

    assert (row.actor, row.actor_role, row.request_id, str(row.ip)) == (
        "admin-ada", "admin", "r-1", "10.0.0.7",
    )  # fmt: skip
    assert (row.before, row.after) == ({"n": 0}, {"n": 1})
    assert row.created_at.tzinfo is not None


def test_the_page_is_newest_first_in_keyset_pages(support_client, entries):
    first = support_client.get(AUDIT).text
    assert rows_in(first)[0] == ("promo.create", "p-1")
    assert len(rows_in(first)) == 50

    after = re.search(r'href="([^"]+)"[^>]*>Next page', first).group(1).replace("&amp;", "&")
    second = support_client.get(after).text

    assert [object_id for _, object_id in rows_in(second)] == [f"a-{n}" for n in range(10, -1, -1)]
    assert "Next page" not in second


def test_filters_by_actor_action_object_and_dates(support_client, entries):
    assert rows_in(support_client.get(f"{AUDIT}?actor=admin-bob").text) == [("promo.create", "p-1")]
    assert len(rows_in(support_client.get(f"{AUDIT}?action=add_on.update").text)) == 50
    assert rows_in(support_client.get(f"{AUDIT}?object_type=add_on&object_id=a-7").text) == [
        ("add_on.update", "a-7")
    ]
    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert rows_in(support_client.get(f"{AUDIT}?since={tomorrow}").text) == []
    in_range = support_client.get(f"{AUDIT}?since={today}&until={today}&actor=admin-bob").text
    assert rows_in(in_range) == [("promo.create", "p-1")]


def test_the_partial_serves_htmx_and_keeps_the_filters(support_client, entries):
    partial = support_client.get(f"{AUDIT}?actor=admin-ada", headers={"HX-Request": "true"})

    assert "<html" not in partial.text and len(rows_in(partial.text)) == 50
    assert "actor=admin-ada" in re.search(r'href="([^"]+)"[^>]*>Next page', partial.text).group(1)


@pytest.mark.parametrize("query", ["since=2026-13-01", "since=1900-01-01", "after=nonsense"])
def test_a_bad_filter_is_a_400(support_client, query):
    assert support_client.get(f"{AUDIT}?{query}").status_code == 400
