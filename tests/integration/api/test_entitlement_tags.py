"""Entitlement ETags answered from memory (marketplace/api/entitlement_tags.py), on a database
whose changes really commit: a revalidation sends no query, and any committed change — a new
subscription, a cancellation, a feature's configuration, a subscription lapsing — is seen at
once by the next read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from marketplace.extensions import db
from marketplace.models import AddOn
from tests.fixtures.database import committing_app
from tests.fixtures.identity import feature, subscribe
from tests.fixtures.waiting import wait_until
from tests.integration.api.conftest import SERVICE_TOKEN, bearer

TABLES = "user_add_ons, add_on_features, add_ons"
PATH = "/api/v1/users/alice/features"


@pytest.fixture
def app(committed_database_url):
    with committing_app(
        committed_database_url,
        TABLES,
        ENTITLEMENT_TAGS_IN_MEMORY=True,
        MARKETPLACE_API_TOKENS=(SERVICE_TOKEN,),
    ) as app:
        yield app
        app.extensions["entitlement_tags"].stop()  # before its database goes


@pytest.fixture
def tts(app):
    add_on = AddOn(name="Orator", category="ai-services", base_price=Decimal("9.99"))
    db.session.add(add_on)
    db.session.commit()
    feature(db.session, add_on, "voices", {"limit": 10})
    return add_on


def read(client, tag: str | None = None):
    headers = bearer(SERVICE_TOKEN) | ({"If-None-Match": tag} if tag else {})
    return client.get(PATH, headers=headers)


def listening(app) -> bool:
    tags = app.extensions["entitlement_tags"]
    tags.tag("nobody", datetime.now(UTC))  # starts the listener on first use
    return wait_until(lambda: tags.listening)


def revalidated(client, tag: str):
    """Read with `tag` until the answer is what the database says (notified in milliseconds)."""
    return wait_until(lambda: (r := read(client, tag)).status_code == 200 and r)


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL the app's engine sends while the block runs (this app commits: there is no test
    connection to listen on, as `recorded_statements` does)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_revalidation_is_answered_from_memory_without_a_query(app, tts):
    subscribe(db.session, "alice", tts)
    client = app.test_client()
    assert listening(app)
    tag = read(client).headers["ETag"]

    with statements_sent() as sent:
        unchanged = read(client, tag)

    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == tag
    assert sent == []


def test_a_committed_subscription_and_cancellation_change_the_answer_at_once(app, tts):
    client = app.test_client()
    assert listening(app)
    before = read(client)
    assert before.json["feature_keys"] == []
    assert read(client, before.headers["ETag"]).status_code == 304  # kept in memory

    subscription = subscribe(db.session, "alice", tts)
    bought = revalidated(client, before.headers["ETag"])
    assert bought.json["feature_keys"] == ["voices"]
    assert read(client, bought.headers["ETag"]).status_code == 304

    db.session.execute(
        text("UPDATE user_add_ons SET status = 'cancelled' WHERE id = :id"), {"id": subscription.id}
    )
    db.session.commit()
    assert revalidated(client, bought.headers["ETag"]).json["feature_keys"] == []


def test_a_features_configuration_change_reaches_every_holder(app, tts):
    subscribe(db.session, "alice", tts)
    client = app.test_client()
    assert listening(app)
    tag = read(client).headers["ETag"]
    assert read(client, tag).status_code == 304

    db.session.execute(text("UPDATE add_on_features SET configuration = '{\"limit\": 20}'"))
    db.session.commit()

    assert revalidated(client, tag).json["features"] == {"voices": {"limit": 20}}


def test_a_subscription_lapsing_by_time_is_seen_without_any_write(app, tts):
    lapsing = subscribe(db.session, "alice", tts)
    db.session.execute(
        text("UPDATE user_add_ons SET expires_at = :at WHERE id = :id"),
        {"at": datetime.now(UTC) + timedelta(seconds=1), "id": lapsing.id},
    )
    db.session.commit()
    client = app.test_client()
    assert listening(app)
    held = read(client)
    assert held.json["feature_keys"] == ["voices"]

    assert revalidated(client, held.headers["ETag"]).json["feature_keys"] == []


def test_a_rolled_back_change_keeps_the_tag(app, tts):
    subscribe(db.session, "alice", tts)
    client = app.test_client()
    assert listening(app)
    tag = read(client).headers["ETag"]

    db.session.execute(text("UPDATE add_on_features SET configuration = '{\"limit\": 99}'"))
    db.session.rollback()

    assert read(client, tag).status_code == 304


def test_once_stopped_every_revalidation_asks_the_database(app, tts):
    subscribe(db.session, "alice", tts)
    client = app.test_client()
    assert listening(app)
    tag = read(client).headers["ETag"]

    app.extensions["entitlement_tags"].stop()
    with statements_sent() as sent:
        unchanged = read(client, tag)

    assert unchanged.status_code == 304
    assert sent, "answered from memory after stop()"
