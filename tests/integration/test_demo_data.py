"""`flask seed demo` at a tiny scale, and the account queries the benchmark times."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text

from marketplace.account.queries import active_add_ons
from marketplace.admin.analytics import mrr as analytics_mrr
from marketplace.analytics import Movement
from marketplace.analytics.periods import Range
from marketplace.cli.demo import demo
from marketplace.maintenance.analytics import refresh as refresh_analytics
from marketplace.models import AddOn, AddOnBundle, AddOnFeature, AddOnPurchase, CartItem, UserAddOn
from marketplace.orders.service import format_number, number_sql
from tests.fixtures.shoppers import sign_in

TINY = [
    "--users", "50", "--add-ons", "20", "--subscriptions", "200", "--purchases", "200",
    "--carts", "10", "--bundles", "5", "--as-of", "2026-01-15", "--batch-size", "50",
]  # fmt: skip
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def demo_counts(session) -> dict[str, int]:
    demo_users = "demo-user-%"
    return {
        "add_ons": session.scalar(
            select(func.count()).select_from(AddOn).where(AddOn.meta.contains({"demo": True}))
        ),
        "add_on_features": session.scalar(
            select(func.count())
            .select_from(AddOnFeature)
            .join(AddOnFeature.add_on)
            .where(AddOn.meta.contains({"demo": True}))
        ),
        "bundles": session.scalar(select(func.count()).select_from(AddOnBundle)),
        "user_add_ons": session.scalar(
            select(func.count()).where(UserAddOn.user_id.like(demo_users))
        ),
        "purchases": session.scalar(
            select(func.count()).where(AddOnPurchase.user_id.like(demo_users))
        ),
        "cart_owners": session.scalar(
            select(func.count(CartItem.user_id.distinct())).where(CartItem.user_id.like(demo_users))
        ),
    }


def checksum(session) -> str:
    """Fingerprint every generated value (not the server-stamped created_at/updated_at)."""
    queries = (
        "SELECT id, name, slug, category, base_price, billing_type, features, is_active, "
        "metadata, display_order FROM add_ons ORDER BY id",
        "SELECT id, add_on_id, feature_key, enabled, configuration FROM add_on_features "
        "ORDER BY id",
        "SELECT id, name, add_on_ids, discount_percent, valid_from, valid_until FROM "
        "add_on_bundles ORDER BY id",
        "SELECT id, user_id, add_on_id, status, purchased_at, expires_at, auto_renew, "
        "cancelled_at FROM user_add_ons ORDER BY id",
        "SELECT id, user_id, add_on_id, amount, status, purchased_at, quantity, refunded_at "
        "FROM add_on_purchases ORDER BY id",
        "SELECT id, user_id, add_on_id, quantity, added_at FROM cart_items ORDER BY id",
    )
    digest = hashlib.sha256()
    for query in queries:
        for row in session.execute(text(query)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_demo_loads_exactly_the_rows_asked_for(runner, session):
    result = runner.invoke(demo, TINY)

    assert result.exit_code == 0, result.output
    counts = demo_counts(session)
    features = counts.pop("add_on_features")
    assert counts == {
        "add_ons": 20,
        "bundles": 5,
        "user_add_ons": 200,
        "purchases": 200,
        "cart_owners": 10,
    }
    assert 20 * 3 <= features <= 20 * 8
    assert features == session.scalar(
        text(
            "SELECT sum(jsonb_array_length(features)) FROM add_ons "
            "WHERE metadata @> '{\"demo\": true}'"
        )
    )
    assert "user_add_ons" in result.output and "total" in result.output


def test_demo_data_is_realistic(runner, session):
    runner.invoke(demo, TINY)

    statuses = dict(
        session.execute(select(UserAddOn.status, func.count()).group_by(UserAddOn.status)).all()
    )
    assert statuses["active"] > sum(statuses.values()) / 2
    purchases = dict(
        session.execute(
            select(AddOnPurchase.status, func.count()).group_by(AddOnPurchase.status)
        ).all()
    )
    assert purchases["completed"] > sum(purchases.values()) / 2
    oldest, newest = session.execute(
        select(func.min(AddOnPurchase.purchased_at), func.max(AddOnPurchase.purchased_at))
    ).one()
    as_of = datetime(2026, 1, 15, tzinfo=UTC)
    assert as_of - timedelta(days=731) <= oldest and newest <= as_of
    assert newest - oldest > timedelta(days=365)
    # Bundles name demo add-ons only; every cart line is unique per owner (the constraint).
    demo_ids = set(session.scalars(select(AddOn.id)))
    for bundle in session.scalars(select(AddOnBundle)):
        assert set(bundle.add_on_ids) <= demo_ids and len(bundle.add_on_ids) >= 2


def test_same_seed_gives_the_same_rows(runner, session):
    runner.invoke(demo, TINY)
    first = checksum(session)

    again = runner.invoke(demo, [*TINY, "--replace"])
    assert again.exit_code == 0, again.output
    assert checksum(session) == first

    other = runner.invoke(demo, [*TINY, "--replace", "--random-seed", "7"])
    assert other.exit_code == 0, other.output
    assert checksum(session) != first
    assert demo_counts(session)["user_add_ons"] == 200


def test_second_run_is_refused_without_replace(runner, session):
    runner.invoke(demo, TINY)
    before = demo_counts(session)

    result = runner.invoke(demo, TINY)

    assert result.exit_code == 1
    assert "already present" in result.output and "--replace" in result.output
    assert demo_counts(session) == before


def test_replace_leaves_other_rows_alone(runner, session):
    keeper = AddOn(name="Keeper", slug="keeper", category="analytics", base_price=Decimal("5.00"))
    session.add(keeper)
    session.flush()
    session.add(UserAddOn(user_id="real-user", add_on_id=keeper.id, status="active"))
    session.commit()
    runner.invoke(demo, TINY)

    result = runner.invoke(demo, [*TINY, "--replace"])

    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).where(UserAddOn.user_id == "real-user")) == 1
    assert demo_counts(session)["add_ons"] == 20
    assert session.scalar(select(func.count()).select_from(AddOn)) == 21


def test_impossible_sizes_are_refused(runner):
    result = runner.invoke(demo, ["--users", "2", "--add-ons", "3", "--subscriptions", "7"])

    assert result.exit_code == 1
    assert "do not fit" in result.output


# Account queries ------------------------------------------------------------------------


def add_on(session, name: str) -> AddOn:
    item = AddOn(
        name=name,
        slug=name.lower().replace(" ", "-"),
        category="ai-services",
        base_price=Decimal("9.99"),
        billing_type="monthly",
    )
    session.add(item)
    return item


@pytest.fixture
def subscriber_with_mixed_subscriptions(session):
    """Alice holds two live subscriptions, one lapsed, one cancelled; Bob holds one."""
    alpha, beta, gamma, delta = (
        add_on(session, name) for name in ("Alpha Search", "Beta Voice", "Gamma GPU", "Delta Docs")
    )
    session.flush()
    session.add_all(
        [
            UserAddOn(user_id="alice", add_on_id=beta.id, status="active",
                      expires_at=NOW + timedelta(days=10)),
            UserAddOn(user_id="alice", add_on_id=alpha.id, status="active", expires_at=None),
            UserAddOn(user_id="alice", add_on_id=gamma.id, status="active",
                      expires_at=NOW - timedelta(seconds=1)),
            UserAddOn(user_id="alice", add_on_id=delta.id, status="cancelled",
                      expires_at=NOW + timedelta(days=10)),
            UserAddOn(user_id="bob", add_on_id=gamma.id, status="active",
                      expires_at=NOW + timedelta(days=10)),
        ]
    )  # fmt: skip
    session.commit()
    return "alice"


def test_active_add_ons_are_the_live_ones_by_name_in_one_query(
    session, subscriber_with_mixed_subscriptions
):
    statements = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    session.expunge_all()

    held = active_add_ons(session, subscriber_with_mixed_subscriptions, NOW)
    names = [subscription.add_on.name for subscription in held]

    event.remove(connection, "before_cursor_execute", listener)
    assert names == ["Alpha Search", "Beta Voice"]
    assert [subscription.expires_at for subscription in held] == [
        None,
        NOW + timedelta(days=10),
    ]
    assert len(statements) == 1


def test_active_add_ons_of_a_user_without_any(session, subscriber_with_mixed_subscriptions):
    assert active_add_ons(session, "nobody", NOW) == []


# Demo orders -----------------------------------------------------------------------------


def demo_orders(session) -> list:
    return session.execute(
        text(
            "SELECT o.id, o.number, o.status, o.paid_at, o.subtotal, o.tax, o.total, "
            "o.payment_reference, o.checkout_session_id, p.purchased_at, p.status AS line, "
            "p.amount, p.discount_amount, p.stripe_payment_id, p.checkout_session_id AS session "
            "FROM orders o JOIN add_on_purchases p ON p.order_id = o.id "
            "WHERE o.user_id LIKE 'demo-user-%' ORDER BY p.purchased_at, p.id"
        )
    ).all()


def test_every_demo_purchase_is_in_an_order_like_a_checkout_leaves_it(runner, session):
    runner.invoke(demo, TINY)

    assert session.scalar(text("SELECT count(*) FROM add_on_purchases WHERE order_id IS NULL")) == 0
    rows = demo_orders(session)
    # One order per checkout: a line, or a line per member of a bundle bought whole.
    assert len(rows) == 200 > len({row.id for row in rows}) == len({row.session for row in rows})
    expected = {"completed": "paid", "refunded": "refunded", "failed": "failed"}
    expected["pending"] = "pending"
    for row in rows:
        lines = [line for line in rows if line.id == row.id]
        assert row.status == expected[row.line]
        assert {line.line for line in lines} == {row.line}
        assert (row.subtotal, row.total) == (
            sum(line.amount + line.discount_amount for line in lines),
            sum(line.amount for line in lines),
        )
        assert row.checkout_session_id == row.session
        assert row.payment_reference == row.stripe_payment_id
        paid = row.line in ("completed", "refunded")
        assert (row.paid_at is not None, row.tax == 0 if paid else row.tax is None) == (
            paid,
            True,
        )


def test_paid_demo_orders_are_numbered_consecutively_in_purchase_order(runner, session):
    runner.invoke(demo, TINY)

    rows = list({row.id: row for row in demo_orders(session)}.values())  # one per order
    paid = [row for row in rows if row.paid_at is not None]
    assert all(row.number is None for row in rows if row.paid_at is None)
    values = [int(row.number.rsplit("-", 1)[1]) for row in paid]
    assert values == list(range(values[0], values[0] + len(paid)))
    assert [row.number for row in paid] == [
        format_number(row.paid_at.astimezone(UTC).year, value)
        for row, value in zip(paid, values, strict=True)
    ]
    # The sequence moved past them: the next real checkout's number follows.
    assert session.scalar(text("SELECT last_value FROM order_number_seq")) == values[-1]


def test_discounted_demo_purchases_itemise_their_discount(runner, session):
    runner.invoke(demo, TINY)

    discounted = session.execute(
        text(
            "SELECT p.id, p.discount_amount, d.kind, d.label, d.amount FROM add_on_purchases p "
            "LEFT JOIN purchase_discounts d ON d.purchase_id = p.id WHERE p.discount_amount > 0"
        )
    ).all()
    assert discounted
    codes = dict(session.execute(text("SELECT id, code FROM promotional_codes")).all())
    bundles = set(session.scalars(text("SELECT name FROM add_on_bundles")))
    promos = dict(
        session.execute(
            text("SELECT id, promo_code_id FROM add_on_purchases WHERE promo_code_id IS NOT NULL")
        ).all()
    )
    assert promos and len(promos) < len(discounted)
    for row in discounted:
        code = codes.get(promos.get(row.id))
        if row.kind == "bundle":
            assert not code and row.label in bundles and row.amount == row.discount_amount
            continue
        expected = ("promo", f"Promo code {code}") if code else ("other", "Discount")
        assert (row.kind, row.label, row.amount) == (*expected, row.discount_amount)
    assert session.scalar(text("SELECT count(*) FROM purchase_discounts")) == len(discounted)


def test_bundle_orders_buy_every_member_with_the_saving_split_as_checkout_splits_it(
    runner, session
):
    runner.invoke(demo, [*TINY, "--purchases", "2000"])

    orders = session.execute(
        text(
            "SELECT b.name, b.add_on_ids, b.discount_percent, p.order_id, "
            "array_agg(p.add_on_id) AS add_on_ids_bought, sum(p.amount) AS charged, "
            "sum(d.amount) AS saving, sum(a.base_price) AS list_price, "
            "count(DISTINCT p.status) AS statuses "
            "FROM purchase_discounts d JOIN add_on_purchases p ON p.id = d.purchase_id "
            "JOIN add_ons a ON a.id = p.add_on_id "
            "JOIN add_on_bundles b ON b.name = d.label WHERE d.kind = 'bundle' "
            "GROUP BY b.id, p.order_id"
        )
    ).all()
    assert len(orders) >= 20
    for order in orders:
        assert sorted(order.add_on_ids_bought) == sorted(order.add_on_ids)
        assert order.statuses == 1
        # Charged: the members' prices less the bundle's percent, to the cent (half up).
        assert order.charged == (order.list_price * (100 - order.discount_percent) / 100).quantize(
            Decimal("0.01"), rounding="ROUND_HALF_UP"
        )
        assert order.charged + order.saving == order.list_price


def test_a_demo_user_sees_their_orders_on_the_purchases_page(runner, session, client):
    runner.invoke(demo, TINY)
    user, number = session.execute(
        text(
            "SELECT user_id, number FROM orders WHERE number IS NOT NULL "
            "ORDER BY created_at DESC LIMIT 1"
        )
    ).one()

    page = sign_in(client, user).get("/account/purchases")

    assert page.status_code == 200
    assert number in page.get_data(as_text=True)


def test_replacing_demo_data_leaves_no_orphaned_orders(runner, session):
    runner.invoke(demo, TINY)
    result = runner.invoke(demo, [*TINY, "--replace", "--purchases", "120"])

    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "purchase_discounts" in result.output
    assert session.scalar(text("SELECT count(*) FROM orders")) == 120
    assert (
        session.scalar(
            text(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS "
                "(SELECT 1 FROM add_on_purchases p WHERE p.order_id = o.id)"
            )
        )
        == 0
    )
    assert (
        session.scalar(
            text(
                "SELECT count(*) FROM purchase_discounts d JOIN add_on_purchases p "
                "ON p.id = d.purchase_id WHERE p.discount_amount = 0"
            )
        )
        == 0
    )


@pytest.mark.parametrize(("year", "value"), [(2026, 7), (2027, 123_456), (2030, 1_234_567)])
def test_set_based_numbers_read_as_checkout_numbers(session, year, value):
    sql = number_sql("paid_at", "value")
    written = session.scalar(
        text(
            f"SELECT {sql} FROM (SELECT CAST(:paid_at AS timestamptz) AS paid_at, "
            ":value AS value) v"
        ),
        {"paid_at": datetime(year, 12, 31, 23, 30, tzinfo=UTC), "value": value},
    )

    assert written == format_number(year, value)


def test_demo_histories_feed_the_analytics(runner, session):
    """Sign-ups over the year, upgrades, churn and checkouts: every movement shows, and the
    rollup's MRR reconciles with the subscriptions the demo holds."""
    runner.invoke(demo, TINY)
    refresh_analytics(session)
    year = Range(date(2025, 1, 16), date(2026, 1, 15))
    window = analytics_mrr.window(session, year)
    assert window.start + window.net == window.end > 0
    for kind in (Movement.NEW, Movement.EXPANSION):
        assert window.amounts[kind] > 0, kind
    assert window.amounts[Movement.CHURNED] < 0
    assert window.end == session.scalar(text("SELECT sum(mrr) FROM analytics_add_on_mrr"))
    funnel = session.execute(
        text("SELECT step, count(*) FROM funnel_events GROUP BY step ORDER BY step")
    ).all()
    assert [step for step, _ in funnel] == ["cart", "checkout", "paid"]
    promos = session.execute(
        text("SELECT sum(paid), sum(discount) FROM analytics_promo_daily")
    ).one()
    assert promos[0] > 0 and promos[1] > 0
    # Bundles bought whole, refunds, and renewals switched off show too.
    bundles = session.execute(text("SELECT sum(orders), sum(savings) FROM analytics_bundle_daily"))
    assert min(bundles.one()) > 0
    assert session.scalar(text("SELECT sum(refunded) FROM analytics_revenue_daily")) > 0
    assert session.scalar(
        text("SELECT count(*) FROM user_add_ons WHERE status = 'active' AND NOT auto_renew "
             "AND expires_at > '2026-01-15'")
    ) > 0  # fmt: skip
