import json

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

API_PATHS = {
    "/api/v1/auth/code/request/", "/api/v1/auth/code/verify/", "/api/v1/regions/", "/api/v1/occupations/",
    "/api/v1/income-bases/", "/api/v1/registrations/", "/api/v1/members/me/",
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.django_db
def test_schema_endpoint_serves_openapi(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "BPU Enrollment Portal API"
    assert API_PATHS <= set(document["paths"])


@pytest.mark.django_db
def test_schema_docs_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)
    assert API_PATHS <= set(schema["paths"])


def test_errors_are_documented_in_the_one_shape(schema):
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    post = schema["paths"]["/api/v1/registrations/"]["post"]
    assert {"201", "400", "401"} <= set(post["responses"])
    ref = post["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ErrorResponse"


def test_income_bases_are_documented_as_a_list_of_integers(schema):
    response = schema["paths"]["/api/v1/income-bases/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {"type": "array", "items": {"type": "integer"}}


def test_schema_generates_without_warnings(tmp_path):
    # Same as `./manage.py spectacular --validate --fail-on-warn`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")
