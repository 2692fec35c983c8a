"""The development sign-in form; CSRFProtect checks its token like every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from marketplace.auth.service import MAX_USER_ID
from marketplace.mail.contacts import MAX_ADDRESS, is_address
from marketplace.vocabulary import Role

DEFAULT_USER_ID = "dev-user"
# Left empty, the address is made from the user id: nobody reads mail at example.test.
DEV_MAIL_DOMAIN = "example.test"


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
        default=DEFAULT_USER_ID,
    )
    email = StringField(
        "E-mail address",
        validators=[
            Optional(),
            Length(max=MAX_ADDRESS, message=f"An address is at most {MAX_ADDRESS} characters."),
        ],
        default=f"{DEFAULT_USER_ID}@{DEV_MAIL_DOMAIN}",
    )
    tier = SelectField("Subscription tier", choices=[], validate_choice=True, default="")
    is_admin = BooleanField("Administrator")
    is_support = BooleanField("Support (read-only)")
    next = HiddenField()

    def validate_email(self, field: StringField) -> None:
        if field.data and not is_address(field.data.strip()):
            raise ValidationError("Enter an e-mail address such as ada@example.test.")

    def address(self) -> str:
        """The address given, else one made from the user id (`<user id>@example.test`): also
        when the prefilled address was left as it was and another user id typed."""
        user_id = (self.user_id.data or "").strip()
        given = (self.email.data or "").strip()
        if given == self.email.default and user_id != DEFAULT_USER_ID:
            given = ""
        return given or f"{user_id}@{DEV_MAIL_DOMAIN}"

    def with_tiers(self, tiers: list[tuple[str, str]]) -> DevSignInForm:
        self.tier.choices = [SelectChoice("", "No tier"), *(SelectChoice(c, n) for c, n in tiers)]
        return self

    def role(self) -> Role:
        """The role the boxes stand for: the admin realm role wins over the support role."""
        if self.is_admin.data:
            return Role.ADMIN
        return Role.SUPPORT if self.is_support.data else Role.SHOPPER
