"""Entry point for `flask --app app …`, gunicorn (`app:app`) and `make run`."""

from marketplace import create_app

app = create_app()
