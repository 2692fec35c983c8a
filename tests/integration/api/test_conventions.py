"""What every /api answer shares: problem+json errors (framework ones included), the OpenAPI
document, the reference page, rate limits and CORS."""

from __future__ import annotations

from tests.integration.api.conftest import CONSOLE, SERVICE_TOKEN, assert_problem, bearer


def test_unknown_address_and_method_are_problems(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, title="Not Found")
    refused = assert_problem(client.delete("/api/v1/categories"), 405)
    assert refused["title"] == "Method Not Allowed"


def test_a_405_says_what_is_allowed(client):
    response = client.put("/api/v1/add-ons")

    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_body_too_large_is_a_problem(client):
    response = client.post(
        "/api/v1/quotes", data=b"{" + b" " * 70_000 + b"}", content_type="application/json"
    )

    assert_problem(response, 413, title="Request Entity Too Large")


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post("/api/v1/quotes", data={"items": "x"})

    assert_problem(response, 415)


def test_a_nul_in_a_json_body_is_refused_before_the_database(client, catalog):
    response = client.post(
        "/api/v1/quotes",
        data='{"items": [{"slug": "a\\u0000b"}]}',
        content_type="application/json",
    )

    assert "NUL byte" in assert_problem(response, 400)["detail"]


def test_wrong_types_and_unknown_fields_name_the_field(client, catalog):
    response = client.post(
        "/api/v1/quotes",
        json={"items": [{"slug": "x", "quantity": "two"}], "colour": "red"},
    )

    body = assert_problem(response, 422)
    assert body["errors"] == {
        "items.0.quantity": ["Not a valid integer."],
        "colour": ["Unknown field."],
    }


def test_malformed_json_is_a_problem(client):
    response = client.post("/api/v1/quotes", data="{nope", content_type="application/json")

    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_the_openapi_document_is_3_1_and_documents_problems(client):
    spec = client.get("/api/v1/openapi.json").json

    assert spec["openapi"] == "3.1.0"
    assert set(spec["components"]["securitySchemes"]) == {"user", "service", "staff"}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), (method, path)
            errors = {code for code in operation["responses"] if code[0] in "45"}
            assert {"400", "429", "500"} <= errors, (method, path)
            for code in errors:
                reference = operation["responses"][code]["$ref"].rsplit("/", 1)[-1]
                content = spec["components"]["responses"][reference]["content"]
                assert list(content) == ["application/problem+json"]


def test_the_reference_page_loads_swagger_ui_from_this_origin(client):
    page = client.get("/api/docs")

    assert page.status_code == 200
    html = page.text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "https://" not in html  # no CDN
    for script in ("/static/swagger-ui/swagger-ui-bundle.js", "/static/js/api-docs.js"):
        with client.get(script) as response:
            assert response.status_code == 200


def test_each_answer_tells_the_rate_limit_and_a_429_when_to_retry(app, client):
    app.config["API_RATE_LIMIT"] = "2/minute"
    first = client.get("/api/v1/categories", headers=bearer(SERVICE_TOKEN))
    client.get("/api/v1/categories", headers=bearer(SERVICE_TOKEN))
    third = client.get("/api/v1/categories", headers=bearer(SERVICE_TOKEN))
    other_token = client.get("/api/v1/categories", headers=bearer("someone-else"))

    assert first.headers["RateLimit-Limit"] == "2"
    assert first.headers["RateLimit-Remaining"] == "1"
    assert 0 < int(first.headers["RateLimit-Reset"]) <= 61  # the minute's window, rounded up
    body = assert_problem(third, 429, title="Too Many Requests")
    assert body["detail"]
    assert 1 <= int(third.headers["Retry-After"]) <= 61
    assert other_token.status_code == 200  # counted per token


def test_cors_answers_the_configured_origin_only(client):
    allowed = client.options(
        "/api/v1/add-ons",
        headers={"Origin": CONSOLE, "Access-Control-Request-Method": "GET"},
    )
    other = client.get("/api/v1/categories", headers={"Origin": "https://evil.example"})
    simple = client.get("/api/v1/categories", headers={"Origin": CONSOLE})

    assert allowed.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    assert "GET" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in other.headers
    assert simple.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "ETag" in simple.headers["Access-Control-Expose-Headers"]
    assert "Origin" in simple.headers["Vary"]


def test_a_preflight_of_a_guarded_operation_needs_no_token(client):
    response = client.options(
        "/api/v1/me/cart",
        headers={
            "Origin": CONSOLE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_html_pages_keep_their_error_pages(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404 and response.mimetype == "text/html"
