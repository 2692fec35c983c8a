"""The development sign-in form; CSRFProtect checks its token like every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, Regexp

from marketplace.auth.service import MAX_USER_ID
from marketplace.vocabulary import Role


class DevSignInForm(FlaskForm):
    class Meta:
        # CSRFProtect already checked the token (form field or X-CSRFToken header).
        csrf = False

    user_id = StringField(
        "User id",
        validators=[
            InputRequired("Enter a user id."),
            Length(max=MAX_USER_ID, message=f"A user id is at most {MAX_USER_ID} characters."),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
                message="Use letters, digits and . _ @ - (no spaces).",
            ),
        ],
        default="dev-user",
    )
    tier = SelectField("Subscription tier", choices=[], validate_choice=True, default="")
    is_admin = BooleanField("Administrator")
    is_support = BooleanField("Support (read-only)")
    next = HiddenField()

    def with_tiers(self, tiers: list[tuple[str, str]]) -> DevSignInForm:
        self.tier.choices = [SelectChoice("", "No tier"), *(SelectChoice(c, n) for c, n in tiers)]
        return self

    def role(self) -> Role:
        """The role the boxes stand for: the admin realm role wins over the support role."""
        if self.is_admin.data:
            return Role.ADMIN
        return Role.SUPPORT if self.is_support.data else Role.SHOPPER
