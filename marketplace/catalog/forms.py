"""The catalog's query parameters, validated: unknown values are a 400, not a guess."""

from __future__ import annotations

from typing import TypedDict

from wtforms import Form, IntegerField, SearchField, SelectField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, NumberRange, Optional

from marketplace.catalog.queries import SORTS
from marketplace.models.catalog import CATEGORIES

CATEGORY_LABELS = {
    "ai-services": "AI Services",
    "infrastructure": "Infrastructure",
    "analytics": "Analytics",
    "development": "Development",
    "productivity": "Productivity",
}
SORT_LABELS = {
    "featured": "Featured",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name": "Name: A to Z",
}
MAX_PAGE = 10_000
# The query parameters `CatalogQuery` reads: a catalog page's cache key is made of these alone.
CATALOG_PARAMS = ("q", "category", "sort", "page")


class CatalogFilters(TypedDict):
    """The keyword arguments of `catalog_page` that the query parameters set."""

    q: str
    category: str | None
    sort: str
    page: int


class CatalogQuery(Form):
    """`?q=&category=&sort=&page=` of the catalog (a GET form: no CSRF token)."""

    q = SearchField("Search add-ons", validators=[Optional(), Length(max=200)], default="")
    category = SelectField(
        "Category",
        choices=[
            SelectChoice("", "All categories"),
            *(SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES),
        ],
        default="",
    )
    sort = SelectField(
        "Sort by",
        choices=[SelectChoice(key, SORT_LABELS[key]) for key in SORTS],
        default="featured",
    )
    page = IntegerField(
        "Page", validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)], default=1
    )

    def first_error(self) -> str:
        """Return one readable message naming the parameter that is wrong."""
        for field in self:
            if field.errors:
                return f"{field.label.text}: {field.errors[0]}"
        return ""

    def filters(self) -> CatalogFilters:
        """Return the validated values as keyword arguments of `catalog_page`."""
        return {
            "q": (self.q.data or "").strip(),
            "category": self.category.data or None,
            "sort": self.sort.data or "featured",
            "page": self.page.data or 1,
        }
