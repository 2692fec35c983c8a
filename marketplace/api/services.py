"""Entitlements for platform services: one user's, or many users' at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from marshmallow import fields, validate

from marketplace.api import access, caching
from marketplace.api.entitlement_tags import EntitlementTags
from marketplace.api.operations import blueprint, documented
from marketplace.api.problems import refuse
from marketplace.api.schemas import Strict
from marketplace.entitlements import as_entitlements, entitlements_until, features_of_users
from marketplace.extensions import db

MAX_USER_ID = 255
MAX_BATCH = 100

blp = blueprint(
    "Services", "Entitlements for platform services (a service token).", access.require_service
)


class EntitlementsSchema(Strict):
    user_id = fields.String(required=True, metadata={"example": "3f1c…"})
    feature_keys = fields.List(fields.String(), required=True, metadata={"example": ["voices"]})
    features = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={
            "description": "Each enabled feature and its merged configuration",
            "example": {"voices": {"limit": 25, "languages": ["en", "de"]}},
        },
    )


class BatchArgs(Strict):
    user_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_USER_ID)),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"1 to {MAX_BATCH} user ids", "example": ["alice", "bob"]},
    )


class BatchSchema(Strict):
    users = fields.List(fields.Nested(EntitlementsSchema), required=True)


@blp.get("/users/<user_id>/features")
@blp.response(200, EntitlementsSchema)
@documented(blp, security="service", errors=(304, 404))
def user_entitlements(user_id: str):
    """A user's enabled features and their merged configuration.

    Send the `ETag` back as `If-None-Match`: 304 while nothing changed.
    """
    if len(user_id) > MAX_USER_ID:
        refuse(404, message="No such user id.")
    return entitlements_answer(user_id)


def entitlements_answer(user_id: str):
    """`user_id`'s entitlements with their ETag (private, revalidated every time), or the 304
    the client's `If-None-Match` matches: from memory when the tag is known there
    (`entitlement_tags.py`), else after one query."""
    tags: EntitlementTags | None = current_app.extensions.get("entitlement_tags")
    now = datetime.now(UTC)
    known = tags.tag(user_id, now) if tags else None
    if known and (unchanged := caching.not_modified(known, caching.PRIVATE_REVALIDATE)):
        return unchanged
    generation = tags.generation() if tags else 0  # before the query: see `keep`
    body, until = entitlements_until(db.session(), user_id, now)
    tag = caching.tag_of(body)
    if tags:
        tags.keep(user_id, tag, until, generation)
    unchanged = caching.not_modified(tag, caching.PRIVATE_REVALIDATE)
    if unchanged is not None:
        return unchanged
    return body, 200, caching.headers(tag, caching.PRIVATE_REVALIDATE)


@blp.post("/features/lookup")
@blp.arguments(BatchArgs)
@blp.response(200, BatchSchema)
@documented(blp, security="service", errors=(415, 422))
def users_entitlements(args: dict[str, Any]):
    """Many users' entitlements in one call (one query), in the order asked, each once."""
    user_ids = list(dict.fromkeys(args["user_ids"]))
    found = features_of_users(db.session(), user_ids)
    return {"users": [as_entitlements(user_id, found[user_id]) for user_id in user_ids]}
