"""Extension instances, created once and bound to the app in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The models' declarative base: they subclass it directly so type checkers see them.

    `SQLAlchemy(model_class=Base)` builds `db.Model` on this class's registry and metadata, so
    `db.metadata` (Alembic's target) is `Base.metadata` and `db.session` maps every model.
    """

    # Deterministic constraint names, so Alembic can find them again.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Services take a plain `Session`; routes and commands pass `db.session()`, the app context's
# session behind the scoped proxy (the proxy itself is not a `Session` to a type checker).
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
