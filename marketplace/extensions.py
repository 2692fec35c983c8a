"""Extension instances, created once and bound to the app in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

from marketplace.models.base import Base

# Services take a plain `Session`; routes and commands pass `db.session()`, the app context's
# session behind the scoped proxy (the proxy itself is not a `Session` to a type checker).
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
