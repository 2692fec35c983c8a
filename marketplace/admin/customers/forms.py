"""The customer search (a GET form: no CSRF token)."""

from __future__ import annotations

from wtforms import Form, SearchField
from wtforms.validators import Length, Optional

from marketplace.admin.forms import cursor_field, query_args


class CustomerQuery(Form):
    """`?q=&after=`: a whole user id or an e-mail address's beginning; a page's last user id."""

    q = SearchField("User id, or e-mail (beginning)", validators=[Optional(), Length(max=255)])
    after = cursor_field()

    def query(self) -> str:
        return (self.q.data or "").strip()

    def args(self) -> dict[str, str]:
        """The search as query parameters (for the next page's link)."""
        return query_args(self, ("q",))
