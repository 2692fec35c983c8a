"""Settings: one declaration per setting gives its variable, default, parsing and Flask key."""

from __future__ import annotations

from marketplace.config import PROJECT_ROOT, Settings


def test_every_variable_is_documented_in_the_readme_configuration_table():
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration") : readme.index("## Database")]
    # The first cell of each row names one variable, or two ("`A` / `B`").
    named = " ".join(row.split("|")[1] for row in section.splitlines() if row.startswith("| `"))

    undocumented = [name for name in Settings.variables() if f"`{name}`" not in named]

    assert undocumented == []


def test_unset_or_empty_variables_keep_their_defaults():
    settings = Settings.from_environ({"SQL_ECHO": "", "CATALOG_CACHE_SECONDS": ""})

    assert settings == Settings()


def test_values_are_parsed_and_reach_flask_under_their_keys():
    settings = Settings.from_environ(
        {
            "MARKETPLACE_ENV": " Production ",
            "SQL_ECHO": "yes",
            "MARKETPLACE_API_TOKENS": "a, b,,c",
            "OIDC_ISSUER": "https://sso.example.com/realms/platform/",
            "MAX_FORM_BYTES": "1024",
            "STRIPE_READ_TIMEOUT_SECONDS": "2.5",
        }
    )

    config = settings.as_flask_config()
    assert config["MARKETPLACE_ENV"] == "production"
    assert config["SQLALCHEMY_ECHO"] is True
    assert config["MARKETPLACE_API_TOKENS"] == ("a", "b", "c")
    assert config["OIDC_ISSUER"] == "https://sso.example.com/realms/platform"
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["STRIPE_READ_TIMEOUT_SECONDS"] == 2.5
    assert config["SESSION_COOKIE_SECURE"] is True  # derived: production cookies are secure
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"  # derived: no REDIS_URL
