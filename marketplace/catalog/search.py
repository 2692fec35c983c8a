"""Catalog search: what a shopper typed as a tsquery, and the first matches in order.

A search lists its matches best class first — found in the name, else in the summary or
category, else in feature names, else in the rest of the description — then in the page's
order. The GIN index answers "which add-ons match" but in no order. The matches are counted
on it anyway (up to 1,000, what the page says); when no more match, they are all ranked
there and then. But a broad search ("s" matches 9,000 of 10,000 add-ons) would fetch and sort
every match to show 24. When the matches are that dense, the first ones in order lie at the
start of the order's own index: its first `HEAD_ROWS` rows are checked, and only a sparse
class (fewer matches among them than the page needs) is asked of its own GIN index — where
there are few to sort.
PostgreSQL cannot make this choice itself: it estimates every prefix search at the same 2% of
the rows, however many match. So the statement makes it: the ranking of the few, the head and
each class's GIN scan sit behind conditions on the count and the head's counts that
PostgreSQL checks once, before the scan (a "One-Time Filter"), and run only when needed. One
statement answers the page's ids and the capped count; its text depends only on the search's
shape (words, sort, category or not, classes), so it is built once per shape, the executions
send parameters, and PostgreSQL plans it once per connection (a generic plan).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Subquery, column, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import UUID

from marketplace.models import AddOn
from marketplace.models.catalog import SEARCH_CLASS_WEIGHTS, class_search_document

MAX_SEARCH_WORDS = 8
# How many rows of the order's index a class is read from before its GIN index is asked: a
# class with fewer matches than the page needs among them has at most about 5% of 10k add-ons
# matching, few enough to fetch and sort (about 1 ms). Measured at 10k add-ons, 500 rows
# answer a search 0.35 ms sooner than 1,000 on average.
HEAD_ROWS = 500
_DIALECT = postgresql.dialect()


def search_words(text: str) -> list[str]:
    """The words of what a shopper typed: runs of letters and digits, lower-cased, the first 8.

    Nothing else survives (quotes, `&|!():*<>`, underscores), so each word is always valid
    `to_tsquery` input whatever was typed.
    """
    return re.findall(r"[^\W_]+", text.lower())[:MAX_SEARCH_WORDS]


def _sql(element: ColumnElement[Any]) -> str:
    return str(element.compile(dialect=_DIALECT))


def tsquery_sql(word_count: int, weights: str = "") -> str:
    """The tsquery of a search of `word_count` words (parameters `:w0`…), as SQL: every word
    stemmed (English), the last one also as a prefix.

    "transcribe" finds "transcribes" (stems), "neural voi" finds "neural voices", and the
    last word is also matched unstemmed as a prefix (`simple`), so "a" finds names starting
    with A although "a" is an English stop word. `weights` ("A", "AB"…) keeps to lexemes of
    those weights.
    """
    label = f"\\:{weights}" if weights else ""  # `\:`: a colon, not a parameter, to text()
    terms = [f"to_tsquery('english', :w{n} || '{label}')" for n in range(word_count - 1)]
    last = f":w{word_count - 1} || ':*{weights}'"
    terms.append(f"(to_tsquery('english', {last}) || to_tsquery('simple', {last}))")
    return "(" + " && ".join(terms) + ")"


# The match classes' documents, best first, each GIN-indexed (migration 019), then the whole.
CLASS_DOCUMENTS = [_sql(class_search_document(weights)) for weights in SEARCH_CLASS_WEIGHTS] + [
    "search_document"
]
# The columns every order reads, carried from CTE to CTE.
_COLUMNS = "id, display_order, name, base_price"


@dataclass(frozen=True)
class SearchPage:
    """A page of a search as a subquery to join the add-ons to — `id`, `position` (the order to
    show them in) and `total` (the matches, counted up to `:count_limit` + 1) — and the
    parameters to execute it with."""

    found: Subquery
    params: dict[str, Any]


def search_page(
    words: list[str],
    *,
    order: tuple[Any, ...],
    ranked: bool,
    category: str | None,
    start: int,
    page_size: int,
    count_limit: int,
) -> SearchPage:
    """Matches `start`… (`page_size` of them) of the active add-ons (in `category`) matching
    `words`, in `order` (then id; `ranked`: by match class first), with their count up to
    `count_limit`: one statement, whatever the search."""
    count = start + page_size
    params: dict[str, Any] = {f"w{n}": word for n, word in enumerate(words)}
    params |= {
        "category": category,
        "head_size": max(HEAD_ROWS, 4 * count),
        "count": count,
        "start": start,
        "page_size": page_size,
        "count_limit": count_limit,
    }
    return SearchPage(_statement(len(words), order, ranked, category is not None), params)


def _classes() -> tuple[str, list[str]]:
    """A ranked search's class of a row (`rank`), and each class's condition, best first: its
    document matches, the better one's does not (the classes nest: the name is in the
    summary's class, and so on, so "not the class just above" means "in no better class")."""
    # Row by row, a query kept to the class's weights is cheaper than filtering the document:
    # rank k is the first class whose weights match.
    whens = " ".join(
        f"WHEN search_document @@ {_query(weights)} THEN {rank}"
        for rank, weights in enumerate(SEARCH_CLASS_WEIGHTS)
    )
    conditions = []
    better = None
    for document in CLASS_DOCUMENTS:
        found = f"{document} @@ {_query()}"
        conditions.append(found if better is None else f"{found} AND NOT {better}")
        better = found
    return f"CASE {whens} ELSE {len(SEARCH_CLASS_WEIGHTS)} END", conditions


def _query(weights: str = "") -> str:
    """The search's tsquery (kept to `weights`), as the statement's `q` computes it once."""
    return f"(SELECT q{weights} FROM q)"


@functools.cache
def _statement(
    word_count: int, order_by: tuple[Any, ...], ranked: bool, in_category: bool
) -> Subquery:
    """The statement of one search shape (see the module's docstring).

    `counted` counts the matches (up to `:count_limit` + 1) on the document's GIN index. When
    no more match, `few` ranks them all. Else `head` is the first `:head_size` rows in the
    page's order (the order's index); a class takes its head matches when the head holds
    `:count` of them or is the whole catalog, else it asks its GIN index (`gin_k`, gathered
    apart and then sorted: left to itself the planner may walk the order's index instead,
    checking every add-on of a sparse class). A class is not asked at all once the classes
    before it hold `:count`.
    """
    base = "is_active" + (" AND category = :category" if in_category else "")
    # Unqualified: the same order sorts `add_ons` and the CTEs that carry its columns.
    order = ", ".join(_sql(column).replace("add_ons.", "") for column in (*order_by, AddOn.id))
    rank_sql, conditions = _classes() if ranked else ("0", [f"search_document @@ {_query()}"])
    ctes = [
        _queries_cte(word_count, ranked),
        *_count_and_head_ctes(base, order, rank_sql, len(conditions)),
    ]
    for rank, condition in enumerate(conditions):
        ctes += _class_ctes(rank, condition, base, order)
    found = " UNION ALL ".join(
        ["SELECT * FROM few", *(f"SELECT * FROM class_{rank}" for rank in range(len(conditions)))]
    )
    statement = text(
        f"WITH {', '.join(ctes)} "
        f"SELECT id, row_number() OVER (ORDER BY rank, {order}) AS position, "
        f"(SELECT n FROM counted) AS total "
        f"FROM ({found}) found ORDER BY rank, {order} LIMIT :page_size OFFSET :start"
    )
    return statement.columns(
        column("id", UUID), column("position", Integer), column("total", Integer)
    ).subquery("found")


def _queries_cte(word_count: int, ranked: bool) -> str:
    """`q`: the search's tsqueries, each computed once.

    Written out at each use, they were folded into constants by a plan made for the words
    (2 ms of planning a search) and computed again for every row checked by a plan made for
    any words; read from `q`, nothing depends on the words, so PostgreSQL keeps the prepared
    statement's generic plan: a search plans nothing.
    """
    queries = [f"{tsquery_sql(word_count)} AS q"] + [
        f"{tsquery_sql(word_count, weights.upper())} AS q{weights}"
        for weights in (SEARCH_CLASS_WEIGHTS if ranked else ())
    ]
    return f"q AS MATERIALIZED (SELECT {', '.join(queries)})"


def _count_and_head_ctes(base: str, order: str, rank_sql: str, classes: int) -> list[str]:
    """`counted`; `few`, every match ranked when no more than `:count_limit` match; else
    `head`, its rows with their class (NULL: no match), and `head_counts`, how many of each
    class it holds."""
    query = _query()
    in_classes = ", ".join(
        f"count(*) FILTER (WHERE rank = {rank}) AS in_{rank}" for rank in range(classes)
    )
    matches = f"FROM add_ons WHERE {base} AND search_document @@ {query}"
    few = "(SELECT n FROM counted) <= :count_limit"
    return [
        f"""counted AS MATERIALIZED (
            SELECT count(*) AS n FROM (SELECT 1 {matches} LIMIT :count_limit + 1) m)""",
        f"few AS MATERIALIZED (SELECT {_COLUMNS}, {rank_sql} AS rank {matches} AND {few})",
        f"""head AS MATERIALIZED (
            SELECT {_COLUMNS}, CASE WHEN search_document @@ {query} THEN {rank_sql} END AS rank
            FROM add_ons WHERE {base} AND NOT {few} ORDER BY {order} LIMIT :head_size)""",
        f"""head_counts AS MATERIALIZED (
            SELECT count(*) < :head_size AS is_all, {in_classes} FROM head)""",
    ]


def _class_ctes(rank: int, condition: str, base: str, order: str) -> list[str]:
    """Class `rank`'s first `:count` matches (`class_k`): the head's, when it holds that many or
    is the whole catalog; else its GIN index's (`gin_k`). Neither runs once the better classes
    hold `:count` (one-time filters, checked before the scans)."""
    is_all = "(SELECT is_all FROM head_counts)"
    in_head = f"(SELECT in_{rank} FROM head_counts)"
    before = " + ".join(f"(SELECT count(*) FROM class_{k})" for k in range(rank)) or "0"
    return [
        f"""gin_{rank} AS MATERIALIZED (
            SELECT {_COLUMNS} FROM add_ons WHERE {base} AND {condition}
            AND NOT {is_all} AND {in_head} < :count AND {before} < :count)""",
        f"""class_{rank} AS MATERIALIZED (
            (SELECT {_COLUMNS}, rank FROM head WHERE rank = {rank}
             AND ({is_all} OR {in_head} >= :count) AND {before} < :count
             ORDER BY {order} LIMIT :count)
            UNION ALL
            (SELECT {_COLUMNS}, {rank} FROM gin_{rank} ORDER BY {order} LIMIT :count))""",
    ]
