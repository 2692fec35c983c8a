"""Flask CLI commands: thin shells over plain functions that tests call directly."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the marketplace's commands to `flask`."""
    from marketplace.cli.demo import demo
    from marketplace.cli.maintain import maintain_group
    from marketplace.cli.seed import seed_group
    from marketplace.cli.verify import verify_command

    seed_group.add_command(demo)
    for command in (seed_group, verify_command, maintain_group):
        app.cli.add_command(command)
