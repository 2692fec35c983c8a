"""Catalog search: what a shopper typed as a tsquery, and the first matches in order.

A search lists its matches best class first — found in the name, else in the summary or
category, else in feature names, else in the rest of the description — then in the page's
order. The GIN index answers "which add-ons match" but in no order, so a broad search ("s"
matches 9,000 of 10,000 add-ons) would fetch and sort every match to show 24. When the matches
are that dense, the first ones in order lie at the start of the order's own index: its first
`HEAD_ROWS` rows are checked, and only a sparse class (fewer matches among them than the page
needs) is asked of its own GIN index — where there are few to sort.
PostgreSQL cannot make this choice itself: it estimates every prefix search at the same 2% of
the rows, however many match.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    not_,
    select,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from marketplace.models import AddOn
from marketplace.models.catalog import SEARCH_CLASS_WEIGHTS, class_search_document

MAX_SEARCH_WORDS = 8
ENGLISH = literal_column("'english'", REGCONFIG)  # stems and drops stop words
SIMPLE = literal_column("'simple'", REGCONFIG)  # lower-cases only
# How many rows of the order's index a class is read from before its GIN index is asked: a
# class with fewer matches than the page needs among them has at most about 2.5% of 10k add-ons
# matching, few enough to fetch and sort (about 1 ms); reading them costs about as much.
HEAD_ROWS = 1_000
# The match classes, best first: each class's document, GIN-indexed (migration 019).
CLASS_DOCUMENTS = [class_search_document(weights) for weights in SEARCH_CLASS_WEIGHTS] + [
    literal_column("search_document")
]


def search_words(text: str) -> list[str]:
    """The words of what a shopper typed: runs of letters and digits, lower-cased, the first 8.

    Nothing else survives (quotes, `&|!():*<>`, underscores), so each word is always valid
    `to_tsquery` input whatever was typed.
    """
    return re.findall(r"[^\W_]+", text.lower())[:MAX_SEARCH_WORDS]


def search_query(text: str, weights: str = "") -> ColumnElement[Any] | None:
    """The tsquery of a search: every word stemmed (English), the last one also as a prefix.

    "transcribe" finds "transcribes" (stems), "neural voi" finds "neural voices", and the
    last word is also matched unstemmed as a prefix (`simple`), so "a" finds names starting
    with A although "a" is an English stop word. `weights` ("A", "AB"…) keeps to lexemes of
    those weights. None when no word is left.
    """
    words = search_words(text)
    if not words:
        return None
    *whole, last = words
    label = f":{weights}" if weights else ""
    terms: list[ColumnElement[Any]] = [
        func.to_tsquery(ENGLISH, word + label, type_=TSQUERY) for word in whole
    ]
    prefix = f"{last}:*{weights}"
    terms.append(
        func.to_tsquery(ENGLISH, prefix, type_=TSQUERY).op("||")(
            func.to_tsquery(SIMPLE, prefix, type_=TSQUERY)
        )
    )
    return functools.reduce(lambda left, right: left.op("&&")(right), terms)  # AND


@dataclass(frozen=True)
class Search:
    """A search's tsquery, and the same kept to each match class's weights."""

    query: ColumnElement[Any]
    by_class: list[ColumnElement[Any]]  # "A", "AB", "ABC"

    @classmethod
    def of(cls, text: str) -> Search | None:
        """The search for what was typed; None when no word is in it."""
        query = search_query(text)
        if query is None:
            return None
        by_class = [search_query(text, weights.upper()) for weights in SEARCH_CLASS_WEIGHTS]
        return cls(query, [weighted for weighted in by_class if weighted is not None])


def matches(document: ColumnElement[Any], query: ColumnElement[Any]) -> ColumnElement[bool]:
    """`document @@ query`, answered by the document's GIN index."""
    return document.bool_op("@@")(query)


def document_matches(query: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the whole search document matches (idx_add_ons_search_document)."""
    return matches(CLASS_DOCUMENTS[-1], query)


def class_conditions(query: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """Each match class's condition, best first: its document matches, the better one's not.

    The classes nest (the name is in the summary's class, and so on), so "not the class just
    above" means "in no better class".
    """
    conditions: list[ColumnElement[bool]] = []
    better: ColumnElement[bool] | None = None
    for document in CLASS_DOCUMENTS:
        found = matches(document, query)
        conditions.append(found if better is None else and_(found, not_(better)))
        better = found
    return conditions


def first_matches(
    session: Session,
    base: Sequence[ColumnExpressionArgument[bool]],
    search: Search,
    order: Sequence[Any],
    count: int,
    *,
    ranked: bool,
) -> list[uuid.UUID]:
    """The ids of the first `count` add-ons meeting `base` that match `search`, in `order`
    (then id); `ranked` lists the match classes one after the other, best first.

    One statement reads the head of the order's index. A class's matches there are its first
    matches overall (the head comes first in the order), so they serve when there are enough
    of them, or when the head is the whole catalog; otherwise that class is asked of its GIN
    index. A broad search takes one statement, a narrow one a few.
    """
    classes = class_conditions(search.query) if ranked else [document_matches(search.query)]
    in_head, head_is_all = _head_matches(session, base, search, order, count, ranked=ranked)
    ids: list[uuid.UUID] = []
    for rank, condition in enumerate(classes):
        wanted = count - len(ids)
        found = in_head.get(rank, [])
        if len(found) < wanted and not head_is_all:
            found = _matches_in_order(session, [*base, condition], order, wanted)
        ids += found[:wanted]
        if len(ids) == count:
            break
    return ids


def _head_matches(
    session: Session,
    base: Sequence[ColumnExpressionArgument[bool]],
    search: Search,
    order: Sequence[Any],
    count: int,
    *,
    ranked: bool,
) -> tuple[dict[int, list[uuid.UUID]], bool]:
    """The first `count` matches among the head's rows, by class, and whether the head holds
    every row meeting `base` (then nothing is left to ask the GIN indexes)."""
    ordered = (*order, AddOn.id)
    head_size = max(HEAD_ROWS, 4 * count)
    head = (
        _sortable()
        .add_columns(AddOn.search_document)  # what the classes read
        .where(*base)
        .order_by(*ordered)
        .limit(head_size)
        .subquery("head")
    )
    counted = select(head, func.count().over().label("head_rows")).subquery("counted")
    # Row by row, a query kept to the class's weights is cheaper than filtering the document.
    rank = (
        case(
            *((document_matches(weighted), r) for r, weighted in enumerate(search.by_class)),
            else_=len(search.by_class),
        )
        if ranked
        else literal(0)
    )
    in_counted = ClauseAdapter(counted).traverse
    rows = session.execute(
        select(counted.c.id, rank.label("rank"), counted.c.head_rows)
        .where(document_matches(search.query))
        .order_by(rank, *(in_counted(column.expression) for column in ordered))
        .limit(count)
    ).all()
    by_rank: dict[int, list[uuid.UUID]] = {}
    for row in rows:
        by_rank.setdefault(row.rank, []).append(row.id)
    return by_rank, bool(rows) and rows[0].head_rows < head_size


def _matches_in_order(
    session: Session,
    conditions: Sequence[ColumnExpressionArgument[bool]],
    order: Sequence[Any],
    count: int,
) -> list[uuid.UUID]:
    """The first `count` ids meeting `conditions` in `order`, through the class's GIN index.

    The matches are gathered apart (a materialized CTE) and then sorted: left to itself the
    planner may walk the order's index instead, checking every add-on of a sparse class.
    """
    found = _sortable().where(*conditions).cte("class_matches").prefix_with("MATERIALIZED")
    in_found = ClauseAdapter(found).traverse
    query = (
        select(found.c.id)
        .order_by(*(in_found(column.expression) for column in (*order, AddOn.id)))
        .limit(count)
    )
    return list(session.scalars(query))


def _sortable() -> Select[Any]:
    """Add-on ids with the columns of every sort."""
    return select(AddOn.id, AddOn.display_order, AddOn.name, AddOn.base_price)
