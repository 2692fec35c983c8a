"""Every command checks the database first and fails with one clear line."""

from __future__ import annotations

import click
import pytest

from marketplace.cli.seed import seed_group

COMMANDS = [["seed"], ["verify"], ["maintain", "run", "weekly"], ["maintain", "vacuum"]]
UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nowhere"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_unreachable_database_is_one_line_and_exit_1(cli_runner_for, args):
    result = cli_runner_for(UNREACHABLE).invoke(args=args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: cannot reach postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere: "
        'connection failed: connection to server at "127.0.0.1", port 1 failed:'
    )
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_database_without_schema_says_to_migrate(cli_runner_for, empty_database_url, args):
    result = cli_runner_for(empty_database_url).invoke(args=args)

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the database at {empty_database_url} has no marketplace schema; "
        "run `flask db upgrade`\n"
    )


def test_help_needs_no_database(cli_runner_for):
    result = cli_runner_for(UNREACHABLE).invoke(args=["maintain", "vacuum", "--help"])

    assert result.exit_code == 0
    assert "VACUUM (ANALYZE) the marketplace tables" in result.output


def test_subcommands_added_to_seed_later_check_the_database(cli_runner_for):
    ran = []

    @click.command("probe")
    def probe() -> None:
        ran.append(True)

    seed_group.add_command(probe)
    try:
        result = cli_runner_for(UNREACHABLE).invoke(args=["seed", "probe"])
    finally:
        del seed_group.commands["probe"]

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach ")
    assert ran == []
