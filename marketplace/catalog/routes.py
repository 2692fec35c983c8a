"""Catalog pages: `/` (grid, or its results partial for htmx) and `/add-ons/<slug>`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from marketplace.catalog.cache import (
    CSRF_PLACEHOLDER,
    CatalogFragment,
    ProductFragment,
    catalog_cache,
    current_version,
    with_csrf_token,
)
from marketplace.catalog.cache import init_app as init_cache
from marketplace.catalog.cards import PageCards
from marketplace.catalog.forms import CATALOG_PARAMS, SORT_LABELS, CatalogQuery
from marketplace.catalog.owned import mark_owned
from marketplace.catalog.queries import catalog_page, product_page
from marketplace.current import current_shopper
from marketplace.extensions import db
from marketplace.rendering import varies, wants_partial

bp = Blueprint("catalog", __name__)
bp.record_once(lambda state: init_cache(state.app))


@bp.get("/")
def index():
    """Show the catalog (or, for htmx, its results), filtered, sorted and paged."""
    partial = wants_partial()
    fragment = catalog_cache().get_or_create(
        _catalog_key(partial), lambda: _render_catalog(partial)
    )
    assert isinstance(fragment, CatalogFragment)  # catalog keys hold catalog pages only
    filters = fragment.filters
    if fragment.empty and filters["page"] != 1:
        abort(404, description=f"There is no page {filters['page']} of these results.")
    html = with_csrf_token(mark_owned(fragment.html, fragment.add_on_ids))
    if not partial:
        html = Markup(render_template("catalog/index.html", filters=filters, content_html=html))
    return varies(make_response(html))


def _catalog_key(partial: bool) -> tuple[object, ...]:
    """The cache key of this request's catalog page: the known filters, as sent, in one order.

    Only `CatalogQuery`'s parameters count (first value of each), so unknown ones (`utm_*`,
    `fbclid`, `?x=1`, `?x=2`…) neither miss the cache nor fill it with copies of one page. The
    values are not parsed, so a hit costs no WTForms; other spellings of the same filters
    (`?q=+voice`, `?q=voice`) are separate entries of the same page, and a value the form
    refuses is a 400, never an entry. The htmx partial and the full page are separate entries,
    so a search typed with htmx never renders the filter form around its results.
    """
    args = request.args
    return (
        "catalog",
        current_version(),
        request.script_root,
        partial,
        *(args.get(name) for name in CATALOG_PARAMS),
    )


def _render_catalog(partial: bool) -> CatalogFragment:
    """Validate the request's filters (400), then query and render their catalog page.

    The results partial (and, for a full page, the content around it: hero, filter form) are
    rendered from the normalised filters alone, without the context processors (no `shopper`,
    no `cart_count`) and with a placeholder for the add-to-cart forms' CSRF token, so nothing
    of this request or its shopper can end up in the cached HTML. Each card comes from the
    card cache (`PageCards`), so a search renders only the cards no page has shown lately.
    """
    asked = CatalogQuery(request.args)
    if not asked.validate():
        abort(400, description=asked.first_error())
    filters = asked.filters()
    cards = PageCards()
    results = catalog_page(db.session(), **filters, hints_wanted=cards.need_data)
    env = current_app.jinja_env
    html = env.get_template("catalog/_results.html").render(
        filters=filters, results=results, cards=cards.html(results)
    )
    if not partial:
        form = CatalogQuery(
            MultiDict(
                {"q": filters["q"], "category": filters["category"] or "", "sort": filters["sort"]}
            )
        )
        html = env.get_template("catalog/_content.html").render(
            form=form, sort_labels=SORT_LABELS, results_html=Markup(html)
        )
    return CatalogFragment(
        filters=filters,
        html=html,
        empty=not results.add_ons,
        add_on_ids=tuple(add_on.id for add_on in results.add_ons),
    )


@bp.get("/add-ons/<slug>")
def product(slug: str):
    """Show one add-on's page, priced for the shopper's tier."""
    tier = current_shopper().tier
    key = ("product", current_version(), request.script_root, slug, tier)
    fragment = catalog_cache().get_or_create(key, lambda: _render_product(slug, tier))
    assert isinstance(fragment, ProductFragment)  # product keys hold product pages only
    return render_template(
        "catalog/product.html",
        fragment=fragment,
        content_html=with_csrf_token(mark_owned(fragment.content_html, [fragment.add_on_id])),
    )


def _render_product(slug: str, tier: str | None) -> ProductFragment:
    """Query and render one product page for shoppers on `tier` (404 if there is none).

    Rendered like `_render_catalog`: no context processors, a CSRF placeholder in the form.
    """
    page = product_page(db.session(), slug, tier)
    if page is None:
        abort(404, description="This add-on does not exist or is no longer available.")
    content_html = current_app.jinja_env.get_template("catalog/_product.html").render(
        page=page, tier=tier, form_token=CSRF_PLACEHOLDER
    )
    add_on = page.add_on
    return ProductFragment(
        title=add_on.name,
        description=add_on.description or add_on.name,
        content_html=content_html,
        add_on_id=add_on.id,
    )
