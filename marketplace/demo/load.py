"""Load the demo data set: COPY on the session's own connection, in its transaction.

One commit at the end, or nothing. `flask seed demo` and the benchmarks call `load_demo_data`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.demo import history, orders, sales
from marketplace.demo.generator import (
    ADD_ON_COLUMNS,
    BUNDLE_COLUMNS,
    CART_COLUMNS,
    DEMO_MARKER,
    DEMO_USER_PREFIX,
    FEATURE_COLUMNS,
    FEATURE_KEYS,
    SUBSCRIPTION_COLUMNS,
    DemoSizes,
    Generator,
)
from marketplace.demo.prices import DEMO_PROMO_PREFIX, PROMO_CODES, PROMO_COLUMNS


@dataclass(frozen=True)
class TableLoad:
    """Rows written to one table and how long it took."""

    table: str
    rows: int
    seconds: float


# The tables a load writes, whose indexes and statistics are settled at the end.
LOADED = (
    "add_ons", "add_on_features", "add_on_bundles", "user_add_ons", "orders",
    "add_on_purchases", "purchase_discounts", "cart_items", "subscription_changes",
    "funnel_events",
)  # fmt: skip


class DemoDataPresent(Exception):
    """Demo rows exist already and replacing them was not asked for."""


class Progress(Protocol):
    def update(self, n_steps: int) -> None: ...


ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


class _Silent:
    def update(self, n_steps: int) -> None:
        pass


def _silent(label: str, length: int) -> AbstractContextManager[Progress]:
    return nullcontext(_Silent())


def demo_data_present(session: Session) -> bool:
    """Say whether any demo add-on or demo user's row exists."""
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM add_ons WHERE metadata @> CAST(:marker AS jsonb))"
                " OR EXISTS (SELECT 1 FROM user_add_ons WHERE user_id LIKE :users)"
                " OR EXISTS (SELECT 1 FROM add_on_purchases WHERE user_id LIKE :users)"
                " OR EXISTS (SELECT 1 FROM cart_items WHERE user_id LIKE :users)"
                " OR EXISTS (SELECT 1 FROM orders WHERE user_id LIKE :users)"
                " OR EXISTS (SELECT 1 FROM promotional_codes WHERE code LIKE :codes)"
            ),
            {
                "marker": json.dumps(DEMO_MARKER),
                "users": f"{DEMO_USER_PREFIX}%",
                "codes": f"{DEMO_PROMO_PREFIX}%",
            },
        )
    )


def delete_demo_data(session: Session) -> None:
    """Delete demo users' rows (orders too), demo bundles and demo add-ons (with their
    features)."""
    params = {"marker": json.dumps(DEMO_MARKER), "users": f"{DEMO_USER_PREFIX}%"}
    demo_add_ons = "SELECT id FROM add_ons WHERE metadata @> CAST(:marker AS jsonb)"
    demo_rows = f"user_id LIKE :users OR add_on_id IN ({demo_add_ons})"
    orders.delete_orders(session, demo_rows, params)
    history.delete_funnel(session)
    session.execute(
        text("DELETE FROM promotional_codes WHERE code LIKE :codes"),
        {"codes": f"{DEMO_PROMO_PREFIX}%"},
    )
    for table in ("cart_items", "user_add_ons"):
        session.execute(text(f"DELETE FROM {table} WHERE {demo_rows}"), params)
    # A bundle naming a demo add-on would be left pointing at nothing.
    session.execute(
        text(f"DELETE FROM add_on_bundles WHERE add_on_ids && ARRAY({demo_add_ons})"), params
    )
    session.execute(text("DELETE FROM add_ons WHERE metadata @> CAST(:marker AS jsonb)"), params)


def load_demo_data(
    session: Session,
    sizes: DemoSizes,
    *,
    seed: int = 42,
    as_of: datetime | None = None,
    replace: bool = False,
    batch_size: int = 10_000,
    progress: ProgressFactory = _silent,
) -> list[TableLoad]:
    """Generate the demo data set in the session's transaction, commit it, return the timings.

    `as_of` anchors every generated timestamp (default: today, midnight UTC), so the same seed
    and day give the same rows. Raises DemoDataPresent unless `replace` is set.
    """
    sizes.check()
    if as_of is None:
        as_of = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    loads: list[TableLoad] = []
    if demo_data_present(session):
        if not replace:
            raise DemoDataPresent(
                "demo data is already present; run again with --replace to delete and reload it"
            )
        started = time.perf_counter()
        delete_demo_data(session)
        loads.append(TableLoad("(delete previous demo rows)", 0, time.perf_counter() - started))

    generator = Generator(random.Random(seed), sizes, as_of)
    loads.append(_timed("feature_definitions", len(FEATURE_KEYS), _feature_definitions, session))
    copy = _Copier(session, progress, batch_size)
    loads += [
        copy("add_ons", ADD_ON_COLUMNS, generator.add_ons(), sizes.add_ons),
        copy(
            "add_on_features", FEATURE_COLUMNS, generator.add_on_features(), generator.feature_rows
        ),
        copy("add_on_bundles", BUNDLE_COLUMNS, generator.bundles(), sizes.bundles),
        copy("user_add_ons", SUBSCRIPTION_COLUMNS, generator.subscriptions(), sizes.subscriptions),
        _counted("subscription_changes", lambda s: history.insert_changes(s, as_of), session),
        copy("promotional_codes", PROMO_COLUMNS, generator.promos.rows(), PROMO_CODES),
        *_purchases_in_orders(session, copy, sales.purchases(generator), sizes.purchases),
        copy("cart_items", CART_COLUMNS, generator.cart_items(), generator.cart_rows),
        _counted("funnel_events", lambda s: history.insert_funnel(s, as_of), session),
    ]
    loaded = [load.table for load in loads if load.table in LOADED]
    loads.append(_timed("(gin pending lists, analyze)", 0, _settle_indexes, session, loaded))
    session.commit()
    return loads


def _purchases_in_orders(
    session: Session, copy: _Copier, purchases: Iterable[Sequence[Any]], total: int
) -> list[TableLoad]:
    """Stage the purchases, then write their orders, themselves and their discounts."""
    orders.stage(session)
    return [
        copy(orders.STAGED, orders.STAGED_COLUMNS, orders.with_order_status(purchases), total),
        _counted("orders", orders.insert_orders, session),
        _counted("add_on_purchases", orders.insert_purchases, session),
        _counted("purchase_discounts", orders.insert_discounts, session),
    ]


def _counted(table: str, work: Callable[[Session], int], session: Session) -> TableLoad:
    """Time one set-based INSERT that returns its row count."""
    started = time.perf_counter()
    rows = work(session)
    return TableLoad(table, rows, time.perf_counter() - started)


def _timed(label: str, rows: int, work: Callable[..., Any], *args: Any) -> TableLoad:
    started = time.perf_counter()
    work(*args)
    return TableLoad(label, rows, time.perf_counter() - started)


class _Copier:
    """COPY generated rows into one table at a time on the session's own connection."""

    def __init__(self, session: Session, progress: ProgressFactory, batch_size: int) -> None:
        raw = session.connection().connection.driver_connection
        assert raw is not None
        self.raw, self.progress, self.batch_size = raw, progress, batch_size

    def __call__(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], total: int
    ) -> TableLoad:
        started = time.perf_counter()
        written = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.progress(table, total) as bar, self.raw.cursor() as cursor:
            with cursor.copy(statement) as stream:
                for row in rows:
                    stream.write_row(row)
                    written += 1
                    if written % self.batch_size == 0:
                        bar.update(self.batch_size)
            bar.update(written % self.batch_size)
        return TableLoad(table, written, time.perf_counter() - started)


def _feature_definitions(session: Session) -> None:
    """The demo's feature keys in the platform's `feature_definitions` (kept if present)."""
    session.execute(
        text(
            "INSERT INTO feature_definitions (key, name, description, category) "
            "VALUES (:key, :name, :description, :category) ON CONFLICT (key) DO NOTHING"
        ),
        [
            {
                "key": key,
                "name": key.replace("_", " ").capitalize(),
                "description": "Feature used by the demo data set.",
                "category": key.split("_", 1)[0],
            }
            for key in FEATURE_KEYS
        ],
    )


def _settle_indexes(session: Session, tables: Sequence[str]) -> None:
    # COPY leaves new GIN entries in each index's pending list until a vacuum; the planner
    # prices the list in and keeps choosing sequential scans, so move it into the index now.
    session.execute(
        text(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE am.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(tables)},
    )
    for table in tables:
        session.execute(text(f"ANALYZE {table}"))
